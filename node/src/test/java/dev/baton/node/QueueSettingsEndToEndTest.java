package dev.baton.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
 * A queue's overrides, changed through {@code /api/v1/queues}, steer its environment's dispatcher: a paused queue
 * holds its runs while another queue's run, stays paused across a node restart and runs them once resumed; an
 * overridden concurrency limit caps the queue and a reset brings back the declared one.
 */
class QueueSettingsEndToEndTest {

    private static final String ADMIN_TOKEN = "tr_pat_queues_test_admin_token_0123456789";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final AtomicInteger running = new AtomicInteger();
    private static final AtomicInteger mostRunning = new AtomicInteger();
    /** When each run of {@code hold} started, by the handler's clock. */
    private static final List<Long> holdStartNanos = java.util.Collections.synchronizedList(new ArrayList<>());

    private static String databaseUrl;
    private static BatonNode node;
    private static BatonWorker worker;
    private static BatonClient client;

    @BeforeAll
    static void start() {
        databaseUrl = TestNodes.freshPostgresSchema("queues");
        startNodeAndWorker();
    }

    private static void startNodeAndWorker() {
        node = TestNodes.start(
                "queues",
                ConfigFactory.parseMap(Map.of("baton.bootstrap.admin-token", ADMIN_TOKEN))
                        .withFallback(TestNodes.postgresConfig(databaseUrl)));
        Task<Map, Object> hold = Task.<Map, Object>define("hold", Map.class, (payload, ctx) -> {
                    holdStartNanos.add(System.nanoTime());
                    mostRunning.accumulateAndGet(running.incrementAndGet(), Math::max);
                    try {
                        Thread.sleep(400);
                    } finally {
                        running.decrementAndGet();
                    }
                    return Map.of();
                })
                .build();
        Task<Map, Object> other = Task.<Map, Object>define("other", Map.class, (payload, ctx) -> Map.of())
                .queue("others", 3)
                .build();
        Task<Map, Object> slashed = Task.<Map, Object>define("slashed", Map.class, (payload, ctx) -> Map.of())
                .queue("team/jobs", 2)
                .rateLimit(50, Duration.ofSeconds(1))
                .build();
        worker = BatonWorker.builder(HappyPathScenario.url(node), TestNodes.WORKER_TOKEN)
                .slots(8)
                .register(hold)
                .register(other)
                .register(slashed)
                .build();
        worker.start();
        if (!worker.awaitConnected(Duration.ofSeconds(30))) throw new AssertionError("worker did not connect");
        client = HappyPathScenario.client(node);
    }

    private static void stopNodeAndWorker() {
        if (worker != null) worker.close();
        if (node != null) TestNodes.stop(node);
        worker = null;
        node = null;
    }

    @AfterAll
    static void stop() {
        stopNodeAndWorker();
    }

    @Test
    void aPausedQueueHoldsItsRunsAcrossARestartWhileAnotherQueueRuns() throws Exception {
        JsonNode paused = send("POST", "/api/v1/queues/hold/pause", "{\"type\":\"task\",\"action\":\"pause\"}", 200);
        assertEquals(true, paused.get("paused").asBoolean());
        assertEquals("task", paused.get("type").asText());
        assertEquals("hold", paused.get("name").asText());

        List<String> held = new ArrayList<>();
        for (int i = 0; i < 2; i++) held.add(client.trigger("hold", Map.of()).id());
        String elsewhere = client.trigger("other", Map.of()).id();
        assertEquals(
                RunStatus.COMPLETED,
                client.poll(elsewhere, Duration.ofSeconds(30)).status());
        Thread.sleep(1000); // long enough for a dispatch that should not happen
        for (String id : held)
            assertEquals(RunStatus.QUEUED, client.retrieve(id).status(), "the queue is paused");
        JsonNode queue = send("GET", "/api/v1/queues/hold?type=task", null, 200);
        assertEquals(2, queue.get("queued").asInt());
        assertEquals(0, queue.get("running").asInt());
        assertEquals(true, queue.get("paused").asBoolean());
        // By id, as the SDK's queues.retrieve("queue_…") asks.
        assertEquals(queue, send("GET", "/api/v1/queues/" + queue.get("id").asText(), null, 200));

        stopNodeAndWorker();
        startNodeAndWorker();

        String afterRestart = client.trigger("other", Map.of()).id();
        assertEquals(
                RunStatus.COMPLETED,
                client.poll(afterRestart, Duration.ofSeconds(30)).status());
        Thread.sleep(1000);
        for (String id : held) {
            assertEquals(RunStatus.QUEUED, client.retrieve(id).status(), "still paused after the restart");
        }
        assertEquals(
                true,
                send("GET", "/api/v1/queues/hold?type=task", null, 200)
                        .get("paused")
                        .asBoolean());

        JsonNode resumed = send("POST", "/api/v1/queues/hold/pause", "{\"type\":\"task\",\"action\":\"resume\"}", 200);
        assertEquals(false, resumed.get("paused").asBoolean());
        for (String id : held)
            assertEquals(
                    RunStatus.COMPLETED, client.poll(id, Duration.ofSeconds(30)).status());
    }

    @Test
    void anOverriddenLimitCapsTheQueueUntilItIsReset() throws Exception {
        JsonNode others = send("GET", "/api/v1/queues/others?type=custom", null, 200);
        assertEquals("custom", others.get("type").asText());
        assertEquals(3, others.get("concurrencyLimit").asInt(), "as the task declared it");
        assertEquals(3, others.get("concurrency").get("base").asInt());
        assertTrue(others.get("concurrency").get("override").isNull());

        JsonNode overridden = send(
                "POST", "/api/v1/queues/hold/concurrency/override", "{\"type\":\"task\",\"concurrencyLimit\":1}", 200);
        assertEquals(1, overridden.get("concurrencyLimit").asInt());
        assertEquals(1, overridden.get("concurrency").get("override").asInt());
        assertTrue(overridden.get("concurrency").get("base").isNull(), "hold declares no limit");
        assertTrue(overridden.get("concurrency").get("overriddenAt").isTextual());
        mostRunning.set(0);
        runAll(5);
        assertEquals(1, mostRunning.get(), "8 free slots, but the queue's override allows 1 at once");

        JsonNode reset = send("POST", "/api/v1/queues/hold/concurrency/reset", "{\"type\":\"task\"}", 200);
        assertTrue(reset.get("concurrencyLimit").isNull());
        assertTrue(reset.get("concurrency").get("override").isNull());
        assertEquals(
                "Queue is not overridden",
                send("POST", "/api/v1/queues/hold/concurrency/reset", "{\"type\":\"task\"}", 400)
                        .get("error")
                        .asText());
        mostRunning.set(0);
        runAll(5);
        assertTrue(mostRunning.get() > 1, "without the override the queue runs on every free slot");
    }

    @Test
    void aRateLimitOverrideSpacesTheQueuesStartsUntilItIsReset() throws Exception {
        JsonNode declared =
                send("GET", "/api/v1/queues/team%2Fjobs?type=custom", null, 200).get("rateLimit");
        assertEquals(JSON.readTree("{\"limit\":50,\"period\":\"1s\"}"), declared.get("base"));
        assertEquals(declared.get("base"), declared.get("current"));
        assertTrue(declared.get("override").isNull());

        JsonNode overridden = send(
                        "POST",
                        "/api/v1/queues/hold/rate-limit/override",
                        "{\"type\":\"task\",\"limit\":2,\"period\":\"1s\"}",
                        200)
                .get("rateLimit");
        assertEquals(JSON.readTree("{\"limit\":2,\"period\":\"1s\"}"), overridden.get("override"));
        assertEquals(overridden.get("override"), overridden.get("current"));
        assertTrue(overridden.get("base").isNull(), "hold declares no rate limit");
        assertTrue(overridden.get("overriddenAt").isTextual());
        assertEquals(
                overridden,
                send("GET", "/api/v1/queues/hold?type=task", null, 200).get("rateLimit"),
                "stored and listed");
        holdStartNanos.clear();
        runAll(4);
        List<Long> starts = new ArrayList<>(holdStartNanos);
        starts.sort(null);
        long spanMillis = (starts.get(3) - starts.get(0)) / 1_000_000;
        // Unlimited, the 4 would start together on the 8 slots; spaced, they span 3 intervals of 525 ms (500 ms and the
        // allowance's share), less what the machine's scheduling shifts a handler's start by.
        assertTrue(spanMillis >= 1000, "two per second: 4 starts span about 1.5 s, not " + spanMillis);

        JsonNode reset = send("POST", "/api/v1/queues/hold/rate-limit/reset", "{\"type\":\"task\"}", 200);
        assertTrue(reset.get("rateLimit").get("override").isNull());
        assertTrue(reset.get("rateLimit").get("current").isNull());
        assertEquals(
                "Queue has no rate-limit override",
                send("POST", "/api/v1/queues/hold/rate-limit/reset", "{\"type\":\"task\"}", 400)
                        .get("error")
                        .asText());

        Map<String, String> refusals = Map.of(
                "{\"type\":\"task\",\"limit\":0,\"period\":\"1s\"}", "'limit'",
                "{\"type\":\"task\",\"limit\":1.5,\"period\":\"1s\"}", "'limit'",
                "{\"type\":\"task\",\"period\":\"1s\"}", "'limit'",
                "{\"type\":\"task\",\"limit\":1}", "'period'",
                "{\"type\":\"task\",\"limit\":1,\"period\":\"soon\"}", "'period'",
                "{\"type\":\"task\",\"limit\":1,\"period\":60}", "'period'",
                "{\"type\":\"task\",\"limit\":1,\"period\":\"1s\",\"burst\":2}", "'burst'");
        for (Map.Entry<String, String> refusal : refusals.entrySet()) {
            String error = send("POST", "/api/v1/queues/hold/rate-limit/override", refusal.getKey(), 400)
                    .get("error")
                    .asText();
            assertTrue(error.contains(refusal.getValue()), refusal.getKey() + ": " + error);
        }
        assertTrue(
                send("GET", "/api/v1/queues/hold?type=task", null, 200)
                        .get("rateLimit")
                        .get("override")
                        .isNull(),
                "a refused override stores nothing");
        assertEquals(
                "Queue not found",
                send(
                                "POST",
                                "/api/v1/queues/nope/rate-limit/override",
                                "{\"type\":\"custom\",\"limit\":1,\"period\":\"1s\"}",
                                404)
                        .get("error")
                        .asText());
    }

    @Test
    void listsPagesAndRefusesWhatItDoesNotKnow() throws Exception {
        JsonNode page = send("GET", "/api/v1/queues?perPage=1&page=2", null, 200);
        assertEquals(1, page.get("data").size());
        assertEquals(2, page.get("pagination").get("currentPage").asInt());
        assertEquals(3, page.get("pagination").get("count").asInt(), "others, task/hold, team/jobs");
        assertEquals(3, page.get("pagination").get("totalPages").asInt());
        assertEquals("hold", page.get("data").get(0).get("name").asText(), "sorted by Baton's name");
        JsonNode all = send("GET", "/api/v1/queues", null, 200);
        assertEquals("others", all.get("data").get(0).get("name").asText());
        assertEquals(3, all.get("data").size());
        // A name's slash as the SDK sends it (%2F encoded once more), or encoded once.
        assertEquals(
                "team/jobs",
                send("GET", "/api/v1/queues/team%252Fjobs?type=custom", null, 200)
                        .get("name")
                        .asText());
        assertEquals(
                2,
                send("GET", "/api/v1/queues/team%2Fjobs?type=custom", null, 200)
                        .get("concurrencyLimit")
                        .asInt());

        assertEquals(
                "queue-not-found",
                send("GET", "/api/v1/queues/nope?type=task", null, 404)
                        .get("error")
                        .asText());
        assertEquals(
                "queue-not-found",
                send("GET", "/api/v1/queues/queue_nope", null, 404).get("error").asText());
        assertEquals(
                "Queue not found",
                send(
                                "POST",
                                "/api/v1/queues/nope/concurrency/override",
                                "{\"type\":\"custom\",\"concurrencyLimit\":1}",
                                404)
                        .get("error")
                        .asText());
        assertTrue(send("POST", "/api/v1/queues/hold/pause", "{\"type\":\"task\",\"action\":\"stop\"}", 400)
                .get("error")
                .asText()
                .contains("'action'"));
        assertTrue(send("POST", "/api/v1/queues/hold/pause", "{\"type\":\"task\",\"action\":\"pause\",\"x\":1}", 400)
                .get("error")
                .asText()
                .contains("'x'"));
        assertTrue(send("GET", "/api/v1/queues/hold?type=queue", null, 400)
                .get("error")
                .asText()
                .contains("'type'"));
        assertTrue(send("GET", "/api/v1/queues?limit=3", null, 400)
                .get("error")
                .asText()
                .contains("'limit'"));
        assertTrue(send(
                        "POST",
                        "/api/v1/queues/hold/concurrency/override",
                        "{\"type\":\"task\",\"concurrencyLimit\":101}",
                        400)
                .get("error")
                .asText()
                .contains("cannot exceed the environment limit (100)"));
        assertTrue(send(
                        "POST",
                        "/api/v1/queues/hold/concurrency/override",
                        "{\"type\":\"task\",\"concurrencyLimit\":1,\"percent\":5}",
                        400)
                .get("error")
                .asText()
                .contains("exactly one"));
        assertTrue(
                send("GET", "/api/v1/queues/hold?type=task", null, 200)
                        .get("concurrency")
                        .get("override")
                        .isNull(),
                "a refused override stores nothing");
        // A personal access token naming the environment, and a dashboard session (a change needs x-baton-csrf).
        String environment = node.credentials().environment().projectRef() + "/"
                + node.credentials().environment().slug();
        HttpResponse<String> withToken = HTTP.send(
                HttpRequest.newBuilder(URI.create(HappyPathScenario.url(node) + "/api/v1/queues/hold?type=task"))
                        .header("Authorization", "Bearer " + ADMIN_TOKEN)
                        .header("x-baton-environment", environment)
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, withToken.statusCode(), withToken.body());
        HttpResponse<String> session = HTTP.send(
                HttpRequest.newBuilder(URI.create(HappyPathScenario.url(node) + "/dashboard/session"))
                        .header("Content-Type", "application/json")
                        .header("x-baton-csrf", "1")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"token\":\"" + TestNodes.SECRET_KEY + "\"}"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, session.statusCode(), session.body());
        String cookie = session.headers().firstValue("set-cookie").orElseThrow().split(";")[0];
        HttpRequest.Builder pauseBySession = HttpRequest.newBuilder(
                        URI.create(HappyPathScenario.url(node) + "/api/v1/queues/hold/pause"))
                .header("Cookie", cookie)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"type\":\"task\",\"action\":\"resume\"}"));
        assertEquals(
                403,
                HTTP.send(pauseBySession.build(), HttpResponse.BodyHandlers.ofString())
                        .statusCode(),
                "a session's change without x-baton-csrf");
        assertEquals(
                200,
                HTTP.send(pauseBySession.header("x-baton-csrf", "1").build(), HttpResponse.BodyHandlers.ofString())
                        .statusCode());
        HttpResponse<String> anonymous = HTTP.send(
                HttpRequest.newBuilder(URI.create(HappyPathScenario.url(node) + "/api/v1/queues"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(401, anonymous.statusCode());
    }

    private static void runAll(int count) throws Exception {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < count; i++) ids.add(client.trigger("hold", Map.of()).id());
        for (String id : ids)
            assertEquals(
                    RunStatus.COMPLETED, client.poll(id, Duration.ofSeconds(60)).status());
    }

    private static JsonNode send(String method, String path, String body, int expectedStatus) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(HappyPathScenario.url(node) + path))
                .header("Authorization", "Bearer " + TestNodes.SECRET_KEY);
        if (body == null) {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            request.header("Content-Type", "application/json")
                    .method(method, HttpRequest.BodyPublishers.ofString(body));
        }
        HttpResponse<String> response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(expectedStatus, response.statusCode(), method + " " + path + ": " + response.body());
        return JSON.readTree(response.body());
    }
}
