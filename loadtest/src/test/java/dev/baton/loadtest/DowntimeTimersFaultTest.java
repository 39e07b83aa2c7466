package dev.baton.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.engine.testkit.TestDatabases;
import dev.baton.node.NodeProcess;
import dev.baton.node.TestNodes;
import dev.baton.sdk.task.TaskContext;
import dev.baton.sdk.worker.BatonWorker;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Durable timers that fall due while the node is down fire once it is back, each once: delayed runs, durable
 * waits, retry backoffs, runs whose TTL ends while they are queued, and a waitpoint token's timeout (with a run
 * waiting for it). The node is killed with SIGKILL right after the last timer is armed and kept down until
 * every timer is overdue; after the restart each delayed, waiting or retrying run's handler must start no
 * earlier than its timer and within {@link #FIRES_WITHIN} of the restart, the TTL runs must end EXPIRED without
 * executing, the token TIMED_OUT and its run resume with the timeout. The invariant checker then finds every
 * run finished exactly once. The worker is closed before the delayed and TTL runs are triggered, so nothing
 * leases them before the kill; a new one keeps trying to connect during the downtime, as a fleet's workers do.
 * After the restart the test waits on the run list only, so that nothing but the engine wakes a run.
 */
@Tag("faults")
class DowntimeTimersFaultTest {

    private static final Duration DOWNTIME = Duration.ofSeconds(12);
    private static final Duration FIRES_WITHIN = Duration.ofSeconds(20);
    private static final Duration ARMING_WITHIN = Duration.ofSeconds(30);
    private static final JsonNode UNLISTED =
            new ObjectMapper().createObjectNode().put("status", "unlisted");

    /** A timer armed before the kill: what waits on it and when it is due. */
    private record Timer(String kind, String runId, String tokenId, Instant due) {}

    private final Set<String> acceptedRunIds = new HashSet<>();
    private final Map<String, List<Instant>> handlerStarts = new ConcurrentHashMap<>();
    private FaultApi api;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"h2", "postgres"})
    void timersDueDuringTheDowntimeFireOnceAfterTheRestart(String storeName) throws Exception {
        Instant began = Instant.now();
        Path dir = FaultRuns.directory("downtime-timers-" + storeName + "-" + began.toEpochMilli());
        NodeProcess.Store store = storeName.equals("h2")
                ? NodeProcess.Store.h2(dir.resolve("data"))
                : NodeProcess.Store.postgres(TestDatabases.freshPostgresSchema("downtime"));
        int port = NodeProcess.freePort();
        Path log = dir.resolve("node.log");
        NoopFleet.Recorder recorder = new NoopFleet.Recorder();
        Consumer<TaskContext> noteStart = ctx -> handlerStarts
                .computeIfAbsent(ctx.runId(), id -> new CopyOnWriteArrayList<>())
                .add(Instant.now());
        NodeProcess node = NodeProcess.start(store, port, NodeKillFaultTest.FAST_RECOVERY, log);
        api = new FaultApi(node.url(), TestNodes.SECRET_KEY);
        CompletableFuture<BatonWorker> reconnecting = null;
        try {
            List<Timer> timers = new ArrayList<>();
            try (BatonWorker before = FaultTasks.startWorker(
                    node.url(),
                    TestNodes.WORKER_TOKEN,
                    "downtime-before-" + began.toEpochMilli(),
                    16,
                    recorder,
                    noteStart)) {
                armTimersThatNeedAWorker(timers);
            }
            for (int seconds = 4; seconds <= 6; seconds++) {
                String runId = trigger(FaultTasks.NOOP, "{}", "{\"delay\":\"" + seconds + "s\"}");
                timers.add(new Timer(
                        "delay",
                        runId,
                        null,
                        Instant.parse(run(runId).path("delayedUntil").asText())));
            }
            for (int ttl = 0; ttl < 4; ttl++) {
                String runId = trigger(FaultTasks.NOOP, "{}", "{\"ttl\":\"3s\"}");
                timers.add(new Timer(
                        "ttl",
                        runId,
                        null,
                        Instant.parse(run(runId).path("createdAt").asText()).plusSeconds(3)));
            }
            node.kill();
            Instant killedAt = Instant.now();
            // The injector fired: every timer falls due while the node is down.
            for (Timer timer : timers) assertTrue(timer.due().isAfter(killedAt), timer + " was due before the kill");
            // As a fleet would, a worker keeps trying to connect while the node is down, so it is there the moment the
            // node is: dispatching races the timers that fire on recovery.
            URI url = node.url();
            reconnecting = CompletableFuture.supplyAsync(() -> FaultTasks.startWorker(
                    url, TestNodes.WORKER_TOKEN, "downtime-after-" + began.toEpochMilli(), 16, recorder, noteStart));
            Thread.sleep(DOWNTIME.toMillis()); // the downtime itself
            Instant restartBegan = Instant.now();
            for (Timer timer : timers)
                assertTrue(timer.due().isBefore(restartBegan), timer + " not due during the downtime");
            node = NodeProcess.start(store, port, NodeKillFaultTest.FAST_RECOVERY, log);
            Instant restartedAt = Instant.now();
            api = new FaultApi(node.url(), TestNodes.SECRET_KEY);
            try (BatonWorker after = reconnecting.get(60, TimeUnit.SECONDS)) {
                Map<String, JsonNode> ended =
                        FaultApi.await(FIRES_WITHIN.plusSeconds(10), this::everyRunEndedInTheRunList);
                Map<String, Duration> latest = new TreeMap<>();
                for (Timer timer : timers) {
                    Instant fired = firedAfterTheRestart(timer, ended.get(timer.runId()), killedAt);
                    assertFalse(fired.isBefore(timer.due()), timer + " fired early, at " + fired);
                    assertTrue(fired.isAfter(restartBegan), timer + " fired at " + fired + ", before the restart");
                    Duration late = Duration.between(restartedAt, fired);
                    assertTrue(late.compareTo(FIRES_WITHIN) <= 0, timer + " fired " + late + " after the restart");
                    latest.merge(timer.kind(), late, (a, b) -> a.compareTo(b) >= 0 ? a : b);
                }
                System.out.println("DowntimeTimersFaultTest[" + storeName + "]: " + acceptedRunIds.size() + " runs, "
                        + timers.size() + " timers due during "
                        + Duration.between(killedAt, restartedAt).toMillis()
                        + " ms down (node back in "
                        + Duration.between(restartBegan, restartedAt).toMillis() + " ms); latest "
                        + "firing per kind, after the restarted node answered /health: " + latest);

                InvariantChecker checker =
                        new InvariantChecker(store.jdbcUrl(), store.user(), store.password(), null, null);
                InvariantChecker.Report report = checker.check(
                        new InvariantChecker.Expectation(
                                began,
                                acceptedRunIds.size(),
                                0,
                                Set.copyOf(acceptedRunIds),
                                recorder.executions(),
                                FaultTasks.ALL,
                                Set.of(),
                                1),
                        Duration.ofSeconds(60));
                System.out.println("DowntimeTimersFaultTest[" + storeName + "]: checked " + report.runs() + " runs, "
                        + report.journalEvents() + " events, "
                        + report.violations().size() + " violations, "
                        + Duration.between(began, Instant.now()).toSeconds() + " s in all");
                assertTrue(report.ok(), () -> "invariants violated:\n" + String.join("\n", report.listed(30)));
            }
        } finally {
            if (reconnecting != null) reconnecting.thenAccept(BatonWorker::close);
            node.close();
        }
    }

    /**
     * Durable waits, retry backoffs and a token wait: each run's first attempt must have reached its timer
     * before the worker goes, so the timers fall due with no worker and no node.
     */
    private void armTimersThatNeedAWorker(List<Timer> timers) throws Exception {
        List<String> waits = new ArrayList<>();
        for (int seconds = 6; seconds <= 8; seconds++) {
            waits.add(trigger(FaultTasks.WAIT, "{\"seconds\":" + seconds + "}", "{}"));
        }
        List<String> retries = new ArrayList<>();
        for (int run = 0; run < 3; run++) retries.add(trigger(FaultTasks.FLAKY_SLOW, "{}", "{}"));
        String tokenId = api.post("/api/v1/waitpoints/tokens", "{\"timeout\":\"8s\"}")
                .path("id")
                .asText();
        String tokenRun = trigger(FaultTasks.TOKEN, "{\"tokenId\":\"" + tokenId + "\"}", "{}");
        for (String runId : waits) {
            JsonNode suspended = FaultApi.await(ARMING_WITHIN, () -> event(runId, "RunSuspended"));
            Instant until =
                    Instant.parse(suspended.path("waitFor").path("until").asText());
            timers.add(new Timer("durable wait", runId, null, until));
        }
        for (String runId : retries) {
            JsonNode failed = FaultApi.await(ARMING_WITHIN, () -> event(runId, "AttemptFailed"));
            timers.add(new Timer(
                    "retry backoff",
                    runId,
                    null,
                    Instant.parse(failed.path("retryAt").asText())));
        }
        FaultApi.await(ARMING_WITHIN, () -> event(tokenRun, "RunSuspended"));
        Instant timeoutAt = Instant.parse(api.get("/api/v1/waitpoints/tokens/" + tokenId)
                .path("timeoutAt")
                .asText());
        timers.add(new Timer("token timeout", tokenRun, tokenId, timeoutAt));
    }

    /**
     * The runs as the run list (the read model) shows them, once every one has ended. Not read from the runs
     * themselves: reading a run starts its entity, which re-arms its timers, and the engine must fire them alone.
     */
    private Map<String, JsonNode> everyRunEndedInTheRunList() throws Exception {
        Map<String, JsonNode> listed = new HashMap<>();
        for (JsonNode run : api.get("/api/v1/runs?page%5Bsize%5D=100").path("data")) {
            listed.put(run.path("id").asText(), run);
        }
        List<String> notEnded = acceptedRunIds.stream()
                .filter(runId -> !listed.containsKey(runId)
                        || !listed.get(runId).path("isCompleted").asBoolean())
                .map(runId -> runId + " "
                        + listed.getOrDefault(runId, UNLISTED).path("status").asText())
                .toList();
        assertTrue(notEnded.isEmpty(), "runs not ended after the restart: " + notEnded);
        return listed;
    }

    /**
     * When the timer fired after the restart, checking that its run ended as it should: the first handler start
     * after the kill for a run that executes on, the expiry of a TTL run (which must never have executed), and
     * the later of the token's timeout and its run's resumed start.
     */
    private Instant firedAfterTheRestart(Timer timer, JsonNode ended, Instant killedAt) throws Exception {
        if (timer.kind().equals("ttl")) {
            assertEquals("EXPIRED", ended.path("status").asText(), timer + " ended " + ended.path("status"));
            assertFalse(handlerStarts.containsKey(timer.runId()), timer + " expired, yet its handler ran");
            return Instant.parse(ended.path("expiredAt").asText());
        }
        assertEquals("COMPLETED", ended.path("status").asText(), timer + " ended " + ended);
        Instant started = handlerStarts.getOrDefault(timer.runId(), List.of()).stream()
                .filter(start -> start.isAfter(killedAt))
                .findFirst()
                .orElseThrow(() -> new AssertionError(timer + " completed without a handler start after the kill"));
        if (timer.tokenId() == null) return started;
        JsonNode token = api.get("/api/v1/waitpoints/tokens/" + timer.tokenId());
        assertEquals("TIMED_OUT", token.path("status").asText(), "the token " + token);
        JsonNode output = run(timer.runId()).path("output");
        assertTrue(output.path("timeout").asBoolean(), "the token's run resumed with " + output);
        Instant timedOut = Instant.parse(token.path("completedAt").asText());
        assertFalse(timedOut.isBefore(timer.due()), "the token timed out early, at " + timedOut);
        return timedOut.isAfter(started) ? timedOut : started;
    }

    private String trigger(String task, String payload, String options) throws Exception {
        String runId = api.post(
                        "/api/v1/tasks/" + task + "/trigger",
                        "{\"payload\":" + payload + ",\"options\":" + options + "}")
                .path("id")
                .asText();
        acceptedRunIds.add(runId);
        return runId;
    }

    private JsonNode run(String runId) throws Exception {
        return api.get("/api/v3/runs/" + runId);
    }

    /** The data of the run's first journal event of {@code type}, or null while it has none. */
    private JsonNode event(String runId, String type) throws Exception {
        for (JsonNode event : api.get("/api/v1/runs/" + runId + "/events").path("data")) {
            if (event.path("type").asText().equals(type)) return event.path("data");
        }
        return null;
    }
}
