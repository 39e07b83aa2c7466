package dev.baton.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.node.NodeProcess;
import dev.baton.node.TestNodes;
import dev.baton.sdk.worker.BatonWorker;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The node's PostgreSQL goes away for several seconds while 16 clients trigger runs, and comes back: a 2xx still
 * means stored, a refusal while the database is down is a clear 503 (nothing stored) or 504 (outcome unknown),
 * never a 500 or a hang, and afterwards the same node process accepts triggers again within a bound, finishes
 * every run and its read model catches up, with nothing restarted by hand. The database is a private server
 * ({@link PrivatePostgres}) so the shared one is never disturbed. The seed is printed; {@code
 * -Dbaton.faults.seed} replays a timeline, {@code -Dbaton.faults.outages} sets how many outages (default 2).
 * The node's log and PostgreSQL's stay under {@code target/faults}.
 */
@Tag("faults")
class PostgresOutageFaultTest {

    /** New triggers must be accepted this soon after PostgreSQL accepts connections again. */
    private static final Duration RECOVERY_BOUND = Duration.ofSeconds(20);

    @Test
    void triggersAreRefusedClearlyDuringADatabaseOutageAndEverythingRecoversAfter() throws Exception {
        long seed = Long.getLong("baton.faults.seed", System.currentTimeMillis());
        int outages = Integer.getInteger("baton.faults.outages", 2);
        Path dir = FaultRuns.directory("postgres-outage-" + seed);
        Random random = new Random(seed);
        System.out.println("PostgresOutageFaultTest: seed " + seed + ", " + outages + " outages");
        long startedAt = System.nanoTime();
        List<String> timeline = new ArrayList<>();

        try (PrivatePostgres postgres = PrivatePostgres.start(dir.resolve("postgres"))) {
            NodeProcess.Store store = NodeProcess.Store.postgres(postgres.jdbcUrl(), "postgres", "postgres");
            NoopFleet.Recorder recorder = new NoopFleet.Recorder();
            NodeProcess node = NodeProcess.start(
                    store, NodeProcess.freePort(), NodeKillFaultTest.FAST_RECOVERY, dir.resolve("node.log"));
            Instant since = Instant.now();
            try (BatonWorker worker = FaultTasks.startWorker(node.url(), TestNodes.WORKER_TOKEN, 32, recorder);
                    FaultLoad load = new FaultLoad(node.url(), TestNodes.SECRET_KEY, seed).start(16)) {
                for (int outage = 1; outage <= outages; outage++) {
                    long acceptedBefore = load.acceptedSoFar();
                    Thread.sleep(2_000 + random.nextInt(2_000));
                    long acceptedMeanwhile = load.acceptedSoFar() - acceptedBefore;
                    // The injector must fire into load: an outage while nothing was accepted proves nothing.
                    assertTrue(acceptedMeanwhile > 0, "no run was accepted before outage " + outage + ": " + timeline);

                    long refusedBefore = load.answered(503);
                    int downMillis = 5_000 + random.nextInt(3_000);
                    postgres.stop();
                    long stoppedAt = System.nanoTime();
                    // A read of Baton's own tables (the run list) while the database is down: a clear 503, soon.
                    HttpResponse<String> list = listRuns(node);
                    // A load balancer sees the node not ready, and why.
                    HttpResponse<String> ready = get(node, "/ready");
                    long listMillis =
                            Duration.ofNanos(System.nanoTime() - stoppedAt).toMillis();
                    Thread.sleep(
                            Math.max(0, downMillis - listMillis)); // the database stays down this long whatever happens
                    postgres.start();
                    assertEquals(503, list.statusCode(), "the run list during outage " + outage + ": " + list.body());
                    assertTrue(list.body().contains("\"error\""), list.body());
                    assertEquals(503, ready.statusCode(), "readiness during outage " + outage + ": " + ready.body());
                    assertTrue(ready.body().contains("journal:"), ready.body());
                    timeline.add("outage " + outage + ": the run list answered 503 in " + listMillis + " ms");
                    long backAt = System.nanoTime();
                    long refusedMeanwhile = load.answered(503) - refusedBefore;
                    long acceptedAtRestart = load.acceptedSoFar();
                    Duration recovery = awaitAccepted(load, acceptedAtRestart, RECOVERY_BOUND);
                    timeline.add("outage " + outage + ": " + acceptedMeanwhile + " runs accepted before, down "
                            + downMillis + " ms, " + refusedMeanwhile
                            + " answered 503 meanwhile, triggers accepted again "
                            + recovery.toMillis() + " ms after the database was back");
                    assertTrue(
                            refusedMeanwhile > 0,
                            "no trigger was refused with a 503 during outage " + outage + ": " + timeline + "; "
                                    + load.summary());
                    assertTrue(
                            recovery.compareTo(RECOVERY_BOUND) < 0,
                            "no trigger was accepted within " + RECOVERY_BOUND + " after outage " + outage + ": "
                                    + timeline);
                    System.out.println("PostgresOutageFaultTest: " + timeline.get(timeline.size() - 1) + " ("
                            + Duration.ofNanos(System.nanoTime() - backAt).toMillis() + " ms since)");
                }
                long acceptedBefore = load.acceptedSoFar();
                Thread.sleep(3_000);
                assertTrue(
                        load.acceptedSoFar() > acceptedBefore,
                        "no run was accepted after the last outage: " + timeline);
                load.stop();
                load.resolveBatchRuns();
                System.out.println("PostgresOutageFaultTest: " + String.join("; ", timeline) + "; " + load.summary()
                        + "; load stopped after " + secondsSince(startedAt) + " s");

                InvariantChecker checker =
                        new InvariantChecker(store.jdbcUrl(), store.user(), store.password(), null, null);
                // A run whose entity stopped on a failed write loses its lease as in a node crash (the attempt is
                // journaled
                // with its outcome): at most one execution without a trace per outage.
                InvariantChecker.Report report =
                        checker.check(load.expectation(since, recorder.executions(), outages), Duration.ofSeconds(60));
                System.out.println("PostgresOutageFaultTest: checked " + report.runs() + " runs, "
                        + report.journalEvents() + " events, "
                        + report.violations().size() + " violations, " + secondsSince(startedAt) + " s in all");
                assertTrue(
                        report.ok(),
                        () -> "seed " + seed + ", invariants violated:\n" + String.join("\n", report.listed(30)));
                assertEquals(List.of(), load.unclearRefusals(), "every refusal is a clear 503, 504 or 429");
                // The node recovered by itself: the process started at the beginning is still the one serving.
                assertTrue(
                        ProcessHandle.of(node.pid()).map(ProcessHandle::isAlive).orElse(false),
                        "the node process exited");
                assertEquals(200, get(node, "/health").statusCode(), "the node is not healthy after the outages");
                assertEquals(200, get(node, "/ready").statusCode(), "the node is not ready after the outages");
            } finally {
                node.close();
            }
        }
    }

    private static long secondsSince(long nanoTime) {
        return Duration.ofNanos(System.nanoTime() - nanoTime).toSeconds();
    }

    /**
     * How long until a trigger is accepted after {@code acceptedSoFar}; polled, up to {@code bound} (then the bound).
     */
    private static Duration awaitAccepted(FaultLoad load, long acceptedSoFar, Duration bound)
            throws InterruptedException {
        long start = System.nanoTime();
        while (load.acceptedSoFar() <= acceptedSoFar) {
            if (System.nanoTime() - start > bound.toNanos()) return bound;
            Thread.sleep(20);
        }
        return Duration.ofNanos(System.nanoTime() - start);
    }

    private static HttpResponse<String> listRuns(NodeProcess node) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(node.url().resolve("/api/v1/runs"))
                .timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + TestNodes.SECRET_KEY)
                .build();
        return HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> get(NodeProcess node, String path) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(node.url().resolve(path))
                .timeout(Duration.ofSeconds(10))
                .build();
        return HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
    }
}
