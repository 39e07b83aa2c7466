package dev.baton.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigValueFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code batchTriggerAndWait} from a task the trigger.dev CLI runs, behind a load balancer: the batch is created
 * through one node and its items reach the other. The batch is stored (not held by the node that answered the
 * create), so the other node completes it, the parent waits for its runs, {@code batches.retrieve} on either node
 * shows them, and the parent resumes with each item's result. This test plays the CLI (its calls as
 * {@code trigger.dev@4.8.3} makes them), against node A, where its session lives.
 */
class ParentBatchClusterTest {

    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private static BatonNode nodeA;
    private static BatonNode nodeB;

    @BeforeAll
    static void startCluster() {
        Config config = TestNodes.postgresConfig(TestNodes.freshPostgresSchema("parentbatch"));
        nodeA = TestNodes.start("parentbatch", config);
        String seed = nodeA.system().address().toString();
        nodeB = TestNodes.start(
                "parentbatch",
                config.withValue("akka.cluster.seed-nodes", ConfigValueFactory.fromIterable(List.of(seed))));
    }

    @AfterAll
    static void stopCluster() {
        if (nodeB != null) TestNodes.stop(nodeB);
        if (nodeA != null) TestNodes.stop(nodeA);
    }

    @Test
    void aBatchCreatedThroughOneNodeTakesItsItemsThroughTheOtherAndTheParentWaitsForItsRuns() throws Exception {
        String workerId = register();
        JsonNode triggered = call(nodeA, "POST", "/api/v1/tasks/parent/trigger", "{\"payload\":{}}", 200);
        String parent = triggered.path("id").asText();
        String dequeued = dequeue(workerId, 1).get(parent);
        call(nodeA, "POST", runPath(parent, dequeued) + "/attempts/start", "{\"isWarmStart\":false}", 200);

        // batchTriggerAndWait: the create through node A …
        JsonNode created = call(
                nodeA,
                "POST",
                "/api/v3/batches",
                "{\"runCount\":2,\"parentRunId\":\"" + parent + "\",\"resumeParentOnCompletion\":true}",
                202);
        String batchId = created.path("id").asText();
        assertEquals(2, created.path("runCount").asInt());
        assertEquals(
                "PENDING",
                call(nodeB, "GET", "/api/v2/batches/" + batchId, null, 200)
                        .path("status")
                        .asText());

        // … the items through node B, in two calls; the last one completes the batch and the parent waits
        JsonNode first = items(nodeB, batchId, "{\"index\":1,\"task\":\"child\",\"payload\":\"{\\\"n\\\":1}\"}\n");
        assertFalse(first.path("sealed").asBoolean(), first.toString());
        assertEquals(1, first.path("enqueuedCount").asInt());
        assertEquals(
                "PROCESSING",
                call(nodeA, "GET", "/api/v2/batches/" + batchId, null, 200)
                        .path("status")
                        .asText());
        JsonNode rest = items(
                nodeB,
                batchId,
                "{\"index\":0,\"task\":\"child\",\"payload\":\"{\\\"n\\\":0}\"}\n"
                        + "{\"index\":1,\"task\":\"child\",\"payload\":\"{\\\"n\\\":1}\"}\n");
        assertTrue(rest.path("sealed").asBoolean(), rest.toString());
        assertEquals(1, rest.path("itemsAccepted").asInt());
        assertEquals(1, rest.path("itemsDeduplicated").asInt());
        assertEquals(
                "WAITING",
                call(nodeA, "GET", "/api/v3/runs/" + parent, null, 200)
                        .path("status")
                        .asText());

        // batches.retrieve finds it on either node, with its runs in item order
        JsonNode batch = call(nodeB, "GET", "/api/v2/batches/" + batchId, null, 200);
        assertEquals("COMPLETED", batch.path("status").asText(), batch.toString());
        assertEquals(2, batch.path("runs").size(), batch.toString());
        assertEquals(batch, call(nodeA, "GET", "/api/v2/batches/" + batchId, null, 200));
        List<String> runIds = List.of(
                batch.path("runs").get(0).asText(), batch.path("runs").get(1).asText());

        // a resent items call (the SDK retries) changes nothing
        JsonNode resent = items(
                nodeA,
                batchId,
                "{\"index\":0,\"task\":\"child\",\"payload\":\"{\\\"n\\\":0}\"}\n"
                        + "{\"index\":1,\"task\":\"child\",\"payload\":\"{\\\"n\\\":1}\"}\n");
        assertTrue(resent.path("sealed").asBoolean(), resent.toString());
        assertEquals(2, resent.path("itemsDeduplicated").asInt());

        awaitSnapshot(
                parent, snapshot -> snapshot.path("executionStatus").asText().equals("EXECUTING_WITH_WAITPOINTS"));
        Map<String, String> children = dequeue(workerId, 2);
        assertEquals(new java.util.HashSet<>(runIds), children.keySet());
        for (int index = 0; index < 2; index++) {
            String child = runIds.get(index);
            JsonNode run = call(nodeB, "GET", "/api/v3/runs/" + child, null, 200);
            assertEquals(batchId, run.path("batchId").asText(), run.toString());
            assertEquals(JSON.readTree("{\"n\":" + index + "}"), run.path("payload"));
            String executing = call(
                            nodeA,
                            "POST",
                            runPath(child, children.get(child)) + "/attempts/start",
                            "{\"isWarmStart\":false}",
                            200)
                    .at("/snapshot/friendlyId")
                    .asText();
            call(
                    nodeA,
                    "POST",
                    runPath(child, executing) + "/attempts/complete",
                    "{\"completion\":{\"ok\":true,\"id\":\"" + child + "\",\"output\":\"" + (10 + index) + "\"}}",
                    200);
        }

        JsonNode resumed = awaitSnapshot(
                parent, snapshot -> snapshot.path("executionStatus").asText().equals("EXECUTING"));
        JsonNode waitpoints = resumed.path("completedWaitpoints");
        assertEquals(2, waitpoints.size(), resumed.toString());
        for (int index = 0; index < 2; index++) {
            JsonNode waitpoint = waitpoints.get(index);
            assertEquals(index, waitpoint.path("index").asInt());
            assertEquals(
                    batchId,
                    waitpoint.at("/completedByTaskRun/batch/friendlyId").asText());
            assertEquals(
                    runIds.get(index),
                    waitpoint.at("/completedByTaskRun/friendlyId").asText());
            assertEquals(String.valueOf(10 + index), waitpoint.path("output").asText());
        }
    }

    @Test
    void aBatchForARunThatCannotWaitIsRefusedAtItsCreate() throws Exception {
        register();
        String queued = call(nodeA, "POST", "/api/v1/tasks/child/trigger", "{\"options\":{\"delay\":\"1h\"}}", 200)
                .path("id")
                .asText();
        JsonNode refused = call(
                nodeB,
                "POST",
                "/api/v3/batches",
                "{\"runCount\":1,\"parentRunId\":\"" + queued + "\",\"resumeParentOnCompletion\":true}",
                400);
        assertTrue(refused.path("error").asText().contains("only an executing run can wait"), refused.toString());
    }

    // ---------------------------------------------------------------- the CLI's calls, on node A

    private static String register() throws Exception {
        String manifest = "{\"localOnly\":true,\"engine\":\"V2\",\"supportsLazyAttempts\":true,\"metadata\":{"
                + "\"packageVersion\":\"4.8.3\",\"contentHash\":\"hash-parent-batch\",\"tasks\":[" + task("parent")
                + "," + task("child") + "],\"queues\":[],\"sourceFiles\":[]}}";
        String ref = nodeA.credentials().environment().projectRef();
        return call(nodeA, "POST", "/api/v1/projects/" + ref + "/background-workers", manifest, 200)
                .path("id")
                .asText();
    }

    private static String task(String id) {
        return "{\"id\":\"" + id + "\",\"filePath\":\"src/trigger/" + id + ".ts\",\"exportName\":\"" + id + "\","
                + "\"entryPoint\":\"src/trigger/" + id + ".mjs\"}";
    }

    /** Dequeues until {@code count} runs came: their snapshot ids by run id. */
    private static Map<String, String> dequeue(String workerId, int count) throws Exception {
        Map<String, String> dequeued = new HashMap<>();
        Instant deadline = Instant.now().plus(WAIT);
        while (dequeued.size() < count) {
            if (Instant.now().isAfter(deadline)) throw new AssertionError("dequeued only " + dequeued);
            JsonNode messages = call(
                            nodeA,
                            "POST",
                            "/engine/v1/dev/dequeue",
                            "{\"currentWorker\":\"" + workerId + "\",\"oldWorkers\":[]}",
                            200)
                    .path("dequeuedMessages");
            for (JsonNode message : messages)
                dequeued.put(
                        message.at("/run/friendlyId").asText(),
                        message.at("/snapshot/friendlyId").asText());
            Thread.sleep(100);
        }
        return dequeued;
    }

    private static JsonNode awaitSnapshot(String runId, Predicate<JsonNode> snapshot) throws Exception {
        Instant deadline = Instant.now().plus(WAIT);
        for (; ; ) {
            JsonNode latest = call(nodeA, "GET", "/engine/v1/dev/runs/" + runId + "/snapshots/latest", null, 200)
                    .path("execution");
            if (snapshot.test(latest.path("snapshot"))) return latest;
            if (Instant.now().isAfter(deadline)) throw new AssertionError("snapshot never matched: " + latest);
            Thread.sleep(100);
        }
    }

    private static String runPath(String runId, String snapshotId) {
        return "/engine/v1/dev/runs/" + runId + "/snapshots/" + snapshotId;
    }

    // ---------------------------------------------------------------- HTTP

    private static JsonNode items(BatonNode node, String batchId, String ndjson) throws Exception {
        HttpResponse<String> response = HTTP.send(
                HttpRequest.newBuilder(uri(node, "/api/v3/batches/" + batchId + "/items"))
                        .header("Authorization", "Bearer " + TestNodes.SECRET_KEY)
                        .header("Content-Type", "application/x-ndjson")
                        .timeout(Duration.ofSeconds(60))
                        .POST(HttpRequest.BodyPublishers.ofString(ndjson))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), response.body());
        return JSON.readTree(response.body());
    }

    private static JsonNode call(BatonNode node, String method, String path, String body, int expectedStatus)
            throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri(node, path))
                .header("Authorization", "Bearer " + TestNodes.SECRET_KEY)
                .timeout(Duration.ofSeconds(60));
        if (body != null) request.header("Content-Type", "application/json");
        request.method(
                method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        HttpResponse<String> response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(expectedStatus, response.statusCode(), method + " " + path + ": " + response.body());
        return JSON.readTree(response.body());
    }

    private static URI uri(BatonNode node, String path) {
        return URI.create("http://127.0.0.1:" + node.httpPort() + path);
    }
}
