package dev.baton.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.engine.testkit.TestDatabases;
import dev.baton.node.NodeProcess;
import dev.baton.node.TestNodes;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A worker that dies or freezes mid-execution loses no run and finishes none twice. The node runs on PostgreSQL,
 * the workers in processes of their own ({@link FaultWorkerProcess}), with leases of 4 s:
 * <ul>
 *   <li>kill -9: under the fault mix, a worker holding long executions is killed; another takes over. Every run
 *       finishes once, the killed attempts end {@code WORKER_LOST} and are retried within their budgets ({@code
 *       -Dbaton.faults.worker-kills} kills the successor too, and so on);</li>
 *   <li>zombie: a worker holding executions is frozen (SIGSTOP) until its leases ran out and another worker ran
 *       its runs (half of them to success, half still executing), then thawed (SIGCONT): the results its handlers
 *       then send for the fenced attempts must be refused, and each run succeeds once, on the other worker.</li>
 * </ul>
 * The invariant checker is the oracle. The seed is printed; {@code -Dbaton.faults.seed} replays a timeline.
 * Worker and node logs, and each worker's handler starts, stay under {@code target/faults}.
 */
@Tag("faults")
class WorkerFaultTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    /** What the SDK logs when a rejection reaches an attempt, while running or after its result was sent. */
    private static final Pattern FENCED =
            Pattern.compile("attempt (\\S+) was fenced \\(.*\\); (its \\w+ result, sent" + " already|interrupting it)");

    /** The node and worker processes a scenario started, closed after it (a failing one included), newest first. */
    private final Deque<AutoCloseable> processes = new ArrayDeque<>();

    @AfterEach
    void stopProcesses() throws Exception {
        while (!processes.isEmpty()) processes.pop().close();
    }

    @Test
    void runsInFlightOnAWorkerKilledWithSigkillFinishExactlyOnceElsewhere() throws Exception {
        long seed = Long.getLong("baton.faults.seed", System.currentTimeMillis());
        int kills = Integer.getInteger("baton.faults.worker-kills", 1);
        Random random = new Random(seed);
        Path dir = FaultRuns.directory("worker-kill-" + seed);
        System.out.println("WorkerFaultTest[kill -9]: seed " + seed + ", " + kills + " kills");
        Instant since = Instant.now();
        NodeProcess.Store store = NodeProcess.Store.postgres(TestDatabases.freshPostgresSchema("faults"));
        NodeProcess node = startNode(store, dir);
        List<FaultWorkerProcess> workers = new ArrayList<>(List.of(startWorker(node, "worker-1-" + seed, 16, dir)));
        Map<FaultWorkerProcess, List<String>> longRunsOf = new LinkedHashMap<>();
        List<String> timeline = new ArrayList<>();
        try (FaultLoad load = new FaultLoad(node.url(), TestNodes.SECRET_KEY, seed)) {
            load.start(16);
            for (int kill = 1; kill <= kills; kill++) {
                FaultWorkerProcess victim = workers.get(workers.size() - 1);
                // executions certain to be running when the worker dies, besides whatever the mix has running then
                List<String> longRuns = new ArrayList<>();
                for (int i = 0; i < 4; i++) longRuns.add(load.trigger(FaultTasks.SLEEP, "{\"ms\":8000}"));
                assertFalse(longRuns.contains(null), "a long run was not accepted: " + longRuns);
                longRunsOf.put(victim, longRuns);
                await(
                        Duration.ofSeconds(30),
                        "the long runs started on " + victim.workerId(),
                        () -> startedRuns(victim.starts()).containsAll(longRuns));
                Thread.sleep(random.nextInt(2_000)); // the kill comes at a seeded moment of the mix
                victim.kill();
                timeline.add("kill " + kill + " after " + victim.starts().size() + " handler starts");
                workers.add(startWorker(node, "worker-" + (kill + 1) + "-" + seed, 16, dir));
            }
            Thread.sleep(3_000); // the mix goes on, on the last worker
            load.stop();
            load.resolveBatchRuns();

            InvariantChecker.Report report = check(
                    store,
                    load.expectation(
                            since, FaultWorkerProcess.executions(workers.toArray(FaultWorkerProcess[]::new)), 0));
            for (FaultWorkerProcess victim : longRunsOf.keySet()) {
                Set<String> failedOver = report.failedOver().getOrDefault(victim.workerId(), Set.of());
                timeline.add(failedOver.size() + " runs failed over from " + victim.workerId() + " ("
                        + longRunsOf.get(victim).stream()
                                .filter(failedOver::contains)
                                .count() + " of its 4 long ones)");
            }
            System.out.println("WorkerFaultTest[kill -9]: " + load.summary() + "; " + String.join(", ", timeline)
                    + "; checked " + report.runs() + " runs, " + report.journalEvents() + " events, "
                    + report.violations().size() + " violations, " + elapsed(since));
            assertTrue(
                    report.ok(),
                    () -> "seed " + seed + ", invariants violated:\n" + String.join("\n", report.listed(30)));
            // the injector fired: the long runs were executing on the killed worker, and were lost there, not skipped
            longRunsOf.forEach((victim, longRuns) -> assertTrue(
                    report.failedOver()
                            .getOrDefault(victim.workerId(), Set.of())
                            .containsAll(longRuns),
                    "the long runs did not all fail over from " + victim.workerId() + ": " + longRuns + " vs "
                            + report.failedOver()));
            assertEquals(List.of(), load.unclearRefusals(), "every refusal is a clear 503 or 429");
        }
    }

    @Test
    void aThawedZombieWorkersResultsForFencedAttemptsAreRefused() throws Exception {
        long seed = Long.getLong("baton.faults.seed", System.currentTimeMillis());
        Path dir = FaultRuns.directory("worker-zombie-" + seed);
        System.out.println("WorkerFaultTest[zombie]: seed " + seed);
        Instant since = Instant.now();
        NodeProcess.Store store = NodeProcess.Store.postgres(TestDatabases.freshPostgresSchema("faults"));
        NodeProcess node = startNode(store, dir);
        int slots = 4;
        FaultWorkerProcess zombie = startWorker(node, "zombie-" + seed, slots, dir);
        FaultLoad runs = new FaultLoad(node.url(), TestNodes.SECRET_KEY, seed); // no clients: this scenario's runs only
        // One run per slot, so the frozen worker is full and gets no new execution while frozen. Each handler sleeps
        // past the freeze's start and ends during it: after the thaw it returns and its result is sent. On the
        // successor the settled runs end before the thaw, and the contested ones still execute when the zombie's
        // results arrive: the two ways a fenced result can meet its run.
        List<String> settled = new ArrayList<>();
        List<String> contested = new ArrayList<>();
        for (int i = 0; i < slots / 2; i++) {
            settled.add(runs.trigger(FaultTasks.SLEEP, "{\"ms\":3000,\"laterMs\":500}"));
            contested.add(runs.trigger(FaultTasks.SLEEP, "{\"ms\":3000,\"laterMs\":6000}"));
        }
        List<String> held = new ArrayList<>(settled);
        held.addAll(contested);
        assertFalse(held.contains(null), "a run was not accepted: " + held);
        await(
                Duration.ofSeconds(30),
                "the runs started on the zombie",
                () -> startedRuns(zombie.starts()).containsAll(held));
        zombie.freeze();
        Instant frozenAt = Instant.now();
        FaultWorkerProcess successor = startWorker(node, "successor-" + seed, slots, dir);
        // the leases run out (4 s without a heartbeat), the runs are retried on the successor
        await(
                Duration.ofSeconds(60),
                "the settled runs completed and the contested ones executing on the successor",
                () -> completed(node.url(), settled)
                        && startedRuns(successor.starts()).containsAll(contested));
        Duration frozenFor = Duration.between(frozenAt, Instant.now());
        zombie.thaw();

        // Every attempt the zombie held hears it was fenced: its late heartbeat or its result is rejected.
        Set<String> zombieAttempts = zombie.starts().stream()
                .map(FaultWorkerProcess.Start::attemptId)
                .collect(Collectors.toSet());
        // asserted after the checker's verdict, which says more when a fenced result got in
        boolean allToldFenced =
                poll(Duration.ofSeconds(30), () -> fenced(zombie).keySet().containsAll(zombieAttempts));
        Map<String, Boolean> resultSent = fenced(zombie);
        Set<String> refusedRuns = zombie.starts().stream()
                .filter(start -> Boolean.TRUE.equals(resultSent.get(start.attemptId())))
                .map(FaultWorkerProcess.Start::runId)
                .collect(Collectors.toSet());
        await(Duration.ofSeconds(30), "the contested runs completed", () -> completed(node.url(), contested));

        InvariantChecker.Report report =
                check(store, runs.expectation(since, FaultWorkerProcess.executions(zombie, successor), 0));
        Set<String> failedOver = report.failedOver().getOrDefault(zombie.workerId(), Set.of());
        System.out.println("WorkerFaultTest[zombie]: " + runs.summary() + "; frozen for " + frozenFor.toMillis()
                + " ms holding " + zombieAttempts.size() + " attempts; after the thaw " + refusedRuns.size()
                + " results were refused ("
                + settled.stream().filter(refusedRuns::contains).count() + " for completed runs, "
                + contested.stream().filter(refusedRuns::contains).count()
                + " for runs executing on the successor) and "
                + resultSent.values().stream().filter(sent -> !sent).count() + " attempts fenced before their result; "
                + failedOver.size()
                + " runs failed over; checked " + report.runs() + " runs, " + report.journalEvents() + " events, "
                + report.violations().size() + " violations, " + elapsed(since));
        assertTrue(
                report.ok(), () -> "seed " + seed + ", invariants violated:\n" + String.join("\n", report.listed(30)));
        assertTrue(
                allToldFenced,
                "the thawed zombie was not told of every fenced attempt: " + zombieAttempts + " vs " + resultSent
                        + "; see " + zombie.log());
        // the injector fired: the zombie sent results for fenced attempts, and their runs succeeded on the successor
        assertFalse(refusedRuns.isEmpty(), "the thawed zombie sent no result for a fenced attempt");
        assertTrue(failedOver.containsAll(held), "not every held run failed over: " + held + " vs " + failedOver);
        assertTrue(startedRuns(successor.starts()).containsAll(held), "the successor did not run every held run");
    }

    private NodeProcess startNode(NodeProcess.Store store, Path dir) throws Exception {
        NodeProcess node = NodeProcess.start(
                store, NodeProcess.freePort(), NodeKillFaultTest.FAST_RECOVERY, dir.resolve("node.log"));
        processes.push(node);
        return node;
    }

    private FaultWorkerProcess startWorker(NodeProcess node, String workerId, int slots, Path dir) throws Exception {
        FaultWorkerProcess worker = FaultWorkerProcess.start(node.url(), TestNodes.WORKER_TOKEN, workerId, slots, dir);
        processes.push(worker);
        return worker;
    }

    private static InvariantChecker.Report check(NodeProcess.Store store, InvariantChecker.Expectation expectation)
            throws Exception {
        InvariantChecker checker = new InvariantChecker(store.jdbcUrl(), store.user(), store.password(), null, null);
        return checker.check(expectation, Duration.ofSeconds(60));
    }

    private static Set<String> startedRuns(List<FaultWorkerProcess.Start> starts) {
        return starts.stream().map(FaultWorkerProcess.Start::runId).collect(Collectors.toSet());
    }

    /** Attempts the worker's log says were fenced: true when the result had been sent already, false when running. */
    private static Map<String, Boolean> fenced(FaultWorkerProcess worker) throws IOException {
        Map<String, Boolean> fenced = new HashMap<>();
        for (String line : worker.logLines()) {
            Matcher matcher = FENCED.matcher(line);
            if (matcher.find()) fenced.put(matcher.group(1), matcher.group(2).startsWith("its"));
        }
        return fenced;
    }

    /** What a scenario polls for. */
    private interface Condition {
        boolean holds() throws Exception;
    }

    private static void await(Duration timeout, String what, Condition condition) throws Exception {
        if (!poll(timeout, condition)) throw new AssertionError("not within " + timeout + ": " + what);
    }

    /** Whether the condition came to hold within {@code timeout}. */
    private static boolean poll(Duration timeout, Condition condition) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.holds()) {
            if (System.nanoTime() > deadline) return false;
            Thread.sleep(100);
        }
        return true;
    }

    /** Whether every run is COMPLETED, as the API shows it. */
    private static boolean completed(URI url, List<String> runIds) throws IOException, InterruptedException {
        for (String runId : runIds) {
            HttpResponse<String> response = HTTP.send(
                    HttpRequest.newBuilder(url.resolve("/api/v3/runs/" + runId))
                            .header("Authorization", "Bearer " + TestNodes.SECRET_KEY)
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            if (!JSON.readTree(response.body()).path("status").asText().equals("COMPLETED")) return false;
        }
        return true;
    }

    private static String elapsed(Instant since) {
        return Duration.between(since, Instant.now()).toSeconds() + " s";
    }
}
