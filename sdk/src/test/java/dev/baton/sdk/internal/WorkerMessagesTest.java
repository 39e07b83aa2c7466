package dev.baton.sdk.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.sdk.internal.WorkerMessages.Cancel;
import dev.baton.sdk.internal.WorkerMessages.Completed;
import dev.baton.sdk.internal.WorkerMessages.ErrorBody;
import dev.baton.sdk.internal.WorkerMessages.Execute;
import dev.baton.sdk.internal.WorkerMessages.Failed;
import dev.baton.sdk.internal.WorkerMessages.GatewayError;
import dev.baton.sdk.internal.WorkerMessages.Heartbeat;
import dev.baton.sdk.internal.WorkerMessages.Hello;
import dev.baton.sdk.internal.WorkerMessages.Metadata;
import dev.baton.sdk.internal.WorkerMessages.MetadataRejected;
import dev.baton.sdk.internal.WorkerMessages.MetadataUpdated;
import dev.baton.sdk.internal.WorkerMessages.Rejected;
import dev.baton.sdk.internal.WorkerMessages.Started;
import dev.baton.sdk.internal.WorkerMessages.TaskDeclaration;
import dev.baton.sdk.internal.WorkerMessages.Unknown;
import dev.baton.sdk.internal.WorkerMessages.Welcome;
import dev.baton.sdk.internal.json.Json;
import dev.baton.sdk.task.Memoized;
import dev.baton.sdk.task.MetadataOperation;
import dev.baton.sdk.task.RetryPolicy;
import dev.baton.sdk.task.Task;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WorkerMessagesTest {

    private static JsonNode json(String text) throws Exception {
        return Json.mapper().readTree(text);
    }

    @Test
    void helloDeclaresTasksAsTheProtocolShowsThem() throws Exception {
        Task<Void, Void> sleep = Task.<Void, Void>define("sleep", Void.class, (p, ctx) -> null)
                .queue("sleepy", 2)
                .maxDuration(Duration.ofMillis(299_500))
                .build();
        Task<Void, Void> plain = Task.<Void, Void>define("plain", Void.class, (p, ctx) -> null)
                .retry(new RetryPolicy(2, 1.5, 100, 500, false))
                .build();
        String encoded = WorkerMessages.encode(new Hello(
                "w-1",
                "baton-java/0.1.0",
                2,
                List.of(TaskDeclaration.of(sleep), TaskDeclaration.of(plain)),
                "20260101.3"));

        assertEquals(json("""
                {"type":"hello","workerId":"w-1","sdk":"baton-java/0.1.0","slots":2,"tasks":[
                  {"id":"sleep","queue":{"name":"sleepy","concurrencyLimit":2},
                   "retry":{"maxAttempts":3,"factor":2.0,"minTimeoutInMs":1000,"maxTimeoutInMs":10000,"randomize":true},
                   "maxDurationSeconds":300},
                  {"id":"plain",
                   "retry":{"maxAttempts":2,"factor":1.5,"minTimeoutInMs":100,"maxTimeoutInMs":500,"randomize":false}}],
                 "version":"20260101.3"}
                """), json(encoded));
    }

    @Test
    void queueDeclaresItsGlobalConcurrencyLimit() throws Exception {
        Task<Void, Void> task = Task.<Void, Void>define("t", Void.class, (p, ctx) -> null)
                .queue("q", 1, 10)
                .build();
        JsonNode declaration = Json.mapper().valueToTree(TaskDeclaration.of(task));
        assertEquals(
                json("{\"name\":\"q\",\"concurrencyLimit\":1,\"globalConcurrencyLimit\":10}"),
                declaration.get("queue"));
    }

    @Test
    void queueDeclaresItsRateLimitAlsoOnTheTasksOwnQueue() throws Exception {
        Task<Void, Void> named = Task.<Void, Void>define("t", Void.class, (p, ctx) -> null)
                .queue("q", 2)
                .rateLimit(10, Duration.ofMinutes(1))
                .build();
        assertEquals(
                json("{\"name\":\"q\",\"concurrencyLimit\":2,\"rateLimit\":{\"limit\":10,\"period\":\"60s\"}}"),
                Json.mapper().valueToTree(TaskDeclaration.of(named)).get("queue"));
        Task<Void, Void> own = Task.<Void, Void>define("t", Void.class, (p, ctx) -> null)
                .rateLimit(3, Duration.ofMillis(1500))
                .build();
        assertEquals(
                json("{\"rateLimit\":{\"limit\":3,\"period\":\"1500ms\"}}"),
                Json.mapper().valueToTree(TaskDeclaration.of(own)).get("queue"));
    }

    @Test
    void metadataCarriesLowercaseOperations() throws Exception {
        String encoded = WorkerMessages.encode(Metadata.of(
                "att_1",
                "m1",
                List.of(
                        MetadataOperation.set("$.progress.pct", 0.5),
                        MetadataOperation.increment("n", 2),
                        MetadataOperation.append("log", Map.of("step", 1)),
                        MetadataOperation.remove("log", "x"),
                        MetadataOperation.delete("old"),
                        MetadataOperation.replace(Map.of("a", 1)))));
        assertEquals(json("""
                {"type":"metadata","attemptId":"att_1","requestId":"m1","operations":[
                  {"type":"set","key":"$.progress.pct","value":0.5},
                  {"type":"increment","key":"n","value":2},
                  {"type":"append","key":"log","value":{"step":1}},
                  {"type":"remove","key":"log","value":"x"},
                  {"type":"delete","key":"old"},
                  {"type":"update","value":{"a":1}}]}"""), json(encoded));
    }

    @Test
    void queueWithoutLimitOmitsTheLimit() throws Exception {
        Task<Void, Void> task = Task.<Void, Void>define("t", Void.class, (p, ctx) -> null)
                .queue("q")
                .build();
        JsonNode declaration = Json.mapper().valueToTree(TaskDeclaration.of(task));
        assertEquals(json("{\"name\":\"q\"}"), declaration.get("queue"));
    }

    @Test
    void attemptMessagesCarryTheirType() throws Exception {
        assertEquals(
                json("{\"type\":\"started\",\"attemptId\":\"att_1\"}"),
                json(WorkerMessages.encode(new Started("att_1", null))));
        assertEquals(
                json("{\"type\":\"started\",\"attemptId\":\"att_1\",\"runningForMs\":42}"),
                json(WorkerMessages.encode(new Started("att_1", 42L))));
        assertEquals(
                json("{\"type\":\"heartbeat\",\"attemptId\":\"att_1\"}"),
                json(WorkerMessages.encode(new Heartbeat("att_1"))));
        assertEquals(
                json("{\"type\":\"completed\",\"attemptId\":\"att_1\",\"output\":{\"n\":1}}"),
                json(WorkerMessages.encode(new Completed("att_1", json("{\"n\":1}"), null))));
    }

    @Test
    void completedWithoutOutputSendsExplicitNull() throws Exception {
        JsonNode completed = json(WorkerMessages.encode(new Completed("att_1", null, 7L)));
        assertTrue(completed.has("output"));
        assertTrue(completed.get("output").isNull());
        assertEquals(7, completed.get("runningForMs").asInt());
    }

    @Test
    void failedDescribesTheException() throws Exception {
        ErrorBody error = ErrorBody.of(new IllegalStateException("boom"));
        JsonNode failed = json(WorkerMessages.encode(new Failed("att_1", error, false, null)));
        assertEquals("failed", failed.get("type").asText());
        assertEquals("boom", failed.at("/error/message").asText());
        assertEquals("IllegalStateException", failed.at("/error/name").asText());
        assertTrue(failed.at("/error/stackTrace").asText().contains("WorkerMessagesTest"));
        assertFalse(failed.get("retryable").asBoolean());
    }

    @Test
    void failureWithoutMessageFallsBackToTheClassName() {
        assertEquals(
                "java.lang.NullPointerException",
                ErrorBody.of(new NullPointerException()).message());
    }

    @Test
    void decodesGatewayMessagesIgnoringUnknownFields() {
        assertEquals(new Welcome("ws_1", "env_dev", 5000, 30000, false), WorkerMessages.decode("""
                {"type":"welcome","sessionId":"ws_1","environmentId":"env_dev","heartbeatIntervalMs":5000,
                 "leaseTimeoutMs":30000,"futureField":[1]}"""));
        assertEquals(
                new Rejected("att_1", "fenced"),
                WorkerMessages.decode("{\"type\":\"rejected\",\"attemptId\":\"att_1\",\"reason\":\"fenced\"}"));
        assertEquals(
                new GatewayError("bad hello"), WorkerMessages.decode("{\"type\":\"error\",\"message\":\"bad hello\"}"));
        assertEquals(new Unknown("teleport"), WorkerMessages.decode("{\"type\":\"teleport\",\"attemptId\":\"a\"}"));
        assertEquals(
                new Cancel("run_1", "att_1", "run canceled"),
                WorkerMessages.decode(
                        "{\"type\":\"cancel\",\"runId\":\"run_1\",\"attemptId\":\"att_1\",\"reason\":\"run "
                                + "canceled\"}"));
        assertEquals(
                new MetadataRejected("att_1", "m2", "too large"),
                WorkerMessages.decode("{\"type\":\"metadataRejected\",\"attemptId\":\"att_1\",\"reque"
                        + "stId\":\"m2\",\"reason\":\"too large\"}"));
        MetadataUpdated updated = assertInstanceOf(
                MetadataUpdated.class,
                WorkerMessages.decode("{\"type\":\"metadataUpdated\",\"attemptId\":\"att_1\",\"metadata\":{\"a\":1}}"));
        assertNull(updated.requestId());
        assertEquals(1, updated.metadata().get("a").asInt());
    }

    @Test
    void decodesExecute() throws Exception {
        Execute execute = assertInstanceOf(Execute.class, WorkerMessages.decode("""
                {"type":"execute","runId":"run_1","attemptId":"att_1","attemptNumber":2,"taskId":"hello-world",
                 "payload":{"name":"Ada"},"payloadType":"application/json",
                 "context":{"run":{"id":"run_1","tags":["a"]},"queue":{"name":"task/hello-world"}}}"""));
        assertEquals("run_1", execute.runId());
        assertEquals(2, execute.attemptNumber());
        assertEquals(json("{\"name\":\"Ada\"}"), execute.payload());
        assertEquals("task/hello-world", execute.context().at("/queue/name").asText());

        Execute withoutPayload = assertInstanceOf(
                Execute.class,
                WorkerMessages.decode("{\"type\":\"execute\",\"runId\":\"r\",\"attemptId\":\"a\",\"at"
                        + "temptNumber\":1,\"taskId\":\"t\"}"));
        assertNull(withoutPayload.payload());
    }

    @Test
    void rejectsMessagesWithoutTypeOrMalformedJson() {
        assertThrows(IllegalArgumentException.class, () -> WorkerMessages.decode("{\"message\":\"x\"}"));
        assertThrows(IllegalArgumentException.class, () -> WorkerMessages.decode("{not json"));
        assertThrows(IllegalArgumentException.class, () -> WorkerMessages.decode("[]"));
    }

    @Test
    void durableExecutionMessagesMatchTheProtocol() throws Exception {
        assertEquals(
                json("{\"type\":\"step\",\"attemptId\":\"att_1\",\"key\":\"charge#2\",\"output\":null}"),
                json(WorkerMessages.encode(new WorkerMessages.Step("att_1", "charge#2", null))));
        assertEquals(
                json("""
                {"type":"suspend","attemptId":"att_1","key":"wait#1",
                 "wait":{"type":"duration","until":"2026-11-28T01:00:00Z"}}"""),
                json(WorkerMessages.encode(new WorkerMessages.Suspend(
                        "att_1", "wait#1", json("{\"type\":\"duration\",\"until\":\"2026-11-28T01:00:00Z\"}")))));

        assertEquals(
                new WorkerMessages.StepRecorded("att_1", "charge"),
                WorkerMessages.decode("{\"type\":\"stepRecorded\",\"attemptId\":\"att_1\",\"key\":\"charge\"}"));
        assertEquals(
                new WorkerMessages.Suspended("att_1", "wait#1"),
                WorkerMessages.decode("{\"type\":\"suspended\",\"attemptId\":\"att_1\",\"key\":\"wait#1\"}"));
        assertEquals(
                new WorkerMessages.SuspendRejected("att_1", "wait#1", "invalid wait: x"),
                WorkerMessages.decode("{\"type\":\"suspendRejected\",\"attemptId\":\"att_1\",\"key\":"
                        + "\"wait#1\",\"reason\":\"invalid wait: x\"}"));

        Execute execute = (Execute) WorkerMessages.decode("""
                {"type":"execute","runId":"run_1","attemptId":"att_1","attemptNumber":1,"taskId":"t",
                 "steps":{"a":{"output":{"n":1}},"b":{"output":null},"c":{},
                          "token#1":{"error":{"name":"TRIGGER_WAITPOINT_TIMEOUT","message":"timed out"}},"d":7}}""");
        Map<String, Memoized> memoized = Memoized.fromWire(execute.steps());
        assertEquals(List.of("a", "b", "c", "token#1"), List.copyOf(memoized.keySet()));
        assertEquals(json("{\"n\":1}"), memoized.get("a").output());
        assertTrue(memoized.get("b").output().isNull());
        assertTrue(memoized.get("c").output().isNull());
        assertEquals(
                new dev.baton.sdk.task.TaskError("TRIGGER_WAITPOINT_TIMEOUT", "timed out", null),
                memoized.get("token#1").error());
        assertTrue(Memoized.fromWire(null).isEmpty());
    }
}
