package dev.baton.projections;

import static org.junit.jupiter.api.Assertions.assertEquals;

import akka.actor.testkit.typed.javadsl.TestProbe;
import com.typesafe.config.Config;
import dev.baton.engine.dispatch.EnvironmentDispatcher;
import dev.baton.engine.run.RunState;
import dev.baton.engine.run.RunStatus;
import dev.baton.engine.testkit.TestDatabases;
import dev.baton.engine.worker.WorkerChannel;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A queued run leaves memory while its dispatcher holds its place, on a real node on PostgreSQL: with no free worker
 * slot it passivates after the idle time (and again each time the sweeper's recheck starts it), and once a slot
 * frees, the dispatcher's offer starts it from its journal and it runs exactly once.
 */
class QueuedPassivationEndToEndTest {

    private TestCluster node;

    @AfterEach
    void stop() {
        if (node != null) node.close();
    }

    private void report(TestProbe<WorkerChannel.Message> worker, int freeSlots, long executesReceived) {
        node.engine()
                .reportWorker(
                        "env_queued",
                        new EnvironmentDispatcher.WorkerReport(
                                "ws_q",
                                "w_q",
                                worker.ref(),
                                Set.of("task-a"),
                                Map.of(),
                                freeSlots,
                                executesReceived,
                                "test-sdk/1",
                                1,
                                null));
    }

    @Test
    void aQueuedRunLeavesMemoryAndRunsOnceWhenASlotFrees() throws Exception {
        Config config = TestCluster.postgresConfig(TestDatabases.freshPostgresSchema("queued_e2e"), """
        baton.engine.run.idle-passivation = 3s
        baton.projections.run-index.recheck = 2s
        baton.projections.run-index.sweep-interval = 500ms
        baton.projections.run-index.wake-ahead = 1s
        """);
        node = TestCluster.start("QueuedPassivationEndToEndTest", config);
        RunDriver runs = new RunDriver(node.system());
        TestProbe<WorkerChannel.Message> worker = node.testKit().createTestProbe();
        report(worker, 0, 0);

        runs.trigger("run_queued", RunDriver.spec("env_queued"));
        TestCluster.await(
                () -> !node.liveRuns().contains("run_queued"),
                Duration.ofSeconds(20),
                "the queued run to leave memory");
        // The sweeper's rechecks start it again now and then; each time it re-enqueues itself and leaves at once.
        Thread.sleep(5_000);
        TestCluster.await(
                () -> !node.liveRuns().contains("run_queued"),
                Duration.ofSeconds(5),
                "the queued run to stay out of memory");
        assertEquals(RunStatus.QUEUED, runs.get("run_queued").status());

        report(worker, 1, 0);
        WorkerChannel.Execute execute = worker.expectMessageClass(WorkerChannel.Execute.class, Duration.ofSeconds(20));
        assertEquals("run_queued", execute.runId());
        runs.start("run_queued", execute.attemptId());
        runs.complete("run_queued", execute.attemptId());
        RunState done = runs.get("run_queued");
        assertEquals(RunStatus.COMPLETED, done.status());
        assertEquals(1, done.attemptCount());
        // Offered once: the recovered run's own enqueue and the sweeper's wakes add no second execution.
        report(worker, 1, 1);
        worker.expectNoMessage(Duration.ofSeconds(3));
    }
}
