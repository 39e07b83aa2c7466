package dev.baton.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.typed.javadsl.Adapter;
import akka.http.javadsl.Http;
import akka.http.javadsl.ServerBinding;
import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.engine.Engine;
import dev.baton.engine.common.Ids;
import dev.baton.engine.environment.Environment;
import dev.baton.engine.run.RunState;
import dev.baton.engine.run.RunStatus;
import dev.baton.engine.run.TriggerRequest;
import dev.baton.engine.testkit.TestNode;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocketHandshakeException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The gateway end to end: a real node, a real port, raw JSON workers. */
class WorkerGatewayTest {

    private static final Duration WAIT = Duration.ofSeconds(15);
    /** Short backoff so retries show up quickly. */
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
        // a small metadata limit, so "too large" is reachable within one worker message
        node = TestNode.start(
                "worker-gateway-test",
                com.typesafe.config.ConfigFactory.parseString("baton.engine.run.max-metadata-size = 2k"));
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
        String project = "p" + Ids.random(10);
        token = "bw_dev_" + Ids.random(32);
        environment = node.createEnvironment(project, "dev", "tr_dev_" + Ids.random(32), token);
    }

    // ---------------------------------------------------------------- (a) authentication

    @Test
    void refusesMissingOrWrongTokenBeforeUpgrading() throws Exception {
        HttpResponse<String> missing = RawWorker.HTTP.send(
                HttpRequest.newBuilder(httpUri()).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(401, missing.statusCode());
        assertEquals(
                "Invalid or missing worker token",
                RawWorker.JSON.readTree(missing.body()).path("error").asText());

        ExecutionException wrong = assertThrows(
                ExecutionException.class,
                () -> RawWorker.HTTP
                        .newWebSocketBuilder()
                        .header("Authorization", "Bearer bw_dev_wrong")
                        .buildAsync(RawWorker.connectUri(port), new java.net.http.WebSocket.Listener() {})
                        .get(10, TimeUnit.SECONDS));
        WebSocketHandshakeException handshake = assertInstanceOf(WebSocketHandshakeException.class, wrong.getCause());
        assertEquals(401, handshake.getResponse().statusCode());
    }

    @Test
    void answersPlainRequestsWith400() throws Exception {
        HttpResponse<String> plain = RawWorker.HTTP.send(
                HttpRequest.newBuilder(httpUri())
                        .header("Authorization", "Bearer " + token)
                        .GET()
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(400, plain.statusCode());
        assertFalse(RawWorker.JSON.readTree(plain.body()).path("error").asText().isEmpty());
    }

    // ---------------------------------------------------------------- (b) hello, execute, complete

    @Test
    void runsATriggeredRunEndToEnd() throws Exception {
        try (RawWorker worker = RawWorker.connect(port, token)) {
            worker.send("""
          {"type":"hello","workerId":"w-1","sdk":"raw-test/1","slots":2,"tasks":[{"id":"hello-world"}]}""");
            JsonNode welcome = worker.expect("welcome");
            assertTrue(welcome.path("sessionId").asText().startsWith("ws_"));
            assertEquals(environment.id(), welcome.path("environmentId").asText());
            assertEquals(500, welcome.path("heartbeatIntervalMs").asLong());
            assertEquals(3000, welcome.path("leaseTimeoutMs").asLong());

            String runId = trigger(TriggerRequest.builder("hello-world")
                    .payload("{\"name\":\"Ada\"}", "application/json")
                    .tags(List.of("a"))
                    .metadata("{\"k\":1}")
                    .idempotencyKey("idem-1", null)
                    .build());

            JsonNode execute = worker.expect("execute");
            String attemptId = execute.path("attemptId").asText();
            assertEquals(runId, execute.path("runId").asText());
            assertTrue(attemptId.startsWith("att_"));
            assertEquals(1, execute.path("attemptNumber").asInt());
            assertEquals("hello-world", execute.path("taskId").asText());
            assertEquals(RawWorker.JSON.readTree("{\"name\":\"Ada\"}"), execute.path("payload"));
            assertEquals("application/json", execute.path("payloadType").asText());
            JsonNode context = execute.path("context");
            assertEquals(runId, context.path("run").path("id").asText());
            assertEquals("[\"a\"]", context.path("run").path("tags").toString());
            Instant.parse(context.path("run").path("createdAt").asText());
            assertFalse(context.path("run").path("isTest").asBoolean(true));
            assertEquals(3, context.path("run").path("maxAttempts").asInt());
            assertEquals(
                    RawWorker.JSON.readTree("{\"k\":1}"), context.path("run").path("metadata"));
            assertEquals("idem-1", context.path("run").path("idempotencyKey").asText());
            assertEquals(attemptId, context.path("attempt").path("id").asText());
            assertEquals(1, context.path("attempt").path("number").asInt());
            assertEquals("hello-world", context.path("task").path("id").asText());
            assertEquals("task/hello-world", context.path("queue").path("name").asText());
            assertEquals(
                    environment.id(), context.path("environment").path("id").asText());
            assertEquals("dev", context.path("environment").path("slug").asText());

            worker.send(started(attemptId));
            awaitRun(runId, state -> state.status() == RunStatus.EXECUTING);
            worker.send(completed(attemptId, "{\"greeting\":\"Hello, Ada!\"}"));
            RunState done = awaitRun(runId, state -> state.status() == RunStatus.COMPLETED);
            assertEquals(
                    RawWorker.JSON.readTree("{\"greeting\":\"Hello, Ada!\"}"),
                    RawWorker.JSON.readTree(done.outputJson()));
            assertEquals(1, done.attemptCount());
        }
    }

    @Test
    void leavesPayloadOutWhenTheRunHasNoneAndStoresANullOutput() throws Exception {
        try (RawWorker worker = RawWorker.connectAndHello(port, token, "w-1", 1, "[{\"id\":\"no-payload\"}]")) {
            String runId = trigger(TriggerRequest.builder("no-payload").build());
            JsonNode execute = worker.expect("execute");
            assertFalse(execute.has("payload"));
            assertFalse(execute.path("context").path("run").has("metadata"));
            assertFalse(execute.path("context").path("run").has("idempotencyKey"));
            worker.send("{\"type\":\"completed\",\"attemptId\":\""
                    + execute.path("attemptId").asText() + "\",\"output\":null}");
            assertEquals(
                    "null",
                    awaitRun(runId, state -> state.status() == RunStatus.COMPLETED)
                            .outputJson());
        }
    }

    // ---------------------------------------------------------------- (c) fencing

    @Test
    void rejectsAndCountsASecondCompletedWithoutApplyingIt() throws Exception {
        try (RawWorker worker = RawWorker.connectAndHello(port, token, "w-1", 1, "[{\"id\":\"fenced\"}]")) {
            String runId = trigger(request("fenced"));
            String attemptId = worker.expect("execute").path("attemptId").asText();
            worker.send(started(attemptId));
            worker.send(completed(attemptId, "{\"n\":1}"));
            RunState done = awaitRun(runId, state -> state.status() == RunStatus.COMPLETED);

            long before = gateway.staleMessagesRejected();
            worker.send(completed(attemptId, "{\"n\":2}"));
            JsonNode rejected = worker.expect("rejected");
            assertEquals(attemptId, rejected.path("attemptId").asText());
            assertEquals("stale attempt", rejected.path("reason").asText());
            assertEquals(before + 1, gateway.staleMessagesRejected());
            assertEquals(done, run(runId));
        }
    }

    @Test
    void rejectsAHeartbeatTheEngineFencedAndFreesItsSlot() throws Exception {
        try (RawWorker worker =
                RawWorker.connectAndHello(port, token, "w-1", 1, "[{\"id\":\"slow\"," + FAST_RETRY + "}]")) {
            String runId = trigger(request("slow"));
            String first = worker.expect("execute").path("attemptId").asText();
            // no started: the lease (3s) expires and the run waits for a free slot for attempt 2
            awaitRun(runId, state -> state.attemptCount() == 1 && state.status() == RunStatus.QUEUED);
            assertTrue(worker.poll(Duration.ofMillis(300)).isEmpty(), "the only slot is still held by attempt 1");

            long before = gateway.staleMessagesRejected();
            worker.send(heartbeat(first));
            assertEquals(first, worker.expect("rejected").path("attemptId").asText());
            assertEquals(before + 1, gateway.staleMessagesRejected());

            JsonNode second = worker.expect("execute");
            assertEquals(2, second.path("attemptNumber").asInt());
            worker.send(completed(second.path("attemptId").asText(), "2"));
            assertEquals(
                    2,
                    awaitRun(runId, state -> state.status() == RunStatus.COMPLETED)
                            .attemptCount());
        }
    }

    // ---------------------------------------------------------------- (d) slots

    @Test
    void neverSendsMoreExecutionsThanFreeSlots() throws Exception {
        try (RawWorker worker = RawWorker.connectAndHello(port, token, "w-1", 1, "[{\"id\":\"one-at-a-time\"}]")) {
            List<String> runIds = List.of(
                    trigger(request("one-at-a-time")),
                    trigger(request("one-at-a-time")),
                    trigger(request("one-at-a-time")));
            for (int i = 0; i < runIds.size(); i++) {
                JsonNode execute = worker.expect("execute");
                Optional<JsonNode> extra = worker.poll(Duration.ofMillis(300));
                assertTrue(extra.isEmpty(), () -> "a second unanswered execute arrived: " + extra.get());
                String attemptId = execute.path("attemptId").asText();
                worker.send(started(attemptId));
                worker.send(completed(attemptId, String.valueOf(i)));
            }
            for (String runId : runIds) awaitRun(runId, state -> state.status() == RunStatus.COMPLETED);
        }
    }

    // ---------------------------------------------------------------- (e) disconnect

    @Test
    void retriesTheRunOfADisconnectedWorkerOnAnotherWorker() throws Exception {
        String tasks = "[{\"id\":\"fragile\"," + FAST_RETRY + "}]";
        try (RawWorker first = RawWorker.connectAndHello(port, token, "w-1", 1, tasks)) {
            String runId = trigger(request("fragile"));
            String attempt1 = first.expect("execute").path("attemptId").asText();
            first.send(started(attempt1));
            awaitRun(runId, state -> state.status() == RunStatus.EXECUTING);

            try (RawWorker second = RawWorker.connectAndHello(port, token, "w-2", 1, tasks)) {
                first.abort();
                JsonNode execute = second.expect("execute");
                assertEquals(runId, execute.path("runId").asText());
                assertEquals(2, execute.path("attemptNumber").asInt());
                String attempt2 = execute.path("attemptId").asText();
                assertNotEquals(attempt1, attempt2);
                second.send(started(attempt2));
                second.send(completed(attempt2, "\"ok\""));
                RunState done = awaitRun(runId, state -> state.status() == RunStatus.COMPLETED);
                assertEquals(2, done.attemptCount());
                assertEquals("\"ok\"", done.outputJson());
            }
            awaitSessionStopped(first.sessionId());
        }
    }

    // ---------------------------------------------------------------- (f) failures

    @Test
    void retriesAFailedAttemptAndEndsTheRunOnANonRetryableFailure() throws Exception {
        try (RawWorker worker =
                RawWorker.connectAndHello(port, token, "w-1", 1, "[{\"id\":\"flaky\"," + FAST_RETRY + "}]")) {
            String runId = trigger(request("flaky"));
            String attempt1 = worker.expect("execute").path("attemptId").asText();
            worker.send(started(attempt1));
            worker.send("""
          {"type":"failed","attemptId":"%s","error":{"message":"boom","name":"Error"}}""".formatted(attempt1));

            JsonNode retry = worker.expect("execute");
            assertEquals(runId, retry.path("runId").asText());
            assertEquals(2, retry.path("attemptNumber").asInt());
            String attempt2 = retry.path("attemptId").asText();
            worker.send(started(attempt2));
            worker.send("""
          {"type":"failed","attemptId":"%s","error":{"message":"nope","name":"Fatal","stackTrace":"at x"},
           "retryable":false}""".formatted(attempt2));

            RunState failed = awaitRun(runId, state -> state.status() == RunStatus.FAILED);
            assertEquals(2, failed.attemptCount());
            assertEquals("nope", failed.error().message());
            assertEquals("Fatal", failed.error().name());
            assertEquals("at x", failed.error().stackTrace());
        }
    }

    // ---------------------------------------------------------------- (h) cancel and maxDuration

    @Test
    void cancelTellsTheWorkerFreesItsSlotAndRejectsLaterMessagesUncounted() throws Exception {
        try (RawWorker worker = RawWorker.connectAndHello(port, token, "w-1", 1, "[{\"id\":\"cancelable\"}]")) {
            String first = trigger(request("cancelable"));
            String attempt1 = worker.expect("execute").path("attemptId").asText();
            worker.send(started(attempt1));
            awaitRun(first, state -> state.status() == RunStatus.EXECUTING);
            String second = trigger(request("cancelable"));
            assertTrue(worker.poll(Duration.ofMillis(300)).isEmpty(), "the only slot is taken");

            assertEquals(
                    RunStatus.CANCELED,
                    engine().runs()
                            .cancel(environment.id(), first)
                            .toCompletableFuture()
                            .get(10, TimeUnit.SECONDS)
                            .orElseThrow()
                            .status());
            JsonNode cancel = worker.expect("cancel");
            assertEquals(attempt1, cancel.path("attemptId").asText());
            assertEquals(first, cancel.path("runId").asText());
            assertEquals("run canceled", cancel.path("reason").asText());

            JsonNode execute = worker.expect("execute");
            assertEquals(second, execute.path("runId").asText(), "the freed slot takes the queued run");

            long before = gateway.staleMessagesRejected();
            worker.send(completed(attempt1, "\"too late\""));
            JsonNode rejected = worker.expect("rejected");
            assertEquals(attempt1, rejected.path("attemptId").asText());
            assertEquals("attempt canceled", rejected.path("reason").asText());
            assertEquals(before, gateway.staleMessagesRejected(), "a message about a canceled attempt is not stale");
            assertEquals(RunStatus.CANCELED, run(first).status());

            String attempt2 = execute.path("attemptId").asText();
            worker.send(completed(attempt2, "2"));
            awaitRun(second, state -> state.status() == RunStatus.COMPLETED);
        }
    }

    @Test
    void cancelOfAQueuedRunNeverReachesTheWorker() throws Exception {
        try (RawWorker worker = RawWorker.connectAndHello(port, token, "w-1", 1, "[{\"id\":\"quick-cancel\"}]")) {
            String first = trigger(request("quick-cancel"));
            String attempt1 = worker.expect("execute").path("attemptId").asText();
            String second = trigger(request("quick-cancel"));
            assertEquals(
                    RunStatus.CANCELED,
                    engine().runs()
                            .cancel(environment.id(), second)
                            .toCompletableFuture()
                            .get(10, TimeUnit.SECONDS)
                            .orElseThrow()
                            .status());
            worker.send(completed(attempt1, "1"));
            awaitRun(first, state -> state.status() == RunStatus.COMPLETED);
            Optional<JsonNode> extra = worker.poll(Duration.ofMillis(500));
            assertTrue(extra.isEmpty(), () -> "nothing about the canceled queued run: " + extra.get());
        }
    }

    @Test
    void maxDurationIsInTheContextAndExceedingItCancelsTheAttempt() throws Exception {
        try (RawWorker worker =
                RawWorker.connectAndHello(port, token, "w-1", 1, "[{\"id\":\"slowpoke\",\"maxDurationSeconds\":1}]")) {
            String runId = trigger(request("slowpoke"));
            JsonNode execute = worker.expect("execute");
            assertEquals(
                    1, execute.path("context").path("run").path("maxDuration").asInt());
            String attemptId = execute.path("attemptId").asText();
            worker.send(started(attemptId));

            JsonNode cancel = worker.expect("cancel");
            assertEquals(attemptId, cancel.path("attemptId").asText());
            assertEquals("maxDuration exceeded", cancel.path("reason").asText());
            assertEquals(
                    RunStatus.TIMED_OUT,
                    awaitRun(runId, state -> state.status() == RunStatus.TIMED_OUT)
                            .status());
            worker.send(heartbeat(attemptId));
            assertEquals(
                    "attempt canceled", worker.expect("rejected").path("reason").asText());
        }
    }

    // ---------------------------------------------------------------- (i) metadata

    @Test
    void metadataFromTheWorkerUpdatesTheRun() throws Exception {
        try (RawWorker worker = RawWorker.connectAndHello(port, token, "w-1", 1, "[{\"id\":\"reporter\"}]")) {
            String runId = trigger(TriggerRequest.builder("reporter")
                    .payload("{}", "application/json")
                    .metadata("{\"k\":1}")
                    .build());
            String attemptId = worker.expect("execute").path("attemptId").asText();
            worker.send(started(attemptId));
            worker.send(metadata(attemptId, "m1", """
          [{"type":"set","key":"progress","value":0.5},{"type":"increment","key":"$.counts.done"},
           {"type":"append","key":"log","value":"step 1"}]"""));

            JsonNode updated = worker.expect("metadataUpdated");
            assertEquals(attemptId, updated.path("attemptId").asText());
            assertEquals("m1", updated.path("requestId").asText());
            JsonNode expected =
                    RawWorker.JSON.readTree("{\"k\":1,\"progress\":0.5,\"counts\":{\"done\":1},\"log\":[\"step 1\"]}");
            assertEquals(expected, updated.path("metadata"));
            assertEquals(expected, RawWorker.JSON.readTree(run(runId).metadataJson()));

            worker.send(metadata(attemptId, null, "[{\"type\":\"update\",\"value\":{\"fresh\":true}}]"));
            JsonNode replaced = worker.expect("metadataUpdated");
            assertFalse(replaced.has("requestId"));
            assertEquals(RawWorker.JSON.readTree("{\"fresh\":true}"), replaced.path("metadata"));

            worker.send(completed(attemptId, "1"));
            RunState done = awaitRun(runId, state -> state.status() == RunStatus.COMPLETED);
            assertEquals(RawWorker.JSON.readTree("{\"fresh\":true}"), RawWorker.JSON.readTree(done.metadataJson()));
        }
    }

    @Test
    void invalidOrTooLargeMetadataIsRejectedAndTheSocketStaysOpen() throws Exception {
        try (RawWorker worker = RawWorker.connectAndHello(port, token, "w-1", 1, "[{\"id\":\"bad-reporter\"}]")) {
            String runId = trigger(request("bad-reporter"));
            String attemptId = worker.expect("execute").path("attemptId").asText();
            worker.send(started(attemptId));

            worker.send(metadata(attemptId, "bad", "[{\"type\":\"explode\",\"key\":\"k\"}]"));
            JsonNode invalid = worker.expect("metadataRejected");
            assertEquals(attemptId, invalid.path("attemptId").asText());
            assertEquals("bad", invalid.path("requestId").asText());
            assertTrue(invalid.path("reason").asText().contains("explode"), invalid.toString());

            worker.send(metadata(
                    attemptId, "big", "[{\"type\":\"set\",\"key\":\"blob\",\"value\":\"" + "x".repeat(3000) + "\"}]"));
            JsonNode tooLarge = worker.expect("metadataRejected");
            assertEquals("big", tooLarge.path("requestId").asText());
            assertTrue(tooLarge.path("reason").asText().contains("metadata too large"), tooLarge.toString());
            assertEquals(null, run(runId).metadataJson(), "nothing was applied");

            worker.send(metadata(attemptId, "ok", "[{\"type\":\"set\",\"key\":\"a\",\"value\":1}]"));
            assertEquals(
                    "ok", worker.expect("metadataUpdated").path("requestId").asText());
            worker.send(completed(attemptId, "1"));
            awaitRun(runId, state -> state.status() == RunStatus.COMPLETED);
        }
    }

    @Test
    void metadataAboutAStaleAttemptIsRejected() throws Exception {
        try (RawWorker worker =
                RawWorker.connectAndHello(port, token, "w-1", 1, "[{\"id\":\"stale-reporter\"," + FAST_RETRY + "}]")) {
            String runId = trigger(request("stale-reporter"));
            String first = worker.expect("execute").path("attemptId").asText();
            // no started: the lease expires and the run waits for attempt 2, while this session still holds attempt 1
            awaitRun(runId, state -> state.attemptCount() == 1 && state.status() == RunStatus.QUEUED);

            long before = gateway.staleMessagesRejected();
            worker.send(metadata(first, "m1", "[{\"type\":\"set\",\"key\":\"a\",\"value\":1}]"));
            JsonNode rejected = worker.expect("rejected");
            assertEquals(first, rejected.path("attemptId").asText());
            assertEquals("stale attempt", rejected.path("reason").asText());
            assertEquals(before + 1, gateway.staleMessagesRejected(), "the engine fenced it");
            assertEquals(null, run(runId).metadataJson());

            JsonNode second = worker.expect("execute");
            String attempt2 = second.path("attemptId").asText();
            worker.send(completed(attempt2, "2"));
            awaitRun(runId, state -> state.status() == RunStatus.COMPLETED);
            worker.send(metadata(attempt2, null, "[{\"type\":\"set\",\"key\":\"a\",\"value\":1}]"));
            assertEquals(attempt2, worker.expect("rejected").path("attemptId").asText(), "after completed it is stale");
        }
    }

    // ---------------------------------------------------------------- (j) queue limits

    @Test
    void theDispatcherRespectsTheQueueLimitsOfTheHello() throws Exception {
        try (RawWorker worker = RawWorker.connectAndHello(
                port,
                token,
                "w-1",
                5,
                "[{\"id\":\"limited\",\"queue\":{\"name\":\"limited-q\",\"concurrencyLimit\":2}}]")) {
            for (int i = 0; i < 5; i++) trigger(request("limited"));
            assertEquals(5, drainRespectingLimit(worker, 2, 5));
        }
    }

    @Test
    void theGlobalConcurrencyLimitCapsAllKeysOfAQueue() throws Exception {
        try (RawWorker worker = RawWorker.connectAndHello(port, token, "w-1", 6, """
        [{"id":"per-user","queue":{"name":"per-user-q","concurrencyLimit":2,"globalConcurrencyLimit":3}}]""")) {
            for (String key : List.of("a", "a", "a", "b", "b", "b")) {
                trigger(TriggerRequest.builder("per-user")
                        .payload("{}", "application/json")
                        .concurrencyKey(key)
                        .build());
            }
            assertEquals(6, drainRespectingLimit(worker, 3, 6));
        }
    }

    /** Answers executes one at a time, checking that no more than {@code limit} are ever unanswered. */
    private static int drainRespectingLimit(RawWorker worker, int limit, int runs) throws Exception {
        java.util.ArrayDeque<String> unanswered = new java.util.ArrayDeque<>();
        int done = 0;
        while (done < runs) {
            Optional<JsonNode> next = worker.poll(
                    unanswered.size() < limit && done + unanswered.size() < runs ? WAIT : Duration.ofMillis(400));
            if (next.isPresent()) {
                assertEquals(
                        "execute", next.get().path("type").asText(), next.get().toString());
                unanswered.add(next.get().path("attemptId").asText());
                assertTrue(unanswered.size() <= limit, "more than " + limit + " unanswered executes: " + unanswered);
            } else {
                assertFalse(unanswered.isEmpty(), "no execute arrived although runs are waiting");
                String attemptId = unanswered.poll();
                worker.send(completed(attemptId, "0"));
                done++;
            }
        }
        return done;
    }

    // ---------------------------------------------------------------- (g) protocol errors

    @Test
    void answersAMalformedFirstMessageWithErrorAndCloses() throws Exception {
        try (RawWorker worker = RawWorker.connect(port, token)) {
            worker.send("{not json");
            assertTrue(worker.expect("error").path("message").asText().contains("malformed"));
            assertTrue(worker.awaitClosed(WAIT), "the gateway closes the socket after an error");
        }
    }

    @Test
    void requiresHelloFirstAndValidatesIt() throws Exception {
        try (RawWorker worker = RawWorker.connect(port, token)) {
            worker.send("{\"type\":\"started\",\"attemptId\":\"att_1\"}");
            assertTrue(worker.expect("error").path("message").asText().contains("hello"));
            assertTrue(worker.awaitClosed(WAIT));
        }
        try (RawWorker worker = RawWorker.connect(port, token)) {
            worker.send("{\"type\":\"hello\",\"workerId\":\"w\",\"sdk\":\"x\",\"slots\":0,\"tasks\":[{\"id\":\"t\"}]}");
            assertTrue(worker.expect("error").path("message").asText().contains("slots"));
            assertTrue(worker.awaitClosed(WAIT));
        }
        try (RawWorker worker = RawWorker.connect(port, token)) {
            worker.send("{\"type\":\"hello\",\"workerId\":\"w\",\"sdk\":\"x\",\"slots\":1,\"tasks\":[{\"id\":\"bad "
                    + "id!\"}]}");
            assertTrue(worker.expect("error").path("message").asText().contains("invalid task id"));
            assertTrue(worker.awaitClosed(WAIT));
        }
    }

    @Test
    void closesOnAnUnknownMessageTypeAfterHello() throws Exception {
        try (RawWorker worker = RawWorker.connectAndHello(port, token, "w-1", 1, "[{\"id\":\"t\"}]")) {
            worker.send("{\"type\":\"bogus\"}");
            assertTrue(worker.expect("error").path("message").asText().contains("bogus"));
            assertTrue(worker.awaitClosed(WAIT));
        }
    }

    @Test
    void closesOnAnOversizedMessage() throws Exception {
        try (RawWorker worker = RawWorker.connectAndHello(port, token, "w-1", 1, "[{\"id\":\"t\"}]")) {
            String huge = "x".repeat(200 * 1024);
            worker.send("{\"type\":\"heartbeat\",\"attemptId\":\"att_1\",\"pad\":\"" + huge + "\"}");
            assertTrue(worker.expect("error").path("message").asText().contains("larger than"));
            assertTrue(worker.awaitClosed(WAIT));
            awaitSessionStopped(worker.sessionId());
        }
    }

    @Test
    void stopsTheSessionWhenTheWorkerCloses() throws Exception {
        RawWorker worker = RawWorker.connectAndHello(port, token, "w-1", 1, "[{\"id\":\"t\"}]");
        Adapter.toClassic(node.system())
                .actorSelection("/system/worker-session-" + worker.sessionId())
                .resolveOne(Duration.ofSeconds(5))
                .toCompletableFuture()
                .get(); // running while connected
        worker.close();
        awaitSessionStopped(worker.sessionId());
    }

    @Test
    void keepsIdleSocketsAliveWithPings() {
        assertEquals(
                Duration.ofSeconds(10),
                node.system()
                        .settings()
                        .config()
                        .getDuration("akka.http.server.websocket.periodic-keep-alive-max-idle"));
    }

    // ---------------------------------------------------------------- helpers

    private java.net.URI httpUri() {
        return java.net.URI.create("http://127.0.0.1:" + port + "/api/v1/workers/connect");
    }

    private static TriggerRequest request(String taskId) {
        return TriggerRequest.of(taskId, "{}");
    }

    private String trigger(TriggerRequest request) throws Exception {
        return engine().runs()
                .trigger(environment.id(), request)
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

    private static void awaitSessionStopped(String sessionId) {
        var selection = Adapter.toClassic(node.system()).actorSelection("/system/worker-session-" + sessionId);
        Instant deadline = Instant.now().plus(WAIT);
        while (true) {
            try {
                selection
                        .resolveOne(Duration.ofMillis(500))
                        .toCompletableFuture()
                        .get();
            } catch (Exception notFound) {
                return;
            }
            if (Instant.now().isAfter(deadline)) throw new AssertionError("session " + sessionId + " is still running");
            TestNode.sleep(Duration.ofMillis(50));
        }
    }

    private static Engine engine() {
        return node.engine();
    }

    private static String started(String attemptId) {
        return "{\"type\":\"started\",\"attemptId\":\"" + attemptId + "\"}";
    }

    private static String heartbeat(String attemptId) {
        return "{\"type\":\"heartbeat\",\"attemptId\":\"" + attemptId + "\"}";
    }

    private static String metadata(String attemptId, String requestId, String operationsJson) {
        return "{\"type\":\"metadata\",\"attemptId\":\"" + attemptId + "\""
                + (requestId == null ? "" : ",\"requestId\":\"" + requestId + "\"") + ",\"operations\":"
                + operationsJson + "}";
    }

    private static String completed(String attemptId, String outputJson) {
        return "{\"type\":\"completed\",\"attemptId\":\"" + attemptId + "\",\"output\":" + outputJson + "}";
    }
}
