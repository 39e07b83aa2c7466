package dev.baton.node;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import dev.baton.sdk.client.BatonClient;
import dev.baton.sdk.client.RunStatus;
import dev.baton.sdk.task.Task;
import dev.baton.sdk.worker.BatonWorker;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * An environment's overrides, changed through the management API, steer its dispatcher at once: its concurrency
 * limit caps how many of its runs execute together, and while it is paused nothing new starts.
 */
class EnvironmentSettingsEndToEndTest {

    private static final String ADMIN_TOKEN = "tr_pat_settings_test_admin_token_0123456789";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final AtomicInteger running = new AtomicInteger();
    private static final AtomicInteger mostRunning = new AtomicInteger();

    private static BatonNode node;
    private static BatonWorker worker;
    private static BatonClient client;
    private static String environmentPath;

    @BeforeAll
    static void start() {
        node = TestNodes.start(
                "settings",
                ConfigFactory.parseMap(Map.of("baton.bootstrap.admin-token", ADMIN_TOKEN))
                        .withFallback(TestNodes.postgresConfig(TestNodes.freshPostgresSchema("settings"))));
        environmentPath = "/api/v1/projects/" + node.credentials().environment().projectRef() + "/environments/"
                + node.credentials().environment().slug();
        Task<Map, Object> hold = Task.<Map, Object>define("hold", Map.class, (payload, ctx) -> {
                    mostRunning.accumulateAndGet(running.incrementAndGet(), Math::max);
                    try {
                        Thread.sleep(300);
                    } finally {
                        running.decrementAndGet();
                    }
                    return Map.of();
                })
                .build();
        worker = BatonWorker.builder(HappyPathScenario.url(node), TestNodes.WORKER_TOKEN)
                .slots(8)
                .register(hold)
                .build();
        worker.start();
        if (!worker.awaitConnected(Duration.ofSeconds(30))) throw new AssertionError("worker did not connect");
        client = HappyPathScenario.client(node);
    }

    @AfterAll
    static void stop() {
        if (worker != null) worker.close();
        if (node != null) TestNodes.stop(node);
    }

    @Test
    void theEnvironmentsConcurrencyLimitCapsItsRunsAndPausingHoldsThem() throws Exception {
        JsonNode limited = patch("{\"concurrencyLimit\":2}");
        assertEquals(2, limited.get("concurrencyLimit").asInt());
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 8; i++) ids.add(client.trigger("hold", Map.of()).id());
        for (String id : ids)
            assertEquals(
                    RunStatus.COMPLETED, client.poll(id, Duration.ofSeconds(60)).status());
        assertEquals(2, mostRunning.get(), "8 free slots, but the environment allows 2 at once");

        assertEquals(true, patch("{\"paused\":true}").get("paused").asBoolean());
        String held = client.trigger("hold", Map.of()).id();
        Thread.sleep(1500); // long enough for a dispatch that should not happen
        assertEquals(RunStatus.QUEUED, client.retrieve(held).status(), "a paused environment starts nothing");

        JsonNode resumed = patch("{\"paused\":false,\"concurrencyLimit\":null}");
        assertEquals(false, resumed.get("paused").asBoolean());
        assertEquals(false, resumed.has("concurrencyLimit"), "back to the node's default");
        assertEquals(
                RunStatus.COMPLETED, client.poll(held, Duration.ofSeconds(30)).status());
    }

    private static JsonNode patch(String body) throws Exception {
        HttpResponse<String> response = HTTP.send(
                HttpRequest.newBuilder(URI.create(HappyPathScenario.url(node) + environmentPath))
                        .header("Authorization", "Bearer " + ADMIN_TOKEN)
                        .header("Content-Type", "application/json")
                        .method("PATCH", HttpRequest.BodyPublishers.ofString(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), response.body());
        return JSON.readTree(response.body());
    }
}
