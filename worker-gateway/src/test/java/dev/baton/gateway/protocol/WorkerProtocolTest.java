package dev.baton.gateway.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.engine.environment.Environment;
import dev.baton.engine.run.MetadataOperation;
import dev.baton.engine.run.RunService;
import dev.baton.engine.run.TriggerRequest;
import dev.baton.engine.run.Wait;
import dev.baton.engine.task.QueueLimits;
import dev.baton.engine.task.RateLimit;
import dev.baton.engine.task.RetryPolicy;
import dev.baton.engine.task.TaskCatalog;
import dev.baton.engine.task.TaskDefinition;
import dev.baton.engine.worker.RunError;
import dev.baton.engine.worker.StepResult;
import dev.baton.engine.worker.WorkerChannel;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WorkerProtocolTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void decodesEveryWorkerMessageAndIgnoresUnknownFields() throws Exception {
        assertEquals(
                new WorkerMessage.Started("att_1", null),
                WorkerProtocol.decode("{\"type\":\"started\",\"attemptId\":\"att_1\",\"extra\":true}"));
        assertEquals(
                new WorkerMessage.Started("att_1", 40L),
                WorkerProtocol.decode("{\"type\":\"started\",\"attemptId\":\"att_1\",\"runningForMs\":40}"));
        ProtocolException negative = assertThrows(
                ProtocolException.class,
                () -> WorkerProtocol.decode(
                        "{\"type\":\"completed\",\"attemptId\":\"att_1\",\"output\":1,\"runningForMs\":-1}"));
        assertTrue(negative.getMessage().contains("runningForMs"), negative.getMessage());
        assertEquals(
                new WorkerMessage.Heartbeat("att_1"),
                WorkerProtocol.decode("{\"type\":\"heartbeat\",\"attemptId\":\"att_1\"}"));
        var completed = (WorkerMessage.Completed)
                WorkerProtocol.decode("{\"type\":\"completed\",\"attemptId\":\"att_1\",\"output\":{\"a\":[1,2]}}");
        assertEquals("{\"a\":[1,2]}", WorkerProtocol.outputJson(completed));
        var failed = (WorkerMessage.Failed)
                WorkerProtocol.decode("{\"type\":\"failed\",\"attemptId\":\"att_1\",\"error\":{\"message\":\"boom\"}}");
        assertEquals(new RunError(null, "boom", null), WorkerProtocol.runError(failed));
        assertTrue(WorkerProtocol.retryable(failed), "retryable defaults to true");
        assertInstanceOf(
                WorkerMessage.Hello.class,
                WorkerProtocol.decode(
                        "{\"type\":\"hello\",\"workerId\":\"w\",\"sdk\":\"s\",\"slots\":1,\"tasks\":[]}"));
    }

    @Test
    void storesNullOrMissingOutputAsNullText() throws Exception {
        assertEquals("null", WorkerProtocol.outputJson((WorkerMessage.Completed)
                WorkerProtocol.decode("{\"type\":\"completed\",\"attemptId\":\"att_1\",\"output\":null}")));
        assertEquals("null", WorkerProtocol.outputJson((WorkerMessage.Completed)
                WorkerProtocol.decode("{\"type\":\"completed\",\"attemptId\":\"att_1\"}")));
    }

    @Test
    void refusesWhatIsNotAProtocolMessage() {
        for (String text : List.of(
                "{oops",
                "[1]",
                "\"hello\"",
                "{}",
                "{\"type\":7}",
                "{\"type\":\"bogus\"}",
                "{\"type\":\"started\"}",
                "{\"type\":\"hello\",\"slots\":\"many\"}")) {
            assertThrows(ProtocolException.class, () -> WorkerProtocol.decode(text), text);
        }
    }

    @Test
    void appliesDeclarationDefaults() throws Exception {
        var hello = (WorkerMessage.Hello) WorkerProtocol.decode("""
        {"type":"hello","workerId":"w-1","sdk":"s","slots":4,"tasks":[
          {"id":"plain"},
          {"id":"tuned","queue":{"name":"sleepy","concurrencyLimit":2},"retry":{"maxAttempts":5},
           "maxDurationSeconds":300},
          {"id":"capped","queue":{"name":"per-user","concurrencyLimit":1,"globalConcurrencyLimit":10}}
        ]}""");
        var accepted = WorkerProtocol.acceptHello(hello, 10);
        assertEquals(4, accepted.slots());
        assertEquals(
                new TaskDefinition("plain", "task/plain", null, RetryPolicy.DEFAULT, null),
                accepted.tasks().get(0));
        assertEquals(
                new TaskDefinition("tuned", "sleepy", 2, RetryPolicy.DEFAULT.withMaxAttempts(5), 300),
                accepted.tasks().get(1));
        assertEquals(
                new TaskDefinition("capped", "per-user", 1, RetryPolicy.DEFAULT, null, 10),
                accepted.tasks().get(2));
        assertEquals(
                Map.of(
                        "task/plain",
                        QueueLimits.UNLIMITED,
                        "sleepy",
                        new QueueLimits(2, null),
                        "per-user",
                        new QueueLimits(1, 10)),
                accepted.queueLimits());
    }

    @Test
    void aHelloNamesItsVersionOrIsNamedByTheHashOfItsDeclarations() throws Exception {
        var named = (WorkerMessage.Hello)
                WorkerProtocol.decode(
                        "{\"type\":\"hello\",\"workerId\":\"w\",\"slots\":1,\"tasks\":[{\"id\":\"t\"}],\"version\":\"20260101.4\"}");
        assertEquals("20260101.4", WorkerProtocol.acceptHello(named, 10).version());
        var unnamed = (WorkerMessage.Hello)
                WorkerProtocol.decode("{\"type\":\"hello\",\"workerId\":\"w\",\"slots\":1,\"tasks\":[{\"id\":\"t\"}]}");
        var accepted = WorkerProtocol.acceptHello(unnamed, 10);
        assertEquals(TaskCatalog.contentVersion(accepted.tasks()), accepted.version());
        assertTrue(accepted.version().startsWith("sha256-"));
    }

    @Test
    void readsARateLimitPerQueue() throws Exception {
        var hello = (WorkerMessage.Hello) WorkerProtocol.decode("""
        {"type":"hello","workerId":"w","slots":1,"tasks":[
          {"id":"t","queue":{"name":"q","concurrencyLimit":1,"rateLimit":{"limit":10,"period":"1m"}}}]}""");
        var accepted = WorkerProtocol.acceptHello(hello, 10);
        assertEquals(RateLimit.of(10, "1m"), accepted.tasks().get(0).rateLimit());
        assertEquals(Map.of("q", new QueueLimits(1, null, RateLimit.of(10, "1m"))), accepted.queueLimits());
    }

    @Test
    void refusesARateLimitWithoutItsLimitOrWithABadPeriod() throws Exception {
        Map<String, String> refusals = Map.of(
                "{\"period\":\"1s\"}", "rateLimit.limit",
                "{\"limit\":0,\"period\":\"1s\"}", "rateLimit.limit",
                "{\"limit\":5}", "rateLimit.period",
                "{\"limit\":5,\"period\":\"soon\"}", "rateLimit.period");
        for (Map.Entry<String, String> refusal : refusals.entrySet()) {
            var hello = (WorkerMessage.Hello) WorkerProtocol.decode(
                    "{\"type\":\"hello\",\"workerId\":\"w\",\"slots\":1,\"tasks\":[{\"id\":\"t\",\"queue\":"
                            + "{\"name\":\"q\",\"rateLimit\":" + refusal.getKey() + "}}]}");
            String message = assertThrows(ProtocolException.class, () -> WorkerProtocol.acceptHello(hello, 10))
                    .getMessage();
            assertTrue(message.contains(refusal.getValue()), refusal.getKey() + ": " + message);
        }
    }

    @Test
    void refusesANegativeGlobalConcurrencyLimit() throws Exception {
        var hello = (WorkerMessage.Hello) WorkerProtocol.decode("""
        {"type":"hello","workerId":"w","slots":1,
         "tasks":[{"id":"t","queue":{"name":"q","globalConcurrencyLimit":-1}}]}""");
        assertTrue(assertThrows(ProtocolException.class, () -> WorkerProtocol.acceptHello(hello, 10))
                .getMessage()
                .contains("globalConcurrencyLimit"));
    }

    @Test
    void readsMetadataOperations() throws Exception {
        var message = (WorkerMessage.Metadata) WorkerProtocol.decode("""
        {"type":"metadata","attemptId":"att_1","requestId":"m1","operations":[
          {"type":"set","key":"progress","value":0.5},
          {"type":"increment","key":"$.counts.done","value":2},
          {"type":"append","key":"log","value":{"step":1}},
          {"type":"delete","key":"old"},
          {"type":"remove","key":"log","value":"x"},
          {"type":"update","value":{"a":1}}]}""");
        assertEquals("m1", message.requestId());
        assertEquals(
                List.of(
                        new MetadataOperation(MetadataOperation.Type.SET, "progress", "0.5"),
                        new MetadataOperation(MetadataOperation.Type.INCREMENT, "$.counts.done", "2"),
                        new MetadataOperation(MetadataOperation.Type.APPEND, "log", "{\"step\":1}"),
                        new MetadataOperation(MetadataOperation.Type.DELETE, "old", null),
                        new MetadataOperation(MetadataOperation.Type.REMOVE, "log", "\"x\""),
                        new MetadataOperation(MetadataOperation.Type.UPDATE, null, "{\"a\":1}")),
                WorkerProtocol.metadataOperations(message));
    }

    @Test
    void refusesInvalidMetadataOperationsWithoutAProtocolError() throws Exception {
        for (String operations : List.of(
                "null",
                "[]",
                "{}",
                "[1]",
                "[{\"key\":\"k\"}]",
                "[{\"type\":\"bogus\",\"key\":\"k\"}]",
                "[{\"type\":\"set\"}]",
                "[{\"type\":\"set\",\"key\":\"$.a..b\",\"value\":1}]",
                "[{\"type\":\"set\",\"key\":\"__proto__\",\"value\":1}]",
                "[{\"type\":\"update\",\"value\":[1]}]",
                "[{\"type\":\"increment\",\"key\":\"n\",\"value\":\"one\"}]",
                "[{\"type\":\"set\",\"key\":7,\"value\":1}]")) {
            var message = (WorkerMessage.Metadata) WorkerProtocol.decode(
                    "{\"type\":\"metadata\",\"attemptId\":\"att_1\",\"operations\":" + operations + "}");
            assertThrows(
                    WorkerProtocol.InvalidMetadataException.class,
                    () -> WorkerProtocol.metadataOperations(message),
                    operations);
        }
        assertThrows(ProtocolException.class, () -> WorkerProtocol.decode("{\"type\":\"metadata\",\"operations\":[]}"));
    }

    @Test
    void refusesInvalidHellos() throws Exception {
        for (String hello : List.of(
                "{\"type\":\"hello\",\"slots\":1,\"tasks\":[{\"id\":\"t\"}]}",
                "{\"type\":\"hello\",\"workerId\":\"w\",\"tasks\":[{\"id\":\"t\"}]}",
                "{\"type\":\"hello\",\"workerId\":\"w\",\"slots\":11,\"tasks\":[{\"id\":\"t\"}]}",
                "{\"type\":\"hello\",\"workerId\":\"w\",\"slots\":1,\"tasks\":[]}",
                "{\"type\":\"hello\",\"workerId\":\"w\",\"slots\":1,\"tasks\":[{\"id\":\"t\"},{\"id\":\"t\"}]}",
                "{\"type\":\"hello\",\"workerId\":\"w\",\"slots\":1,\"tasks\":[{\"id\":\"-bad\"}]}",
                "{\"type\":\"hello\",\"workerId\":\"w\",\"slots\":1,\"tasks\":[{\"id\":"
                        + "\"t\",\"retry\":{\"maxAttempts\":0}}]}",
                "{\"type\":\"hello\",\"workerId\":\"w\",\"slots\":1,\"tasks\":[{\"id\":\"t\"}],\"version\":\"1 0\"}",
                "{\"type\":\"hello\",\"workerId\":\"w\",\"slots\":1,\"tasks\":[{\"id\":\"t\"}],\"version\":\"\"}")) {
            var decoded = (WorkerMessage.Hello) WorkerProtocol.decode(hello);
            assertThrows(ProtocolException.class, () -> WorkerProtocol.acceptHello(decoded, 10), hello);
        }
    }

    @Test
    void writesExecuteWithContext() throws Exception {
        var execute = new WorkerChannel.Execute(
                "run_1",
                "att_1",
                2,
                "hello-world",
                "task/hello-world",
                "env_p_dev",
                "{\"name\":\"Ada\"}",
                "application/json",
                List.of("a"),
                "{\"k\":1}",
                "idem",
                3,
                Instant.parse("2026-11-28T01:00:00Z"),
                true,
                120,
                Map.of(),
                null);
        JsonNode json = JSON.readTree(WorkerProtocol.encode(WorkerProtocol.execute(
                execute, new Environment("env_p_dev", "proj_p", "p", "dev"), Map.of("B", "2", "A", "1"))));
        assertEquals(JSON.readTree("""
        {"type":"execute","runId":"run_1","attemptId":"att_1","attemptNumber":2,"taskId":"hello-world",
         "payload":{"name":"Ada"},"payloadType":"application/json",
         "context":{"run":{"id":"run_1","tags":["a"],"createdAt":"2026-11-28T01:00:00Z","isTest":true,
                           "maxAttempts":3,"metadata":{"k":1},"idempotencyKey":"idem","maxDuration":120},
                    "attempt":{"id":"att_1","number":2},"task":{"id":"hello-world"},
                    "queue":{"name":"task/hello-world"},"environment":{"id":"env_p_dev","slug":"dev"}},
         "envVars":{"A":"1","B":"2"}}"""), json);
    }

    @Test
    void leavesAbsentPartsOutOfExecute() throws Exception {
        var execute = new WorkerChannel.Execute(
                "run_1",
                "att_1",
                1,
                "t",
                "task/t",
                "env_p_dev",
                null,
                null,
                List.of(),
                null,
                null,
                3,
                Instant.parse("2026-11-28T01:00:00Z"),
                false,
                null,
                Map.of(),
                null);
        JsonNode json = JSON.readTree(WorkerProtocol.encode(
                WorkerProtocol.execute(execute, new Environment("env_p_dev", "proj_p", "p", "dev"), Map.of())));
        assertFalse(json.has("payload"));
        assertEquals(JSON.readTree("{}"), json.get("envVars"));
        assertFalse(json.path("context").path("run").has("metadata"));
        assertFalse(json.path("context").path("run").has("idempotencyKey"));
        assertFalse(json.path("context").path("run").has("maxDuration"));
        assertNull(json.path("context").path("run").get("test"));
    }

    @Test
    void writesTheOtherGatewayMessages() throws Exception {
        assertEquals(
                JSON.readTree("{\"type\":\"welcome\",\"sessionId\":\"ws_1\",\"environmentId\""
                        + ":\"env\",\"heartbeatIntervalMs\":5000,"
                        + "\"leaseTimeoutMs\":30000,\"logs\":true}"),
                JSON.readTree(WorkerProtocol.encode(new GatewayMessage.Welcome("ws_1", "env", 5000, 30000, true))));
        assertEquals(
                JSON.readTree("{\"type\":\"rejected\",\"attemptId\":\"att_1\",\"reason\":\"stale attempt\"}"),
                JSON.readTree(WorkerProtocol.encode(new GatewayMessage.Rejected("att_1", "stale attempt"))));
        assertEquals(
                JSON.readTree("{\"type\":\"error\",\"message\":\"m\"}"),
                JSON.readTree(WorkerProtocol.encode(new GatewayMessage.Error("m"))));
        assertEquals(
                JSON.readTree("{\"type\":\"cancel\",\"runId\":\"run_1\",\"attemptId\":\"att_1\",\"reason\":\"run "
                        + "canceled\"}"),
                JSON.readTree(WorkerProtocol.encode(new GatewayMessage.Cancel("run_1", "att_1", "run canceled"))));
        assertEquals(
                JSON.readTree("{\"type\":\"metadataUpdated\",\"attemptId\":\"att_1\",\"reques"
                        + "tId\":\"m1\",\"metadata\":{\"a\":1}}"),
                JSON.readTree(WorkerProtocol.encode(
                        new GatewayMessage.MetadataUpdated("att_1", "m1", WorkerProtocol.metadata("{\"a\":1}")))));
        assertEquals(
                JSON.readTree("{\"type\":\"metadataUpdated\",\"attemptId\":\"att_1\",\"metadata\":{}}"),
                JSON.readTree(WorkerProtocol.encode(
                        new GatewayMessage.MetadataUpdated("att_1", null, WorkerProtocol.metadata(null)))));
        assertEquals(
                JSON.readTree("{\"type\":\"metadataRejected\",\"attemptId\":\"att_1\",\"reason\":\"too large\"}"),
                JSON.readTree(WorkerProtocol.encode(new GatewayMessage.MetadataRejected("att_1", null, "too large"))));
    }

    // ---------------------------------------------------------------- durable execution

    @Test
    void readsStepsAndStoresAMissingOutputAsNull() throws Exception {
        var step = (WorkerMessage.Step) WorkerProtocol.decode(
                "{\"type\":\"step\",\"attemptId\":\"att_1\",\"key\":\"charge#2\",\"output\":{\"id\":7}}");
        assertEquals("charge#2", step.key());
        assertEquals(StepResult.success("{\"id\":7}"), WorkerProtocol.stepResult(step));
        assertEquals(StepResult.success("null"), WorkerProtocol.stepResult((WorkerMessage.Step)
                WorkerProtocol.decode("{\"type\":\"step\",\"attemptId\":\"att_1\",\"key\":\"k\"}")));
        for (String bad : List.of(
                "{\"type\":\"step\",\"attemptId\":\"att_1\"}",
                "{\"type\":\"step\",\"attemptId\":\"att_1\",\"key\":\" \"}",
                "{\"type\":\"step\",\"attemptId\":\"att_1\",\"key\":\"" + "k".repeat(257) + "\"}",
                "{\"type\":\"step\",\"key\":\"k\"}")) {
            assertThrows(ProtocolException.class, () -> WorkerProtocol.decode(bad), bad);
        }
    }

    @Test
    void readsTheThreeKindsOfWait() throws Exception {
        assertEquals(Wait.duration("wait#1", Instant.parse("2026-11-28T01:00:00Z")), waitOf("""
        {"type":"duration","until":"2026-11-28T01:00:00Z"}""", "wait#1", false));
        assertEquals(Wait.duration("wait#2", Instant.parse("2026-11-28T01:00:00Z")), waitOf("""
        {"type":"duration","until":"2026-11-28T03:00:00+02:00"}""", "wait#2", false));
        assertEquals(Wait.token("token#1", "waitpoint_1"), waitOf("""
        {"type":"token","tokenId":"waitpoint_1","extra":1}""", "token#1", false));

        Wait one = waitOf("""
        {"type":"runs","items":[{"task":"hello-world","payload":{"name":"Ada"}}]}""", "runs#1", false);
        assertEquals(Wait.runs("runs#1", List.of(TriggerRequest.of("hello-world", "{\"name\":\"Ada\"}")), null), one);

        Wait batch = waitOf("""
        {"type":"runs","batch":true,"items":[
          {"task":"a"},
          {"task":"b","payload":[1],"payloadType":"application/x-test","options":{"queue":"q","concurrencyKey":"u1",
           "tags":["t1","t2"],"maxAttempts":5,"maxDuration":60,"metadata":{"m":1}}},
          {"task":"c","options":{"tags":"solo"}}]}""", "runs#2", true);
        assertEquals(RunService.batchIdOf("run_1", "runs#2"), batch.batchId());
        assertEquals(
                List.of(
                        TriggerRequest.builder("a").test(true).build(),
                        TriggerRequest.builder("b")
                                .payload("[1]", "application/x-test")
                                .tags(List.of("t1", "t2"))
                                .metadata("{\"m\":1}")
                                .maxAttempts(5)
                                .test(true)
                                .queue("q")
                                .concurrencyKey("u1")
                                .maxDurationSeconds(60)
                                .build(),
                        TriggerRequest.builder("c")
                                .tags(List.of("solo"))
                                .test(true)
                                .build()),
                batch.children());
    }

    @Test
    void refusesInvalidWaitsWithoutAProtocolError() throws Exception {
        String item = "{\"task\":\"t\"}";
        String tooMany = "[" + String.join(",", java.util.Collections.nCopies(1001, item)) + "]";
        for (String wait : List.of(
                "null",
                "[]",
                "{}",
                "{\"type\":\"sleep\"}",
                "{\"type\":7}",
                "{\"type\":\"duration\"}",
                "{\"type\":\"duration\",\"until\":\"tomorrow\"}",
                "{\"type\":\"duration\",\"until\":1700000000000}",
                "{\"type\":\"token\"}",
                "{\"type\":\"token\",\"tokenId\":\" \"}",
                "{\"type\":\"runs\"}",
                "{\"type\":\"runs\",\"items\":[]}",
                "{\"type\":\"runs\",\"items\":{}}",
                "{\"type\":\"runs\",\"batch\":true,\"items\":" + tooMany + "}",
                "{\"type\":\"runs\",\"items\":[" + item + "," + item + "]}",
                "{\"type\":\"runs\",\"batch\":\"yes\",\"items\":[" + item + "]}",
                "{\"type\":\"runs\",\"items\":[7]}",
                "{\"type\":\"runs\",\"items\":[{}]}",
                "{\"type\":\"runs\",\"items\":[{\"task\":\"bad id!\"}]}",
                "{\"type\":\"runs\",\"items\":[{\"task\":\"t\",\"options\":[]}]}",
                "{\"type\":\"runs\",\"items\":[{\"task\":\"t\",\"options\":{\"maxAttempts\":0}}]}",
                "{\"type\":\"runs\",\"items\":[{\"task\":\"t\",\"options\":{\"maxDuration\":1.5}}]}",
                "{\"type\":\"runs\",\"items\":[{\"task\":\"t\",\"options\":{\"tags\":[1]}}]}",
                "{\"type\":\"runs\",\"items\":[{\"task\":\"t\",\"options\":{\"metadata\":[1]}}]}",
                "{\"type\":\"runs\",\"items\":[{\"task\":\"t\",\"options\":{\"queue\":5}}]}")) {
            var suspend = suspend("\"k\"", wait);
            assertThrows(
                    WorkerProtocol.InvalidWaitException.class,
                    () -> WorkerProtocol.waitOf(suspend, "run_1", false),
                    wait);
        }
        String duration = "{\"type\":\"duration\",\"until\":\"2026-11-28T01:00:00Z\"}";
        for (String key : List.of("null", "7", "{}", "\"\"", "\"" + "k".repeat(257) + "\"")) {
            var suspend = suspend(key, duration);
            assertNull(WorkerProtocol.suspendKey(suspend), key);
            assertThrows(
                    WorkerProtocol.InvalidWaitException.class,
                    () -> WorkerProtocol.waitOf(suspend, "run_1", false),
                    key);
        }
        var missingKey = (WorkerMessage.Suspend)
                WorkerProtocol.decode("{\"type\":\"suspend\",\"attemptId\":\"att_1\",\"wait\":" + duration + "}");
        assertThrows(
                WorkerProtocol.InvalidWaitException.class, () -> WorkerProtocol.waitOf(missingKey, "run_1", false));
        assertThrows(ProtocolException.class, () -> WorkerProtocol.decode("{\"type\":\"suspend\",\"key\":\"k\"}"));
    }

    @Test
    void writesMemoizedStepsIntoExecute() throws Exception {
        var steps = new java.util.LinkedHashMap<String, StepResult>();
        steps.put("charge", StepResult.success("{\"id\":7}"));
        steps.put("nothing", StepResult.success("null"));
        steps.put("absent", StepResult.success(null));
        steps.put("token#1", StepResult.failure(new RunError("TRIGGER_WAITPOINT_TIMEOUT", "timed out", null)));
        steps.put(
                "runs#1",
                StepResult.success("[{\"ok\":false,\"id\":\"run_2\",\"error\":{\"name\":\"E\",\"message\":\"m\"}}]"));
        steps.put("boom", StepResult.failure(new RunError(null, "m", "at x")));
        var execute = new WorkerChannel.Execute(
                "run_1",
                "att_1",
                1,
                "t",
                "task/t",
                "env_p_dev",
                null,
                null,
                List.of(),
                null,
                null,
                3,
                Instant.parse("2026-11-28T01:00:00Z"),
                false,
                null,
                steps,
                null);
        JsonNode json = JSON.readTree(WorkerProtocol.encode(
                WorkerProtocol.execute(execute, new Environment("env_p_dev", "proj_p", "p", "dev"), Map.of())));
        assertEquals(JSON.readTree("""
        {"charge":{"output":{"id":7}},"nothing":{"output":null},"absent":{"output":null},
         "token#1":{"error":{"name":"TRIGGER_WAITPOINT_TIMEOUT","message":"timed out"}},
         "runs#1":{"output":[{"ok":false,"id":"run_2","error":{"name":"E","message":"m"}}]},
         "boom":{"error":{"message":"m","stackTrace":"at x"}}}"""), json.get("steps"));
    }

    @Test
    void writesTheDurableExecutionAnswers() throws Exception {
        assertEquals(
                JSON.readTree("{\"type\":\"stepRecorded\",\"attemptId\":\"att_1\",\"key\":\"charge\"}"),
                JSON.readTree(WorkerProtocol.encode(new GatewayMessage.StepRecorded("att_1", "charge"))));
        assertEquals(
                JSON.readTree("{\"type\":\"suspended\",\"attemptId\":\"att_1\",\"key\":\"wait#1\"}"),
                JSON.readTree(WorkerProtocol.encode(new GatewayMessage.Suspended("att_1", "wait#1"))));
        assertEquals(
                JSON.readTree("{\"type\":\"suspendRejected\",\"attemptId\":\"att_1\",\"key\":"
                        + "\"wait#1\",\"reason\":\"invalid wait: x\"}"),
                JSON.readTree(WorkerProtocol.encode(
                        new GatewayMessage.SuspendRejected("att_1", "wait#1", "invalid wait: x"))));
        assertEquals(
                JSON.readTree("{\"type\":\"suspendRejected\",\"attemptId\":\"att_1\",\"reason\":\"no key\"}"),
                JSON.readTree(WorkerProtocol.encode(new GatewayMessage.SuspendRejected("att_1", null, "no key"))));
    }

    private static Wait waitOf(String waitJson, String key, boolean test) throws Exception {
        return WorkerProtocol.waitOf(suspend("\"" + key + "\"", waitJson), "run_1", test);
    }

    private static WorkerMessage.Suspend suspend(String keyJson, String waitJson) throws Exception {
        return (WorkerMessage.Suspend) WorkerProtocol.decode(
                "{\"type\":\"suspend\",\"attemptId\":\"att_1\",\"key\":" + keyJson + ",\"wait\":" + waitJson + "}");
    }
}
