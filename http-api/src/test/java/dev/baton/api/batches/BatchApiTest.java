package dev.baton.api.batches;

import static dev.baton.api.ApiTestServer.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import dev.baton.api.ApiTestServer;
import dev.baton.engine.batch.BatchService;
import dev.baton.engine.environment.Environment;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.IntFunction;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The batch endpoints against a real port: the v3 two-phase API, the single-call ones, retrieve, errors. */
class BatchApiTest {

    private static final String KEY = "tr_dev_batch_test_key";
    private static final String OTHER_KEY = "tr_prod_batch_test_key";
    private static final String NDJSON = "application/x-ndjson";
    private static final int MAX_ITEM = 4 * 1024;

    private static ApiTestServer server;

    @BeforeAll
    static void start() throws Exception {
        server = ApiTestServer.start("BatchApiTest", ConfigFactory.parseString("""
        baton.http.batch.max-item-size = 4k
        baton.http.batch.max-items-body-size = 512k
        """));
        Environment environment = server.environment("batch", "dev", KEY);
        server.environment("batch", "prod", OTHER_KEY);
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

    // ---------------------------------------------------------------- helpers

    private static String createBatch(int runCount) throws Exception {
        HttpResponse<String> response = server.post("/api/v3/batches", KEY, "{\"runCount\":" + runCount + "}");
        assertEquals(202, response.statusCode(), response.body());
        return json(response).get("id").asText();
    }

    private static HttpResponse<String> sendItems(String batchId, String body) throws Exception {
        return server.postChunked(
                "/api/v3/batches/" + batchId + "/items", KEY, NDJSON, body.getBytes(StandardCharsets.UTF_8));
    }

    /** What the SDK sends: SuperJSON payloads as strings. */
    private static String items(int count, IntFunction<String> task) {
        StringBuilder body = new StringBuilder();
        for (int i = 0; i < count; i++) {
            body.append("{\"index\":")
                    .append(i)
                    .append(",\"task\":\"")
                    .append(task.apply(i))
                    .append("\",\"payload\":\"{\\\"json\\\":{\\\"n\\\":")
                    .append(i)
                    .append("}}\",\"options\":{\"payloadType\":\"application/super+json\",\"tags\":[\"batch\"]}}\n");
        }
        return body.toString();
    }

    private static JsonNode retrieveBatch(String batchId) throws Exception {
        HttpResponse<String> response = server.get("/api/v2/batches/" + batchId, KEY);
        assertEquals(200, response.statusCode(), response.body());
        return json(response);
    }

    private static void assertError(HttpResponse<String> response, int status, String messagePart) throws Exception {
        assertEquals(status, response.statusCode(), response.body());
        String error = json(response).get("error").asText();
        assertTrue(error.contains(messagePart), error);
    }

    private void assertNoRunWasTouched() {
        assertEquals(List.of(), server.runJournalOperations());
    }

    // ---------------------------------------------------------------- v3

    @Test
    void aThousandItemsMakeAThousandRunsOnceEvenWhenTheStreamIsSentTwice() throws Exception {
        HttpResponse<String> created =
                server.post("/api/v3/batches", KEY, "{\"runCount\":1000,\"taskIdentifiers\":[\"hello-world\"]}");
        assertEquals(202, created.statusCode(), created.body());
        JsonNode batch = json(created);
        String batchId = batch.get("id").asText();
        assertTrue(batchId.startsWith("batch_"), batchId);
        assertEquals(1000, batch.get("runCount").asInt());
        assertFalse(batch.get("isCached").asBoolean());
        assertFalse(batch.has("idempotencyKey"));
        assertEquals("PENDING", retrieveBatch(batchId).get("status").asText());

        String stream = items(1000, i -> "hello-world");
        JsonNode first = json(sendItems(batchId, stream));
        assertEquals(batchId, first.get("id").asText());
        assertEquals(1000, first.get("itemsAccepted").asInt());
        assertEquals(0, first.get("itemsDeduplicated").asInt());
        assertTrue(first.get("sealed").asBoolean());
        assertFalse(first.has("enqueuedCount"));

        JsonNode second = json(sendItems(batchId, stream));
        assertEquals(0, second.get("itemsAccepted").asInt());
        assertEquals(1000, second.get("itemsDeduplicated").asInt());
        assertTrue(second.get("sealed").asBoolean());

        JsonNode retrieved = retrieveBatch(batchId);
        assertEquals("COMPLETED", retrieved.get("status").asText());
        assertEquals(1000, retrieved.get("runCount").asInt());
        assertEquals(1000, retrieved.get("runs").size());
        Set<String> runIds = new HashSet<>();
        retrieved.get("runs").forEach(id -> runIds.add(id.asText()));
        assertEquals(1000, runIds.size());
        assertTrue(retrieved.get("processing").has("completedAt"));
        assertEquals(0, retrieved.get("processing").get("errors").size());
        assertTrue(retrieved.has("createdAt") && retrieved.has("updatedAt"));

        // Every run triggered exactly once, whatever was resent.
        long triggers = server.runJournalOperations().stream()
                .filter(op -> op.endsWith("WriteEvents"))
                .count();
        assertEquals(1000, triggers);

        String runId = retrieved.get("runs").get(7).asText();
        assertEquals(BatchService.itemRunId(batchId, 7), runId);
        JsonNode run = server.retrieve(runId, KEY);
        assertEquals(batchId, run.get("batchId").asText());
        assertEquals("batchTrigger", run.get("triggerFunction").asText());
        assertEquals("{\"n\":7}", run.get("payload").toString());
        assertEquals("batch", run.get("tags").get(0).asText());
        assertEquals("QUEUED", run.get("status").asText());
    }

    @Test
    void batchTriggerAndWaitIsRefusedForAParentThatCannotWait() throws Exception {
        HttpResponse<String> parent = server.post("/api/v1/tasks/hello-world/trigger", KEY, "{}");
        String parentId = json(parent).get("id").asText();
        assertError(
                server.post(
                        "/api/v3/batches",
                        KEY,
                        "{\"runCount\":2,\"parentRunId\":\"" + parentId + "\",\"resumeParentOnCompletion\":true}"),
                400,
                "only an executing run can wait");
        assertError(
                server.post("/api/v3/batches", KEY, "{\"runCount\":2,\"resumeParentOnCompletion\":true}"),
                400,
                "parentRunId");
        assertError(
                server.post(
                        "/api/v3/batches",
                        KEY,
                        "{\"runCount\":2,\"parentRunId\":\"" + parentId + "\",\"resumeParentOnCompletion\":true,"
                                + "\"idempotencyKey\":\"k\"}"),
                400,
                "idempotencyKey");
    }

    @Test
    void itemsMayArriveInSeveralCallsAndTheLastOneSeals() throws Exception {
        String batchId = createBatch(3);
        JsonNode part = json(sendItems(batchId, "{\"index\":2,\"task\":\"hello-world\"}\n"));
        assertEquals(1, part.get("itemsAccepted").asInt());
        assertFalse(part.get("sealed").asBoolean());
        assertEquals(1, part.get("enqueuedCount").asInt());
        assertEquals(3, part.get("expectedCount").asInt());
        assertEquals("PROCESSING", retrieveBatch(batchId).get("status").asText());

        // No trailing newline, a blank line, and a Content-Length body: all fine.
        HttpResponse<String> rest = server.send(
                "POST",
                "/api/v3/batches/" + batchId + "/items",
                Map.of("Authorization", "Bearer " + KEY, "Content-Type", NDJSON),
                "{\"index\":0,\"task\":\"hello-world\"}\n\n{\"index\":1,\"task\":\"othe"
                        + "r-task\",\"payload\":\"[1,2]\"}");
        assertEquals(200, rest.statusCode(), rest.body());
        assertEquals(2, json(rest).get("itemsAccepted").asInt());
        assertTrue(json(rest).get("sealed").asBoolean());
        assertEquals(
                "[1,2]",
                server.retrieve(BatchService.itemRunId(batchId, 1), KEY)
                        .get("payload")
                        .toString());
    }

    @Test
    void anIdempotencyKeyReturnsTheCachedBatch() throws Exception {
        String body = "{\"runCount\":2,\"idempotencyKey\":\"3b6a19f0\",\"idempotencyKeyOptions\":{\"key\":\"b-1\","
                + "\"scope\":\"global\"}}";
        JsonNode first = json(server.post("/api/v3/batches", KEY, body));
        assertFalse(first.get("isCached").asBoolean());
        assertEquals("3b6a19f0", first.get("idempotencyKey").asText());
        HttpResponse<String> again = server.post("/api/v3/batches", KEY, body);
        assertEquals(202, again.statusCode());
        assertEquals(first.get("id").asText(), json(again).get("id").asText());
        assertTrue(json(again).get("isCached").asBoolean());
        assertEquals(
                "3b6a19f0",
                retrieveBatch(first.get("id").asText()).get("idempotencyKey").asText());
    }

    @Test
    void aRetriedCreateWithTheSameRequestKeyGetsTheSameBatch() throws Exception {
        Map<String, String> headers = Map.of(
                "Authorization",
                "Bearer " + KEY,
                "Content-Type",
                "application/json",
                "x-trigger-request-idempotency-key",
                "5d1c0a7e-request");
        String first = json(server.send("POST", "/api/v3/batches", headers, "{\"runCount\":1}"))
                .get("id")
                .asText();
        HttpResponse<String> retried = server.send("POST", "/api/v3/batches", headers, "{\"runCount\":1}");
        assertEquals(first, json(retried).get("id").asText());
        assertFalse(json(retried).get("isCached").asBoolean());
    }

    @Test
    void anImpossibleTaskIdFailsOnlyItsItemAndAnUndeclaredTaskWaits() throws Exception {
        String batchId = createBatch(3);
        JsonNode added = json(sendItems(
                batchId,
                "{\"index\":0,\"task\":\"hello-world\"}\n{\"index\":1,\"task\":\"no such task\"}\n"
                        + "{\"index\":2,\"task\":\"not-declared-yet\"}\n"));
        assertEquals(3, added.get("itemsAccepted").asInt());
        assertTrue(added.get("sealed").asBoolean());
        JsonNode batch = retrieveBatch(batchId);
        assertEquals("PARTIAL_FAILED", batch.get("status").asText());
        assertEquals(2, batch.get("runs").size());
        JsonNode error = batch.get("processing").get("errors").get(0);
        assertEquals(1, error.get("index").asInt());
        assertEquals("no such task", error.get("taskIdentifier").asText());
        assertTrue(error.get("error").asText().startsWith("Task not found"), error.toString());
        JsonNode pending = server.retrieve(batch.get("runs").get(1).asText(), KEY);
        assertEquals("PENDING_VERSION", pending.get("status").asText());
    }

    // ---------------------------------------------------------------- errors

    @Test
    void everyBatchCallNeedsAKey() throws Exception {
        assertError(server.post("/api/v3/batches", null, "{\"runCount\":1}"), 401, "Invalid or Missing API key");
        assertError(
                server.postChunked("/api/v3/batches/batch_x/items", "tr_dev_wrong", NDJSON, new byte[0]),
                401,
                "Invalid or Missing API key");
        assertError(server.post("/api/v2/tasks/batch", null, "{}"), 401, "Invalid or Missing API key");
        assertError(server.post("/api/v1/tasks/batch", null, "{}"), 401, "Invalid or Missing API key");
        assertError(server.get("/api/v2/batches/batch_x", null), 401, "Invalid or Missing API key");
    }

    @Test
    void aRunCountOutsideOneToAThousandIs400() throws Exception {
        for (String body : List.of(
                "{\"runCount\":0}", "{\"runCount\":1001}", "{}", "{\"runCount\":\"3\"}", "{\"runCount\":1.5}", "[]")) {
            assertEquals(400, server.post("/api/v3/batches", KEY, body).statusCode(), body);
        }
        assertError(server.post("/api/v3/batches", KEY, "{\"runCount\":1001}"), 400, "between 1 and 1000");
    }

    @Test
    void itemsMustBeNdjson() throws Exception {
        String batchId = createBatch(1);
        assertError(
                server.postChunked(
                        "/api/v3/batches/" + batchId + "/items",
                        KEY,
                        "application/json",
                        "{\"index\":0,\"task\":\"hello-world\"}".getBytes(StandardCharsets.UTF_8)),
                415,
                NDJSON);
        assertEquals("PENDING", retrieveBatch(batchId).get("status").asText());
    }

    @Test
    void anIndexOutsideTheBatchIs422AndNothingIsCreated() throws Exception {
        String batchId = createBatch(2);
        assertError(
                sendItems(batchId, "{\"index\":0,\"task\":\"hello-world\"}\n{\"index\":2,\"task\":\"hello-world\"}\n"),
                422,
                "out of range");
        assertNoRunWasTouched();
        JsonNode batch = retrieveBatch(batchId);
        assertEquals("PENDING", batch.get("status").asText());
        assertEquals(0, batch.get("runs").size());
    }

    @Test
    void debounceInABatchItemIsRefusedNamingIt() throws Exception {
        String debounced = "{\"task\":\"hello-world\",\"options\":{\"debounce\":{\"key\":\"k\",\"delay\":\"5s\"}}}";
        assertError(
                server.post("/api/v2/tasks/batch", KEY, "{\"items\":[{\"task\":\"hello-world\"}," + debounced + "]}"),
                422,
                "items[1]: options.debounce is not supported in batch items");
        String batchId = createBatch(1);
        assertError(
                sendItems(batchId, "{\"index\":0," + debounced.substring(1) + "\n"),
                422,
                "options.debounce is not supported in batch items");
        assertNoRunWasTouched();
        assertEquals("PENDING", retrieveBatch(batchId).get("status").asText());
    }

    @Test
    void aBadLineAnywhereIs400AndNothingIsCreated() throws Exception {
        String batchId = createBatch(3);
        String valid = "{\"index\":0,\"task\":\"hello-world\"}\n{\"index\":1,\"task\":\"hello-world\"}\n";
        assertError(sendItems(batchId, valid + "{not json\n"), 400, "line 3");
        assertError(sendItems(batchId, valid + "{\"index\":2}\n"), 400, "task is required");
        assertError(sendItems(batchId, valid + "{\"index\":-1,\"task\":\"hello-world\"}\n"), 400, "index");
        assertError(
                sendItems(batchId, valid + "{\"index\":2,\"task\":\"hello-world\",\"options\":{\"tags\":5}}\n"),
                400,
                "Item 2: options.tags");
        assertError(
                sendItems(batchId, valid + "{\"index\":2,\"task\":\"hello-world\",\"payload\":\"{oops\"}\n"),
                400,
                "payload is not valid JSON");
        assertError(sendItems(batchId, valid + "[1]\n"), 400, "JSON object");
        assertNoRunWasTouched();
        assertEquals(0, retrieveBatch(batchId).get("runs").size());
    }

    @Test
    void oversizedItemsAndBodiesAre413() throws Exception {
        String batchId = createBatch(2);
        String big = "{\"index\":0,\"task\":\"hello-world\",\"payload\":\"\\\"" + "x".repeat(MAX_ITEM) + "\\\"\"}\n";
        assertError(sendItems(batchId, big), 413, "too large");
        StringBuilder huge = new StringBuilder();
        while (huge.length() <= 512 * 1024) {
            huge.append("{\"index\":1,\"task\":\"hello-world\",\"payload\":\"\\\"")
                    .append("y".repeat(3000))
                    .append("\\\"\"}\n");
        }
        assertError(sendItems(batchId, huge.toString()), 413, "too large");
        assertNoRunWasTouched();
    }

    @Test
    void anUnknownBatchOrOneOfAnotherEnvironmentIs404() throws Exception {
        String batchId = createBatch(1);
        assertError(server.get("/api/v2/batches/batch_doesnotexist0000", KEY), 404, "Batch not found");
        assertError(server.get("/api/v2/batches/not-a-batch-id", KEY), 404, "Batch not found");
        assertError(server.get("/api/v2/batches/" + batchId, OTHER_KEY), 404, "Batch not found");
        HttpResponse<String> items = server.postChunked(
                "/api/v3/batches/" + batchId + "/items",
                OTHER_KEY,
                NDJSON,
                "{\"index\":0,\"task\":\"hello-world\"}\n".getBytes(StandardCharsets.UTF_8));
        assertError(items, 404, "Batch not found");
        assertEquals("false", items.headers().firstValue("x-should-retry").orElse(""));
        assertError(
                sendItems("batch_doesnotexist0000", "{\"index\":0,\"task\":\"hello-world\"}\n"),
                404,
                "Batch not found");
        assertNoRunWasTouched();
        assertEquals("PENDING", retrieveBatch(batchId).get("status").asText());
    }

    // ---------------------------------------------------------------- single-call batches (older SDKs)

    @Test
    void v2TasksBatchCreatesEveryRunInOneCall() throws Exception {
        HttpResponse<String> response = server.post(
                "/api/v2/tasks/batch",
                KEY,
                "{\"items\":[{\"task\":\"hello-world\",\"payload\":{\"a\":1}},{\"task\":\"other-task\","
                        + "\"payload\":\"{\\\"json\\\":{\\\"b\\\":2}}\",\"options\":{\""
                        + "payloadType\":\"application/super+json\"}}]}");
        assertEquals(202, response.statusCode(), response.body());
        JsonNode body = json(response);
        assertEquals(2, body.get("runCount").asInt());
        JsonNode batch = retrieveBatch(body.get("id").asText());
        assertEquals("COMPLETED", batch.get("status").asText());
        assertEquals(
                "{\"b\":2}",
                server.retrieve(batch.get("runs").get(1).asText(), KEY)
                        .get("payload")
                        .toString());
    }

    @Test
    void v1TasksBatchAnswersWithTheRuns() throws Exception {
        String body = "{\"items\":[{\"task\":\"hello-world\",\"payload\":{\"a\":1}},{\"task\":\"other-task\"}]}";
        Map<String, String> headers = Map.of(
                "Authorization",
                "Bearer " + KEY,
                "Content-Type",
                "application/json",
                "idempotency-key",
                "v1-batch-key");
        HttpResponse<String> response = server.send("POST", "/api/v1/tasks/batch", headers, body);
        assertEquals(200, response.statusCode(), response.body());
        JsonNode batch = json(response);
        assertFalse(batch.get("isCached").asBoolean());
        assertEquals("v1-batch-key", batch.get("idempotencyKey").asText());
        assertEquals(2, batch.get("runs").size());
        assertEquals(
                "other-task", batch.get("runs").get(1).get("taskIdentifier").asText());
        assertFalse(batch.get("runs").get(1).get("isCached").asBoolean());
        String runId = batch.get("runs").get(0).get("id").asText();
        assertEquals(
                "hello-world", server.retrieve(runId, KEY).get("taskIdentifier").asText());

        JsonNode cached = json(server.send("POST", "/api/v1/tasks/batch", headers, body));
        assertEquals(batch.get("id").asText(), cached.get("id").asText());
        assertTrue(cached.get("isCached").asBoolean());
        assertEquals(runId, cached.get("runs").get(0).get("id").asText());
    }

    @Test
    void singleCallBatchesValidateTheirItems() throws Exception {
        assertError(server.post("/api/v2/tasks/batch", KEY, "{\"items\":[]}"), 400, "between 1 and 1000");
        assertError(server.post("/api/v2/tasks/batch", KEY, "{}"), 400, "items is required");
        assertError(
                server.post("/api/v1/tasks/batch", KEY, "{\"items\":[{\"payload\":1}]}"),
                400,
                "items[0]: task is required");
        assertError(
                server.post(
                        "/api/v2/tasks/batch",
                        KEY,
                        "{\"items\":[{\"task\":\"hello-world\"},{\"task\":\"hello-world"
                                + "\",\"options\":{\"delay\":\"soon\"}}]}"),
                422,
                "items[1]");
        assertNoRunWasTouched();
    }
}
