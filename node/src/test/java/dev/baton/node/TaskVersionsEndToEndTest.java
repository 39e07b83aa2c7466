package dev.baton.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.sdk.client.BatonClient;
import dev.baton.sdk.client.Run;
import dev.baton.sdk.client.RunStatus;
import dev.baton.sdk.client.TriggerOptions;
import dev.baton.sdk.client.UnprocessableEntityException;
import dev.baton.sdk.task.Task;
import dev.baton.sdk.worker.BatonWorker;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Task versions with a real node and real workers: a trigger of a task no worker has declared is PENDING_VERSION and
 * runs once a worker declaring it connects; runs locked to a version run on that version's workers only, while new
 * runs go to the newest version; a version that does not declare the task is refused.
 */
class TaskVersionsEndToEndTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static BatonNode node;
    private static final List<BatonWorker> workers = new ArrayList<>();

    @BeforeAll
    static void start() {
        node = TestNodes.start("versions", TestNodes.postgresConfig(TestNodes.freshPostgresSchema("versions")));
    }

    @AfterAll
    static void stop() {
        workers.forEach(BatonWorker::close);
        if (node != null) TestNodes.stop(node);
    }

    /** A task that answers which version of the worker ran it. */
    private static Task<Map, Map> reporting(String taskId, String version) {
        return Task.<Map, Map>define(taskId, Map.class, (payload, ctx) -> Map.of("ranOn", version))
                .build();
    }

    private static BatonWorker worker(String version, String taskId) {
        BatonWorker worker = BatonWorker.builder(HappyPathScenario.url(node), TestNodes.WORKER_TOKEN)
                .slots(4)
                .version(version)
                .register(reporting(taskId, version))
                .build();
        workers.add(worker);
        worker.start();
        assertTrue(worker.awaitConnected(Duration.ofSeconds(30)));
        return worker;
    }

    @Test
    void aTaskNoWorkerDeclaredIsPendingVersionUntilAWorkerDeclaringItConnectsThenItCompletes() throws Exception {
        BatonClient client = HappyPathScenario.client(node);
        String runId = client.trigger("declared-later", Map.of()).id();
        assertEquals(RunStatus.PENDING_VERSION, client.retrieve(runId).status());
        // A while later, still pending: nothing runs it and nothing fails it.
        Thread.sleep(500);
        assertEquals(RunStatus.PENDING_VERSION, client.retrieve(runId).status());

        worker("1.0.0", "declared-later");
        Run run = client.poll(runId, Duration.ofSeconds(60));
        assertEquals(RunStatus.COMPLETED, run.status());
        assertEquals(Map.of("ranOn", "1.0.0"), run.outputAs(Map.class));
        assertEquals("1.0.0", run.version(), "the run records the version that ran it");
        assertEquals(List.of(runId), listedIds("declared-later", "1.0.0", true));
        // Read after the run is listed, so the projection has it: another version's filter leaves it out.
        assertEquals(List.of(), listedIds("declared-later", "0.9.0", false));
    }

    @Test
    void aPendingVersionRunSurvivesARestartAndCompletesWhenAWorkerDeclaringItConnects() throws Exception {
        String schema = TestNodes.freshPostgresSchema("versions_restart");
        BatonNode first = TestNodes.start("versions-restart", TestNodes.postgresConfig(schema));
        String runId;
        try {
            BatonClient client = HappyPathScenario.client(first);
            runId = client.trigger("declared-after-restart", Map.of()).id();
            assertEquals(RunStatus.PENDING_VERSION, client.retrieve(runId).status());
        } finally {
            TestNodes.stop(first);
        }
        BatonNode second = TestNodes.start("versions-restarted", TestNodes.postgresConfig(schema));
        try (BatonWorker worker = BatonWorker.builder(HappyPathScenario.url(second), TestNodes.WORKER_TOKEN)
                .version("7.0.0")
                .register(reporting("declared-after-restart", "7.0.0"))
                .build()) {
            BatonClient client = HappyPathScenario.client(second);
            assertEquals(RunStatus.PENDING_VERSION, client.retrieve(runId).status(), "stored, and still waiting");
            worker.start();
            assertTrue(worker.awaitConnected(Duration.ofSeconds(30)));
            Run run = client.poll(runId, Duration.ofSeconds(60));
            assertEquals(RunStatus.COMPLETED, run.status());
            assertEquals("7.0.0", run.version());
        } finally {
            TestNodes.stop(second);
        }
    }

    @Test
    void lockedRunsGoToTheirVersionWhileNewRunsGoToTheNewest() throws Exception {
        BatonClient client = HappyPathScenario.client(node);
        worker("2.0.0", "versioned");
        // Registered after 2.0.0, so it is the newer version of the task.
        worker("2.1.0", "versioned");

        List<String> unlocked = new ArrayList<>();
        List<String> locked = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            unlocked.add(client.trigger("versioned", Map.of("i", i)).id());
            locked.add(client.trigger(
                            "versioned",
                            Map.of("i", i),
                            TriggerOptions.builder().lockToVersion("2.0.0").build())
                    .id());
        }
        for (String runId : unlocked) {
            Run run = client.poll(runId, Duration.ofSeconds(60));
            assertEquals(Map.of("ranOn", "2.1.0"), run.outputAs(Map.class), runId);
            assertEquals("2.1.0", run.version());
        }
        for (String runId : locked) {
            Run run = client.poll(runId, Duration.ofSeconds(60));
            assertEquals(Map.of("ranOn", "2.0.0"), run.outputAs(Map.class), runId);
            assertEquals("2.0.0", run.version());
        }
    }

    @Test
    void aLockToAVersionThatDoesNotDeclareTheTaskIsRefused() {
        BatonClient client = HappyPathScenario.client(node);
        worker("3.0.0", "refusing");
        UnprocessableEntityException refused = assertThrows(
                UnprocessableEntityException.class,
                () -> client.trigger(
                        "refusing",
                        Map.of(),
                        TriggerOptions.builder().lockToVersion("3.0.1").build()));
        assertEquals("Task 'refusing' not found on locked version '3.0.1'.", refused.getMessage());
        // A version that exists but does not declare this task is refused alike.
        worker("4.0.0", "other-task");
        assertThrows(
                UnprocessableEntityException.class,
                () -> client.trigger(
                        "refusing",
                        Map.of(),
                        TriggerOptions.builder().lockToVersion("4.0.0").build()));
    }

    /**
     * The ids the runs list shows for the task and {@code filter[version]}; with {@code waitForOne}, asked again until
     * it shows one (the list reads the projection, which lags a moment behind the run).
     */
    private static List<String> listedIds(String taskId, String version, boolean waitForOne) throws Exception {
        String query = "filter[taskIdentifier]=" + encode(taskId) + "&filter[version]=" + encode(version);
        HttpClient http = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            HttpResponse<String> response = http.send(
                    HttpRequest.newBuilder(URI.create(HappyPathScenario.url(node) + "/api/v1/runs?" + query))
                            .header("Authorization", "Bearer " + TestNodes.SECRET_KEY)
                            .GET()
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, response.statusCode(), response.body());
            List<String> ids = new ArrayList<>();
            JsonNode data = MAPPER.readTree(response.body()).get("data");
            data.forEach(run -> ids.add(run.get("id").asText()));
            if (!ids.isEmpty() || !waitForOne || System.nanoTime() > deadline) return ids;
            Thread.sleep(200);
        }
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}
