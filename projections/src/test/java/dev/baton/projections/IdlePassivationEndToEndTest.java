package dev.baton.projections;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.testkit.typed.javadsl.TestProbe;
import com.typesafe.config.Config;
import dev.baton.engine.run.RunState;
import dev.baton.engine.run.RunStatus;
import dev.baton.engine.run.Wait;
import dev.baton.engine.task.RetryPolicy;
import dev.baton.engine.testkit.TestDatabases;
import dev.baton.engine.worker.WorkerChannel;
import dev.baton.projections.runs.RunTable;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Runs that wait a long time leave memory, on a real node on PostgreSQL: a delayed run and a run in a durable
 * wait passivate once their state is journaled, the run index's sweeper wakes them wake-ahead before their time,
 * and each acts at its time, not a sweep late. The sweep interval is long next to the bound, so a run woken only
 * once it is overdue would miss it most of the time; the recheck is longer than the test, so only the wake-ahead
 * wakes anything.
 */
class IdlePassivationEndToEndTest {

    // Woken 2–6 s before its time (a sweep every 4 s looks 6 s ahead): room for a loaded machine. A sweeper waking
    // only overdue runs would act within ON_TIME of the due time in fewer than half of the runs.
    private static final Duration WAKE_AHEAD = Duration.ofSeconds(6);
    private static final Duration DUE_IN = Duration.ofSeconds(16);
    private static final Duration ON_TIME = Duration.ofMillis(1500);

    private TestCluster node;

    @AfterEach
    void stop() {
        if (node != null) node.close();
    }

    private boolean indexed(String runId, RunStatus status) throws Exception {
        try (Connection connection = node.database().dataSource().getConnection()) {
            return new RunTable(node.database().dialect())
                    .find(connection, runId)
                    .map(row -> row.status() == status)
                    .orElse(false);
        }
    }

    private static void assertOnTime(Instant due, Instant acted, String what) {
        assertTrue(
                !acted.isBefore(due) && acted.isBefore(due.plus(ON_TIME)),
                what + " was due at " + due + " and acted at " + acted);
    }

    @Test
    void delayedAndWaitingRunsLeaveMemoryAndActOnTime() throws Exception {
        Config config = TestCluster.postgresConfig(TestDatabases.freshPostgresSchema("idle_e2e"), """
        baton.engine.run.idle-passivation = 7s
        baton.projections.run-index.recheck = 1h
        baton.projections.run-index.sweep-interval = 4s
        baton.projections.run-index.wake-ahead = 6s
        """);
        node = TestCluster.start("IdlePassivationEndToEndTest", config);
        RunDriver runs = new RunDriver(node.system());
        TestProbe<WorkerChannel.Message> worker = node.testKit().createTestProbe();

        Instant delayUntil = Instant.now().plus(DUE_IN);
        runs.trigger("run_delayed", RunDriver.spec("env_idle", RetryPolicy.DEFAULT, delayUntil, null, null));
        runs.trigger("run_waiting", RunDriver.spec("env_idle"));
        String attempt = runs.lease("run_waiting", worker.ref());
        runs.start("run_waiting", attempt);
        Instant waitUntil = Instant.now().plus(DUE_IN);
        runs.suspend("run_waiting", attempt, Wait.duration("nap", waitUntil));

        TestCluster.await(
                () -> {
                    Set<String> live = node.liveRuns();
                    return !live.contains("run_delayed") && !live.contains("run_waiting");
                },
                Duration.ofSeconds(5),
                "both runs to leave memory");
        assertTrue(Instant.now().isBefore(delayUntil.minus(WAKE_AHEAD)), "left memory too late to prove anything");

        TestCluster.await(
                () -> node.liveRuns().containsAll(Set.of("run_delayed", "run_waiting")),
                DUE_IN,
                "the sweeper to wake both runs");
        Instant woken = Instant.now();
        assertTrue(woken.isBefore(delayUntil) && woken.isBefore(waitUntil), "woken at " + woken + ", after their time");

        TestCluster.await(
                () -> indexed("run_delayed", RunStatus.QUEUED) && indexed("run_waiting", RunStatus.QUEUED),
                Duration.ofSeconds(20),
                "both runs to be queued");
        RunState delayed = runs.get("run_delayed");
        assertEquals(RunStatus.QUEUED, delayed.status());
        assertOnTime(delayUntil, delayed.queuedAt(), "the delay");
        RunState resumed = runs.get("run_waiting");
        assertEquals(RunStatus.QUEUED, resumed.status());
        assertTrue(resumed.steps().containsKey("nap"));
        assertOnTime(waitUntil, resumed.updatedAt(), "the wait");
    }
}
