package dev.baton.engine.dispatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import dev.baton.engine.testkit.MutableClock;
import dev.baton.engine.worker.WorkerChannel;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A session that stops without leaving (its node was killed) told its runs nothing, and their entities, started again
 * elsewhere without the lease, enqueue while the dispatcher still counts them as running. The dispatcher checks those
 * runs as soon as the session is gone instead of at its reconcile tick (an hour here), and frees what is not running;
 * so does an enqueue long after the run's offer (the entity lived on the dead node, the session lives on).
 */
class LostSessionDispatchTest {

    private static final ActorTestKit testKit = ActorTestKit.create("LostSessionDispatchTest");

    private final RecordingRuns runs = new RecordingRuns();

    private final MutableClock clock = new MutableClock(Instant.parse("2026-12-07T12:00:00Z"));
    private ActorRef<EnvironmentDispatcher.Command> dispatcher;
    private final TestProbe<WorkerChannel.Message> lost = testKit.createTestProbe();

    @AfterAll
    static void stop() {
        testKit.shutdownTestKit();
    }

    /** Session ws_lost holds run_lost and run_kept; ws_other has a free slot. */
    @BeforeEach
    void twoRunsOnOneSession() throws Exception {
        dispatcher = testKit.spawn(EnvironmentDispatcher.create(
                "env_lost_session_" + System.nanoTime(),
                new EnvironmentDispatcher.DispatchSettings(
                        100, Duration.ofHours(1), Duration.ofSeconds(1), Duration.ZERO),
                clock,
                runs,
                EnvironmentSettingsSource.DEFAULTS));
        report("ws_lost", lost, 2);
        enqueue("run_lost", 0);
        enqueue("run_kept", 1);
        assertEquals("run_lost → ws_lost (null)", runs.offers.poll(5, TimeUnit.SECONDS));
        assertEquals("run_kept → ws_lost (null)", runs.offers.poll(5, TimeUnit.SECONDS));
        report("ws_other", testKit.createTestProbe(), 1);
    }

    @Test
    void theRunsOfASessionThatStoppedWithoutLeavingAreCheckedAtOnce() throws Exception {
        // run_lost's entity came back without its lease and is queued again; run_kept holds one elsewhere.
        runs.activities.put("run_lost", QueuedRuns.Activity.QUEUED);
        lost.stop();

        assertEquals("run_lost", runs.woken.poll(5, TimeUnit.SECONDS), "checked at once, found queued and woken");
        enqueue("run_lost", 0);
        assertEquals("run_lost → ws_other (null)", runs.offers.poll(5, TimeUnit.SECONDS));
        assertNull(runs.woken.poll(300, TimeUnit.MILLISECONDS), "a run still running elsewhere is left alone");
    }

    @Test
    void aRunEnqueuedLongAfterItsOfferIsChecked() throws Exception {
        // run_lost's entity lived on a dead node and started again without its lease; its session lives on.
        runs.activities.put("run_lost", QueuedRuns.Activity.QUEUED);
        enqueue("run_lost", 0);
        assertNull(runs.woken.poll(300, TimeUnit.MILLISECONDS), "right after the offer: the recovery the offer caused");

        clock.advance(Duration.ofSeconds(10));
        enqueue("run_lost", 0);
        assertEquals("run_lost", runs.woken.poll(5, TimeUnit.SECONDS), "checked, found queued and woken");
        enqueue("run_lost", 0);
        assertEquals("run_lost → ws_other (null)", runs.offers.poll(5, TimeUnit.SECONDS));
        enqueue("run_kept", 1);
        assertNull(runs.woken.poll(300, TimeUnit.MILLISECONDS), "a run that is running is left alone");
        assertNull(runs.offers.poll(100, TimeUnit.MILLISECONDS));
    }

    private void enqueue(String runId, long score) {
        dispatcher.tell(new EnvironmentDispatcher.Enqueue(runId, "t", "task/t", null, score, null, false));
    }

    private void report(String sessionId, TestProbe<WorkerChannel.Message> worker, int slots) {
        dispatcher.tell(new EnvironmentDispatcher.WorkerReport(
                sessionId,
                "w-" + sessionId,
                worker.ref(),
                Set.of("t"),
                Map.of(),
                slots,
                0,
                "test-sdk/1",
                slots,
                null,
                null,
                0));
    }
}
