package dev.baton.projections;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.receptionist.Receptionist;
import akka.cluster.sharding.ShardRegion;
import akka.cluster.sharding.typed.GetShardRegionState;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import com.typesafe.config.Config;
import dev.baton.engine.dispatch.EnvironmentDispatcher;
import dev.baton.engine.dispatch.RunSweep;
import dev.baton.engine.run.RunEntity;
import dev.baton.engine.run.RunState;
import dev.baton.engine.run.RunStatus;
import dev.baton.engine.task.RetryPolicy;
import dev.baton.engine.testkit.TestDatabases;
import dev.baton.engine.worker.WorkerChannel;
import dev.baton.projections.runs.RunRow;
import dev.baton.projections.runs.RunTable;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Nothing stuck after a crash (invariant 5), on a real node on PostgreSQL: a node stops while a run
 * waits out its retry backoff (the timer dies with it); on the restarted node only the run index
 * knows, and the sweeper wakes the run, which queues itself again. And a dispatcher starting with
 * empty queues gets exactly its environment's unfinished runs back through SweepEnvironment. The
 * recheck is long, so nothing here is woken by a periodic recheck.
 */
class RunIndexSweeperEndToEndTest {

    private static final Duration RETRY_BACKOFF = Duration.ofSeconds(30);

    private TestCluster node;

    @AfterEach
    void stop() {
        if (node != null) node.close();
    }

    private static Optional<RunRow> row(TestCluster node, String runId) throws Exception {
        try (Connection connection = node.database().dataSource().getConnection()) {
            return new RunTable(node.database().dialect()).find(connection, runId);
        }
    }

    private static boolean hasStatus(TestCluster node, String runId, RunStatus status) throws Exception {
        return row(node, runId).map(row -> row.status() == status).orElse(false);
    }

    /** Run entities alive on the node right now (asking does not start any). */
    private static Set<String> liveRuns(TestCluster node) {
        TestProbe<ShardRegion.CurrentShardRegionState> probe = node.testKit().createTestProbe();
        ClusterSharding.get(node.system())
                .shardState()
                .tell(new GetShardRegionState(RunEntity.ENTITY_TYPE_KEY, probe.ref()));
        return probe.receiveMessage().getShards().stream()
                .flatMap(shard -> shard.getEntityIds().stream())
                .collect(Collectors.toSet());
    }

    @Test
    void afterACrashTheSweeperWakesOverdueRunsAndDispatchersGetTheirEnvironmentsRunsBack() throws Exception {
        Config config = TestCluster.postgresConfig(TestDatabases.freshPostgresSchema("sweeper_e2e"), """
        baton.projections.run-index.recheck = 1h
        baton.projections.run-index.sweep-interval = 200ms
        """);
        node = TestCluster.start("RunIndexSweeperEndToEndTest", config);
        RunDriver runs = new RunDriver(node.system());
        TestProbe<WorkerChannel.Message> firstWorker = node.testKit().createTestProbe();

        // A run waiting out a retry backoff, in an environment nothing else touches.
        long backoff = RETRY_BACKOFF.toMillis();
        runs.trigger(
                "run_retry",
                RunDriver.spec("env_c", new RetryPolicy(2, 1.0, backoff, backoff, false), null, null, null));
        String attempt = runs.lease("run_retry", firstWorker.ref());
        runs.start("run_retry", attempt);
        runs.fail("run_retry", attempt);
        RunState retrying = runs.get("run_retry");
        assertEquals(RunStatus.RETRYING, retrying.status());
        // Queued runs of two environments (their queues live in their dispatchers' memory), and a finished one.
        for (String runId : List.of("run_a1", "run_a2")) runs.trigger(runId, RunDriver.spec("env_a"));
        for (String runId : List.of("run_b1", "run_b2")) runs.trigger(runId, RunDriver.spec("env_b"));
        runs.trigger("run_a_done", RunDriver.spec("env_a"));
        attempt = runs.lease("run_a_done", firstWorker.ref());
        runs.start("run_a_done", attempt);
        runs.complete("run_a_done", attempt);

        TestCluster first = node;
        TestCluster.await(
                () -> hasStatus(first, "run_retry", RunStatus.RETRYING)
                        && hasStatus(first, "run_a1", RunStatus.QUEUED)
                        && hasStatus(first, "run_a2", RunStatus.QUEUED)
                        && hasStatus(first, "run_b1", RunStatus.QUEUED)
                        && hasStatus(first, "run_b2", RunStatus.QUEUED)
                        && hasStatus(first, "run_a_done", RunStatus.COMPLETED),
                Duration.ofSeconds(30),
                "the index to hold every run");
        assertEquals(
                retrying.retryAt().truncatedTo(ChronoUnit.MICROS),
                row(node, "run_retry").orElseThrow().wakeAt());

        // The crash: timers and queues are gone with the node.
        node.close();
        node = null;
        assertTrue(
                Instant.now().isBefore(retrying.retryAt()),
                "the node must stop before the retry is due, or the test proves nothing");
        node = TestCluster.start("RunIndexSweeperEndToEndTest", config);
        TestCluster restarted = node;
        TestProbe<Receptionist.Listing> listings = node.testKit().createTestProbe();
        TestCluster.await(
                () -> {
                    node.system().receptionist().tell(Receptionist.find(RunSweep.SERVICE_KEY, listings.ref()));
                    return listings.receiveMessage()
                                    .getServiceInstances(RunSweep.SERVICE_KEY)
                                    .size()
                            == 4;
                },
                Duration.ofSeconds(30),
                "a sweeper per tag to register");
        assertTrue(liveRuns(node).isEmpty(), "no run entity is awake on the restarted node yet");

        // (c) Only the index remembers the retry: the sweeper wakes the run when it is due, and it queues again.
        TestCluster.await(
                () -> hasStatus(restarted, "run_retry", RunStatus.QUEUED),
                RETRY_BACKOFF.plusSeconds(30),
                "the overdue retry to be re-queued by the sweeper");
        RunState requeued = new RunDriver(node.system()).get("run_retry");
        assertEquals(RunStatus.QUEUED, requeued.status());
        assertEquals(1, requeued.attemptCount());
        assertFalse(requeued.queuedAt().isBefore(retrying.retryAt()));

        // (d) env_a's dispatcher starts with empty queues when a worker reports: it asks every sweeper for
        // env_a's unfinished runs, which enqueue themselves and are dispatched; env_b's runs sleep on.
        TestProbe<WorkerChannel.Message> worker = node.testKit().createTestProbe();
        node.engine()
                .reportWorker(
                        "env_a",
                        new EnvironmentDispatcher.WorkerReport(
                                "ws_a", "w_a", worker.ref(), Set.of("task-a"), Map.of(), 10, 0, "test-sdk/1", 0, null));
        Set<String> executed = new HashSet<>();
        executed.add(worker.expectMessageClass(WorkerChannel.Execute.class, Duration.ofSeconds(20))
                .runId());
        executed.add(worker.expectMessageClass(WorkerChannel.Execute.class, Duration.ofSeconds(20))
                .runId());
        assertEquals(Set.of("run_a1", "run_a2"), executed);
        worker.expectNoMessage(Duration.ofSeconds(1));
        RunDriver leased = new RunDriver(node.system());
        assertEquals(RunStatus.DEQUEUED, leased.get("run_a1").status());
        assertEquals(RunStatus.DEQUEUED, leased.get("run_a2").status());

        Set<String> awake = liveRuns(node);
        assertTrue(awake.containsAll(Set.of("run_retry", "run_a1", "run_a2")), awake.toString());
        assertFalse(awake.contains("run_b1") || awake.contains("run_b2"), "env_b was not swept: " + awake);
        assertFalse(awake.contains("run_a_done"), "finished runs are not woken: " + awake);
        assertTrue(hasStatus(node, "run_b1", RunStatus.QUEUED) && hasStatus(node, "run_b2", RunStatus.QUEUED));
    }
}
