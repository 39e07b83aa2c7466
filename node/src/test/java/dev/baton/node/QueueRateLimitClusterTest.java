package dev.baton.node;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValueFactory;
import dev.baton.sdk.client.BatonClient;
import dev.baton.sdk.task.Task;
import dev.baton.sdk.worker.BatonWorker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 15's rate-limit test: a queue allowing 15 starts per 5 s gets ten times that load for 30 s, triggered through
 * both nodes of a cluster and run by a worker on each. Counted from the handlers' own start times, no 5 s window holds
 * more than 15 starts, both workers run some (the one budget spans the cluster: a budget per node would start twice
 * as many), and the queue is not starved: the starts come close to what the spacing allows.
 *
 * <p>A handler starts after its offer by a delay that varies; on a machine as loaded as CI's shared two cores (a load
 * average of 11 was seen) by up to some 300 ms, where an idle one varies by a few. The dispatcher spreads each
 * period's starts over the period plus {@code baton.engine.dispatch.rate-limit-allowance} to absorb that; this test
 * sets it to 500 ms (the default is 50 ms), so that the count by handler start times measures the dispatcher's
 * spacing rather than the machine's scheduling.
 */
class QueueRateLimitClusterTest {

    private static final int LIMIT = 15;
    private static final Duration PERIOD = Duration.ofSeconds(5);
    private static final Duration ALLOWANCE = Duration.ofMillis(500);
    private static final int WINDOWS = 6;
    private static final int OVERLOAD = 10;

    private static final ConcurrentLinkedQueue<Long> startMillis = new ConcurrentLinkedQueue<>();
    /** Starts per worker: each node's worker runs some, so the one budget spans the cluster. */
    private static final Map<String, AtomicInteger> startsByWorker = new java.util.concurrent.ConcurrentHashMap<>();

    private static BatonNode nodeA;
    private static BatonNode nodeB;
    private static final List<BatonWorker> workers = new ArrayList<>();

    @BeforeAll
    static void startCluster() {
        Config config = TestNodes.postgresConfig(TestNodes.freshPostgresSchema("rate_cluster"))
                .withValue(
                        "baton.engine.dispatch.rate-limit-allowance",
                        ConfigValueFactory.fromAnyRef(ALLOWANCE.toMillis() + "ms"));
        nodeA = TestNodes.start("rate-cluster", config);
        nodeB = TestNodes.start(
                "rate-cluster",
                config.withValue(
                        "akka.cluster.seed-nodes",
                        ConfigValueFactory.fromIterable(
                                List.of(nodeA.system().address().toString()))));
        for (BatonNode node : List.of(nodeA, nodeB)) {
            String workerName = node == nodeA ? "A" : "B";
            Task<Map, Map> paced = Task.<Map, Map>define("paced", Map.class, (payload, ctx) -> {
                        startMillis.add(System.currentTimeMillis());
                        startsByWorker
                                .computeIfAbsent(workerName, name -> new AtomicInteger())
                                .incrementAndGet();
                        Thread.sleep(50);
                        return Map.of();
                    })
                    .queue("paced")
                    .rateLimit(LIMIT, PERIOD)
                    .build();
            BatonWorker worker = BatonWorker.builder(HappyPathScenario.url(node), TestNodes.WORKER_TOKEN)
                    .slots(8)
                    .register(paced)
                    .build();
            worker.start();
            assertTrue(worker.awaitConnected(Duration.ofSeconds(30)), "worker on " + node);
            workers.add(worker);
        }
    }

    @AfterAll
    static void stopCluster() {
        workers.forEach(BatonWorker::close);
        if (nodeB != null) TestNodes.stop(nodeB);
        if (nodeA != null) TestNodes.stop(nodeA);
    }

    @Test
    void tenTimesTheAllowedLoadNeverStartsMoreThanTheLimitInAnyPeriod() throws Exception {
        List<BatonClient> clients = List.of(HappyPathScenario.client(nodeA), HappyPathScenario.client(nodeB));
        AtomicInteger triggered = new AtomicInteger();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        ScheduledExecutorService pace = Executors.newSingleThreadScheduledExecutor();
        // A periodic task never overlaps itself: the pace hands each trigger to a pool, so a slow answer does not
        // lower the load.
        java.util.concurrent.ExecutorService load = Executors.newFixedThreadPool(16);
        long everyMicros = PERIOD.toNanos() / 1000 / ((long) LIMIT * OVERLOAD);
        pace.scheduleAtFixedRate(
                () -> load.execute(() -> {
                    try {
                        int n = triggered.getAndIncrement();
                        clients.get(n % 2).trigger("paced", Map.of("n", n));
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                }),
                0,
                everyMicros,
                TimeUnit.MICROSECONDS);
        // The load runs until WINDOWS full periods after the first start have been counted.
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (startMillis.isEmpty() && System.nanoTime() < deadline) Thread.sleep(20);
        assertTrue(!startMillis.isEmpty(), "no run started");
        long first = startMillis.peek();
        Thread.sleep(first + WINDOWS * PERIOD.toMillis() + 500 - System.currentTimeMillis());
        pace.shutdown();
        pace.awaitTermination(10, TimeUnit.SECONDS);
        load.shutdown(); // no interrupt: a trigger under way finishes
        load.awaitTermination(30, TimeUnit.SECONDS);
        if (failure.get() != null) throw new AssertionError("a trigger failed", failure.get());

        int[] perWindow = new int[WINDOWS];
        List<Long> starts = new ArrayList<>(startMillis);
        starts.sort(null);
        for (long start : starts) {
            long window = (start - first) / PERIOD.toMillis();
            if (window < WINDOWS) perWindow[(int) window]++;
        }
        int total = 0;
        int most = 0;
        for (int count : perWindow) {
            total += count;
            most = Math.max(most, count);
        }
        String counts = java.util.Arrays.toString(perWindow);
        long tightest = Long.MAX_VALUE;
        long tighterThanPeriod = 0;
        for (int i = 0; i + LIMIT < starts.size(); i++) {
            long span = starts.get(i + LIMIT) - starts.get(i);
            tightest = Math.min(tightest, span);
            tighterThanPeriod += Math.max(0, PERIOD.toMillis() - span);
        }
        List<Long> gaps = new ArrayList<>();
        for (int i = 1; i < starts.size(); i++) gaps.add(starts.get(i) - starts.get(i - 1));
        System.out.println("gaps between starts (ms) " + gaps);
        System.out.println("starts per window " + counts + ", by worker " + startsByWorker + ", tightest span of "
                + (LIMIT + 1) + " starts " + tightest + " ms (" + tighterThanPeriod + " ms short in all), "
                + triggered.get()
                + " triggers");
        assertTrue(
                triggered.get() >= LIMIT * OVERLOAD * WINDOWS * 8 / 10,
                "the load was about 10x the limit: " + triggered.get() + " triggers");
        assertTrue(startsByWorker.size() == 2, "the workers on both nodes started runs: " + startsByWorker);
        assertTrue(most <= LIMIT, "at most " + LIMIT + " starts per period: " + counts);
        // One start per (period + allowance) / limit at best; the dispatcher reacts a little after budget returns.
        long allowed =
                WINDOWS * PERIOD.toMillis() * LIMIT / PERIOD.plus(ALLOWANCE).toMillis();
        assertTrue(
                total >= allowed * 85 / 100,
                "close to the " + allowed + " starts the spacing allows, no starvation: " + counts);
    }
}
