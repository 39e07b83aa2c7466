package dev.baton.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.baton.sdk.client.BatonClient;
import dev.baton.sdk.client.RunStatus;
import dev.baton.sdk.client.TriggerOptions;
import dev.baton.sdk.task.Task;
import dev.baton.sdk.worker.BatonWorker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Concurrency limits with real workers: each task records how many of its runs overlap (per queue
 * key and in all), and the maxima must reach the limit but never pass it.
 */
class ConcurrencyLimitsTest {

    private static final int ENVIRONMENT_LIMIT = 20;
    private static BatonNode node;
    private static final Map<String, Overlap> overlaps = new ConcurrentHashMap<>();
    /** The overlap each limit allows, which the tests expect reached exactly. */
    private static final Map<String, Integer> PEAKS =
            Map.of("limit-5", 5, "keyed/a", 5, "keyed/b", 5, "keyed/c", 5, "capped", 8, "unlimited", ENVIRONMENT_LIMIT);

    /** Counts runs in flight and remembers the highest count. */
    static final class Overlap {
        final AtomicInteger current = new AtomicInteger();
        final AtomicInteger max = new AtomicInteger();
        final int peak;

        Overlap(int peak) {
            this.peak = peak;
        }

        boolean peakReached() {
            return max.get() >= peak;
        }

        void enter() {
            max.accumulateAndGet(current.incrementAndGet(), Math::max);
        }

        void leave() {
            current.decrementAndGet();
        }
    }

    private static Overlap overlap(String name) {
        return overlaps.computeIfAbsent(name, n -> new Overlap(PEAKS.getOrDefault(n, 0)));
    }

    private static Task<Map, Object> recording(String taskId, String queue, Integer limit, Integer globalLimit) {
        var builder = Task.<Map, Object>define(taskId, Map.class, (payload, ctx) -> {
            String key = taskId + "/" + payload.getOrDefault("key", "");
            overlap(taskId).enter();
            overlap(key).enter();
            try {
                // At least 200 ms, and held (up to 3 s) until the limit's overlap was seen once: executions reach the
                // worker one by one over its socket, so on a busy machine the first may end before the last starts.
                long start = System.nanoTime();
                do {
                    Thread.sleep(20);
                } while (System.nanoTime() - start < 200_000_000L
                        || System.nanoTime() - start < 3_000_000_000L
                                && !(overlap(taskId).peakReached()
                                        && overlap(key).peakReached()));
            } finally {
                overlap(key).leave();
                overlap(taskId).leave();
            }
            return Map.of();
        });
        if (limit != null)
            builder = globalLimit == null ? builder.queue(queue, limit) : builder.queue(queue, limit, globalLimit);
        return builder.build();
    }

    @BeforeAll
    static void start() {
        node = TestNodes.start(
                "limits",
                ConfigFactory.parseString("baton.engine.dispatch.environment-concurrency-limit = " + ENVIRONMENT_LIMIT)
                        .withFallback(TestNodes.postgresConfig(TestNodes.freshPostgresSchema("limits"))));
        // Declares the tasks; each test then queues all its runs before a worker arrives, so the limits are
        // tested against a full backlog rather than against the trigger rate.
        worker().close();
    }

    private static BatonWorker worker() {
        BatonWorker worker = BatonWorker.builder(HappyPathScenario.url(node), TestNodes.WORKER_TOKEN)
                .slots(40)
                .register(recording("limit-5", "five", 5, null))
                .register(recording("keyed", "keyed", 5, null))
                .register(recording("capped", "capped", 5, 8))
                .register(recording("unlimited", "open", null, null))
                .build();
        worker.start();
        assertTrue(worker.awaitConnected(Duration.ofSeconds(30)));
        return worker;
    }

    @AfterAll
    static void stop() {
        if (node != null) TestNodes.stop(node);
    }

    /** Triggers the runs (16 in flight), then starts a worker and waits until every run completed. */
    private static void runAll(String taskId, List<String> keys, int perKey) throws Exception {
        BatonClient client = HappyPathScenario.client(node);
        ExecutorService callers = Executors.newFixedThreadPool(16);
        BatonWorker worker = null;
        try {
            List<CompletableFuture<String>> ids = new ArrayList<>();
            for (int i = 0; i < perKey; i++) {
                for (String key : keys) {
                    TriggerOptions options = key.isEmpty()
                            ? TriggerOptions.none()
                            : TriggerOptions.builder().concurrencyKey(key).build();
                    ids.add(CompletableFuture.supplyAsync(
                            () -> client.trigger(taskId, Map.of("key", key), options)
                                    .id(),
                            callers));
                }
            }
            CompletableFuture.allOf(ids.toArray(CompletableFuture[]::new)).get();
            worker = worker();
            for (CompletableFuture<String> id : ids) {
                assertEquals(
                        RunStatus.COMPLETED,
                        client.poll(id.get(), Duration.ofSeconds(180), Duration.ofMillis(250))
                                .status());
            }
        } finally {
            callers.shutdownNow();
            if (worker != null) worker.close();
        }
    }

    @Test
    void aQueueLimitOfFiveIsReachedAndNeverPassed() throws Exception {
        runAll("limit-5", List.of(""), 200);
        assertEquals(5, overlap("limit-5").max.get());
    }

    @Test
    void eachConcurrencyKeyReachesTheQueueLimit() throws Exception {
        runAll("keyed", List.of("a", "b", "c"), 40);
        for (String key : List.of("a", "b", "c"))
            assertEquals(5, overlap("keyed/" + key).max.get(), key);
        assertTrue(overlap("keyed").max.get() <= ENVIRONMENT_LIMIT);
    }

    @Test
    void theGlobalCapBoundsAllKeysOfAQueue() throws Exception {
        runAll("capped", List.of("a", "b", "c"), 40);
        assertEquals(8, overlap("capped").max.get());
        for (String key : List.of("a", "b", "c"))
            assertTrue(overlap("capped/" + key).max.get() <= 5, key);
    }

    @Test
    void theEnvironmentLimitBoundsEverything() throws Exception {
        runAll("unlimited", List.of(""), 150);
        assertEquals(ENVIRONMENT_LIMIT, overlap("unlimited").max.get());
    }
}
