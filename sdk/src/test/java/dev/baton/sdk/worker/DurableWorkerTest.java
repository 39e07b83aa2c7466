package dev.baton.sdk.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.sdk.internal.json.Json;
import dev.baton.sdk.task.ChildItem;
import dev.baton.sdk.task.ChildResult;
import dev.baton.sdk.task.DurableCallException;
import dev.baton.sdk.task.Task;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Durable calls over the worker protocol, against {@link FakeGateway}: step records, suspensions, memoized results. */
class DurableWorkerTest {

    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final Duration QUIET = Duration.ofMillis(300);
    private static final String TOKEN = "wt_test";

    private final AtomicInteger sideEffects = new AtomicInteger();
    private final AtomicBoolean swallowed = new AtomicBoolean();

    /** A step, a long wait, another step. */
    private final Task<Void, Map<String, Integer>> durable = Task.<Void, Map<String, Integer>>define(
                    "durable", Void.class, (payload, ctx) -> {
                        int a = ctx.step("a", Integer.class, sideEffects::incrementAndGet);
                        ctx.waitFor(Duration.ofHours(1));
                        int b = ctx.step("b", Integer.class, sideEffects::incrementAndGet);
                        return Map.of("a", a, "b", b);
                    })
            .build();

    /** Tries to swallow the suspension. */
    private final Task<Void, String> swallower = Task.<Void, String>define("swallower", Void.class, (payload, ctx) -> {
                try {
                    ctx.waitFor(Duration.ofHours(1));
                    return "after the wait";
                } catch (Exception e) {
                    swallowed.set(true);
                    return "swallowed";
                }
            })
            .build();

    /** Reports a refused wait as its output. */
    private final Task<Void, String> refused = Task.<Void, String>define("refused", Void.class, (payload, ctx) -> {
                try {
                    ctx.waitUntil(Instant.now().plus(Duration.ofDays(1)));
                    return "waited";
                } catch (DurableCallException e) {
                    return e.kind() + " " + e.key() + ": " + e.getMessage();
                }
            })
            .build();

    /** Greets two names through child runs. */
    private final Task<Void, List<String>> fanOut = Task.<Void, List<String>>define(
                    "fan-out",
                    Void.class,
                    (payload, ctx) -> ctx
                            .batchTriggerAndWait(List.of(
                                    ChildItem.of("hello", Map.of("name", "a")),
                                    ChildItem.of("hello", Map.of("name", "b"))))
                            .stream()
                            .map(result -> result.ok()
                                    ? result.output().path("greeting").asText()
                                    : result.error().message())
                            .toList())
            .build();

    private final Task<Map, String> hello = Task.<Map, String>define(
                    "hello", Map.class, (payload, ctx) -> "Hello, " + payload.get("name") + "!")
            .build();

    private FakeGateway gateway;
    private BatonWorker worker;

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

    /** A one-slot worker, connected and welcomed, heartbeating every 50 ms. */
    private FakeGateway.Connection connect() throws Exception {
        worker = BatonWorker.builder(gateway.httpUrl(), TOKEN)
                .workerId("w-durable")
                .slots(1)
                .register(durable)
                .register(swallower)
                .register(refused)
                .register(fanOut)
                .register(hello)
                .durableCallTimeout(Duration.ofSeconds(2)) // a round trip through the test thread, on a busy machine
                .reconnectBackoff(Duration.ofMillis(20), Duration.ofMillis(100))
                .startedDelay(Duration.ZERO) // every test expects started first
                .build();
        worker.start();
        FakeGateway.Connection connection = gateway.nextConnection(WAIT);
        assertNotNull(connection, "worker did not connect");
        assertEquals("hello", connection.next(WAIT).get("type").asText());
        connection.send("{\"type\":\"welcome\",\"sessionId\":\"ws_1\",\"environmentId\":\"env_dev\","
                + "\"heartbeatIntervalMs\":50,\"leaseTimeoutMs\":30000}");
        assertTrue(worker.awaitConnected(WAIT));
        return connection;
    }

    private static String execute(String attemptId, String taskId, String payload, String stepsJson) {
        return "{\"type\":\"execute\",\"runId\":\"run_1\",\"attemptId\":\"" + attemptId + "\",\"attemptNumber\":1,"
                + "\"taskId\":\"" + taskId + "\",\"payload\":" + payload + ",\"payloadType\":\"application/json\","
                + "\"context\":{\"run\":{\"id\":\"run_1\",\"tags\":[]},\"attempt\":{\"id\":\"" + attemptId
                + "\",\"number\":1},\"task\":{\"id\":\"" + taskId + "\"},\"queue\":{\"name\":\"task/" + taskId
                + "\"},\"environment\":{\"id\":\"env_dev\",\"slug\":\"dev\"}}"
                + (stepsJson == null ? "" : ",\"steps\":" + stepsJson) + "}";
    }

    private static JsonNode expect(FakeGateway.Connection connection, String type, String attemptId) throws Exception {
        JsonNode message = connection.nextIgnoringHeartbeats(WAIT);
        assertNotNull(message, "expected " + type + " for " + attemptId + ", got nothing");
        assertEquals(type, message.path("type").asText(), message.toString());
        assertEquals(attemptId, message.path("attemptId").asText(), message.toString());
        return message;
    }

    /**
     * After a grace for heartbeats that crossed the answer (overdue ones come in a burst after a pause), nothing at all
     * is sent about the attempt.
     */
    private static void assertNothingMoreAbout(FakeGateway.Connection connection, String attemptId) throws Exception {
        long graceEnd = System.nanoTime() + Duration.ofSeconds(1).toNanos();
        JsonNode crossed;
        while ((crossed = connection.next(Duration.ofNanos(Math.max(0, graceEnd - System.nanoTime())))) != null) {
            assertEquals("heartbeat", crossed.path("type").asText(), crossed.toString());
        }
        long deadline = System.nanoTime() + QUIET.toNanos();
        JsonNode message;
        while ((message = connection.next(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())))) != null) {
            assertFalse(
                    message.path("attemptId").asText().equals(attemptId), "sent about " + attemptId + ": " + message);
        }
    }

    @Test
    void stepsAreRecordedAndALongWaitSuspendsThenTheNextExecutionSkipsWhatIsDone() throws Exception {
        FakeGateway.Connection connection = connect();
        connection.send(execute("att_1", "durable", "null", null));
        expect(connection, "started", "att_1");
        JsonNode step = expect(connection, "step", "att_1");
        assertEquals("a", step.get("key").asText());
        assertEquals(1, step.get("output").asInt());
        connection.send("{\"type\":\"stepRecorded\",\"attemptId\":\"att_1\",\"key\":\"a\"}");

        Instant before = Instant.now();
        JsonNode suspend = expect(connection, "suspend", "att_1");
        assertEquals("wait#1", suspend.get("key").asText());
        assertEquals("duration", suspend.at("/wait/type").asText());
        Instant until = Instant.parse(suspend.at("/wait/until").asText());
        assertFalse(until.isBefore(before.plus(Duration.ofHours(1)).minusSeconds(1)), until.toString());
        connection.send("{\"type\":\"suspended\",\"attemptId\":\"att_1\",\"key\":\"wait#1\"}");
        assertNothingMoreAbout(connection, "att_1"); // no result, no heartbeat

        // the only handler thread is free again
        connection.send(execute("att_h", "hello", "{\"name\":\"Bo\"}", null));
        expect(connection, "started", "att_h");
        assertEquals(
                "Hello, Bo!",
                expect(connection, "completed", "att_h").get("output").asText());

        connection.send(execute(
                "att_2",
                "durable",
                "null",
                "{\"a\":{\"output\":1},\"wait#1\":{\"output\":{\"waitedUntil\":\"" + until + "\"}}}"));
        expect(connection, "started", "att_2");
        JsonNode second = expect(connection, "step", "att_2");
        assertEquals("b", second.get("key").asText());
        assertEquals(2, second.get("output").asInt());
        connection.send("{\"type\":\"stepRecorded\",\"attemptId\":\"att_2\",\"key\":\"b\"}");
        assertEquals(
                Json.mapper().readTree("{\"a\":1,\"b\":2}"),
                expect(connection, "completed", "att_2").get("output"));
        assertEquals(2, sideEffects.get(), "step a ran once");
    }

    @Test
    void catchExceptionDoesNotSwallowASuspension() throws Exception {
        FakeGateway.Connection connection = connect();
        connection.send(execute("att_1", "swallower", "null", null));
        expect(connection, "started", "att_1");
        expect(connection, "suspend", "att_1");
        connection.send("{\"type\":\"suspended\",\"attemptId\":\"att_1\",\"key\":\"wait#1\"}");
        assertNothingMoreAbout(connection, "att_1");
        assertFalse(swallowed.get());
    }

    @Test
    void aRefusedWaitThrowsAndTheAttemptGoesOn() throws Exception {
        FakeGateway.Connection connection = connect();
        connection.send(execute("att_1", "refused", "null", null));
        expect(connection, "started", "att_1");
        expect(connection, "suspend", "att_1");
        connection.send("{\"type\":\"suspendRejected\",\"attemptId\":\"att_1\",\"key\":\"wait#1\","
                + "\"reason\":\"invalid wait: nope\"}");
        String output = expect(connection, "completed", "att_1").get("output").asText();
        assertTrue(output.startsWith("REJECTED wait#1: ") && output.endsWith("invalid wait: nope"), output);
    }

    @Test
    void anUnconfirmedStepFailsTheAttemptRetryably() throws Exception {
        FakeGateway.Connection connection = connect();
        connection.send(execute("att_1", "durable", "null", null));
        expect(connection, "started", "att_1");
        expect(connection, "step", "att_1"); // never answered
        JsonNode failed = expect(connection, "failed", "att_1");
        assertEquals("DurableCallException", failed.at("/error/name").asText());
        assertTrue(failed.get("retryable").asBoolean());
    }

    @Test
    void aRecordedResultThatDoesNotFitFailsTheRunWithoutRetry() throws Exception {
        FakeGateway.Connection connection = connect();
        connection.send(execute(
                "att_1",
                "durable",
                "null",
                "{\"a\":{\"error\":{\"name\":\"TRIGGER_WAITPOINT_TIMEOUT\",\"message\":\"timed out\"}}}"));
        expect(connection, "started", "att_1");
        JsonNode failed = expect(connection, "failed", "att_1");
        assertEquals("NonDeterminismException", failed.at("/error/name").asText());
        assertFalse(failed.get("retryable").asBoolean());
        assertEquals(0, sideEffects.get());
    }

    @Test
    void childRunsAreSentAsOneRunsWaitAndTheirOutcomesComeBackInOrder() throws Exception {
        FakeGateway.Connection connection = connect();
        connection.send(execute("att_1", "fan-out", "null", null));
        expect(connection, "started", "att_1");
        JsonNode suspend = expect(connection, "suspend", "att_1");
        assertEquals("runs#1", suspend.get("key").asText());
        assertEquals(Json.mapper().readTree("""
                {"type":"runs","batch":true,"items":[{"task":"hello","payload":{"name":"a"}},
                                                     {"task":"hello",
                                                      "payload":{"name":"b"}}]}"""), suspend.get("wait"));
        connection.send("{\"type\":\"suspended\",\"attemptId\":\"att_1\",\"key\":\"runs#1\"}");
        assertNothingMoreAbout(connection, "att_1");

        connection.send(execute("att_2", "fan-out", "null", """
                {"runs#1":{"output":[{"ok":true,"id":"run_a","output":{"greeting":"Hello, a!"}},
                                     {"ok":false,"id":"run_b","error":{"name":"Error","message":"b failed"}}]}}"""));
        expect(connection, "started", "att_2");
        assertEquals(
                Json.mapper().readTree("[\"Hello, a!\",\"b failed\"]"),
                expect(connection, "completed", "att_2").get("output"));
        assertNull(connection.next(QUIET));
    }

    @Test
    void childResultsDecodeTheirOutputs() {
        ChildResult result =
                new ChildResult("run_a", Json.mapper().createObjectNode().put("greeting", "hi"), null);
        assertEquals(Map.of("greeting", "hi"), result.outputAs(Map.class));
    }
}
