package dev.baton.api.runs;

import static dev.baton.api.ApiTestServer.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.api.ApiTestServer;
import dev.baton.engine.environment.Environment;
import dev.baton.engine.run.RunEntity;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code POST /api/v1/tasks/{taskId}/trigger} against a real port, and the error shapes around it. */
class TriggerTaskTest {

    private static final String KEY = "tr_dev_trigger_test_key";
    private static final String TRIGGER = "/api/v1/tasks/hello-world/trigger";
    private static final int MAX_BODY = 3 * 1024 * 1024;

    private static ApiTestServer server;

    @BeforeAll
    static void start() throws Exception {
        server = ApiTestServer.start("TriggerTaskTest");
        Environment environment = server.environment("trigger", "dev", KEY);
        server.declareTask(environment, "hello-world");
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    @BeforeEach
    void forgetJournal() {
        server.forgetJournal();
    }

    // ---------------------------------------------------------------- auth

    @Test
    void missingOrWrongKeyIs401() throws Exception {
        assertError(server.post(TRIGGER, null, "{}"), 401, "Invalid or Missing API key");
        assertError(server.post(TRIGGER, "tr_dev_wrong", "{}"), 401, "Invalid or Missing API key");
        assertError(
                server.send(
                        "POST",
                        TRIGGER,
                        Map.of("Authorization", "Basic dXNlcjpwYXNz", "Content-Type", "application/json"),
                        "{}"),
                401,
                "Invalid or Missing API key");
        assertError(server.get("/api/v3/runs/run_abc", null), 401, "Invalid or Missing API key");
        assertError(server.get("/api/v1/runs/run_abc/events", "tr_dev_wrong"), 401, "Invalid or Missing API key");
        assertNothingReachedTheEngine();
    }

    // ---------------------------------------------------------------- happy path and payloads

    @Test
    void triggerCreatesARunThatCanBeReadBack() throws Exception {
        HttpResponse<String> response = server.post(
                TRIGGER, KEY, "{\"payload\":{\"name\":\"Ada\"},\"options\":{\"tags\":[\"user:1\",\"beta\"]}}");
        assertEquals(200, response.statusCode(), response.body());
        assertEquals(
                "application/json",
                response.headers().firstValue("Content-Type").orElseThrow());
        JsonNode created = json(response);
        String runId = created.get("id").asText();
        assertTrue(runId.startsWith("run_"), runId);
        assertEquals(Set.of("id", "isCached"), fieldNames(created));
        assertFalse(created.get("isCached").asBoolean());

        // Answered 2xx only once RunTriggered is in the journal (invariant 1).
        List<Object> persisted = server.journal()
                .persistedInStorage(RunEntity.persistenceId(runId).id());
        assertTrue(persisted.get(0) instanceof RunEntity.RunTriggered, persisted.toString());

        JsonNode run = json(server.get("/api/v3/runs/" + runId, KEY));
        assertEquals(runId, run.get("id").asText());
        assertEquals("QUEUED", run.get("status").asText());
        assertEquals("hello-world", run.get("taskIdentifier").asText());
        assertEquals("Ada", run.get("payload").get("name").asText());
        assertEquals(List.of("user:1", "beta"), texts(run.get("tags")));
        assertTrue(run.get("isQueued").asBoolean());
        assertFalse(run.get("isCompleted").asBoolean());

        JsonNode events =
                json(server.get("/api/v1/runs/" + runId + "/events", KEY)).get("data");
        assertEquals(1, events.size());
        assertEquals(1, events.get(0).get("sequenceNr").asLong());
        assertEquals("RunTriggered", events.get(0).get("type").asText());
        assertEquals(
                "Ada",
                events.get(0).get("data").get("spec").get("payload").get("name").asText());
    }

    @Test
    void triggerAndWaitIsRefusedForAParentThatCannotWaitAndCreatesNoRun() throws Exception {
        String parent = json(server.post(TRIGGER, KEY, "{}")).get("id").asText();
        server.forgetJournal();
        // queued, not executing: nothing to suspend
        assertRefused(
                server.post(
                        TRIGGER,
                        KEY,
                        "{\"options\":{\"parentRunId\":\"" + parent + "\",\"resumeParentOnCompletion\":true}}"),
                400,
                "only an executing run can wait");
        assertRefused(
                server.post(
                        TRIGGER,
                        KEY,
                        "{\"options\":{\"parentRunId\":\"run_unknown0000000000000000\","
                                + "\"resumeParentOnCompletion\":true}}"),
                404,
                "Run not found");
        assertRefused(
                server.post(TRIGGER, KEY, "{\"options\":{\"resumeParentOnCompletion\":true}}"),
                400,
                "options.parentRunId");
        assertEquals(
                List.of(),
                server.runJournalOperations().stream()
                        .filter(op -> op.endsWith("WriteEvents"))
                        .toList());
    }

    @Test
    void superJsonPayloadIsStoredAsPlainJson() throws Exception {
        String superJson = "{\"json\":{\"when\":\"2024-05-01T10:00:00.000Z\",\"count\":3},"
                + "\"meta\":{\"values\":{\"when\":[\"Date\"]}}}";
        JsonNode run = triggerAndRead(
                Map.of("payload", superJson, "options", Map.of("payloadType", "application/super+json")));
        assertEquals(
                "{\"when\":\"2024-05-01T10:00:00.000Z\",\"count\":3}",
                run.get("payload").toString());
    }

    @Test
    void textPlainPayloadIsStoredAsAJsonString() throws Exception {
        JsonNode run =
                triggerAndRead(Map.of("payload", "just some text", "options", Map.of("payloadType", "text/plain")));
        assertEquals("just some text", run.get("payload").textValue());
    }

    @Test
    void jsonTextPayloadIsParsedAndNoPayloadIsOmitted() throws Exception {
        assertEquals(
                "[1,2,3]",
                triggerAndRead(Map.of("payload", "[1,2,3]")).get("payload").toString());
        assertFalse(triggerAndRead(Map.of()).has("payload"));
    }

    @Test
    void honouredOptionsShowOnTheRunAndOthersAreIgnored() throws Exception {
        // idempotencyKeyOptions, payloadSize, externalDeploymentId, context and unknown fields are ignored.
        JsonNode run = triggerAndRead(Map.of(
                "payload",
                Map.of("x", 1),
                "context",
                Map.of("ignored", true),
                "options",
                Map.ofEntries(
                        Map.entry("tags", "solo"),
                        Map.entry("metadata", Map.of("plan", "pro")),
                        Map.entry("maxAttempts", 2),
                        Map.entry("idempotencyKey", "order-123"),
                        Map.entry("test", true),
                        Map.entry("queue", Map.of("name", "emails")),
                        Map.entry("concurrencyKey", "tenant-1"),
                        Map.entry("delay", "1h"),
                        Map.entry("ttl", "10m"),
                        Map.entry("priority", 5),
                        Map.entry("maxDuration", 60),
                        Map.entry("externalDeploymentId", "3f2a9c1"),
                        Map.entry("idempotencyKeyTTL", "1d"),
                        Map.entry("idempotencyKeyOptions", Map.of("key", "k", "scope", "run")),
                        Map.entry("payloadSize", 7),
                        Map.entry("fromTheFuture", List.of(1, 2)))));
        assertEquals(List.of("solo"), texts(run.get("tags")));
        assertEquals("pro", run.get("metadata").get("plan").asText());
        assertEquals("order-123", run.get("idempotencyKey").asText());
        assertTrue(run.get("isTest").asBoolean());
        assertEquals("DELAYED", run.get("status").asText());
        assertTrue(run.has("delayedUntil"));
        assertEquals("10m", run.get("ttl").asText());
        assertEquals("tenant-1", run.get("concurrencyKey").asText());
        assertEquals(5, run.get("priority").asInt());
    }

    // ---------------------------------------------------------------- debounce

    private static JsonNode triggerDebounced(String key, String mode, int n) throws Exception {
        HttpResponse<String> response = server.post(
                TRIGGER,
                KEY,
                "{\"payload\":{\"n\":" + n + "},\"options\":{\"tags\":\"t" + n + "\",\"debounce\":{\"key\":\"" + key
                        + "\",\"delay\":\"1h\",\"mode\":\"" + mode + "\"}}}");
        assertEquals(200, response.statusCode(), response.body());
        return json(response);
    }

    @Test
    void trailingDebouncedTriggersAnswerWithOneRunThatTakesTheLatestPayload() throws Exception {
        JsonNode first = triggerDebounced("api-trailing", "trailing", 1);
        JsonNode second = triggerDebounced("api-trailing", "trailing", 2);
        assertEquals(first.get("id").asText(), second.get("id").asText());
        assertFalse(second.get("isCached").asBoolean(), "Trigger.dev answers a debounced trigger isCached false");
        JsonNode run = server.retrieve(first.get("id").asText(), KEY);
        assertEquals("DELAYED", run.get("status").asText(), "without options.delay the run waits debounce.delay");
        assertTrue(run.has("delayedUntil"));
        assertEquals(2, run.get("payload").get("n").asInt());
        assertEquals(List.of("t2"), texts(run.get("tags")));
    }

    @Test
    void leadingDebouncedTriggersKeepTheFirstPayload() throws Exception {
        JsonNode first = triggerDebounced("api-leading", "leading", 1);
        JsonNode second = triggerDebounced("api-leading", "leading", 2);
        assertEquals(first.get("id").asText(), second.get("id").asText());
        JsonNode run = server.retrieve(first.get("id").asText(), KEY);
        assertEquals(1, run.get("payload").get("n").asInt());
        assertEquals(List.of("t1"), texts(run.get("tags")));
    }

    @Test
    void invalidDebounceIsRefusedNamingTheFieldAndNothingIsStored() throws Exception {
        Map<String, String> refused = new java.util.LinkedHashMap<>();
        refused.put("\"k\"", "400 options.debounce must be an object {key, delay, mode?, maxDelay?}");
        refused.put("{\"delay\":\"5s\"}", "400 options.debounce.key is required");
        refused.put("{\"key\":\"\",\"delay\":\"5s\"}", "400 options.debounce.key is required");
        refused.put(
                "{\"key\":\"" + "k".repeat(513) + "\",\"delay\":\"5s\"}",
                "400 options.debounce.key must be at most 512 characters");
        refused.put("{\"key\":\"k\"}", "400 options.debounce.delay is required");
        refused.put(
                "{\"key\":\"k\",\"delay\":\"soon\"}",
                "422 Invalid options.debounce.delay: \"soon\". Use a duration like \"30s\", \"5m\" or \"1h30m\" (not a"
                        + " date)");
        refused.put(
                "{\"key\":\"k\",\"delay\":\"999ms\"}", "422 Invalid options.debounce.delay: \"999ms\" is less than 1s");
        refused.put(
                "{\"key\":\"k\",\"delay\":\"5s\",\"mode\":\"both\"}",
                "400 options.debounce.mode must be \"leading\" or \"trailing\"");
        refused.put(
                "{\"key\":\"k\",\"delay\":\"10s\",\"maxDelay\":\"5s\"}",
                "422 options.debounce.maxDelay (5s) must be longer than options.debounce.delay (10s)");
        for (Map.Entry<String, String> each : refused.entrySet()) {
            String expected = each.getValue();
            assertError(
                    server.post(TRIGGER, KEY, "{\"options\":{\"debounce\":" + each.getKey() + "}}"),
                    Integer.parseInt(expected.substring(0, 3)),
                    expected.substring(4));
        }
        assertError(
                server.post(
                        TRIGGER,
                        KEY,
                        "{\"options\":{\"idempotencyKey\":\"i\",\"debounce\":{\"key\":\"k\",\"delay\":\"5s\"}}}"),
                422,
                "options.debounce cannot be combined with an idempotency key");
        assertNothingReachedTheEngine();
    }

    // ---------------------------------------------------------------- rejections (none reaches the engine)

    @Test
    void aTaskNoWorkerDeclaredYetIsTriggeredAsPendingVersion() throws Exception {
        HttpResponse<String> response = server.post("/api/v1/tasks/not-declared-yet/trigger", KEY, "{}");
        assertEquals(200, response.statusCode(), response.body());
        JsonNode run = server.retrieve(json(response).get("id").asText(), KEY);
        assertEquals("PENDING_VERSION", run.get("status").asText());
        assertTrue(run.get("isQueued").asBoolean());
        assertFalse(run.has("version"), "no version was chosen yet");
    }

    @Test
    void anImpossibleTaskIdIs404AndNothingIsPersisted() throws Exception {
        assertError(server.post("/api/v1/tasks/%20bad%20id/trigger", KEY, "{}"), 404, "Task not found");
        assertNothingReachedTheEngine();
    }

    @Test
    void aLockToAVersionThatDoesNotDeclareTheTaskIs422AndNothingIsPersisted() throws Exception {
        assertError(
                server.post(TRIGGER, KEY, "{\"options\":{\"lockToVersion\":\"20990101.1\"}}"),
                422,
                "Task 'hello-world' not found on locked version '20990101.1'.");
        assertError(
                server.post(TRIGGER, KEY, "{\"options\":{\"lockToVersion\":\"not a version\"}}"),
                400,
                "options.lockToVersion must be a version: up to 128 letters, digits and . _ : + -, starting with a"
                        + " letter or digit");
        assertNothingReachedTheEngine();
    }

    @Test
    void malformedJsonIs400() throws Exception {
        HttpResponse<String> response = server.post(TRIGGER, KEY, "{\"payload\": {");
        assertEquals(400, response.statusCode());
        assertTrue(json(response).get("error").asText().startsWith("Invalid JSON body: "), response.body());
        assertEquals(400, server.post(TRIGGER, KEY, "").statusCode());
        assertEquals(400, server.post(TRIGGER, KEY, "{} trailing").statusCode());
        assertNothingReachedTheEngine();
    }

    @Test
    void wrongOptionTypesAre400NamingTheField() throws Exception {
        assertError(
                server.post(TRIGGER, KEY, "{\"options\":{\"maxAttempts\":\"3\"}}"),
                400,
                "options.maxAttempts must be an integer of at least 1");
        assertError(
                server.post(TRIGGER, KEY, "{\"options\":{\"maxAttempts\":0}}"),
                400,
                "options.maxAttempts must be an integer of at least 1");
        assertError(
                server.post(TRIGGER, KEY, "{\"options\":{\"tags\":{\"a\":1}}}"),
                400,
                "options.tags must be a string or an array of strings");
        assertError(
                server.post(TRIGGER, KEY, "{\"options\":{\"metadata\":\"x\"}}"),
                400,
                "options.metadata must be a JSON object");
        assertError(server.post(TRIGGER, KEY, "{\"options\":{\"test\":1}}"), 400, "options.test must be a boolean");
        assertError(server.post(TRIGGER, KEY, "{\"payload\":\"{oops\"}"), 400, null);
        assertError(
                server.post(TRIGGER, KEY, "{\"payload\":\"x\",\"options\":{\"payloadType\":\"application/xml\"}}"),
                400,
                "payloadType application/xml is not supported");
        assertError(
                server.post(TRIGGER, KEY, "{\"payload\":\"\",\"options\":{\"payloadType\":\"application/store\"}}"),
                400,
                "payload must be the packet path (a non-empty string) with payloadType application/store");
        assertError(
                server.post(TRIGGER, KEY, "{\"payload\":\"x\",\"options\":{\"payloadType\":\"application/store\"}}"),
                422,
                "Payload packet x was not found: upload it first (PUT /api/v2/packets/x)");
        assertNothingReachedTheEngine();
    }

    @Test
    void machineRegionAndNamedConcurrencyAre400NamingTheOption() throws Exception {
        assertError(
                server.post(TRIGGER, KEY, "{\"options\":{\"machine\":\"large-1x\"}}"),
                400,
                "options.machine is not supported: Baton has no machine presets: a run executes on a worker that"
                        + " serves its task");
        assertError(
                server.post(TRIGGER, KEY, "{\"options\":{\"region\":\"eu-central-1\"}}"),
                400,
                "options.region is not supported: Baton has no regions: a run executes on a worker that serves its"
                        + " task");
        assertError(
                server.post(TRIGGER, KEY, "{\"options\":{\"concurrency\":[\"openai\"]}}"),
                400,
                "options.concurrency is not supported: Baton has no named concurrency limits: use options.queue and"
                        + " options.concurrencyKey");
        assertNothingReachedTheEngine();
    }

    @Test
    void elevenTagsIs422() throws Exception {
        StringBuilder tags = new StringBuilder();
        for (int i = 0; i < 11; i++)
            tags.append(i == 0 ? "" : ",").append("\"tag-").append(i).append('"');
        assertError(
                server.post(TRIGGER, KEY, "{\"options\":{\"tags\":[" + tags + "]}}"),
                422,
                "Runs can have at most 10 tags, got 11");
        assertNothingReachedTheEngine();
    }

    @Test
    void oversizedBodyIs413WithContentLength() throws Exception {
        String body = "{\"payload\":\"" + "x".repeat(MAX_BODY) + "\"}";
        HttpResponse<String> response = server.post(TRIGGER, KEY, body);
        assertEquals(413, response.statusCode(), response.body());
        assertTrue(json(response).get("error").asText().startsWith("Request body too large"), response.body());
        assertNothingReachedTheEngine();
    }

    @Test
    void aBodyRefusedFromItsContentLengthIsReadBeforeThe413() throws Exception {
        byte[] body = ("{\"payload\":\"" + "x".repeat(MAX_BODY) + "\"}").getBytes(StandardCharsets.UTF_8);
        String[] answer = server.sendRaw("POST", TRIGGER, KEY, body.length, body);
        assertEquals("false", answer[2], "no answer while the client is still to send its body");
        assertTrue(answer[0].startsWith("HTTP/1.1 413 "), answer[0]);
        assertTrue(answer[1].contains("Request body too large"), answer[1]);
        assertNothingReachedTheEngine();
    }

    @Test
    void oversizedChunkedBodyIs413() throws Exception {
        byte[] body = ("{\"payload\":\"" + "x".repeat(MAX_BODY) + "\"}").getBytes(StandardCharsets.UTF_8);
        HttpResponse<String> response = server.postChunked(TRIGGER, KEY, body);
        assertEquals(413, response.statusCode(), response.body());
        assertTrue(json(response).get("error").asText().startsWith("Request body too large"), response.body());
        assertNothingReachedTheEngine();
    }

    @Test
    void jsonWithCharsetIsAccepted() throws Exception {
        HttpResponse<String> response = server.send(
                "POST",
                TRIGGER,
                Map.of("Authorization", "Bearer " + KEY, "Content-Type", "application/json; charset=utf-8"),
                "{}");
        assertEquals(200, response.statusCode(), response.body());
    }

    @Test
    void chunkedBodyUnderTheLimitIsAccepted() throws Exception {
        byte[] body = "{\"payload\":{\"chunked\":true}}".getBytes(StandardCharsets.UTF_8);
        HttpResponse<String> response = server.postChunked(TRIGGER, KEY, body);
        assertEquals(200, response.statusCode(), response.body());
    }

    @Test
    void oversizedMetadataIs413() throws Exception {
        String body = "{\"options\":{\"metadata\":{\"blob\":\"" + "m".repeat(256 * 1024) + "\"}}}";
        HttpResponse<String> response = server.post(TRIGGER, KEY, body);
        assertEquals(413, response.statusCode(), response.body());
        assertTrue(json(response).get("error").asText().startsWith("options.metadata is too large"), response.body());
        assertNothingReachedTheEngine();
    }

    // ---------------------------------------------------------------- akka-http's own rejections, as JSON

    @Test
    void unknownPathWrongMethodAndMediaTypeAreJsonErrors() throws Exception {
        assertError(server.get("/api/v1/nothing/here", KEY), 404, "Not found");
        assertError(server.get("/nothing", null), 404, "Not found");
        HttpResponse<String> wrongMethod = server.get(TRIGGER, KEY);
        assertEquals(405, wrongMethod.statusCode(), wrongMethod.body());
        assertTrue(json(wrongMethod).get("error").asText().contains("POST"), wrongMethod.body());
        HttpResponse<String> wrongType = server.send(
                "POST", TRIGGER, Map.of("Authorization", "Bearer " + KEY, "Content-Type", "text/plain"), "{}");
        assertEquals(415, wrongType.statusCode(), wrongType.body());
        assertTrue(json(wrongType).get("error").asText().contains("application/json"), wrongType.body());
        assertNothingReachedTheEngine();
    }

    // ---------------------------------------------------------------- helpers

    private static JsonNode triggerAndRead(Map<String, Object> body) throws Exception {
        HttpResponse<String> response =
                server.post(TRIGGER, KEY, new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(body));
        assertEquals(200, response.statusCode(), response.body());
        String runId = json(response).get("id").asText();
        HttpResponse<String> run = server.get("/api/v3/runs/" + runId, KEY);
        assertEquals(200, run.statusCode(), run.body());
        return json(run);
    }

    static void assertError(HttpResponse<String> response, int status, String message) throws Exception {
        assertEquals(status, response.statusCode(), response.body());
        assertEquals(
                "application/json",
                response.headers().firstValue("Content-Type").orElse(""),
                response.body());
        JsonNode body = json(response);
        assertEquals(Set.of("error"), fieldNames(body), response.body());
        if (message != null) assertEquals(message, body.get("error").asText());
    }

    private static void assertRefused(HttpResponse<String> response, int status, String messagePart) throws Exception {
        assertEquals(status, response.statusCode(), response.body());
        String error = json(response).get("error").asText();
        assertTrue(error.contains(messagePart), error);
    }

    private static void assertNothingReachedTheEngine() {
        assertEquals(List.of(), server.runJournalOperations());
    }

    static Set<String> fieldNames(JsonNode node) {
        Set<String> names = new java.util.TreeSet<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    static List<String> texts(JsonNode array) {
        List<String> texts = new java.util.ArrayList<>();
        array.forEach(item -> texts.add(item.asText()));
        return texts;
    }
}
