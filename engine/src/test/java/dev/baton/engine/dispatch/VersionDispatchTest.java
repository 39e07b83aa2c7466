package dev.baton.engine.dispatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import dev.baton.engine.worker.WorkerChannel;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Which worker a run goes to when workers of several versions serve its task: a locked run to its version only, a run
 * that ran on a version back to it while one of its workers is connected, any other to the newest version; and a
 * PENDING_VERSION run is woken when a worker declaring its task reports.
 */
class VersionDispatchTest {

    private static final ActorTestKit testKit = ActorTestKit.create("VersionDispatchTest");
    private static final Duration QUIET = Duration.ofMillis(300);

    private final RecordingRuns runs = new RecordingRuns();
    private final LinkedBlockingQueue<String> offers = runs.offers;
    private final LinkedBlockingQueue<String> woken = runs.woken;
    /** One worker per session: the dispatcher watches each session's worker. */
    private final Map<String, TestProbe<WorkerChannel.Message>> workers =
            new java.util.concurrent.ConcurrentHashMap<>();

    private ActorRef<EnvironmentDispatcher.Command> dispatcher;

    @AfterAll
    static void stop() {
        testKit.shutdownTestKit();
    }

    @BeforeEach
    void startDispatcher() {
        dispatcher = testKit.spawn(EnvironmentDispatcher.create(
                "env_versions_" + System.nanoTime(),
                new EnvironmentDispatcher.DispatchSettings(
                        100, Duration.ofHours(1), Duration.ofSeconds(1), Duration.ZERO),
                Clock.systemUTC(),
                runs,
                EnvironmentSettingsSource.DEFAULTS));
    }

    private void report(String sessionId, Set<String> taskIds, String version, long number) {
        dispatcher.tell(new EnvironmentDispatcher.WorkerReport(
                sessionId,
                "w-" + sessionId,
                workers.computeIfAbsent(sessionId, id -> testKit.createTestProbe())
                        .ref(),
                taskIds,
                Map.of(),
                10,
                0,
                "test-sdk/1",
                10,
                null,
                version,
                number));
    }

    private void enqueue(String runId, String version, boolean locked) {
        dispatcher.tell(new EnvironmentDispatcher.Enqueue(runId, "t", "task/t", null, 0, version, locked));
    }

    private String nextOffer() throws InterruptedException {
        return offers.poll(5, TimeUnit.SECONDS);
    }

    @Test
    void newRunsGoToTheNewestVersionLockedRunsToTheirsAndRetriesBackToTheirsWhileItIsConnected() throws Exception {
        report("ws_old", Set.of("t"), "1.0", 1);
        report("ws_new", Set.of("t"), "1.1", 2);

        enqueue("run_new", null, false);
        assertEquals("run_new → ws_new (1.1)", nextOffer());
        enqueue("run_locked", "1.0", true);
        assertEquals("run_locked → ws_old (1.0)", nextOffer());
        enqueue("run_retry", "1.0", false);
        assertEquals("run_retry → ws_old (1.0)", nextOffer(), "the old version drains the runs it ran");

        dispatcher.tell(new EnvironmentDispatcher.WorkerLeft("ws_old"));
        enqueue("run_retry_2", "1.0", false);
        assertEquals("run_retry_2 → ws_new (1.1)", nextOffer(), "its version is gone: the newest takes it");
        enqueue("run_locked_2", "1.0", true);
        assertNull(offers.poll(QUIET.toMillis(), TimeUnit.MILLISECONDS), "a locked run waits for its version");

        report("ws_old_again", Set.of("t"), "1.0", 1);
        assertEquals("run_locked_2 → ws_old_again (1.0)", nextOffer());
    }

    @Test
    void aRunAwaitingItsTaskIsWokenWhenAWorkerDeclaringItReportsOrAtOnceWhenOneIsConnected() throws Exception {
        dispatcher.tell(new EnvironmentDispatcher.AwaitTask("run_pending", "t"));
        report("ws_other", Set.of("other"), "1.0", 1);
        assertNull(woken.poll(QUIET.toMillis(), TimeUnit.MILLISECONDS));
        report("ws_t", Set.of("t"), "1.1", 2);
        assertEquals("run_pending", woken.poll(5, TimeUnit.SECONDS));

        dispatcher.tell(new EnvironmentDispatcher.AwaitTask("run_late", "t"));
        assertEquals("run_late", woken.poll(5, TimeUnit.SECONDS));
    }
}
