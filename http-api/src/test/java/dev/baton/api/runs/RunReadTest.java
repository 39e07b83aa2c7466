package dev.baton.api.runs;

import static dev.baton.api.ApiTestServer.json;
import static dev.baton.api.runs.TriggerTaskTest.assertError;
import static dev.baton.api.runs.TriggerTaskTest.texts;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.api.ApiTestServer;
import dev.baton.engine.dispatch.DispatchReply;
import dev.baton.engine.environment.Environment;
import dev.baton.engine.run.RunEntity;
import dev.baton.engine.run.RunService;
import dev.baton.engine.run.TriggerRequest;
import dev.baton.engine.run.Wait;
import dev.baton.engine.worker.RunError;
import dev.baton.engine.worker.WorkerChannel;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code GET /api/v3/runs/{id}} and {@code GET /api/v1/runs/{id}/events}, with runs driven through the engine. */
class RunReadTest {

    private static final String KEY = "tr_dev_read_test_key";
    private static final String OTHER_KEY = "tr_prod_other_tenant_key";

    private static ApiTestServer server;

    @BeforeAll
    static void start() throws Exception {
        server = ApiTestServer.start("RunReadTest");
        Environment environment = server.environment("reader", "dev", KEY);
        server.declareTask(environment, "hello-world");
        Environment other = server.environment("other", "prod", OTHER_KEY);
        server.declareTask(other, "hello-world");
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    @Test
    void runOfAnotherEnvironmentIsAsAbsentAsAnUnknownId() throws Exception {
        String runId = trigger("{\"payload\":{\"secret\":true}}");
        assertEquals(200, server.get("/api/v3/runs/" + runId, KEY).statusCode());

        for (String path : List.of("/api/v3/runs/" + runId, "/api/v1/runs/" + runId + "/events")) {
            HttpResponse<String> foreign = server.get(path, OTHER_KEY);
            assertError(foreign, 404, "Run not found");
            assertEquals("false", foreign.headers().firstValue("x-should-retry").orElse(""));
        }
        for (String unknown : List.of("run_doesnotexist0000000000", "not-a-run-id", "run_UPPER")) {
            HttpResponse<String> missing = server.get("/api/v3/runs/" + unknown, KEY);
            assertError(missing, 404, "Run not found");
            assertEquals("false", missing.headers().firstValue("x-should-retry").orElse(""));
            assertError(server.get("/api/v1/runs/" + unknown + "/events", KEY), 404, "Run not found");
        }
    }

    @Test
    void completedRunShowsItsOutput() throws Exception {
        String runId = trigger("{\"payload\":{\"name\":\"Ada\"},\"options\":{\"tags\":\"greeting\"}}");
        String attemptId = lease(runId);
        server.node()
                .engine()
                .runs()
                .startAttempt(runId, attemptId)
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
        server.node()
                .engine()
                .runs()
                .complete(runId, attemptId, "{\"greeting\":\"Hello, Ada!\"}")
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);

        JsonNode run = json(server.get("/api/v3/runs/" + runId, KEY));
        assertNoNulls(run, "$");
        assertEquals("COMPLETED", run.get("status").asText());
        assertEquals("Hello, Ada!", run.get("output").get("greeting").asText());
        assertTrue(run.get("isCompleted").asBoolean());
        assertTrue(run.get("isSuccess").asBoolean());
        assertFalse(run.get("isFailed").asBoolean());
        assertFalse(run.get("isQueued").asBoolean());
        assertFalse(run.get("isExecuting").asBoolean());
        assertEquals(1, run.get("attemptCount").asInt());
        assertEquals(List.of("greeting"), texts(run.get("tags")));
        assertFalse(run.has("error"));
        assertFalse(run.has("metadata"));
        assertFalse(run.has("idempotencyKey"));
        Instant created = Instant.parse(run.get("createdAt").asText());
        Instant started = Instant.parse(run.get("startedAt").asText());
        Instant finished = Instant.parse(run.get("finishedAt").asText());
        assertFalse(started.isBefore(created));
        assertFalse(finished.isBefore(started));
        assertEquals(finished, Instant.parse(run.get("updatedAt").asText()));
        assertEquals(0, run.get("costInCents").asInt());
        assertEquals(0, run.get("baseCostInCents").asInt());
        assertEquals(0, run.get("depth").asInt());
        assertEquals("trigger", run.get("triggerFunction").asText());
        assertEquals("{\"children\":[]}", run.get("relatedRuns").toString());
        assertTrue(run.get("durationMs").isIntegralNumber());

        JsonNode events =
                json(server.get("/api/v1/runs/" + runId + "/events", KEY)).get("data");
        assertEquals(List.of("RunTriggered", "RunSucceeded"), types(events));
        for (int i = 0; i < events.size(); i++)
            assertEquals(i + 1, events.get(i).get("sequenceNr").asLong());
        JsonNode succeeded = events.get(1).get("data");
        assertEquals("Hello, Ada!", succeeded.get("output").get("greeting").asText());
        assertEquals(attemptId, succeeded.get("attemptId").asText());
        assertNoNulls(events, "$.data");
        String triggeredAt = events.get(0).get("data").get("at").asText();
        assertTrue(triggeredAt.matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d{3})?Z"), triggeredAt);
        assertEquals(created, Instant.parse(triggeredAt));
    }

    @Test
    void failedRunShowsItsError() throws Exception {
        String runId = trigger("{\"payload\":42,\"options\":{\"maxAttempts\":1,\"metadata\":{\"step\":\"charge\"}}}");
        String attemptId = lease(runId);
        server.node()
                .engine()
                .runs()
                .startAttempt(runId, attemptId)
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
        server.node()
                .engine()
                .runs()
                .fail(
                        runId,
                        attemptId,
                        new RunError("TypeError", "card declined", "TypeError: card declined\n  at charge"),
                        true)
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);

        JsonNode run = json(server.get("/api/v3/runs/" + runId, KEY));
        assertNoNulls(run, "$");
        assertEquals("FAILED", run.get("status").asText());
        assertTrue(run.get("isCompleted").asBoolean());
        assertTrue(run.get("isFailed").asBoolean());
        assertFalse(run.get("isSuccess").asBoolean());
        assertFalse(run.has("output"));
        assertEquals(42, run.get("payload").asInt());
        assertEquals("charge", run.get("metadata").get("step").asText());
        assertEquals("card declined", run.get("error").get("message").asText());
        assertEquals("TypeError", run.get("error").get("name").asText());
        assertTrue(run.get("error").get("stackTrace").asText().contains("at charge"));
        assertEquals(1, run.get("attemptCount").asInt());
    }

    @Test
    void leasedRunIsDequeued() throws Exception {
        String runId = trigger("{}");
        lease(runId);
        JsonNode run = json(server.get("/api/v3/runs/" + runId, KEY));
        assertEquals("DEQUEUED", run.get("status").asText());
        assertTrue(run.get("isExecuting").asBoolean());
        assertFalse(run.has("startedAt"));
        assertFalse(run.has("finishedAt"));
        assertNoNulls(run, "$");
    }

    @Test
    void aWaitingParentShowsItsChildrenAndAChildItsParentAndRoot() throws Exception {
        String parentId = trigger("{\"payload\":{\"name\":\"parent\"}}");
        String attemptId = lease(parentId);
        String batchId = RunService.batchIdOf(parentId, "runs#1");
        Wait wait = Wait.runs(
                "runs#1",
                List.of(
                        TriggerRequest.of("hello-world", "{\"name\":\"a\"}"),
                        TriggerRequest.of("hello-world", "{\"name\":\"b\"}")),
                batchId);
        server.node()
                .engine()
                .runs()
                .suspend(parentId, attemptId, wait)
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
        for (int i = 0; i < 2; i++)
            server.awaitRun(wait.childRunId(parentId, i), KEY, run -> true, Duration.ofSeconds(10));

        JsonNode parent = json(server.get("/api/v3/runs/" + parentId, KEY));
        assertEquals("WAITING", parent.get("status").asText());
        assertTrue(parent.get("isWaiting").asBoolean());
        JsonNode children = parent.get("relatedRuns").get("children");
        assertEquals(2, children.size());
        assertEquals(wait.childRunId(parentId, 0), children.get(0).get("id").asText());
        assertEquals(1, children.get(0).get("depth").asInt());
        assertEquals(
                "batchTriggerAndWait", children.get(0).get("triggerFunction").asText());
        assertEquals(batchId, children.get(1).get("batchId").asText());
        assertFalse(parent.get("relatedRuns").has("parent"));

        JsonNode child = json(server.get("/api/v3/runs/" + wait.childRunId(parentId, 1), KEY));
        assertEquals(1, child.get("depth").asInt());
        assertEquals(batchId, child.get("batchId").asText());
        assertEquals(parentId, child.get("relatedRuns").get("parent").get("id").asText());
        assertEquals(parentId, child.get("relatedRuns").get("root").get("id").asText());
        assertEquals(
                "WAITING", child.get("relatedRuns").get("parent").get("status").asText());
        assertNoNulls(child, "$");
    }

    // ---------------------------------------------------------------- helpers

    private static String trigger(String body) throws Exception {
        HttpResponse<String> response = server.post("/api/v1/tasks/hello-world/trigger", KEY, body);
        assertEquals(200, response.statusCode(), response.body());
        return json(response).get("id").asText();
    }

    /** Plays the dispatcher: offers the run to a probe worker and returns the leased attempt's id. */
    private static String lease(String runId) {
        TestProbe<WorkerChannel.Message> worker = server.node().testKit().createTestProbe();
        TestProbe<DispatchReply> reply = server.node().testKit().createTestProbe();
        ClusterSharding.get(server.node().system())
                .entityRefFor(RunEntity.ENTITY_TYPE_KEY, runId)
                .tell(new RunEntity.Dispatch("session-1", "worker-1", worker.ref(), reply.ref()));
        assertTrue(reply.receiveMessage().accepted(), "the queued run accepts the lease");
        WorkerChannel.Execute execute = worker.expectMessageClass(WorkerChannel.Execute.class);
        assertEquals(runId, execute.runId());
        return execute.attemptId();
    }

    private static List<String> types(JsonNode events) {
        List<String> types = new java.util.ArrayList<>();
        events.forEach(event -> types.add(event.get("type").asText()));
        return types;
    }

    /** The SDK's zod schemas reject null for optional fields: the API must never send one. */
    private static void assertNoNulls(JsonNode node, String path) {
        if (node.isNull()) fail("null at " + path);
        if (node.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> fields = node.fields(); fields.hasNext(); ) {
                Map.Entry<String, JsonNode> field = fields.next();
                assertNoNulls(field.getValue(), path + "." + field.getKey());
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) assertNoNulls(node.get(i), path + "[" + i + "]");
        }
    }
}
