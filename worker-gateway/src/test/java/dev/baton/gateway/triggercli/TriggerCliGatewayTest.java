package dev.baton.gateway.triggercli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.http.javadsl.Http;
import akka.http.javadsl.ServerBinding;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import dev.baton.engine.Engine;
import dev.baton.engine.batch.BatchService;
import dev.baton.engine.batch.BatchState;
import dev.baton.engine.batch.BatchStatus;
import dev.baton.engine.common.Ids;
import dev.baton.engine.environment.Environment;
import dev.baton.engine.run.RunRejectedException;
import dev.baton.engine.run.RunState;
import dev.baton.engine.run.RunStatus;
import dev.baton.engine.run.TriggerRequest;
import dev.baton.engine.run.Wait;
import dev.baton.engine.schedule.ScheduleEntity;
import dev.baton.engine.schedule.ScheduleService;
import dev.baton.engine.schedule.ScheduleSpec;
import dev.baton.engine.schedule.ScheduleState;
import dev.baton.engine.testkit.TestNode;
import dev.baton.engine.waitpoint.WaitpointTokens;
import dev.baton.gateway.WorkerGateway;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The trigger.dev CLI's dev protocol end to end: a real node and port, this test as the CLI (its calls as
 * {@code trigger.dev@4.8.3} makes them). Covers the session's state machine: snapshot ids and attempt numbers, a
 * retry queued, a cancel shown as PENDING_CANCEL, leases renewed while the CLI polls, and a CLI that stops polling
 * losing its runs to a retry.
 */
class TriggerCliGatewayTest {

    private static final Duration WAIT = Duration.ofSeconds(15);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private static TestNode node;
    private static ServerBinding binding;
    private static int port;

    private Environment environment;
    private String secretKey;

    @BeforeAll
    static void start() throws Exception {
        // TestNode's lease timeout is 3 s: an idle timeout of 2 s lets a silent CLI leave before its leases expire.
        node = TestNode.start(
                "trigger-cli-test", ConfigFactory.parseString("baton.gateway.trigger-cli.idle-timeout = 2s"));
        WorkerGateway gateway = new WorkerGateway(node.system(), node.engine(), node.directory());
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
        secretKey = "tr_dev_" + Ids.random(32);
        environment = node.createEnvironment("p" + Ids.random(10), "dev", secretKey, "bw_dev_" + Ids.random(32));
    }

    @Test
    void runsARunFromDequeueToFinishedWithNewSnapshotIdsAtEachStep() throws Exception {
        String workerId = register(task("hello", ""));
        JsonNode config = call("GET", "/engine/v1/dev/config", null, 200);
        assertEquals(environment.id(), config.path("environmentId").asText());
        assertEquals(25, config.path("maxConcurrentRuns").asInt());
        assertEquals("http://127.0.0.1:" + port, config.path("engineUrl").asText());

        String runId = trigger("hello", "{\"name\":\"Ada\"}");
        JsonNode message = dequeueOne(workerId);
        assertEquals(workerId, message.at("/backgroundWorker/friendlyId").asText());
        assertEquals(runId, message.at("/run/friendlyId").asText());
        assertEquals(1, message.at("/run/attemptNumber").asInt());
        assertEquals(
                "PENDING_EXECUTING", message.at("/snapshot/executionStatus").asText());
        assertEquals("DEVELOPMENT", message.at("/environment/type").asText());
        String dequeued = message.at("/snapshot/friendlyId").asText();

        JsonNode started = start(runId, dequeued, 200);
        String executing = started.at("/snapshot/friendlyId").asText();
        assertNotEquals(dequeued, executing);
        assertEquals("EXECUTING", started.at("/snapshot/executionStatus").asText());
        assertEquals(1, started.at("/run/attemptNumber").asInt());
        assertEquals(runId, started.at("/execution/run/id").asText());
        assertEquals("{\"name\":\"Ada\"}", started.at("/execution/run/payload").asText());
        assertEquals(
                "src/trigger/hello.ts", started.at("/execution/task/filePath").asText());
        assertEquals("task/hello", started.at("/execution/queue/name").asText());
        assertEquals(
                "http://127.0.0.1:" + port + "/otel",
                started.at("/envVars/TRIGGER_OTEL_EXPORTER_OTLP_ENDPOINT").asText());
        assertEquals(
                "1",
                started.at("/envVars/TRIGGER_OTEL_BATCH_PROCESSING_ENABLED").asText());
        awaitRun(runId, run -> run.status() == RunStatus.EXECUTING);
        // a second start of the same attempt is refused
        start(runId, executing, 409);

        assertEquals(executing, latest(runId).at("/snapshot/friendlyId").asText());
        assertTrue(call("POST", runPath(runId, executing) + "/heartbeat", "{\"cpu\":0,\"memory\":0}", 200)
                .path("ok")
                .asBoolean());

        JsonNode result = complete(
                runId,
                executing,
                "{\"ok\":true,\"id\":\"" + runId + "\",\"output\":\"{\\\"json\\\":{\\\"greeting\\\":\\\"Hello\\\"}}\","
                        + "\"outputType\":\"application/super+json\",\"usage\":{\"durationMs\":5}}");
        assertEquals("RUN_FINISHED", result.path("attemptStatus").asText());
        assertEquals("FINISHED", result.at("/snapshot/executionStatus").asText());
        assertEquals("COMPLETED_SUCCESSFULLY", result.at("/run/status").asText());
        RunState done = awaitRun(runId, run -> run.status() == RunStatus.COMPLETED);
        assertEquals(JSON.readTree("{\"greeting\":\"Hello\"}"), JSON.readTree(done.outputJson()));
        assertEquals("FINISHED", latest(runId).at("/snapshot/executionStatus").asText());
    }

    @Test
    void theMetadataFlushedWithTheCompletionIsStoredBeforeTheRunFinishes() throws Exception {
        String workerId = register(task("progress", ""));
        String runId = trigger("progress", "{}");
        String executing = start(
                        runId, dequeueOne(workerId).at("/snapshot/friendlyId").asText(), 200)
                .at("/snapshot/friendlyId")
                .asText();
        // as the SDK's RunMetadataManager.stopAndReturnLastFlush() packs it: SuperJSON of the collapsed operations
        String flushed = JSON.writeValueAsString(JSON.writeValueAsString(
                JSON.readTree("{\"json\":{\"operations\":[{\"type\":\"set\",\"key\":\"progress\",\"value\":1},"
                        + "{\"type\":\"append\",\"key\":\"steps\",\"value\":\"done\"}],"
                        + "\"parentOperations\":[],\"rootOperations\":[]}}")));
        JsonNode result = complete(
                runId,
                executing,
                "{\"ok\":true,\"id\":\"" + runId + "\",\"outputType\":\"application/json\","
                        + "\"flushedMetadata\":{\"data\":" + flushed + ",\"dataType\":\"application/super+json\"}}");
        assertEquals("RUN_FINISHED", result.path("attemptStatus").asText());
        RunState done = awaitRun(runId, run -> run.status() == RunStatus.COMPLETED);
        assertEquals(JSON.readTree("{\"progress\":1,\"steps\":[\"done\"]}"), JSON.readTree(done.metadataJson()));
    }

    @Test
    void aFailureWithRetryIsQueuedAndTheNextAttemptComesWithItsOwnNumber() throws Exception {
        String workerId = register(task(
                "flaky",
                ",\"retry\":{\"maxAttempts\":3,\"factor\":1,\"minTimeoutInMs\":10,\"maxTimeoutInMs\":10,"
                        + "\"randomize\":false}"));
        String runId = trigger("flaky", "{}");
        JsonNode first = dequeueOne(workerId);
        String executing = start(runId, first.at("/snapshot/friendlyId").asText(), 200)
                .at("/snapshot/friendlyId")
                .asText();
        JsonNode failed = complete(
                runId,
                executing,
                "{\"ok\":false,\"id\":\"" + runId + "\",\"error\":{\"type\":\"BUILT_IN_ERROR\",\"name\":\"Error\","
                        + "\"message\":\"boom\",\"stackTrace\":\"at x\"},\"retry\":{\"timestamp\":0,\"delay\":10}}");
        assertEquals("RETRY_QUEUED", failed.path("attemptStatus").asText());
        assertEquals("QUEUED", failed.at("/snapshot/executionStatus").asText());
        assertEquals(1, failed.at("/run/attemptNumber").asInt(), "the CLI compares it with the attempt it ran");

        JsonNode second = dequeueOne(workerId);
        assertEquals(2, second.at("/run/attemptNumber").asInt());
        assertNotEquals(
                first.at("/snapshot/friendlyId").asText(),
                second.at("/snapshot/friendlyId").asText());
        String retry = start(runId, second.at("/snapshot/friendlyId").asText(), 200)
                .at("/snapshot/friendlyId")
                .asText();
        // the CLI's late call about the first attempt is refused, not applied
        complete(runId, executing, 409, "{\"ok\":true,\"id\":\"" + runId + "\"}");
        JsonNode lastFailure = complete(
                runId,
                retry,
                "{\"ok\":false,\"id\":\"" + runId + "\",\"error\":{\"type\":\"STRING_ERROR\",\"raw\":\"no retry\"}}");
        assertEquals("RUN_FINISHED", lastFailure.path("attemptStatus").asText());
        assertEquals("COMPLETED_WITH_ERRORS", lastFailure.at("/run/status").asText());
        RunState done = awaitRun(runId, run -> run.status() == RunStatus.FAILED);
        assertEquals("no retry", done.error().message());
        assertEquals(2, done.attemptCount());
    }

    @Test
    void aRunCanceledWhileExecutingShowsPendingCancelThenFinishes() throws Exception {
        String workerId = register(task("sleeper", ""));
        String runId = trigger("sleeper", "{}");
        JsonNode message = dequeueOne(workerId);
        String executing = start(runId, message.at("/snapshot/friendlyId").asText(), 200)
                .at("/snapshot/friendlyId")
                .asText();
        engine().runs().cancel(environment.id(), runId).toCompletableFuture().get(10, TimeUnit.SECONDS);

        JsonNode canceled = awaitLatest(
                runId, snapshot -> snapshot.path("executionStatus").asText().equals("PENDING_CANCEL"));
        assertNotEquals(executing, canceled.at("/snapshot/friendlyId").asText());
        JsonNode result = complete(
                runId,
                canceled.at("/snapshot/friendlyId").asText(),
                "{\"ok\":false,\"id\":\"" + runId + "\",\"error\":{\"type\":\"INTERNAL_ERROR\","
                        + "\"code\":\"TASK_RUN_CANCELLED\"}}");
        assertEquals("RUN_FINISHED", result.path("attemptStatus").asText());
        assertEquals("CANCELED", result.at("/run/status").asText());
        assertEquals(RunStatus.CANCELED, run(runId).status());
    }

    @Test
    void whileTheCliPollsItsRunTheLeaseIsRenewed() throws Exception {
        String workerId = register(task("long", ""));
        String runId = trigger("long", "{}");
        JsonNode message = dequeueOne(workerId);
        start(runId, message.at("/snapshot/friendlyId").asText(), 200);
        // the CLI's own heartbeat comes every 30 s; TestNode's lease is 3 s
        Instant until = Instant.now().plusSeconds(5);
        while (Instant.now().isBefore(until)) {
            latest(runId);
            call("POST", "/engine/v1/dev/dequeue", dequeueBody(workerId), 200);
            TestNode.sleep(Duration.ofMillis(300));
        }
        RunState running = run(runId);
        assertEquals(RunStatus.EXECUTING, running.status());
        assertEquals(1, running.attemptCount());
    }

    @Test
    void aCliThatStopsPollingLosesItsRunsToARetry() throws Exception {
        String workerId = register(task(
                "abandoned",
                ",\"retry\":{\"maxAttempts\":3,\"factor\":1,\"minTimeoutInMs\":10,\"maxTimeoutInMs\":10,"
                        + "\"randomize\":false}"));
        String runId = trigger("abandoned", "{}");
        JsonNode message = dequeueOne(workerId);
        start(runId, message.at("/snapshot/friendlyId").asText(), 200);
        awaitRun(runId, run -> run.status() == RunStatus.EXECUTING);

        // silence: the session leaves after its idle timeout and gives the attempt back
        RunState retried = awaitRun(runId, run -> run.attemptCount() == 1 && run.status() != RunStatus.EXECUTING);
        assertEquals(CliSession.STOPPED_POLLING, retried.error().message());
        // the CLI comes back (its current worker is still known): a new session hands it the second attempt
        JsonNode second = dequeueOne(workerId);
        assertEquals(2, second.at("/run/attemptNumber").asInt());
    }

    @Test
    void theWatchdogsDisconnectCancelsTheCliRunsAndEndsTheSession() throws Exception {
        String workerId = register(task("orphaned", ""));
        String runId = trigger("orphaned", "{}");
        JsonNode message = dequeueOne(workerId);
        String executing = start(runId, message.at("/snapshot/friendlyId").asText(), 200)
                .at("/snapshot/friendlyId")
                .asText();
        JsonNode disconnected = call(
                "POST", "/engine/v1/dev/disconnect", "{\"runFriendlyIds\":[\"" + runId + "\",\"run_unknown\"]}", 200);
        assertEquals(1, disconnected.path("cancelled").asInt());
        assertEquals(
                RunStatus.CANCELED,
                awaitRun(runId, run -> run.status().isFinal()).status());
        // the session is gone: the dead CLI's run is no longer held here
        Instant deadline = Instant.now().plus(WAIT);
        while (!call("POST", runPath(runId, executing) + "/heartbeat", "{}", -1)
                .path("error")
                .asText()
                .startsWith("No trigger.dev dev session")) {
            if (Instant.now().isAfter(deadline)) throw new AssertionError("the session never ended");
            TestNode.sleep(Duration.ofMillis(50));
        }
    }

    @Test
    void aDurationWaitFreesTheSlotAndResumesTheSameAttemptWithItsWaitpoint() throws Exception {
        String queue = ",\"queue\":{\"name\":\"naps\",\"concurrencyLimit\":1}";
        String workerId = register(task("napper", queue) + "," + task("other", queue));
        String napper = trigger("napper", "{}");
        String executing = startNext(workerId, napper);
        String other = trigger("other", "{}");

        Instant until = Instant.now().plusSeconds(2);
        JsonNode waited =
                call("POST", "/engine/v1/runs/" + napper + "/wait/duration", "{\"date\":\"" + until + "\"}", 200);
        assertEquals(until, Instant.parse(waited.path("waitUntil").asText()));
        String waitpointId = waited.at("/waitpoint/id").asText();
        assertTrue(waitpointId.startsWith("waitpoint_"), waited.toString());
        JsonNode waiting = latest(napper);
        assertEquals(
                "EXECUTING_WITH_WAITPOINTS",
                waiting.at("/snapshot/executionStatus").asText());
        assertNotEquals(executing, waiting.at("/snapshot/friendlyId").asText());
        assertEquals(RunStatus.WAITING, run(napper).status());

        // the queue's one slot is free while napper waits: the other run starts and finishes meanwhile
        String otherSnapshot = startNext(workerId, other);
        complete(other, otherSnapshot, "{\"ok\":true,\"id\":\"" + other + "\",\"output\":\"1\"}");

        JsonNode resumed = awaitLatest(
                napper, snapshot -> snapshot.path("executionStatus").asText().equals("EXECUTING"));
        assertEquals(1, resumed.at("/run/attemptNumber").asInt());
        JsonNode waitpoint = resumed.path("completedWaitpoints").get(0);
        assertEquals(1, resumed.path("completedWaitpoints").size(), resumed.toString());
        assertEquals(waitpointId, waitpoint.path("friendlyId").asText());
        assertEquals("DATETIME", waitpoint.path("type").asText());
        assertEquals(false, waitpoint.path("outputIsError").asBoolean(true));

        String snapshot = resumed.at("/snapshot/friendlyId").asText();
        assertTrue(call("POST", runPath(napper, snapshot) + "/heartbeat", "{}", 200)
                .path("ok")
                .asBoolean());
        JsonNode result = complete(napper, snapshot, "{\"ok\":true,\"id\":\"" + napper + "\",\"output\":\"2\"}");
        assertEquals("RUN_FINISHED", result.path("attemptStatus").asText());
        assertEquals(1, result.at("/run/attemptNumber").asInt());
        RunState done = awaitRun(napper, run -> run.status() == RunStatus.COMPLETED);
        assertEquals("2", done.outputJson());
        assertEquals(1, done.attemptCount(), "a wait continues the attempt");
    }

    @Test
    void aTokenWaitResumesWithTheTokensDataOnceCompleted() throws Exception {
        String workerId = register(task("approver", ""));
        String runId = trigger("approver", "{}");
        startNext(workerId, runId);
        String tokenId = engine().tokens()
                .create(environment.id(), new WaitpointTokens.CreateRequest(null, List.of(), null, null))
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS)
                .token()
                .tokenId();
        call("POST", "/engine/v1/runs/" + runId + "/waitpoints/tokens/waitpoint_unknown/wait", "{}", 404);
        JsonNode waited =
                call("POST", "/engine/v1/runs/" + runId + "/waitpoints/tokens/" + tokenId + "/wait", "{}", 200);
        assertTrue(waited.path("success").asBoolean(), waited.toString());
        awaitLatest(runId, snapshot -> snapshot.path("executionStatus").asText().equals("EXECUTING_WITH_WAITPOINTS"));

        engine().tokens()
                .complete(environment.id(), tokenId, "{\"approved\":true}")
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
        JsonNode resumed = awaitLatest(
                runId, snapshot -> snapshot.path("executionStatus").asText().equals("EXECUTING"));
        JsonNode waitpoint = resumed.path("completedWaitpoints").get(0);
        assertEquals(tokenId, waitpoint.path("friendlyId").asText(), resumed.toString());
        assertEquals("MANUAL", waitpoint.path("type").asText());
        assertEquals(
                JSON.readTree("{\"approved\":true}"),
                JSON.readTree(waitpoint.path("output").asText()));
        assertEquals("application/json", waitpoint.path("outputType").asText());
    }

    @Test
    void aChildWaitResumesWithTheChildsOutputAndABatchWaitWithIndexes() throws Exception {
        String workerId = register(task("parent", "") + "," + task("child", ""));
        String parent = trigger("parent", "{}");
        startNext(workerId, parent);

        // triggerAndWait: the API trigger naming the parent suspends it (as the trigger route does)
        Wait single = suspendForChild(parent, "{\"n\":1}");
        String childId = single.childRunId(parent, 0);
        awaitLatest(
                parent, snapshot -> snapshot.path("executionStatus").asText().equals("EXECUTING_WITH_WAITPOINTS"));
        String childSnapshot = startNext(workerId, childId);
        assertEquals("{\"n\":1}", run(childId).spec().payloadJson());
        complete(childId, childSnapshot, "{\"ok\":true,\"id\":\"" + childId + "\",\"output\":\"{\\\"doubled\\\":2}\"}");
        JsonNode resumed = awaitLatest(
                parent, snapshot -> snapshot.path("executionStatus").asText().equals("EXECUTING"));
        JsonNode waitpoint = resumed.path("completedWaitpoints").get(0);
        assertEquals("RUN", waitpoint.path("type").asText(), resumed.toString());
        assertEquals(childId, waitpoint.at("/completedByTaskRun/friendlyId").asText());
        assertTrue(waitpoint.at("/completedByTaskRun/batch").isMissingNode());
        assertEquals(
                JSON.readTree("{\"doubled\":2}"),
                JSON.readTree(waitpoint.path("output").asText()));

        // batchTriggerAndWait: two children, one fails; the waitpoints carry the batch and each item's index
        BatchState batch = batchForParent(parent, "{\"n\":2}", "{\"n\":3}");
        assertEquals(BatchStatus.COMPLETED, batch.status());
        assertEquals(
                List.of(
                        Wait.childRunId(parent, batch.parentWaitKey(), 0),
                        Wait.childRunId(parent, batch.parentWaitKey(), 1)),
                batch.runIds());
        awaitLatest(
                parent, snapshot -> snapshot.path("executionStatus").asText().equals("EXECUTING_WITH_WAITPOINTS"));
        java.util.Map<String, String> dequeued = new java.util.HashMap<>();
        Instant deadline = Instant.now().plus(WAIT);
        while (dequeued.size() < 2) {
            if (Instant.now().isAfter(deadline)) throw new AssertionError("the batch's children were not dequeued");
            for (JsonNode message : call("POST", "/engine/v1/dev/dequeue", dequeueBody(workerId), 200)
                    .path("dequeuedMessages"))
                dequeued.put(
                        message.at("/run/friendlyId").asText(),
                        message.at("/snapshot/friendlyId").asText());
            TestNode.sleep(Duration.ofMillis(100));
        }
        for (int index = 0; index < 2; index++) {
            String item = batch.runIds().get(index);
            String snapshot = start(item, dequeued.get(item), 200)
                    .at("/snapshot/friendlyId")
                    .asText();
            complete(
                    item,
                    snapshot,
                    index == 0
                            ? "{\"ok\":true,\"id\":\"" + item + "\",\"output\":\"20\"}"
                            : "{\"ok\":false,\"id\":\"" + item + "\",\"error\":{\"type\":\"BUILT_IN_ERROR\","
                                    + "\"name\":\"Error\",\"message\":\"odd\",\"stackTrace\":\"\"}}");
        }
        JsonNode batchResumed = awaitLatest(
                parent,
                snapshot -> snapshot.path("executionStatus").asText().equals("EXECUTING")
                        && !snapshot.path("friendlyId")
                                .asText()
                                .equals(resumed.at("/snapshot/friendlyId").asText()));
        JsonNode items = batchResumed.path("completedWaitpoints");
        assertEquals(2, items.size(), batchResumed.toString());
        for (int index = 0; index < 2; index++) {
            assertEquals(index, items.get(index).path("index").asInt());
            assertEquals(
                    batch.batchId(),
                    items.get(index).at("/completedByTaskRun/batch/friendlyId").asText());
            assertEquals(
                    batch.runIds().get(index),
                    items.get(index).at("/completedByTaskRun/friendlyId").asText());
        }
        assertEquals("20", items.get(0).path("output").asText());
        assertEquals(true, items.get(1).path("outputIsError").asBoolean());
        assertEquals(
                "odd",
                JSON.readTree(items.get(1).path("output").asText())
                        .path("message")
                        .asText());
        assertEquals(1, batchResumed.at("/run/attemptNumber").asInt());
    }

    @Test
    void aBatchWhoseParentFinishedBeforeItsItemsCameRecordsWhyAndRefusesThem() throws Exception {
        String workerId = register(task("parent", "") + "," + task("child", ""));
        String parent = trigger("parent", "{}");
        startNext(workerId, parent);
        BatchService batches = engine().batches();
        BatchState created = batches.createForParent(environment.id(), parent, 1)
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
        assertEquals(BatchStatus.PENDING, created.status());
        engine().runs().cancel(environment.id(), parent).toCompletableFuture().get(10, TimeUnit.SECONDS);
        awaitRun(parent, run -> run.status().isFinal());

        java.util.concurrent.ExecutionException refused = assertThrows(
                java.util.concurrent.ExecutionException.class,
                () -> batches.addItems(
                                environment.id(),
                                created.batchId(),
                                List.of(new BatchService.Item(0, TriggerRequest.of("child", "{}"))))
                        .toCompletableFuture()
                        .get(10, TimeUnit.SECONDS));
        assertInstanceOf(RunRejectedException.class, refused.getCause(), refused.toString());
        BatchState after = batches.get(environment.id(), created.batchId())
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS)
                .orElseThrow();
        assertEquals(BatchStatus.PARTIAL_FAILED, after.status());
        assertTrue(after.runIds().isEmpty());
        assertTrue(
                after.errors().get(0).error().contains("CANCELED"),
                after.errors().toString());
    }

    @Test
    void aRunCanceledWhileItWaitsShowsPendingCancel() throws Exception {
        String workerId = register(task("patient", ""));
        String runId = trigger("patient", "{}");
        startNext(workerId, runId);
        call(
                "POST",
                "/engine/v1/runs/" + runId + "/wait/duration",
                "{\"date\":\"" + Instant.now().plusSeconds(600) + "\"}",
                200);
        awaitLatest(runId, snapshot -> snapshot.path("executionStatus").asText().equals("EXECUTING_WITH_WAITPOINTS"));
        engine().runs().cancel(environment.id(), runId).toCompletableFuture().get(10, TimeUnit.SECONDS);
        awaitLatest(runId, snapshot -> snapshot.path("executionStatus").asText().equals("PENDING_CANCEL"));
        assertEquals(RunStatus.CANCELED, run(runId).status());
    }

    @Test
    void theWatchdogsDisconnectCancelsRunsThatWait() throws Exception {
        String workerId = register(task("dozer", ""));
        String runId = trigger("dozer", "{}");
        startNext(workerId, runId);
        call(
                "POST",
                "/engine/v1/runs/" + runId + "/wait/duration",
                "{\"date\":\"" + Instant.now().plusSeconds(600) + "\"}",
                200);
        awaitRun(runId, run -> run.status() == RunStatus.WAITING);
        JsonNode disconnected =
                call("POST", "/engine/v1/dev/disconnect", "{\"runFriendlyIds\":[\"" + runId + "\"]}", 200);
        assertEquals(1, disconnected.path("cancelled").asInt());
        assertEquals(
                RunStatus.CANCELED,
                awaitRun(runId, run -> run.status().isFinal()).status());
    }

    @Test
    void aManifestsSchedulesBecomeDeclarativeSchedulesKeyedByTask() throws Exception {
        register(scheduledTask("cron", "0 * * * *", ""));
        String scheduleId = declaredSchedules().get("cron");
        ScheduleState created = schedule(scheduleId).orElseThrow();
        assertEquals(ScheduleSpec.DECLARATIVE, created.spec().type());
        assertEquals("0 * * * *", created.spec().cron());
        assertEquals("Europe/Paris", created.spec().timezone());
        assertTrue(created.active());

        // the same manifest again (a rebuild) changes nothing
        register(scheduledTask("cron", "0 * * * *", ""));
        assertEquals(Map.of("cron", scheduleId), declaredSchedules());
        assertEquals(created, schedule(scheduleId).orElseThrow());

        // a changed cron updates the same schedule
        register(scheduledTask("cron", "30 * * * *", ""));
        assertEquals(Map.of("cron", scheduleId), declaredSchedules());
        assertEquals("30 * * * *", schedule(scheduleId).orElseThrow().spec().cron());

        // the API may read it but not change it, as Trigger.dev refuses
        ScheduleSpec imperative =
                new ScheduleSpec("cron", "* * * * *", "UTC", null, null, null, ScheduleSpec.IMPERATIVE);
        assertEquals(
                ScheduleEntity.CANNOT_UPDATE_DECLARATIVE,
                refusal(engine().schedules().update(environment.id(), scheduleId, imperative)));
        assertEquals(
                ScheduleEntity.CANNOT_DELETE_DECLARATIVE,
                refusal(engine().schedules().delete(environment.id(), scheduleId)));
        assertEquals(
                ScheduleEntity.CANNOT_TOGGLE_DECLARATIVE,
                refusal(engine().schedules().setActive(environment.id(), scheduleId, false)));
        assertEquals("30 * * * *", schedule(scheduleId).orElseThrow().spec().cron());

        // a manifest whose task no longer has a schedule deletes it, as Trigger.dev does; declared again, it is new
        register(task("cron", ""));
        assertTrue(schedule(scheduleId).isEmpty());
        assertEquals(Map.of(), declaredSchedules());
        register(scheduledTask("cron", "0 * * * *", ""));
        String again = declaredSchedules().get("cron");
        assertNotEquals(scheduleId, again);
        // and a manifest that drops the task deletes it too
        register(task("other", ""));
        assertTrue(schedule(again).isEmpty());
        assertEquals(Map.of(), declaredSchedules());
    }

    @Test
    void aScheduleForOtherEnvironmentsIsNotCreatedHere() throws Exception {
        register(scheduledTask("prod-only", "0 * * * *", ",\"environments\":[\"PRODUCTION\"]"));
        assertEquals(Map.of(), declaredSchedules());
        register(scheduledTask("dev-too", "0 * * * *", ",\"environments\":[\"PRODUCTION\",\"DEVELOPMENT\"]"));
        assertEquals(Set.of("dev-too"), declaredSchedules().keySet());
        JsonNode badCron = call(
                "POST",
                "/api/v1/projects/" + environment.projectRef() + "/background-workers",
                manifest(scheduledTask("bad", "61 * * * *", "")),
                400);
        assertTrue(badCron.path("error").asText().startsWith("task bad: schedule"), badCron.toString());
    }

    @Test
    void aScheduledTaskGetsItsPayloadDatesAsDates() throws Exception {
        String workerId = register(scheduledTask("tick", "0 * * * *", ""));
        String runId = trigger(
                "tick",
                "{\"scheduleId\":\"sched_1\",\"type\":\"DECLARATIVE\",\"timestamp\":\"2030-01-01T10:00:00.000Z\","
                        + "\"timezone\":\"UTC\",\"upcoming\":[\"2030-01-01T11:00:00.000Z\"]}");
        JsonNode message = dequeueOne(workerId);
        JsonNode started = start(runId, message.at("/snapshot/friendlyId").asText(), 200);
        assertEquals(
                "application/super+json",
                started.at("/execution/run/payloadType").asText());
        JsonNode document = JSON.readTree(started.at("/execution/run/payload").asText());
        assertEquals("sched_1", document.at("/json/scheduleId").asText());
        assertEquals(
                JSON.readTree("{\"timestamp\":[\"Date\"],\"upcoming.0\":[\"Date\"]}"), document.at("/meta/values"));
    }

    @Test
    void aTasksTtlIsItsRunsDefaultAndATriggersOwnWins() throws Exception {
        // (the session takes runs as they are queued, so the CLI's runs do not wait long enough to expire here)
        register(task("short-lived", ",\"ttl\":\"10m\""));
        String defaulted = trigger("short-lived", "{}");
        assertEquals(Duration.ofMinutes(10), run(defaulted).spec().ttl());
        register(task("numeric", ",\"ttl\":90"));
        assertEquals(
                Duration.ofSeconds(90), run(trigger("numeric", "{}")).spec().ttl());
        String own = engine().runs()
                .trigger(
                        environment.id(),
                        TriggerRequest.builder("short-lived")
                                .payload("{}", "application/json")
                                .ttl(Duration.ofHours(1))
                                .build())
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS)
                .run()
                .runId();
        assertEquals(Duration.ofHours(1), run(own).spec().ttl());
        JsonNode badTtl = call(
                "POST",
                "/api/v1/projects/" + environment.projectRef() + "/background-workers",
                manifest(task("x", ",\"ttl\":\"soon\"")),
                400);
        assertTrue(badTtl.path("error").asText().contains("ttl"), badTtl.toString());
    }

    @Test
    void refusesWhatItCannotHonourNamingIt() throws Exception {
        JsonNode gates = call(
                "POST",
                "/api/v1/projects/" + environment.projectRef() + "/background-workers",
                manifest(task("gated", ",\"gates\":[{\"queue\":\"shared\"}]")),
                400);
        assertTrue(gates.path("error").asText().contains("'gates'"), gates.toString());
        JsonNode keyed = call(
                "POST",
                "/engine/v1/runs/run_x/wait/duration",
                "{\"date\":\"2030-01-01T00:00:00Z\",\"idempotencyKey\":\"k\"}",
                400);
        assertTrue(keyed.path("error").asText().contains("idempotencyKey"), keyed.toString());
        JsonNode deploy = call("POST", "/api/v1/deployments", "{\"contentHash\":\"abc\"}", 400);
        assertTrue(deploy.path("error").asText().startsWith("Baton does not deploy"), deploy.toString());
        call("POST", "/api/v1/projects/proj_other/background-workers", manifest(task("x", "")), 403);
        HttpResponse<String> anonymous = HTTP.send(
                HttpRequest.newBuilder(uri("/engine/v1/dev/config")).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(401, anonymous.statusCode());
    }

    // ---------------------------------------------------------------- the CLI's calls

    private static String task(String id, String extra) {
        return "{\"id\":\"" + id + "\",\"filePath\":\"src/trigger/" + id + ".ts\",\"exportName\":\"" + id + "\","
                + "\"entryPoint\":\"src/trigger/" + id + ".mjs\"" + extra + "}";
    }

    private static String scheduledTask(String id, String cron, String extraSchedule) {
        return task(
                id,
                ",\"triggerSource\":\"schedule\",\"schedule\":{\"cron\":\"" + cron + "\",\"timezone\":\"Europe/Paris\""
                        + extraSchedule + "}");
    }

    private static String manifest(String task) {
        return "{\"localOnly\":true,\"engine\":\"V2\",\"supportsLazyAttempts\":true,\"metadata\":{"
                + "\"packageVersion\":\"4.8.3\",\"contentHash\":\"hash-" + Ids.random(6) + "\",\"tasks\":[" + task
                + "],\"queues\":[],\"sourceFiles\":[]}}";
    }

    private String register(String task) throws Exception {
        JsonNode worker = call(
                "POST", "/api/v1/projects/" + environment.projectRef() + "/background-workers", manifest(task), 200);
        assertTrue(worker.path("id").asText().startsWith("worker_"), worker.toString());
        return worker.path("id").asText();
    }

    /** Dequeues {@code runId}'s attempt and starts it: the EXECUTING snapshot's id. */
    private String startNext(String workerId, String runId) throws Exception {
        JsonNode message = dequeueOne(workerId);
        assertEquals(runId, message.at("/run/friendlyId").asText());
        return start(runId, message.at("/snapshot/friendlyId").asText(), 200)
                .at("/snapshot/friendlyId")
                .asText();
    }

    /** What the trigger route does for a trigger with resumeParentOnCompletion naming {@code parent}. */
    private Wait suspendForChild(String parent, String payload) throws Exception {
        return engine().runs()
                .waitForChildren(environment.id(), parent, List.of(TriggerRequest.of("child", payload)))
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
    }

    /** What the batch routes do for a v3 batch with resumeParentOnCompletion naming {@code parent}: create, items. */
    private BatchState batchForParent(String parent, String... payloads) throws Exception {
        BatchService batches = engine().batches();
        BatchState created = batches.createForParent(environment.id(), parent, payloads.length)
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
        List<BatchService.Item> items = new java.util.ArrayList<>();
        for (int index = 0; index < payloads.length; index++)
            items.add(new BatchService.Item(index, TriggerRequest.of("child", payloads[index])));
        return batches.addItems(environment.id(), created.batchId(), items)
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS)
                .orElseThrow()
                .batch();
    }

    private static String dequeueBody(String workerId) {
        return "{\"currentWorker\":\"" + workerId + "\",\"oldWorkers\":[]}";
    }

    private JsonNode dequeueOne(String workerId) throws Exception {
        Instant deadline = Instant.now().plus(WAIT);
        for (; ; ) {
            JsonNode messages = call("POST", "/engine/v1/dev/dequeue", dequeueBody(workerId), 200)
                    .path("dequeuedMessages");
            if (!messages.isEmpty()) {
                assertEquals(1, messages.size(), messages.toString());
                return messages.get(0);
            }
            if (Instant.now().isAfter(deadline)) throw new AssertionError("nothing dequeued");
            TestNode.sleep(Duration.ofMillis(100));
        }
    }

    private JsonNode start(String runId, String snapshotId, int status) throws Exception {
        return call("POST", runPath(runId, snapshotId) + "/attempts/start", "{\"isWarmStart\":false}", status);
    }

    private JsonNode complete(String runId, String snapshotId, String completion) throws Exception {
        return complete(runId, snapshotId, 200, completion).path("result");
    }

    private JsonNode complete(String runId, String snapshotId, int status, String completion) throws Exception {
        return call(
                "POST",
                runPath(runId, snapshotId) + "/attempts/complete",
                "{\"completion\":" + completion + "}",
                status);
    }

    private JsonNode latest(String runId) throws Exception {
        return call("GET", "/engine/v1/dev/runs/" + runId + "/snapshots/latest", null, 200)
                .path("execution");
    }

    private JsonNode awaitLatest(String runId, Predicate<JsonNode> snapshot) throws Exception {
        Instant deadline = Instant.now().plus(WAIT);
        JsonNode latest = latest(runId);
        while (!snapshot.test(latest.path("snapshot"))) {
            if (Instant.now().isAfter(deadline)) throw new AssertionError("snapshot never matched: " + latest);
            TestNode.sleep(Duration.ofMillis(50));
            latest = latest(runId);
        }
        return latest;
    }

    private static String runPath(String runId, String snapshotId) {
        return "/engine/v1/dev/runs/" + runId + "/snapshots/" + snapshotId;
    }

    private JsonNode call(String method, String path, String body, int expectedStatus) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri(path))
                .header("Authorization", "Bearer " + secretKey)
                .header("Content-Type", "application/json");
        request.method(
                method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        HttpResponse<String> response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
        if (expectedStatus >= 0)
            assertEquals(expectedStatus, response.statusCode(), method + " " + path + ": " + response.body());
        return JSON.readTree(response.body());
    }

    private static URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    // ---------------------------------------------------------------- the engine's view

    private static Engine engine() {
        return node.engine();
    }

    private String trigger(String taskId, String payloadJson) throws Exception {
        return engine().runs()
                .trigger(
                        environment.id(),
                        TriggerRequest.builder(taskId)
                                .payload(payloadJson, "application/json")
                                .build())
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS)
                .run()
                .runId();
    }

    private Map<String, String> declaredSchedules() throws Exception {
        return engine().schedules()
                .declared(environment.id())
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
    }

    private Optional<ScheduleState> schedule(String scheduleId) throws Exception {
        return engine().schedules()
                .get(environment.id(), scheduleId)
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
    }

    /** The message the engine refused a change with. */
    private static String refusal(CompletionStage<?> change) {
        ExecutionException failed = assertThrows(
                ExecutionException.class, () -> change.toCompletableFuture().get(10, TimeUnit.SECONDS));
        assertInstanceOf(ScheduleService.InvalidScheduleException.class, failed.getCause());
        return failed.getCause().getMessage();
    }

    private RunState run(String runId) throws Exception {
        return node.run(environment.id(), runId);
    }

    private RunState awaitRun(String runId, Predicate<RunState> condition) throws Exception {
        return node.awaitRun(environment.id(), runId, condition);
    }
}
