package dev.baton.api.runs;

import static dev.baton.api.ApiTestServer.json;
import static dev.baton.api.runs.TriggerTaskTest.assertError;
import static dev.baton.api.runs.TriggerTaskTest.texts;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.api.ApiTestServer;
import dev.baton.engine.environment.Environment;
import dev.baton.engine.run.RunEntity;
import dev.baton.engine.run.TriggerRequest;
import dev.baton.engine.run.Wait;
import dev.baton.engine.task.RetryPolicy;
import dev.baton.engine.task.TaskDefinition;
import dev.baton.engine.worker.RunError;
import dev.baton.engine.worker.StepResult;
import dev.baton.engine.worker.WorkerChannel;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Cancel, replay, reschedule, tags and metadata on a real port, with runs driven through the engine
 * (a probe plays the worker), and the events endpoint rendering every kind of run event.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RunManagementTest {

    private static final String KEY = "tr_dev_manage_test_key";
    private static final String OTHER_KEY = "tr_prod_manage_other_key";
    private static final String TRIGGER = "/api/v1/tasks/hello-world/trigger";
    private static final String UNKNOWN_RUN = "run_doesnotexist0000000000";

    private static ApiTestServer server;
    private static Environment environment;

    @BeforeAll
    static void start() throws Exception {
        server = ApiTestServer.start("RunManagementTest");
        environment = server.environment("manage", "dev", KEY);
        server.declareTask(environment, "hello-world");
        // Retries after 10 ms, so a test can watch a retry without waiting out the default backoff.
        server.node()
                .engine()
                .declareTasks(
                        environment.id(),
                        List.of(new TaskDefinition(
                                "quick-retry", null, null, new RetryPolicy(3, 1.0, 10, 10, false), null)))
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
        Environment other = server.environment("manage-other", "prod", OTHER_KEY);
        server.declareTask(other, "hello-world");
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    @BeforeEach
    void forgetJournal() {
        server.forgetJournal();
    }

    // ---------------------------------------------------------------- cancel

    @Test
    void cancelAQueuedRun() throws Exception {
        String runId = trigger("{}");
        HttpResponse<String> canceled = server.postEmpty(cancelPath(runId), KEY);
        assertEquals(200, canceled.statusCode(), canceled.body());
        assertEquals("{\"id\":\"" + runId + "\"}", canceled.body());
        JsonNode run = server.retrieve(runId, KEY);
        assertEquals("CANCELED", run.get("status").asText());
        assertTrue(run.get("isCancelled").asBoolean());
        assertTrue(run.get("isCompleted").asBoolean());
        assertTrue(run.get("isFailed").asBoolean());
        assertFalse(run.get("isQueued").asBoolean());
        assertTrue(run.has("finishedAt"));
        assertNoNulls(run, "$");
    }

    @Test
    void cancelADelayedRun() throws Exception {
        String runId = trigger("{\"options\":{\"delay\":\"1h\"}}");
        // With a JSON body this time: the body is ignored.
        assertEquals(200, server.post(cancelPath(runId), KEY, "{}").statusCode());
        JsonNode run = server.retrieve(runId, KEY);
        assertEquals("CANCELED", run.get("status").asText());
        assertFalse(run.has("delayedUntil"));
    }

    @Test
    void cancelAnExecutingRunStopsItsWorker() throws Exception {
        String runId = trigger("{}");
        TestProbe<WorkerChannel.Message> worker = server.node().testKit().createTestProbe();
        String attemptId = server.startExecuting(runId, worker);
        assertEquals("EXECUTING", server.retrieve(runId, KEY).get("status").asText());

        assertEquals(200, server.postEmpty(cancelPath(runId), KEY).statusCode());
        WorkerChannel.CancelAttempt stop = worker.expectMessageClass(WorkerChannel.CancelAttempt.class);
        assertEquals(runId, stop.runId());
        assertEquals(attemptId, stop.attemptId());
        JsonNode run = server.retrieve(runId, KEY);
        assertEquals("CANCELED", run.get("status").asText());
        assertEquals(1, run.get("attemptCount").asInt());
    }

    @Test
    void cancelAFinishedRunChangesNothing() throws Exception {
        String runId = trigger("{}");
        TestProbe<WorkerChannel.Message> worker = server.node().testKit().createTestProbe();
        String attemptId = server.startExecuting(runId, worker);
        server.node()
                .engine()
                .runs()
                .complete(runId, attemptId, "{\"ok\":true}")
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
        JsonNode before = server.retrieve(runId, KEY);

        HttpResponse<String> canceled = server.postEmpty(cancelPath(runId), KEY);
        assertEquals(200, canceled.statusCode(), canceled.body());
        assertEquals(runId, json(canceled).get("id").asText());
        assertEquals(before, server.retrieve(runId, KEY));
        assertEquals(List.of("RunTriggered", "RunSucceeded"), server.eventTypes(runId, KEY));
        // Canceling twice is as harmless.
        String other = trigger("{}");
        assertEquals(200, server.postEmpty(cancelPath(other), KEY).statusCode());
        assertEquals(200, server.postEmpty(cancelPath(other), KEY).statusCode());
        assertEquals(List.of("RunTriggered", "RunCanceled"), server.eventTypes(other, KEY));
    }

    // ---------------------------------------------------------------- replay

    @Test
    void replayCopiesTheRun() throws Exception {
        String original = trigger("""
        {"payload":{"name":"Ada"},"options":{"tags":["t1","t2"],"metadata":{"step":1},"queue":{"name":"emails"},
         "concurrencyKey":"tenant-9","priority":3,"ttl":"1h","maxAttempts":2}}""");
        HttpResponse<String> replayed = server.postEmpty("/api/v1/runs/" + original + "/replay", KEY);
        assertEquals(200, replayed.statusCode(), replayed.body());
        assertEquals(Set.of("id"), TriggerTaskTest.fieldNames(json(replayed)));
        String copy = json(replayed).get("id").asText();
        assertNotEquals(original, copy);

        JsonNode run = server.retrieve(copy, KEY);
        assertEquals("QUEUED", run.get("status").asText());
        assertEquals("hello-world", run.get("taskIdentifier").asText());
        assertEquals("Ada", run.get("payload").get("name").asText());
        assertEquals(List.of("t1", "t2"), texts(run.get("tags")));
        assertEquals(1, run.get("metadata").get("step").asInt());
        assertEquals("1h", run.get("ttl").asText());
        assertEquals("tenant-9", run.get("concurrencyKey").asText());
        JsonNode spec = triggeredSpec(copy);
        assertEquals("emails", spec.get("queue").asText());
        assertEquals(original, spec.get("replayOf").asText());
        assertEquals(2, spec.get("retry").get("maxAttempts").asInt());
        assertEquals(3000, spec.get("priorityMs").asLong());
    }

    @Test
    void replayOverridesApply() throws Exception {
        String original = trigger("""
        {"payload":{"name":"Ada"},"options":{"tags":"t1","metadata":{"step":1},"maxAttempts":2}}""");
        HttpResponse<String> replayed = server.post("/api/v1/runs/" + original + "/replay", KEY, """
        {"payload":"{\\"json\\":{\\"name\\":\\"Grace\\"},\\"meta\\":{}}","payloadType":"application/super+json",
         "tags":["replayed"],"metadata":{"step":2},"queue":"other-queue","concurrencyKey":5,"delay":"1h",
         "ttl":120,"maxAttempts":4,"maxDuration":60,"priority":1.5,"unknownKey":true}""");
        assertEquals(200, replayed.statusCode(), replayed.body());
        String copy = json(replayed).get("id").asText();

        JsonNode run = server.retrieve(copy, KEY);
        assertEquals("DELAYED", run.get("status").asText());
        assertTrue(run.has("delayedUntil"));
        assertEquals("Grace", run.get("payload").get("name").asText());
        assertEquals(List.of("replayed"), texts(run.get("tags")));
        assertEquals(2, run.get("metadata").get("step").asInt());
        assertEquals("2m", run.get("ttl").asText());
        assertEquals("5", run.get("concurrencyKey").asText());
        assertEquals("1.5", run.get("priority").toString());
        JsonNode spec = triggeredSpec(copy);
        assertEquals("other-queue", spec.get("queue").asText());
        assertEquals(4, spec.get("retry").get("maxAttempts").asInt());
        assertEquals(60, spec.get("maxDurationSeconds").asInt());
        // The original is untouched.
        assertEquals(
                "Ada", server.retrieve(original, KEY).get("payload").get("name").asText());
    }

    @Test
    void replayRefusesBadBodiesBeforeTheEngine() throws Exception {
        String original = trigger("{}");
        server.forgetJournal();
        assertError(server.post("/api/v1/runs/" + original + "/replay", KEY, "{\"delay\":\"soonish\"}"), 422, null);
        assertError(
                server.post("/api/v1/runs/" + original + "/replay", KEY, "{\"maxAttempts\":0}"),
                400,
                "maxAttempts must be an integer of at least 1");
        assertError(server.post("/api/v1/runs/" + original + "/replay", KEY, "{\"payload\":"), 400, null);
        assertError(
                server.post("/api/v1/runs/" + original + "/replay", KEY, "{\"machine\":\"large-2x\"}"),
                400,
                "machine is not supported on a replay: Baton has no machine presets");
        for (String option : List.of("region", "version", "idempotencyKey", "idempotencyKeyTTL")) {
            HttpResponse<String> refused =
                    server.post("/api/v1/runs/" + original + "/replay", KEY, "{\"" + option + "\":\"x\"}");
            assertEquals(400, refused.statusCode(), refused.body());
            assertTrue(json(refused).get("error").asText().startsWith(option + " is not supported on a replay: "));
        }
        assertEquals(List.of(), server.runJournalOperations());
    }

    // ---------------------------------------------------------------- reschedule

    @Test
    void rescheduleMovesADelayedRun() throws Exception {
        String runId = trigger("{\"options\":{\"delay\":\"1h\"}}");
        Instant first =
                Instant.parse(server.retrieve(runId, KEY).get("delayedUntil").asText());

        HttpResponse<String> moved = server.post("/api/v1/runs/" + runId + "/reschedule", KEY, "{\"delay\":\"2h\"}");
        assertEquals(200, moved.statusCode(), moved.body());
        JsonNode answer = json(moved);
        assertEquals(runId, answer.get("id").asText());
        assertEquals("DELAYED", answer.get("status").asText());
        assertTrue(answer.has("relatedRuns") && answer.has("isQueued") && answer.has("createdAt"), "the full run");
        Instant second = Instant.parse(answer.get("delayedUntil").asText());
        assertTrue(Duration.between(first, second).compareTo(Duration.ofMinutes(59)) > 0, first + " → " + second);
        assertEquals(answer.get("delayedUntil"), server.retrieve(runId, KEY).get("delayedUntil"));

        Instant date = Instant.now().plus(Duration.ofDays(3)).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        JsonNode toDate =
                json(server.post("/api/v1/runs/" + runId + "/reschedule", KEY, "{\"delay\":\"" + date + "\"}"));
        assertEquals(date, Instant.parse(toDate.get("delayedUntil").asText()));
    }

    @Test
    void rescheduleIntoThePastQueuesTheRun() throws Exception {
        String runId = trigger("{\"options\":{\"delay\":\"1h\"}}");
        HttpResponse<String> moved =
                server.post("/api/v1/runs/" + runId + "/reschedule", KEY, "{\"delay\":\"2020-01-01T00:00:00Z\"}");
        assertEquals(200, moved.statusCode(), moved.body());
        server.awaitStatus(runId, KEY, "QUEUED");
        assertEquals(List.of("RunTriggered", "RunRescheduled", "RunEnqueued"), server.eventTypes(runId, KEY));
    }

    @Test
    void rescheduleRefusesRunsThatAreNotDelayedAndBadDelays() throws Exception {
        String queued = trigger("{}");
        assertError(
                server.post("/api/v1/runs/" + queued + "/reschedule", KEY, "{\"delay\":\"1h\"}"),
                422,
                RunEntity.NOT_DELAYED);
        String delayed = trigger("{\"options\":{\"delay\":\"1h\"}}");
        server.forgetJournal();
        assertError(server.post("/api/v1/runs/" + delayed + "/reschedule", KEY, "{\"delay\":\"nope\"}"), 422, null);
        assertError(server.post("/api/v1/runs/" + delayed + "/reschedule", KEY, "{}"), 400, "delay is required");
        assertError(server.post("/api/v1/runs/" + delayed + "/reschedule", KEY, "{\"delay\":60}"), 400, null);
        assertEquals(List.of(), server.runJournalOperations());
    }

    // ---------------------------------------------------------------- tags

    @Test
    void tagsAreAppendedAndDeduplicated() throws Exception {
        String runId = trigger("{\"options\":{\"tags\":[\"a\"]}}");
        assertMessage(
                server.post(tagsPath(runId), KEY, "{\"tags\":[\"a\",\"b\",\"c\",\"b\"]}"),
                "Successfully set 2 new tags.");
        assertMessage(server.post(tagsPath(runId), KEY, "{\"tags\":\"d\"}"), "Successfully set 1 new tags.");
        assertMessage(server.post(tagsPath(runId), KEY, "{\"tags\":[\"a\",\"d\"]}"), "No new tags to set");
        assertEquals(
                List.of("a", "b", "c", "d"), texts(server.retrieve(runId, KEY).get("tags")));
        assertEquals(List.of("RunTriggered", "TagsAdded", "TagsAdded"), server.eventTypes(runId, KEY));
    }

    @Test
    void theEleventhTagIs422() throws Exception {
        String runId =
                trigger("{\"options\":{\"tags\":[\"t1\",\"t2\",\"t3\",\"t4\",\"t5\",\"t6\",\"t7\",\"t8\",\"t9\"]}}");
        assertMessage(server.post(tagsPath(runId), KEY, "{\"tags\":[\"t10\",\"t1\"]}"), "Successfully set 1 new tags.");
        assertError(
                server.post(tagsPath(runId), KEY, "{\"tags\":[\"t11\"]}"),
                422,
                "Runs can only have 10 tags, you're trying to set 11. These tags have not been set: 't11'.");
        assertEquals(10, server.retrieve(runId, KEY).get("tags").size());
        assertError(
                server.post(tagsPath(runId), KEY, "{\"tags\":[\"" + "x".repeat(129) + "\"]}"),
                400,
                "tags[0] must be at most 128 characters");
        assertError(
                server.post(tagsPath(runId), KEY, "{\"tags\":7}"), 400, "tags must be a string or an array of strings");
    }

    // ---------------------------------------------------------------- metadata

    @Test
    void everyMetadataOperation() throws Exception {
        String runId = trigger("{\"options\":{\"metadata\":{\"start\":true}}}");
        assertMetadata(
                putMetadata(runId, "{\"operations\":[{\"type\":\"set\",\"key\":\"progress\",\"value\":0.5}]}"),
                "{\"start\":true,\"progress\":0.5}");
        assertMetadata(
                putMetadata(runId, "{\"operations\":[{\"type\":\"set\",\"key\":\"$.a.b\",\"value\":\"deep\"}]}"),
                "{\"start\":true,\"progress\":0.5,\"a\":{\"b\":\"deep\"}}");
        assertMetadata(
                putMetadata(runId, "{\"operations\":[{\"type\":\"delete\",\"key\":\"start\"}]}"),
                "{\"progress\":0.5,\"a\":{\"b\":\"deep\"}}");
        assertMetadata(
                putMetadata(
                        runId,
                        "{\"operations\":[{\"type\":\"append\",\"key\":\"logs\",\"value\":\"one\"},"
                                + "{\"type\":\"append\",\"key\":\"logs\",\"value\":\"two\"}]}"),
                "{\"progress\":0.5,\"a\":{\"b\":\"deep\"},\"logs\":[\"one\",\"two\"]}");
        assertMetadata(
                putMetadata(runId, "{\"operations\":[{\"type\":\"remove\",\"key\":\"logs\",\"value\":\"one\"}]}"),
                "{\"progress\":0.5,\"a\":{\"b\":\"deep\"},\"logs\":[\"two\"]}");
        assertMetadata(
                putMetadata(
                        runId,
                        "{\"operations\":[{\"type\":\"increment\",\"key\":\"count\",\"value\":2},"
                                + "{\"type\":\"increment\",\"key\":\"count\",\"value\":3}]}"),
                "{\"progress\":0.5,\"a\":{\"b\":\"deep\"},\"logs\":[\"two\"],\"count\":5}");
        assertMetadata(
                putMetadata(runId, "{\"operations\":[{\"type\":\"update\",\"value\":{\"fresh\":1}}]}"),
                "{\"fresh\":1}");
        // A plain metadata object replaces, and runs before the operations.
        assertMetadata(
                putMetadata(
                        runId,
                        "{\"metadata\":{\"x\":1},\"operations\":[{\"type\":\"set\",\"key\":\"y\","
                                + "\"value\":2}],\"parentOperations\":[{\"type\":\"set"
                                + "\",\"key\":\"p\",\"value\":1}],\"rootOperations\":[]}"),
                "{\"x\":1,\"y\":2}");
        assertEquals(
                "{\"x\":1,\"y\":2}", server.retrieve(runId, KEY).get("metadata").toString());
        // Nothing to do: the current metadata, nothing written.
        int events = server.eventTypes(runId, KEY).size();
        assertMetadata(putMetadata(runId, "{}"), "{\"x\":1,\"y\":2}");
        assertEquals(events, server.eventTypes(runId, KEY).size());
        // A run without metadata answers an empty object.
        assertMetadata(putMetadata(trigger("{}"), "{\"operations\":[]}"), "{}");
    }

    @Test
    void metadataLimitsAndBadOperations() throws Exception {
        String runId = trigger("{}");
        String half = "x".repeat(150 * 1024);
        assertEquals(
                200,
                putMetadata(runId, "{\"operations\":[{\"type\":\"set\",\"key\":\"a\",\"value\":\"" + half + "\"}]}")
                        .statusCode());
        // The body is well under 2 MB, but the stored metadata would pass 256 KB: the engine refuses it.
        HttpResponse<String> tooLarge =
                putMetadata(runId, "{\"operations\":[{\"type\":\"set\",\"key\":\"b\",\"value\":\"" + half + "\"}]}");
        assertError(tooLarge, 413, null);
        assertTrue(json(tooLarge).get("error").asText().startsWith(RunEntity.METADATA_TOO_LARGE), tooLarge.body());
        assertEquals(Set.of("a"), fieldSet(server.retrieve(runId, KEY).get("metadata")));

        server.forgetJournal();
        assertError(putMetadata(runId, "{\"metadata\":{\"blob\":\"" + "y".repeat(300 * 1024) + "\"}}"), 413, null);
        assertError(
                putMetadata(runId, "{\"operations\":[{\"type\":\"set\",\"key\":\"__proto__\",\"value\":{}}]}"),
                400,
                "operations[0]: invalid metadata key: __proto__");
        assertError(
                putMetadata(runId, "{\"operations\":[{\"type\":\"set\",\"key\":\"$.x.prototype\",\"value\":1}]}"),
                400,
                null);
        assertError(
                putMetadata(runId, "{\"operations\":[{\"type\":\"increment\",\"key\":\"n\",\"value\":\"1\"}]}"),
                400,
                "operations[0].value must be a number");
        assertError(putMetadata(runId, "{\"operations\":[{\"type\":\"rename\",\"key\":\"n\"}]}"), 400, null);
        // Over 2 MB is refused from the Content-Length alone.
        String[] hugeBody = server.sendHeadOnly("PUT", "/api/v1/runs/" + runId + "/metadata", KEY, 2 * 1024 * 1024 + 1);
        assertTrue(hugeBody[0].startsWith("HTTP/1.1 413"), hugeBody[0]);
        assertEquals("{\"error\":\"Request body too large: the limit is 2097152 bytes\"}", hugeBody[1]);
        assertEquals(List.of(), server.runJournalOperations());
    }

    // ---------------------------------------------------------------- unknown runs, other environments, auth

    @Test
    void everyRunRouteIs404ForUnknownAndForeignRuns() throws Exception {
        String foreign = trigger("{\"options\":{\"delay\":\"1h\"}}");
        for (String runId : List.of(UNKNOWN_RUN, "not-a-run-id", foreign)) {
            String key = runId.equals(foreign) ? OTHER_KEY : KEY;
            List<HttpResponse<String>> answers = List.of(
                    server.postEmpty(cancelPath(runId), key),
                    server.postEmpty("/api/v1/runs/" + runId + "/replay", key),
                    server.post("/api/v1/runs/" + runId + "/replay", key, "{\"tags\":\"x\"}"),
                    server.post("/api/v1/runs/" + runId + "/reschedule", key, "{\"delay\":\"1h\"}"),
                    server.post(tagsPath(runId), key, "{\"tags\":[\"x\"]}"),
                    putMetadata(runId, key, "{\"operations\":[{\"type\":\"set\",\"key\":\"k\",\"value\":1}]}"),
                    putMetadata(runId, key, "{}"));
            for (HttpResponse<String> answer : answers) {
                assertError(answer, 404, "Run not found");
                assertEquals(
                        "false",
                        answer.headers().firstValue("x-should-retry").orElse(""),
                        answer.uri().toString());
            }
        }
        // The foreign run was left alone.
        JsonNode untouched = server.retrieve(foreign, KEY);
        assertEquals("DELAYED", untouched.get("status").asText());
        assertEquals(List.of(), texts(untouched.get("tags")));
        assertEquals(List.of("RunTriggered"), server.eventTypes(foreign, KEY));
    }

    @Test
    void everyNewRouteNeedsTheKey() throws Exception {
        String runId = trigger("{}");
        server.forgetJournal();
        for (String key : new String[] {null, "tr_dev_wrong"}) {
            assertError(server.postEmpty(cancelPath(runId), key), 401, "Invalid or Missing API key");
            assertError(server.postEmpty("/api/v1/runs/" + runId + "/replay", key), 401, "Invalid or Missing API key");
            assertError(server.post("/api/v1/runs/" + runId + "/reschedule", key, "{\"delay\":\"1h\"}"), 401, null);
            assertError(server.post(tagsPath(runId), key, "{\"tags\":\"x\"}"), 401, null);
            assertError(putMetadata(runId, key, "{}"), 401, null);
            assertError(
                    server.post("/api/v1/idempotencyKeys/k/reset", key, "{\"taskIdentifier\":\"hello-world\"}"),
                    401,
                    null);
        }
        assertEquals(List.of(), server.runJournalOperations());
        assertEquals("QUEUED", server.retrieve(runId, KEY).get("status").asText());
    }

    @Test
    void wrongMethodsAreJsonErrors() throws Exception {
        String runId = trigger("{}");
        assertEquals(405, server.get(cancelPath(runId), KEY).statusCode());
        assertEquals(
                405,
                server.post("/api/v1/runs/" + runId + "/metadata", KEY, "{}").statusCode());
        assertEquals(405, server.get("/api/v1/runs/" + runId + "/tags", KEY).statusCode());
    }

    // ---------------------------------------------------------------- events

    @Test
    void theEventsEndpointRendersEveryEventType() throws Exception {
        // A delayed run that is rescheduled, tagged, updated, retried once and then succeeds.
        String runId = triggerTask(
                "quick-retry",
                "{\"payload\":{\"n\":1},\"options\":{\"delay\":\"1h\",\"ttl\":\"1h\","
                        + "\"tags\":\"first\",\"metadata\":{\"m\":1},\"queue\":{\"name"
                        + "\":\"q1\"},\"concurrencyKey\":\"ck\"}}");
        assertEquals(
                200,
                server.post("/api/v1/runs/" + runId + "/reschedule", KEY, "{\"delay\":\"2000-01-01T00:00:00Z\"}")
                        .statusCode());
        server.awaitStatus(runId, KEY, "QUEUED");
        assertEquals(
                200, server.post(tagsPath(runId), KEY, "{\"tags\":\"second\"}").statusCode());
        assertEquals(
                200,
                putMetadata(runId, "{\"operations\":[{\"type\":\"set\",\"key\":\"m\",\"value\":2}]}")
                        .statusCode());
        TestProbe<WorkerChannel.Message> worker = server.node().testKit().createTestProbe();
        String attempt1 = server.startExecuting(runId, worker);
        server.node()
                .engine()
                .runs()
                .fail(runId, attempt1, new RunError("Error", "flaky", "Error: flaky"), true)
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
        server.awaitStatus(runId, KEY, "QUEUED");
        String attempt2 = server.startExecuting(runId, worker);
        server.node()
                .engine()
                .runs()
                .complete(runId, attempt2, "{\"done\":true}")
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);

        // A run that fails for good, one that is canceled, one that expires.
        String failed = trigger("{\"options\":{\"maxAttempts\":1}}");
        String failedAttempt = server.startExecuting(failed, worker);
        server.node()
                .engine()
                .runs()
                .fail(failed, failedAttempt, new RunError("TypeError", "bad", null), false)
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
        String canceled = trigger("{}");
        assertEquals(200, server.postEmpty(cancelPath(canceled), KEY).statusCode());
        String expired = trigger("{\"options\":{\"ttl\":1}}");
        server.awaitStatus(expired, KEY, "EXPIRED");

        // A run that records a step and waits for two children, both canceled: it resumes with their errors.
        String durable = trigger("{}");
        String durableAttempt = server.startExecuting(durable, worker);
        var runs = server.node().engine().runs();
        runs.completeStep(durable, durableAttempt, "charge", StepResult.success("{\"paid\":true}"))
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
        Wait wait = Wait.runs(
                "runs#1",
                List.of(TriggerRequest.of("hello-world", "{}"), TriggerRequest.of("hello-world", "{}")),
                null);
        runs.suspend(durable, durableAttempt, wait).toCompletableFuture().get(10, TimeUnit.SECONDS);
        for (int i = 0; i < 2; i++) {
            String child = wait.childRunId(durable, i);
            server.awaitStatus(child, KEY, "QUEUED");
            assertEquals(200, server.postEmpty(cancelPath(child), KEY).statusCode());
        }
        server.awaitStatus(durable, KEY, "QUEUED");

        // A debounced run a second trailing trigger pushed back and gave its payload.
        String debounce = "{\"key\":\"events\",\"delay\":\"1h\",\"mode\":\"trailing\"}";
        String debounced = trigger("{\"payload\":{\"n\":1},\"options\":{\"debounce\":" + debounce + "}}");
        assertEquals(debounced, trigger("{\"payload\":{\"n\":2},\"options\":{\"debounce\":" + debounce + "}}"));
        assertEquals(List.of("RunTriggered", "RunDebounced"), server.eventTypes(debounced, KEY));

        // A run of a task no worker had declared: PENDING_VERSION until its declaration, which it takes when woken.
        String pending = triggerTask("declared-later", "{}");
        server.awaitStatus(pending, KEY, "PENDING_VERSION");
        server.node()
                .engine()
                .declareTasks(
                        environment.id(), List.of(new TaskDefinition("declared-later", "later", null, null, null)))
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
        ClusterSharding.get(server.node().system())
                .entityRefFor(RunEntity.ENTITY_TYPE_KEY, pending)
                .tell(new RunEntity.Wake());
        server.awaitStatus(pending, KEY, "QUEUED");
        assertEquals(List.of("RunTriggered", "RunTaskDeclared"), server.eventTypes(pending, KEY));

        // An attempt is journaled with its outcome (AttemptFailed, RunSucceeded, RunSuspended carry it).
        assertEquals(
                List.of(
                        "RunTriggered",
                        "RunRescheduled",
                        "RunEnqueued",
                        "TagsAdded",
                        "MetadataUpdated",
                        "AttemptFailed",
                        "RunEnqueued",
                        "RunSucceeded"),
                server.eventTypes(runId, KEY));
        assertEquals(List.of("RunTriggered", "AttemptFailed", "RunFailed"), server.eventTypes(failed, KEY));
        assertEquals(List.of("RunTriggered", "RunCanceled"), server.eventTypes(canceled, KEY));
        assertEquals(List.of("RunTriggered", "RunExpired"), server.eventTypes(expired, KEY));
        assertEquals(
                List.of("RunTriggered", "StepCompleted", "RunSuspended", "WaitResolved", "WaitResolved", "RunResumed"),
                server.eventTypes(durable, KEY));

        Map<String, JsonNode> byType = new java.util.HashMap<>();
        for (String id : List.of(runId, failed, canceled, expired, durable, debounced, pending)) {
            JsonNode events =
                    json(server.get("/api/v1/runs/" + id + "/events", KEY)).get("data");
            assertNoNulls(events, "$.data");
            events.forEach(event -> byType.putIfAbsent(event.get("type").asText(), event.get("data")));
        }
        Set<String> every = Arrays.stream(RunEntity.Event.class.getPermittedSubclasses())
                .map(Class::getSimpleName)
                .collect(Collectors.toCollection(TreeSet::new));
        every.removeAll(Set.of("AttemptLeased", "AttemptStarted")); // only written when a run moves while held
        assertEquals(every, new TreeSet<>(byType.keySet()), "a new event type needs a case here");

        assertEquals("later", byType.get("RunTaskDeclared").get("queue").asText());
        assertEquals(
                "declared-later",
                byType.get("RunTaskDeclared").get("task").get("taskId").asText());
        JsonNode spec = byType.get("RunTriggered").get("spec");
        assertEquals("q1", spec.get("queue").asText());
        assertEquals("ck", spec.get("concurrencyKey").asText());
        assertEquals("1h", spec.get("ttl").asText());
        assertEquals(1, spec.get("payload").get("n").asInt());
        assertEquals(1, spec.get("metadata").get("m").asInt());
        assertTimestamp(spec.get("delayUntil"));
        // A date in the past reschedules to "now".
        assertTimestamp(byType.get("RunRescheduled").get("delayUntil"));
        assertTrue(Instant.parse(byType.get("RunRescheduled").get("delayUntil").asText())
                .isAfter(Instant.parse("2020-01-01T00:00:00Z")));
        assertTimestamp(byType.get("RunRescheduled").get("at"));
        assertTimestamp(byType.get("RunEnqueued").get("at"));
        assertTimestamp(byType.get("RunDebounced").get("delayUntil"));
        assertEquals(
                2,
                byType.get("RunDebounced").get("latest").get("payload").get("n").asInt());
        assertEquals(List.of("second"), texts(byType.get("TagsAdded").get("tags")));
        assertEquals("{\"m\":2}", byType.get("MetadataUpdated").get("metadata").toString());
        assertEquals(
                attempt1, byType.get("AttemptFailed").get("attempt").get("id").asText());
        assertTimestamp(byType.get("AttemptFailed").get("attempt").get("startedAt"));
        assertEquals(
                "flaky", byType.get("AttemptFailed").get("error").get("message").asText());
        assertTimestamp(byType.get("AttemptFailed").get("retryAt"));
        assertTrue(byType.get("RunSucceeded").get("output").get("done").asBoolean());
        assertEquals("FAILED", byType.get("RunFailed").get("status").asText());
        assertEquals(
                "TypeError", byType.get("RunFailed").get("error").get("name").asText());
        assertTimestamp(byType.get("RunCanceled").get("at"));
        assertTimestamp(byType.get("RunExpired").get("at"));
        assertEquals("charge", byType.get("StepCompleted").get("key").asText());
        assertTrue(byType.get("StepCompleted")
                .get("result")
                .get("output")
                .get("paid")
                .asBoolean());
        assertEquals(
                "RUNS", byType.get("RunSuspended").get("waitFor").get("kind").asText());
        assertEquals(
                "CANCELED",
                byType.get("WaitResolved")
                        .get("result")
                        .get("error")
                        .get("name")
                        .asText());
        assertEquals("runs#1", byType.get("RunResumed").get("key").asText());

        JsonNode done = server.retrieve(runId, KEY);
        assertEquals("COMPLETED", done.get("status").asText());
        assertEquals(List.of("first", "second"), texts(done.get("tags")));
        assertEquals(2, done.get("metadata").get("m").asInt());
        assertEquals(2, done.get("attemptCount").asInt());
    }

    // ---------------------------------------------------------------- helpers

    private static String trigger(String body) throws Exception {
        return triggerTask("hello-world", body);
    }

    private static String triggerTask(String taskId, String body) throws Exception {
        HttpResponse<String> response = server.post("/api/v1/tasks/" + taskId + "/trigger", KEY, body);
        assertEquals(200, response.statusCode(), response.body());
        return json(response).get("id").asText();
    }

    private static String cancelPath(String runId) {
        return "/api/v2/runs/" + runId + "/cancel";
    }

    private static String tagsPath(String runId) {
        return "/api/v1/runs/" + runId + "/tags";
    }

    private static HttpResponse<String> putMetadata(String runId, String body) throws Exception {
        return putMetadata(runId, KEY, body);
    }

    private static HttpResponse<String> putMetadata(String runId, String key, String body) throws Exception {
        return server.put("/api/v1/runs/" + runId + "/metadata", key, body);
    }

    private static void assertMessage(HttpResponse<String> response, String message) throws Exception {
        assertEquals(200, response.statusCode(), response.body());
        assertEquals("{\"message\":\"" + message + "\"}", response.body());
    }

    private static void assertMetadata(HttpResponse<String> response, String metadata) throws Exception {
        assertEquals(200, response.statusCode(), response.body());
        assertEquals("{\"metadata\":" + metadata + "}", response.body());
    }

    private static JsonNode triggeredSpec(String runId) throws Exception {
        JsonNode first = json(server.get("/api/v1/runs/" + runId + "/events", KEY))
                .get("data")
                .get(0);
        assertEquals("RunTriggered", first.get("type").asText());
        return first.get("data").get("spec");
    }

    private static Set<String> fieldSet(JsonNode node) {
        Set<String> names = new TreeSet<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private static void assertTimestamp(JsonNode value) {
        assertTrue(value != null && value.isTextual(), String.valueOf(value));
        Instant.parse(value.asText());
    }

    private static void assertNoNulls(JsonNode node, String path) {
        if (node.isNull()) fail("null at " + path);
        for (Iterator<Map.Entry<String, JsonNode>> fields = node.fields(); fields.hasNext(); ) {
            Map.Entry<String, JsonNode> field = fields.next();
            assertNoNulls(field.getValue(), path + "." + field.getKey());
        }
        for (int i = 0; node.isArray() && i < node.size(); i++) assertNoNulls(node.get(i), path + "[" + i + "]");
    }
}
