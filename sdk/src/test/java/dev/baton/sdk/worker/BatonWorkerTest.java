package dev.baton.sdk.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.sdk.task.MetadataUpdateException;
import dev.baton.sdk.task.RetryPolicy;
import dev.baton.sdk.task.Task;
import dev.baton.sdk.task.TaskCancelledException;
import dev.baton.sdk.task.TaskContext;
import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The worker's side of docs/worker-protocol.md, against {@link FakeGateway}. */
class BatonWorkerTest {

    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final Duration QUIET = Duration.ofMillis(300);
    private static final String TOKEN = "wt_test";

    record Named(String name) {}

    record Nap(long ms) {}

    private final AtomicReference<TaskContext> lastContext = new AtomicReference<>();
    private final CountDownLatch napInterrupted = new CountDownLatch(1);

    private final Task<Named, Map<String, String>> hello = Task.define("hello", Named.class, (payload, ctx) -> {
                lastContext.set(ctx);
                return Map.of("greeting", "Hello, " + payload.name() + "!");
            })
            .build();

    private final Task<Nap, Long> nap = Task.define("nap", Nap.class, (payload, ctx) -> {
                try {
                    Thread.sleep(payload.ms());
                } catch (InterruptedException e) {
                    napInterrupted.countDown();
                    throw e;
                }
                return payload.ms();
            })
            .queue("sleepy", 2, 4)
            .maxDuration(Duration.ofSeconds(30))
            .build();

    private final Task<Void, Void> boom = Task.<Void, Void>define("boom", Void.class, (payload, ctx) -> {
                throw new IllegalStateException("boom");
            })
            .retry(RetryPolicy.attempts(2))
            .build();

    /** Blocks until interrupted, then reports what its context said and tries to send metadata. */
    private final CompletableFuture<String> waiterSaw = new CompletableFuture<>();

    private final Task<Void, String> waiter = Task.<Void, String>define("waiter", Void.class, (payload, ctx) -> {
                try {
                    Thread.sleep(30_000);
                    return "slept";
                } catch (InterruptedException e) {
                    StringBuilder saw = new StringBuilder("interrupted, cancelled=" + ctx.isCancelled() + ", reason="
                            + ctx.cancelReason().orElse(null));
                    try {
                        ctx.metadataSet("after", 1);
                        saw.append(", metadata sent");
                    } catch (TaskCancelledException cancelled) {
                        saw.append(", metadata refused: ").append(cancelled.reason());
                    }
                    try {
                        ctx.throwIfCancelled();
                    } catch (TaskCancelledException cancelled) {
                        saw.append(", throwIfCancelled threw");
                    }
                    waiterSaw.complete(saw.toString());
                    return "finished anyway"; // must be dropped
                }
            })
            .build();

    /** Updates metadata three times: answered, rejected, unanswered (times out). */
    private final Task<Void, Map<String, Object>> reporter = Task.<Void, Map<String, Object>>define(
                    "reporter", Void.class, (payload, ctx) -> {
                        Map<String, Object> out = new LinkedHashMap<>();
                        out.put("initial", ctx.metadata());
                        out.put("afterSet", ctx.metadataSet("progress", 0.5));
                        try {
                            ctx.metadataIncrement("n", 1);
                            out.put("increment", "applied");
                        } catch (MetadataUpdateException e) {
                            out.put("increment", e.kind() + ": " + e.getMessage());
                        }
                        out.put("current", ctx.metadata());
                        try {
                            ctx.metadataAppend("log", "x");
                            out.put("append", "applied");
                        } catch (MetadataUpdateException e) {
                            out.put("append", e.kind().toString());
                        }
                        return out;
                    })
            .build();

    /** Waits for a metadata answer that never comes: a cancel arrives instead. */
    private final CompletableFuture<String> blockedSaw = new CompletableFuture<>();

    private final Task<Void, Void> blocked = Task.<Void, Void>define("blocked", Void.class, (payload, ctx) -> {
                try {
                    ctx.metadataSet("a", 1);
                    blockedSaw.complete("applied");
                } catch (TaskCancelledException e) {
                    blockedSaw.complete("cancelled: " + e.reason());
                } catch (RuntimeException e) {
                    blockedSaw.complete(e.toString());
                }
                return null;
            })
            .build();

    private FakeGateway gateway;
    private BatonWorker worker;
    /** Most tests follow every message of the protocol, so started is sent at once unless a test says otherwise. */
    private Duration startedDelay = Duration.ZERO;

    @BeforeEach
    void startGateway() throws Exception {
        gateway = new FakeGateway(TOKEN);
    }

    @AfterEach
    void stopEverything() throws Exception {
        if (worker != null) {
            worker.kill();
        }
        gateway.close();
    }

    private BatonWorker startWorker(String token) {
        worker = BatonWorker.builder(gateway.httpUrl(), token)
                .workerId("w-test")
                .slots(2)
                .register(hello)
                .register(nap)
                .register(boom)
                .register(waiter)
                .register(reporter)
                .register(blocked)
                .metadataTimeout(Duration.ofSeconds(2)) // a round trip through the test thread, on a busy machine
                .reconnectBackoff(Duration.ofMillis(20), Duration.ofMillis(100))
                .shutdownGracePeriod(Duration.ofSeconds(3))
                .startedDelay(startedDelay)
                .build();
        worker.start();
        return worker;
    }

    /** Starts a worker, reads its hello and welcomes it. */
    private FakeGateway.Connection connectAndWelcome(long heartbeatIntervalMs) throws Exception {
        startWorker(TOKEN);
        FakeGateway.Connection connection = gateway.nextConnection(WAIT);
        assertNotNull(connection, "worker did not connect");
        assertEquals("hello", connection.next(WAIT).get("type").asText());
        welcome(connection, heartbeatIntervalMs);
        return connection;
    }

    private void welcome(FakeGateway.Connection connection, long heartbeatIntervalMs) throws Exception {
        connection.send("{\"type\":\"welcome\",\"sessionId\":\"ws_1\",\"environmentId\":\"env_dev\","
                + "\"heartbeatIntervalMs\":" + heartbeatIntervalMs + ",\"leaseTimeoutMs\":30000}");
        assertTrue(worker.awaitConnected(WAIT), "worker did not see the welcome");
    }

    private static String execute(String attemptId, String taskId, String payload) {
        return "{\"type\":\"execute\",\"runId\":\"run_1\",\"attemptId\":\"" + attemptId + "\",\"attemptNumber\":1,"
                + "\"taskId\":\"" + taskId + "\",\"payload\":" + payload + ",\"payloadType\":\"application/json\","
                + "\"context\":{\"run\":{\"id\":\"run_1\",\"tags\":[\"t1\"],\"metadata\":{\"k\":\"v\"},\"isTest\":true,"
                + "\"maxDuration\":90},"
                + "\"attempt\":{\"id\":\"" + attemptId + "\",\"number\":1},\"task\":{\"id\":\"" + taskId + "\"},"
                + "\"queue\":{\"name\":\"task/" + taskId
                + "\"},\"environment\":{\"id\":\"env_dev\",\"slug\":\"dev\"}}}";
    }

    private static void assertMessage(JsonNode message, String type, String attemptId) {
        assertNotNull(message, "expected " + type + " for " + attemptId + ", got nothing");
        assertEquals(type, message.path("type").asText(), message.toString());
        assertEquals(attemptId, message.path("attemptId").asText(), message.toString());
    }

    @Test
    void saysHelloWithItsTasksThenRunsAnExecution() throws Exception {
        startWorker(TOKEN);
        FakeGateway.Connection connection = gateway.nextConnection(WAIT);
        assertEquals("Bearer " + TOKEN, connection.authorization());
        JsonNode helloMessage = connection.next(WAIT);
        assertEquals("w-test", helloMessage.get("workerId").asText());
        assertEquals("baton-java/0.1.0", helloMessage.get("sdk").asText());
        assertEquals(2, helloMessage.get("slots").asInt());
        assertEquals(
                List.of("hello", "nap", "boom", "waiter", "reporter", "blocked"),
                helloMessage.get("tasks").findValuesAsText("id").stream()
                        .distinct()
                        .toList());
        assertEquals("sleepy", helloMessage.at("/tasks/1/queue/name").asText());
        assertEquals(2, helloMessage.at("/tasks/1/queue/concurrencyLimit").asInt());
        assertEquals(4, helloMessage.at("/tasks/1/queue/globalConcurrencyLimit").asInt());
        assertEquals(30, helloMessage.at("/tasks/1/maxDurationSeconds").asInt());
        assertEquals(2, helloMessage.at("/tasks/2/retry/maxAttempts").asInt());
        assertFalse(worker.isConnected(), "not connected before the welcome");

        welcome(connection, 10_000);
        connection.sendInTwoFrames(execute("att_1", "hello", "{\"name\":\"Ada\",\"unknown\":1}"));

        assertMessage(connection.next(WAIT), "started", "att_1");
        JsonNode completed = connection.next(WAIT);
        assertMessage(completed, "completed", "att_1");
        assertEquals("Hello, Ada!", completed.at("/output/greeting").asText());
        TaskContext ctx = lastContext.get();
        assertEquals("run_1", ctx.runId());
        assertEquals("att_1", ctx.attemptId());
        assertEquals(1, ctx.attemptNumber());
        assertEquals("hello", ctx.taskId());
        assertEquals(List.of("t1"), ctx.tags());
        assertEquals("env_dev", ctx.environmentId());
        assertEquals("task/hello", ctx.queueName());
        assertEquals("v", ctx.metadata().get("k").asText());
        assertTrue(ctx.isTest());
        assertEquals(Optional.of(Duration.ofSeconds(90)), ctx.maxDuration());
        assertFalse(ctx.isCancelled());
    }

    @Test
    void aHandlerFasterThanTheStartedDelaySendsOnlyItsResultASlowerOneReportsStartedFirst() throws Exception {
        startedDelay = Duration.ofSeconds(1); // far longer than a no-op handler, even on a busy machine
        FakeGateway.Connection connection = connectAndWelcome(50);

        connection.send(execute("att_1", "hello", "{\"name\":\"Ada\"}"));
        assertMessage(connection.next(WAIT), "completed", "att_1");

        connection.send(execute("att_2", "nap", "{\"ms\":1500}"));
        JsonNode first = connection.next(WAIT);
        assertMessage(first, "started", "att_2");
        JsonNode message;
        while ((message = connection.next(WAIT)) != null
                && message.get("type").asText().equals("heartbeat")) {
            assertEquals("att_2", message.get("attemptId").asText());
        }
        assertMessage(message, "completed", "att_2");
        assertThrows(
                IllegalArgumentException.class,
                () -> BatonWorker.builder(gateway.httpUrl(), TOKEN).startedDelay(Duration.ofMillis(-1)));
    }

    @Test
    void heartbeatsRunningAttempts() throws Exception {
        FakeGateway.Connection connection = connectAndWelcome(50);
        connection.send(execute("att_1", "nap", "{\"ms\":400}"));

        assertMessage(connection.next(WAIT), "started", "att_1");
        int heartbeats = 0;
        JsonNode message;
        while ((message = connection.next(WAIT)) != null
                && message.get("type").asText().equals("heartbeat")) {
            assertEquals("att_1", message.get("attemptId").asText());
            heartbeats++;
        }
        assertMessage(message, "completed", "att_1");
        assertEquals(400, message.get("output").asLong());
        assertTrue(heartbeats >= 3, "heartbeats sent: " + heartbeats);
    }

    @Test
    void handlerExceptionIsARetryableFailure() throws Exception {
        FakeGateway.Connection connection = connectAndWelcome(10_000);
        connection.send(execute("att_1", "boom", "null"));

        assertMessage(connection.next(WAIT), "started", "att_1");
        JsonNode failed = connection.next(WAIT);
        assertMessage(failed, "failed", "att_1");
        assertTrue(failed.get("retryable").asBoolean());
        assertEquals("boom", failed.at("/error/message").asText());
        assertEquals("IllegalStateException", failed.at("/error/name").asText());
        assertTrue(failed.at("/error/stackTrace").asText().contains("java.lang.IllegalStateException: boom"));
    }

    @Test
    void undecodablePayloadFailsTheRunWithoutStartingIt() throws Exception {
        FakeGateway.Connection connection = connectAndWelcome(10_000);
        connection.send(execute("att_1", "nap", "{\"ms\":\"a while\"}"));

        JsonNode failed = connection.next(WAIT);
        assertMessage(failed, "failed", "att_1");
        assertFalse(failed.get("retryable").asBoolean());
        assertEquals("PayloadDecodingException", failed.at("/error/name").asText());
    }

    @Test
    void rejectedAttemptIsInterruptedAndItsResultDropped() throws Exception {
        FakeGateway.Connection connection = connectAndWelcome(10_000);
        connection.send(execute("att_1", "nap", "{\"ms\":10000}"));
        assertMessage(connection.next(WAIT), "started", "att_1");

        connection.send("{\"type\":\"rejected\",\"attemptId\":\"att_1\",\"reason\":\"lease expired\"}");

        assertTrue(napInterrupted.await(WAIT.toMillis(), TimeUnit.MILLISECONDS), "handler was not interrupted");
        assertNull(connection.next(QUIET), "nothing may be sent about a rejected attempt");
        connection.send(execute("att_2", "hello", "{\"name\":\"Bo\"}"));
        assertMessage(connection.next(WAIT), "started", "att_2");
    }

    @Test
    void cancelInterruptsTheHandlerMarksTheContextAndNothingMoreIsSent() throws Exception {
        FakeGateway.Connection connection = connectAndWelcome(10_000);
        connection.send(execute("att_1", "waiter", "null"));
        assertMessage(connection.next(WAIT), "started", "att_1");

        connection.send(
                "{\"type\":\"cancel\",\"runId\":\"run_1\",\"attemptId\":\"att_1\",\"reason\":\"run canceled\"}");

        assertEquals(
                "interrupted, cancelled=true, reason=run canceled, metadata refused: run canceled, "
                        + "throwIfCancelled threw",
                waiterSaw.get(WAIT.toMillis(), TimeUnit.MILLISECONDS));
        assertNull(connection.next(QUIET), "nothing may be sent about a canceled attempt");
        connection.send(execute("att_2", "hello", "{\"name\":\"Bo\"}"));
        assertMessage(connection.next(WAIT), "started", "att_2");
        assertMessage(connection.next(WAIT), "completed", "att_2");
    }

    @Test
    void metadataUpdatesRoundTripAndFailTyped() throws Exception {
        FakeGateway.Connection connection = connectAndWelcome(10_000);
        connection.send(execute("att_1", "reporter", "null"));
        assertMessage(connection.next(WAIT), "started", "att_1");

        JsonNode set = connection.next(WAIT);
        assertMessage(set, "metadata", "att_1");
        assertEquals(json("[{\"type\":\"set\",\"key\":\"progress\",\"value\":0.5}]"), set.get("operations"));
        String setId = set.get("requestId").asText();
        connection.send("{\"type\":\"metadataUpdated\",\"attemptId\":\"att_1\",\"requestId\":\"" + setId
                + "\",\"metadata\":{\"k\":\"v\",\"progress\":0.5}}");

        JsonNode increment = connection.next(WAIT);
        assertMessage(increment, "metadata", "att_1");
        assertEquals(json("[{\"type\":\"increment\",\"key\":\"n\",\"value\":1}]"), increment.get("operations"));
        String incrementId = increment.get("requestId").asText();
        assertFalse(incrementId.equals(setId), "each update has its own request id");
        connection.send("{\"type\":\"metadataRejected\",\"attemptId\":\"att_1\",\"requestId\":\"" + incrementId
                + "\",\"reason\":\"metadata too large\"}");

        assertMessage(connection.next(WAIT), "metadata", "att_1"); // the append: left unanswered
        JsonNode completed = connection.next(WAIT);
        assertMessage(completed, "completed", "att_1");
        assertEquals(json("""
                {"initial":{"k":"v"},"afterSet":{"k":"v","progress":0.5},
                 "increment":"REJECTED: metadata too large","current":{"k":"v","progress":0.5},
                 "append":"TIMED_OUT"}"""), completed.get("output"));
    }

    @Test
    void cancelWhileWaitingForAMetadataAnswerEndsTheWait() throws Exception {
        FakeGateway.Connection connection = connectAndWelcome(10_000);
        connection.send(execute("att_1", "blocked", "null"));
        assertMessage(connection.next(WAIT), "started", "att_1");
        assertMessage(connection.next(WAIT), "metadata", "att_1");

        connection.send("{\"type\":\"cancel\",\"runId\":\"run_1\",\"attemptId\":\"att_1\",\"reason\":\"maxDuration "
                + "exceeded\"}");

        assertEquals("cancelled: maxDuration exceeded", blockedSaw.get(WAIT.toMillis(), TimeUnit.MILLISECONDS));
        assertNull(connection.next(QUIET), "the handler's return is dropped");
    }

    private static JsonNode json(String text) throws Exception {
        return dev.baton.sdk.internal.json.Json.mapper().readTree(text);
    }

    @Test
    void reconnectsAfterTheConnectionDropsAndInterruptsLostAttempts() throws Exception {
        FakeGateway.Connection first = connectAndWelcome(10_000);
        first.send(execute("att_1", "nap", "{\"ms\":10000}"));
        assertMessage(first.next(WAIT), "started", "att_1");

        first.drop();

        assertTrue(napInterrupted.await(WAIT.toMillis(), TimeUnit.MILLISECONDS), "lost attempt kept running");
        FakeGateway.Connection second = gateway.nextConnection(WAIT);
        assertNotNull(second, "worker did not reconnect");
        assertEquals("hello", second.next(WAIT).get("type").asText());
        welcome(second, 10_000);
        assertTrue(worker.isConnected());
        assertNull(second.next(QUIET), "the lost attempt's result must not reach the new session");
    }

    @Test
    void gatewayErrorMakesTheWorkerReconnect() throws Exception {
        FakeGateway.Connection first = connectAndWelcome(10_000);

        first.send("{\"type\":\"error\",\"message\":\"unknown message type\"}");

        assertTrue(first.awaitDisconnect(WAIT));
        FakeGateway.Connection second = gateway.nextConnection(WAIT);
        assertNotNull(second, "worker did not reconnect");
        assertEquals("hello", second.next(WAIT).get("type").asText());
    }

    @Test
    void wrongTokenKeepsRetryingWithoutConnecting() throws Exception {
        startWorker("wt_wrong");

        long deadline = System.nanoTime() + WAIT.toNanos();
        while (gateway.refusedHandshakes() < 3 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertTrue(gateway.refusedHandshakes() >= 3, "refused: " + gateway.refusedHandshakes());
        assertFalse(worker.awaitConnected(Duration.ofMillis(50)));
    }

    @Test
    void closeLetsRunningAttemptsFinishAndSendsTheirResultsFirst() throws Exception {
        FakeGateway.Connection connection = connectAndWelcome(10_000);
        connection.send(execute("att_1", "nap", "{\"ms\":300}"));
        assertMessage(connection.next(WAIT), "started", "att_1");

        CompletableFuture<Void> closing = CompletableFuture.runAsync(worker::close);

        assertMessage(connection.nextIgnoringHeartbeats(WAIT), "completed", "att_1");
        closing.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertTrue(connection.awaitDisconnect(WAIT));
        assertTrue(connection.closeFrameReceived(), "a graceful close sends a close frame");
        assertFalse(worker.isConnected());
        assertThrows(IllegalStateException.class, worker::start);
    }

    @Test
    void killAbortsWithoutSendingAnythingMore() throws Exception {
        FakeGateway.Connection connection = connectAndWelcome(10_000);
        connection.send(execute("att_1", "nap", "{\"ms\":10000}"));
        assertMessage(connection.next(WAIT), "started", "att_1");

        worker.kill();

        assertTrue(connection.awaitDisconnect(WAIT));
        assertFalse(connection.closeFrameReceived(), "a killed worker sends no close frame");
        assertTrue(napInterrupted.await(WAIT.toMillis(), TimeUnit.MILLISECONDS));
        assertNull(connection.next(QUIET));
        assertNull(gateway.nextConnection(QUIET), "a killed worker does not reconnect");
    }

    @Test
    void connectUriFollowsTheServerUrl() {
        assertEquals(
                URI.create("ws://127.0.0.1:8080/api/v1/workers/connect"),
                BatonWorker.connectUri(URI.create("http://127.0.0.1:8080")));
        assertEquals(
                URI.create("wss://baton.example.com/base/api/v1/workers/connect"),
                BatonWorker.connectUri(URI.create("https://baton.example.com/base/")));
        assertThrows(IllegalArgumentException.class, () -> BatonWorker.connectUri(URI.create("ftp://x")));
    }

    @Test
    void builderValidatesItsArguments() {
        URI url = URI.create("http://127.0.0.1:8080");
        assertThrows(IllegalArgumentException.class, () -> BatonWorker.builder(url, ""));
        assertThrows(
                IllegalArgumentException.class,
                () -> BatonWorker.builder(url, "t").slots(0));
        assertThrows(
                IllegalArgumentException.class,
                () -> BatonWorker.builder(url, "t").register(hello).register(hello));
        assertThrows(
                IllegalArgumentException.class,
                () -> BatonWorker.builder(url, "t").reconnectBackoff(Duration.ofSeconds(2), Duration.ofSeconds(1)));
        assertTrue(BatonWorker.builder(url, "t").build().workerId().matches("worker-[0-9a-f]{8}"));
    }
}
