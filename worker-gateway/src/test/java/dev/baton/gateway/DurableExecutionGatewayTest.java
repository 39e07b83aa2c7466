package dev.baton.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.http.javadsl.Http;
import akka.http.javadsl.ServerBinding;
import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.engine.common.Ids;
import dev.baton.engine.environment.Environment;
import dev.baton.engine.run.RunState;
import dev.baton.engine.run.RunStatus;
import dev.baton.engine.run.TriggerRequest;
import dev.baton.engine.testkit.TestNode;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The worker side of durable execution through a real gateway and engine: steps, suspensions, child runs. */
class DurableExecutionGatewayTest {

    private static final Duration WAIT = Duration.ofSeconds(15);
    private static final String FAST_RETRY = """
      "retry":{"maxAttempts":3,"factor":2,"minTimeoutInMs":10,"maxTimeoutInMs":100,"randomize":false}""";

    private static TestNode node;
    private static WorkerGateway gateway;
    private static ServerBinding binding;
    private static int port;

    private Environment environment;
    private String token;

    @BeforeAll
    static void start() throws Exception {
        node = TestNode.start("durable-gateway-test");
        gateway = new WorkerGateway(node.system(), node.engine(), node.directory());
        binding = Http.get(node.system())
                .newServerAt("127.0.0.1", 0)
                .bind(gateway.route())
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
        port = binding.localAddress().getPort();
    }

    @AfterAll
    static void stop() throws Exception {
        binding.unbind().toCompletableFuture().get(10, TimeUnit.SECONDS);
        node.close();
    }

    @BeforeEach
    void freshEnvironment() {
        token = "bw_dev_" + Ids.random(32);
        environment = node.createEnvironment("p" + Ids.random(10), "dev", "tr_dev_" + Ids.random(32), token);
    }

    @Test
    void stepsAreRecordedOnceAndHandedToTheNextAttempt() throws Exception {
        try (RawWorker worker =
                RawWorker.connectAndHello(port, token, "w-1", 1, "[{\"id\":\"stepper\"," + FAST_RETRY + "}]")) {
            String runId = trigger("stepper", "{}");
            String attempt1 = worker.expect("execute").path("attemptId").asText();
            worker.send(started(attempt1));
            worker.send(step(attempt1, "charge", "{\"n\":1}"));
            assertAnswer(worker.expect("stepRecorded"), attempt1, "charge");
            worker.send(step(attempt1, "charge", "{\"n\":2}"));
            assertAnswer(worker.expect("stepRecorded"), attempt1, "charge"); // a repeat keeps the first result
            worker.send("{\"type\":\"step\",\"attemptId\":\"" + attempt1 + "\",\"key\":\"nothing\"}");
            assertAnswer(worker.expect("stepRecorded"), attempt1, "nothing");
            worker.send(failed(attempt1));

            JsonNode retry = worker.expect("execute");
            assertEquals(2, retry.path("attemptNumber").asInt());
            assertEquals(
                    RawWorker.JSON.readTree("{\"charge\":{\"output\":{\"n\":1}},\"nothing\":{\"output\":null}}"),
                    retry.path("steps"));
            String attempt2 = retry.path("attemptId").asText();

            long before = gateway.staleMessagesRejected();
            worker.send(step(attempt1, "ship", "1"));
            assertEquals(
                    "stale attempt", worker.expect("rejected").path("reason").asText());
            assertEquals(before + 1, gateway.staleMessagesRejected());

            worker.send(completed(attempt2, "\"done\""));
            RunState done = awaitRun(runId, state -> state.status() == RunStatus.COMPLETED);
            assertFalse(done.steps().containsKey("ship"), "a step of a fenced attempt is not recorded");
        }
    }

    @Test
    void aDurationWaitFreesTheSlotAndResumesTheRunWithItsResult() throws Exception {
        try (RawWorker worker = RawWorker.connectAndHello(port, token, "w-1", 1, "[{\"id\":\"sleeper\"}]")) {
            String sleeper = trigger("sleeper", "{}");
            String attempt1 = worker.expect("execute").path("attemptId").asText();
            worker.send(started(attempt1));
            String other = trigger("sleeper", "{}");
            assertTrue(worker.poll(Duration.ofMillis(300)).isEmpty(), "the only slot is taken");

            Instant until = Instant.now().plusMillis(4000).truncatedTo(ChronoUnit.MILLIS); // still waiting when checked
            worker.send(suspend(attempt1, "\"wait#1\"", "{\"type\":\"duration\",\"until\":\"" + until + "\"}"));
            Map<String, List<JsonNode>> sent = nextByType(worker, 2);
            assertEquals(Set.of("suspended", "execute"), sent.keySet(), sent::toString);
            assertAnswer(sent.get("suspended").get(0), attempt1, "wait#1");
            JsonNode next = sent.get("execute").get(0);
            assertEquals(other, next.path("runId").asText(), "the freed slot takes the queued run");
            assertEquals(RunStatus.WAITING, run(sleeper).status());

            long before = gateway.staleMessagesRejected();
            worker.send(heartbeat(attempt1)); // crossed the suspended answer
            JsonNode rejected = worker.expect("rejected");
            assertEquals(attempt1, rejected.path("attemptId").asText());
            assertEquals("attempt suspended", rejected.path("reason").asText());
            assertEquals(before, gateway.staleMessagesRejected(), "not counted as stale");
            worker.send(completed(next.path("attemptId").asText(), "1"));

            JsonNode resumed = worker.expect("execute");
            assertTrue(!Instant.now().isBefore(until), "resumed early");
            assertEquals(sleeper, resumed.path("runId").asText());
            assertEquals(1, resumed.path("attemptNumber").asInt(), "a wait is not a new attempt");
            assertNotEquals(attempt1, resumed.path("attemptId").asText());
            assertEquals(
                    until,
                    Instant.parse(resumed.at("/steps/wait#1/output/waitedUntil").asText()));
            worker.send(completed(resumed.path("attemptId").asText(), "\"woke\""));
            assertEquals(
                    1,
                    awaitRun(sleeper, state -> state.status() == RunStatus.COMPLETED)
                            .attemptCount());
        }
    }

    @Test
    void invalidOrRefusedSuspensionsAreAnsweredAndTheAttemptGoesOn() throws Exception {
        try (RawWorker worker = RawWorker.connectAndHello(port, token, "w-1", 1, "[{\"id\":\"refused\"}]")) {
            String runId = trigger("refused", "{}");
            String attemptId = worker.expect("execute").path("attemptId").asText();
            worker.send(started(attemptId));

            worker.send(suspend(attemptId, "\"wait#1\"", "{\"type\":\"nap\"}"));
            JsonNode unknown = worker.expect("suspendRejected");
            assertAnswer(unknown, attemptId, "wait#1");
            assertTrue(unknown.path("reason").asText().contains("unknown wait type"), unknown.toString());

            String item = "{\"task\":\"refused\"}";
            worker.send(suspend(
                    attemptId,
                    "\"runs#1\"",
                    "{\"type\":\"runs\",\"batch\":true,\"items\":[" + String.join(",", Collections.nCopies(1001, item))
                            + "]}"));
            assertTrue(worker.expect("suspendRejected").path("reason").asText().contains("at most 1000"));

            worker.send(suspend(attemptId, "7", "{\"type\":\"token\",\"tokenId\":\"waitpoint_1\"}"));
            JsonNode badKey = worker.expect("suspendRejected");
            assertFalse(badKey.has("key"));
            assertTrue(badKey.path("reason").asText().contains("key"), badKey.toString());

            worker.send(step(attemptId, "wait#1", "{\"waitedUntil\":\"2026-01-01T00:00:00Z\"}"));
            worker.send(suspend(attemptId, "\"wait#1\"", "{\"type\":\"duration\",\"until\":\"2099-01-01T00:00:00Z\"}"));
            assertAnswer(worker.expect("stepRecorded"), attemptId, "wait#1");
            JsonNode resolved = worker.expect("suspendRejected");
            assertTrue(resolved.path("reason").asText().startsWith("already resolved"), resolved.toString());

            assertEquals(RunStatus.EXECUTING, run(runId).status());
            worker.send(completed(attemptId, "\"went on\""));
            assertEquals(
                    "\"went on\"",
                    awaitRun(runId, state -> state.status() == RunStatus.COMPLETED)
                            .outputJson());
        }
    }

    @Test
    void aRunsWaitStartsTheChildrenAndResumesTheParentWithTheirOutcomesInOrder() throws Exception {
        try (RawWorker worker = RawWorker.connectAndHello(
                port, token, "w-1", 3, "[{\"id\":\"parent\"},{\"id\":\"child\"," + FAST_RETRY + "}]")) {
            String parentId = trigger("parent", "{}");
            String parentAttempt = worker.expect("execute").path("attemptId").asText();
            worker.send(started(parentAttempt));
            worker.send(suspend(parentAttempt, "\"runs#1\"", """
          {"type":"runs","batch":true,"items":[
            {"task":"child","payload":{"i":0}},
            {"task":"child","payload":{"i":1},"options":{"maxAttempts":1,"tags":["second"]}}]}"""));
            Map<String, List<JsonNode>> sent = nextByType(worker, 3);
            assertEquals(Set.of("suspended", "execute"), sent.keySet(), sent::toString);
            assertAnswer(sent.get("suspended").get(0), parentAttempt, "runs#1");
            List<JsonNode> children = sent.get("execute");
            assertEquals(2, children.size(), sent::toString);

            String ok = null;
            String bad = null;
            for (JsonNode child : children) {
                assertEquals("child", child.path("taskId").asText());
                if (child.path("payload").path("i").asInt() == 0)
                    ok = child.path("runId").asText();
                else bad = child.path("runId").asText();
                String attemptId = child.path("attemptId").asText();
                worker.send(
                        child.path("payload").path("i").asInt() == 0
                                ? completed(attemptId, "{\"i\":0}")
                                : "{\"type\":\"failed\",\"attemptId\":\"" + attemptId
                                        + "\",\"error\":{\"name\":\"E\",\"message\":\"nope\"}}");
            }
            assertEquals(List.of("second"), run(bad).tags());

            JsonNode resumed = worker.expect("execute");
            assertEquals(parentId, resumed.path("runId").asText());
            assertEquals(RawWorker.JSON.readTree("""
          [{"ok":true,"id":"%s","output":{"i":0}},
           {"ok":false,"id":"%s",
            "error":{"name":"E","message":"nope"}}]""".formatted(ok, bad)), resumed.at("/steps/runs#1/output"));
            worker.send(completed(resumed.path("attemptId").asText(), "2"));
            awaitRun(parentId, state -> state.status() == RunStatus.COMPLETED);
        }
    }

    // ---------------------------------------------------------------- helpers

    /**
     * The next {@code count} messages by type. An answer to the worker and the executions the same journaled event
     * started (a freed slot's next run, a wait's children) are sent at once, so they arrive in any order.
     */
    private static Map<String, List<JsonNode>> nextByType(RawWorker worker, int count) throws InterruptedException {
        Map<String, List<JsonNode>> byType = new HashMap<>();
        for (int i = 0; i < count; i++) {
            JsonNode message = worker.next(Duration.ofSeconds(15));
            byType.computeIfAbsent(message.path("type").asText(), type -> new ArrayList<>())
                    .add(message);
        }
        return byType;
    }

    private static void assertAnswer(JsonNode answer, String attemptId, String key) {
        assertEquals(attemptId, answer.path("attemptId").asText(), answer.toString());
        assertEquals(key, answer.path("key").asText(), answer.toString());
    }

    private String trigger(String taskId, String payloadJson) throws Exception {
        return node.engine()
                .runs()
                .trigger(environment.id(), TriggerRequest.of(taskId, payloadJson))
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS)
                .run()
                .runId();
    }

    private RunState run(String runId) throws Exception {
        return node.run(environment.id(), runId);
    }

    private RunState awaitRun(String runId, Predicate<RunState> condition) throws Exception {
        return node.awaitRun(environment.id(), runId, condition);
    }

    private static String started(String attemptId) {
        return "{\"type\":\"started\",\"attemptId\":\"" + attemptId + "\"}";
    }

    private static String heartbeat(String attemptId) {
        return "{\"type\":\"heartbeat\",\"attemptId\":\"" + attemptId + "\"}";
    }

    private static String completed(String attemptId, String outputJson) {
        return "{\"type\":\"completed\",\"attemptId\":\"" + attemptId + "\",\"output\":" + outputJson + "}";
    }

    private static String failed(String attemptId) {
        return "{\"type\":\"failed\",\"attemptId\":\"" + attemptId + "\",\"error\":{\"message\":\"boom\"}}";
    }

    private static String step(String attemptId, String key, String outputJson) {
        return "{\"type\":\"step\",\"attemptId\":\"" + attemptId + "\",\"key\":\"" + key + "\",\"output\":" + outputJson
                + "}";
    }

    private static String suspend(String attemptId, String keyJson, String waitJson) {
        return "{\"type\":\"suspend\",\"attemptId\":\"" + attemptId + "\",\"key\":" + keyJson + ",\"wait\":" + waitJson
                + "}";
    }
}
