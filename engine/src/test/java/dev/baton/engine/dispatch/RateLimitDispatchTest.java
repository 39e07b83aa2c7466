package dev.baton.engine.dispatch;

import static org.junit.jupiter.api.Assertions.assertEquals;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import dev.baton.engine.environment.EnvironmentSettings;
import dev.baton.engine.environment.QueueSettings;
import dev.baton.engine.metrics.BatonMetrics;
import dev.baton.engine.task.QueueLimits;
import dev.baton.engine.task.RateLimit;
import dev.baton.engine.testkit.MutableClock;
import dev.baton.engine.worker.WorkerChannel;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The dispatcher under a rate limit, on a clock the test moves: a run is offered only once its queue's (or key's)
 * budget allows, the offer comes from the dispatcher's own wake-up, and paused queues, concurrency limits and
 * overrides keep working alongside.
 */
class RateLimitDispatchTest {

    private static final ActorTestKit testKit = ActorTestKit.create("RateLimitDispatchTest");
    private static final SimpleMeterRegistry meters = new SimpleMeterRegistry();

    static {
        BatonMetrics.get(testKit.system()).registry().add(meters);
    }

    private static final Duration QUIET = Duration.ofMillis(300);
    /** Two per second: one every 500 ms. */
    private static final RateLimit TWO_PER_SECOND = RateLimit.of(2, "1s");

    private final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
    private final RecordingRuns runs = new RecordingRuns();

    private final TestProbe<WorkerChannel.Message> worker = testKit.createTestProbe();
    private ActorRef<EnvironmentDispatcher.Command> dispatcher;
    private int sequence;
    /** Each test its own environment, so its meters are its own. */
    private final String environment = "env_rate_" + System.nanoTime();

    @AfterAll
    static void stop() {
        testKit.shutdownTestKit();
    }

    private final Map<String, QueueSettings> storedQueueSettings = new ConcurrentHashMap<>();

    @BeforeEach
    void startDispatcher() {
        EnvironmentSettingsSource source = new EnvironmentSettingsSource() {
            @Override
            public CompletionStage<EnvironmentSettings> load(String environmentId) {
                return CompletableFuture.completedFuture(EnvironmentSettings.DEFAULTS);
            }

            @Override
            public CompletionStage<Map<String, QueueSettings>> loadQueues(String environmentId) {
                return CompletableFuture.completedFuture(Map.copyOf(storedQueueSettings));
            }
        };
        dispatcher = testKit.spawn(EnvironmentDispatcher.create(
                environment,
                new EnvironmentDispatcher.DispatchSettings(
                        100, Duration.ofHours(1), Duration.ofSeconds(1), Duration.ZERO),
                clock,
                runs,
                source));
        // Its start (set up asynchronously) is the limiter's start-up guard: the clock must not move before it.
        TestProbe<EnvironmentDispatcher.ConnectedWorkers> started = testKit.createTestProbe();
        dispatcher.tell(new EnvironmentDispatcher.ListWorkers(started.ref()));
        started.expectMessageClass(EnvironmentDispatcher.ConnectedWorkers.class);
    }

    /** As the queues API does: stored first, then told to the dispatcher. */
    private void change(String queue, QueueSettings settings) {
        if (settings.isDefault()) {
            storedQueueSettings.remove(queue);
        } else {
            storedQueueSettings.put(queue, settings);
        }
        dispatcher.tell(new EnvironmentDispatcher.ApplyQueueSettings(queue, settings));
    }

    private void report(Map<String, QueueLimits> queues) {
        dispatcher.tell(new EnvironmentDispatcher.WorkerReport(
                "ws_1", "w-1", worker.ref(), Set.of("t"), queues, 50, 0, "test-sdk/1", 50, null));
    }

    private List<String> enqueue(String queue, String key, int count) {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String runId = "run_" + (sequence++);
            ids.add(runId);
            dispatcher.tell(new EnvironmentDispatcher.Enqueue(runId, "t", queue, key, sequence));
        }
        return ids;
    }

    /** Moves the clock and lets the dispatcher look again (a report does, as a worker's would). */
    private void advance(long millis, Map<String, QueueLimits> queues) {
        clock.advance(Duration.ofMillis(millis));
        report(queues);
    }

    /** The runs offered until the dispatcher is quiet, by id, in order. */
    private List<String> offered() throws InterruptedException {
        List<String> got = new ArrayList<>();
        String next;
        while ((next = nextOffered(QUIET)) != null) got.add(next);
        return got;
    }

    /** The id of the next run offered within the wait, or null. */
    private String nextOffered(Duration wait) throws InterruptedException {
        String offer = runs.offers.poll(wait.toMillis(), TimeUnit.MILLISECONDS);
        return offer == null ? null : offer.substring(0, offer.indexOf(" → "));
    }

    @Test
    void startsOneRunPerIntervalAndSavesNoBurst() throws Exception {
        Map<String, QueueLimits> limited = Map.of("q", new QueueLimits(null, null, TWO_PER_SECOND));
        report(limited);
        List<String> ids = enqueue("q", null, 6);
        assertEquals(List.of(), offered(), "the start-up guard: a predecessor may have started one just now");
        advance(499, limited);
        assertEquals(List.of(), offered());
        advance(1, limited);
        assertEquals(List.of(ids.get(0)), offered());
        advance(499, limited);
        assertEquals(List.of(), offered());
        advance(1, limited);
        assertEquals(List.of(ids.get(1)), offered());
        advance(5_000, limited);
        assertEquals(List.of(ids.get(2)), offered(), "ten quiet intervals still allow one start, not a burst");
        assertEquals(
                4.0,
                meters.get("baton.queue.rate.limited")
                        .tags("environment", environment, "queue", "q")
                        .counter()
                        .count(),
                "run_0 to run_3 each came first in line without budget: counted once, however often looked at");
    }

    @Test
    void theDispatcherWakesItselfWhenBudgetReturns() throws Exception {
        Map<String, QueueLimits> limited = Map.of("q", new QueueLimits(null, null, TWO_PER_SECOND));
        report(limited);
        List<String> ids = enqueue("q", null, 2);
        assertEquals(List.of(), offered());
        // No report, no enqueue: only the timer the dispatcher set for the held-back queue brings the offer.
        clock.advance(Duration.ofMillis(500));
        assertEquals(ids.get(0), nextOffered(Duration.ofSeconds(5)));
    }

    @Test
    void eachConcurrencyKeyHasItsOwnBudgetAndKeysTakeTurns() throws Exception {
        Map<String, QueueLimits> limited = Map.of("q", new QueueLimits(null, null, TWO_PER_SECOND));
        report(limited);
        List<String> a = enqueue("q", "a", 3);
        List<String> b = enqueue("q", "b", 3);
        advance(500, limited);
        assertEquals(Set.of(a.get(0), b.get(0)), Set.copyOf(offered()));
        advance(500, limited);
        assertEquals(Set.of(a.get(1), b.get(1)), Set.copyOf(offered()));
    }

    @Test
    void theConcurrencyLimitStillHoldsUnderARateLimit() throws Exception {
        Map<String, QueueLimits> limited = Map.of("q", new QueueLimits(1, null, TWO_PER_SECOND));
        report(limited);
        List<String> ids = enqueue("q", null, 3);
        advance(500, limited);
        assertEquals(List.of(ids.get(0)), offered());
        advance(5_000, limited);
        assertEquals(List.of(), offered(), "budget, but the one slot is taken");
        dispatcher.tell(new EnvironmentDispatcher.Withdraw(ids.get(0)));
        assertEquals(List.of(ids.get(1)), offered());
    }

    @Test
    void anOfferTheRunTurnsDownGivesItsBudgetBack() throws Exception {
        Map<String, QueueLimits> limited = Map.of("q", new QueueLimits(null, null, TWO_PER_SECOND));
        report(limited);
        List<String> ids = enqueue("q", null, 2);
        runs.gone.add(ids.get(0));
        advance(500, limited);
        assertEquals(List.of(ids.get(1)), offered(), "the canceled run's start was refunded");
    }

    @Test
    void anOverrideReplacesTheDeclaredRateAndPausingStillHolds() throws Exception {
        Map<String, QueueLimits> unlimited = Map.of("q", QueueLimits.UNLIMITED);
        report(unlimited);
        QueueSettings oncePerTenSeconds = QueueSettings.DEFAULTS.withRateLimit(RateLimit.of(1, "10s"), clock.instant());
        change("q", oncePerTenSeconds);
        List<String> ids = enqueue("q", null, 3);
        advance(9_999, unlimited);
        assertEquals(List.of(), offered());
        advance(1, unlimited);
        assertEquals(List.of(ids.get(0)), offered());

        change("q", oncePerTenSeconds.withPaused(true));
        advance(10_000, unlimited);
        assertEquals(List.of(), offered(), "paused: budget or not, nothing starts");

        change("q", QueueSettings.DEFAULTS);
        assertEquals(List.of(ids.get(1), ids.get(2)), offered(), "reset: no limit, both go");
    }
}
