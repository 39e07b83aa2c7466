package dev.baton.api.runs;

import static dev.baton.api.ApiTestServer.json;
import static dev.baton.api.runs.TriggerTaskTest.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.testkit.typed.javadsl.TestProbe;
import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.api.ApiTestServer;
import dev.baton.engine.environment.Environment;
import dev.baton.engine.worker.RunError;
import dev.baton.engine.worker.WorkerChannel;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The trigger options that shape a run (queue, concurrencyKey, priority, delay, ttl, maxDuration) and
 * idempotency (run keys with their TTL and reset, request keys), against a real port.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TriggerOptionsTest {

    private static final String KEY = "tr_dev_options_test_key";
    private static final String TRIGGER = "/api/v1/tasks/hello-world/trigger";

    private static ApiTestServer server;

    @BeforeAll
    static void start() throws Exception {
        server = ApiTestServer.start("TriggerOptionsTest");
        Environment environment = server.environment("options", "dev", KEY);
        server.declareTask(environment, "hello-world");
        server.declareTask(environment, "other-task");
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    @BeforeEach
    void forgetJournal() {
        server.forgetJournal();
    }

    // ---------------------------------------------------------------- options on the run

    @Test
    void everyOptionIsVisibleOnTheRun() throws Exception {
        Instant before = Instant.now();
        String runId = triggered(post("""
        {"payload":{"n":1},"options":{"queue":{"name":"emails"},"concurrencyKey":42,"priority":2.5,"delay":"1h",
         "ttl":"90s","maxDuration":1,"idempotencyKey":"every-option","idempotencyKeyTTL":"1h","tags":["a"]}}"""));

        JsonNode run = server.retrieve(runId, KEY);
        assertEquals("DELAYED", run.get("status").asText());
        assertTrue(run.get("isQueued").asBoolean());
        Instant delayedUntil = Instant.parse(run.get("delayedUntil").asText());
        assertTrue(
                !delayedUntil.isBefore(before.plus(Duration.ofHours(1)).minusMillis(1))
                        && delayedUntil.isBefore(
                                Instant.now().plus(Duration.ofHours(1)).plusSeconds(1)),
                delayedUntil.toString());
        assertEquals("90s", run.get("ttl").asText());
        assertEquals("42", run.get("concurrencyKey").asText());
        assertEquals("2.5", run.get("priority").toString());
        assertEquals("every-option", run.get("idempotencyKey").asText());
        assertFalse(run.has("expiredAt"));

        JsonNode spec = triggeredSpec(runId);
        assertEquals("emails", spec.get("queue").asText());
        assertEquals("42", spec.get("concurrencyKey").asText());
        assertEquals(2500, spec.get("priorityMs").asLong());
        assertEquals("90s", spec.get("ttl").asText());
        assertEquals(5, spec.get("maxDurationSeconds").asInt(), "maxDuration is clamped to at least 5 s");
        assertEquals(delayedUntil, Instant.parse(spec.get("delayUntil").asText()));
    }

    @Test
    void withoutOptionsTheTaskDefaultsApply() throws Exception {
        String runId = triggered(post("{\"options\":{\"queue\":\"plain-string-queue\"}}"));
        JsonNode run = server.retrieve(runId, KEY);
        assertEquals("QUEUED", run.get("status").asText());
        for (String absent :
                List.of("delayedUntil", "ttl", "expiredAt", "concurrencyKey", "priority", "idempotencyKey")) {
            assertFalse(run.has(absent), absent);
        }
        assertEquals("plain-string-queue", triggeredSpec(runId).get("queue").asText());
        assertEquals(
                "task/hello-world",
                triggeredSpec(triggered(post("{}"))).get("queue").asText());
    }

    @Test
    void aShortDelayEndsInTheQueue() throws Exception {
        String runId = triggered(post("{\"options\":{\"delay\":\"3s\"}}")); // still delayed when read back
        JsonNode delayed = server.retrieve(runId, KEY);
        assertEquals("DELAYED", delayed.get("status").asText());
        assertTrue(delayed.has("delayedUntil"));

        JsonNode queued = server.awaitStatus(runId, KEY, "QUEUED");
        assertFalse(queued.has("delayedUntil"));
        assertTrue(queued.get("isQueued").asBoolean());
        assertEquals(List.of("RunTriggered", "RunEnqueued"), server.eventTypes(runId, KEY));
    }

    @Test
    void delayAsADateAndPastDates() throws Exception {
        Instant at = Instant.now().plus(Duration.ofDays(2)).truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
        JsonNode run = server.retrieve(triggered(post("{\"options\":{\"delay\":\"" + at + "\"}}")), KEY);
        assertEquals("DELAYED", run.get("status").asText());
        assertEquals(at, Instant.parse(run.get("delayedUntil").asText()));

        JsonNode past = server.retrieve(triggered(post("{\"options\":{\"delay\":\"2020-01-01T00:00:00.000Z\"}}")), KEY);
        assertEquals("QUEUED", past.get("status").asText(), "a past date means no delay");
        assertFalse(past.has("delayedUntil"));
    }

    @Test
    void invalidTimeOptionsAre422AndReachNothing() throws Exception {
        assertError(
                post("{\"options\":{\"delay\":\"whenever\"}}"),
                422,
                "Invalid options.delay: \"whenever\". "
                        + "Use a duration like \"30s\", \"1h30m\" or \"2d\", or an ISO-8601 date");
        assertError(post("{\"options\":{\"ttl\":\"a while\"}}"), 422, null);
        assertError(post("{\"options\":{\"ttl\":\"1000d\"}}"), 422, null);
        assertError(post("{\"options\":{\"delay\":\"1000d\"}}"), 422, null);
        assertError(post("{\"options\":{\"idempotencyKey\":\"k\",\"idempotencyKeyTTL\":\"1 hour\"}}"), 422, null);
        assertError(
                server.send(
                        "POST",
                        TRIGGER,
                        Map.of(
                                "Authorization",
                                "Bearer " + KEY,
                                "Content-Type",
                                "application/json",
                                "idempotency-key",
                                "k",
                                "idempotency-key-ttl",
                                "soon"),
                        "{}"),
                422,
                null);
        assertError(post("{\"options\":{\"priority\":-1}}"), 400, null);
        assertError(post("{\"options\":{\"concurrencyKey\":\"" + "c".repeat(513) + "\"}}"), 400, null);
        assertError(post("{\"options\":{\"queue\":{\"name\":7}}}"), 400, "options.queue.name must be a string");
        assertEquals(List.of(), server.runJournalOperations());
    }

    @Test
    void aRunNobodyStartsExpiresAfterItsTtl() throws Exception {
        String runId = triggered(post("{\"options\":{\"ttl\":\"1s\"}}"));
        assertEquals("1s", server.retrieve(runId, KEY).get("ttl").asText());

        JsonNode expired = server.awaitStatus(runId, KEY, "EXPIRED");
        assertTrue(expired.get("isCompleted").asBoolean());
        assertTrue(expired.get("isFailed").asBoolean());
        assertFalse(expired.get("isSuccess").asBoolean());
        assertFalse(expired.get("isQueued").asBoolean());
        assertFalse(expired.get("isCancelled").asBoolean());
        assertEquals(
                expired.get("finishedAt").asText(), expired.get("expiredAt").asText());
        assertEquals(
                "Run expired because the TTL (1s) was reached",
                expired.get("error").get("message").asText());
        assertEquals(List.of("RunTriggered", "RunExpired"), server.eventTypes(runId, KEY));
    }

    @Test
    void ttlInSecondsAndMaxDurationShowInTheSpec() throws Exception {
        String runId = triggered(post("{\"options\":{\"ttl\":3600,\"maxDuration\":120}}"));
        assertEquals("1h", server.retrieve(runId, KEY).get("ttl").asText());
        assertEquals(120, triggeredSpec(runId).get("maxDurationSeconds").asInt());
    }

    // ---------------------------------------------------------------- idempotency keys

    @Test
    void parallelTriggersWithOneKeyMakeOneRun() throws Exception {
        String body = "{\"payload\":{\"n\":1},\"options\":{\"idempotencyKey\":\"parallel-key\"}}";
        ExecutorService pool = Executors.newFixedThreadPool(20);
        try {
            List<CompletableFuture<JsonNode>> calls = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                calls.add(CompletableFuture.supplyAsync(
                        () -> {
                            try {
                                HttpResponse<String> response = post(body);
                                assertEquals(200, response.statusCode(), response.body());
                                return json(response);
                            } catch (Exception e) {
                                throw new RuntimeException(e);
                            }
                        },
                        pool));
            }
            Set<String> ids = new HashSet<>();
            int cached = 0;
            for (CompletableFuture<JsonNode> call : calls) {
                JsonNode answer = call.get(60, TimeUnit.SECONDS);
                ids.add(answer.get("id").asText());
                if (answer.get("isCached").asBoolean()) cached++;
            }
            assertEquals(1, ids.size(), ids.toString());
            assertEquals(19, cached);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aKeyIsPerTask() throws Exception {
        String first = triggered(post("{\"options\":{\"idempotencyKey\":\"per-task\"}}"));
        HttpResponse<String> other =
                server.post("/api/v1/tasks/other-task/trigger", KEY, "{\"options\":{\"idempotencyKey\":\"per-task\"}}");
        assertNotEquals(first, json(other).get("id").asText());
        assertFalse(json(other).get("isCached").asBoolean());
    }

    @Test
    void aFailedRunFreesItsKey() throws Exception {
        String body = "{\"options\":{\"idempotencyKey\":\"fails-once\"}}";
        JsonNode first = json(post(body));
        String runId = first.get("id").asText();
        assertFalse(first.get("isCached").asBoolean());

        TestProbe<WorkerChannel.Message> worker = server.node().testKit().createTestProbe();
        String attemptId = server.startExecuting(runId, worker);
        server.node()
                .engine()
                .runs()
                .fail(runId, attemptId, new RunError("Error", "boom", null), false)
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
        assertEquals("FAILED", server.retrieve(runId, KEY).get("status").asText());

        JsonNode second = json(post(body));
        assertNotEquals(runId, second.get("id").asText());
        assertFalse(second.get("isCached").asBoolean());
        JsonNode third = json(post(body));
        assertEquals(second.get("id").asText(), third.get("id").asText());
        assertTrue(third.get("isCached").asBoolean());
    }

    @Test
    void aCanceledRunKeepsItsKey() throws Exception {
        String body = "{\"options\":{\"idempotencyKey\":\"canceled-keeps\"}}";
        String runId = triggered(post(body));
        assertEquals(
                200, server.postEmpty("/api/v2/runs/" + runId + "/cancel", KEY).statusCode());
        JsonNode again = json(post(body));
        assertEquals(runId, again.get("id").asText());
        assertTrue(again.get("isCached").asBoolean());
    }

    @Test
    void keyTtlExpires() throws Exception {
        String body = "{\"options\":{\"idempotencyKey\":\"short-lived\",\"idempotencyKeyTTL\":\"3s\"}}";
        String first = triggered(post(body));
        JsonNode cached = json(post(body));
        assertEquals(first, cached.get("id").asText());
        assertTrue(cached.get("isCached").asBoolean());

        Thread.sleep(3_500);
        JsonNode fresh = json(post(body));
        assertNotEquals(first, fresh.get("id").asText());
        assertFalse(fresh.get("isCached").asBoolean());
    }

    @Test
    void idempotencyHeadersForRawHttpCallers() throws Exception {
        Map<String, String> headers = Map.of(
                "Authorization",
                "Bearer " + KEY,
                "Content-Type",
                "application/json",
                "idempotency-key",
                "from-header",
                "idempotency-key-ttl",
                "1h");
        String first =
                json(server.send("POST", TRIGGER, headers, "{}")).get("id").asText();
        JsonNode again = json(server.send("POST", TRIGGER, headers, "{}"));
        assertEquals(first, again.get("id").asText());
        assertTrue(again.get("isCached").asBoolean());
        assertEquals(
                "from-header", server.retrieve(first, KEY).get("idempotencyKey").asText());

        // The body's key wins over the header's.
        JsonNode bodyKey =
                json(server.send("POST", TRIGGER, headers, "{\"options\":{\"idempotencyKey\":\"from-body\"}}"));
        assertNotEquals(first, bodyKey.get("id").asText());
        assertEquals(
                "from-body",
                server.retrieve(bodyKey.get("id").asText(), KEY)
                        .get("idempotencyKey")
                        .asText());
    }

    @Test
    void resetFreesTheKey() throws Exception {
        String body = "{\"options\":{\"idempotencyKey\":\"to-reset\"}}";
        String first = triggered(post(body));
        assertEquals(first, json(post(body)).get("id").asText());

        // Another task's reset leaves this one alone.
        assertEquals(
                200,
                server.post("/api/v1/idempotencyKeys/to-reset/reset", KEY, "{\"taskIdentifier\":\"other-task\"}")
                        .statusCode());
        assertEquals(first, json(post(body)).get("id").asText());

        HttpResponse<String> reset =
                server.post("/api/v1/idempotencyKeys/to-reset/reset", KEY, "{\"taskIdentifier\":\"hello-world\"}");
        assertEquals(200, reset.statusCode(), reset.body());
        assertEquals("{\"id\":\"to-reset\"}", reset.body());

        JsonNode fresh = json(post(body));
        assertNotEquals(first, fresh.get("id").asText());
        assertFalse(fresh.get("isCached").asBoolean());
        // A key never used resets fine too.
        assertEquals(
                200,
                server.post("/api/v1/idempotencyKeys/never-used/reset", KEY, "{\"taskIdentifier\":\"hello-world\"}")
                        .statusCode());
    }

    @Test
    void resetValidatesItsBody() throws Exception {
        assertError(server.post("/api/v1/idempotencyKeys/k/reset", KEY, "{}"), 400, "taskIdentifier is required");
        assertError(
                server.post("/api/v1/idempotencyKeys/k/reset", KEY, "{\"taskIdentifier\":5}"),
                400,
                "taskIdentifier must be a string");
        assertError(
                server.post("/api/v1/idempotencyKeys/k/reset", null, "{\"taskIdentifier\":\"hello-world\"}"),
                401,
                "Invalid or Missing API key");
    }

    @Test
    void requestKeyAnswersARetriedRequestLikeTheFirst() throws Exception {
        Map<String, String> headers = Map.of(
                "Authorization",
                "Bearer " + KEY,
                "Content-Type",
                "application/json",
                "x-trigger-request-idempotency-key",
                "2f0c6f0e-request-1");
        JsonNode first = json(server.send("POST", TRIGGER, headers, "{\"payload\":{\"try\":1}}"));
        JsonNode retried = json(server.send("POST", TRIGGER, headers, "{\"payload\":{\"try\":2}}"));
        assertEquals(first.get("id").asText(), retried.get("id").asText());
        assertFalse(first.get("isCached").asBoolean());
        assertFalse(retried.get("isCached").asBoolean(), "a request replay is not a cache hit");
        assertEquals(
                1,
                server.retrieve(first.get("id").asText(), KEY)
                        .get("payload")
                        .get("try")
                        .asInt());

        JsonNode otherRequest = json(server.send(
                "POST",
                TRIGGER,
                Map.of(
                        "Authorization",
                        "Bearer " + KEY,
                        "Content-Type",
                        "application/json",
                        "x-trigger-request-idempotency-key",
                        "2f0c6f0e-request-2"),
                "{}"));
        assertNotEquals(first.get("id").asText(), otherRequest.get("id").asText());
    }

    // ---------------------------------------------------------------- helpers

    private static HttpResponse<String> post(String body) throws Exception {
        return server.post(TRIGGER, KEY, body);
    }

    private static String triggered(HttpResponse<String> response) throws Exception {
        assertEquals(200, response.statusCode(), response.body());
        return json(response).get("id").asText();
    }

    private static JsonNode triggeredSpec(String runId) throws Exception {
        JsonNode first = json(server.get("/api/v1/runs/" + runId + "/events", KEY))
                .get("data")
                .get(0);
        assertEquals("RunTriggered", first.get("type").asText());
        return first.get("data").get("spec");
    }
}
