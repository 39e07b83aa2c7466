package dev.baton.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.sdk.client.BatonClient;
import dev.baton.sdk.client.Run;
import dev.baton.sdk.client.RunStatus;
import dev.baton.sdk.client.TriggerOptions;
import dev.baton.sdk.task.Task;
import dev.baton.sdk.worker.BatonWorker;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Cancel and maxDuration reach a real worker's handler, which sees the cancellation, and the run ends as it should. */
class StoppingRunsEndToEndTest {

    private static BatonNode node;
    private static BatonWorker worker;
    private static final Map<String, CountDownLatch> started = new ConcurrentHashMap<>();
    private static final Map<String, Boolean> sawCancellation = new ConcurrentHashMap<>();

    @BeforeAll
    static void start() {
        node = TestNodes.start("stopping", TestNodes.postgresConfig(TestNodes.freshPostgresSchema("stopping")));
        Task<Map, Object> slow = Task.<Map, Object>define("slow", Map.class, (payload, ctx) -> {
                    started.computeIfAbsent(ctx.runId(), id -> new CountDownLatch(1))
                            .countDown();
                    try {
                        Thread.sleep(Duration.ofSeconds(60).toMillis());
                    } catch (InterruptedException interrupted) {
                        sawCancellation.put(ctx.runId(), ctx.isCancelled());
                        throw interrupted;
                    }
                    return Map.of();
                })
                .build();
        worker = BatonWorker.builder(HappyPathScenario.url(node), TestNodes.WORKER_TOKEN)
                .slots(4)
                .register(slow)
                .build();
        worker.start();
        assertTrue(worker.awaitConnected(Duration.ofSeconds(30)));
    }

    @AfterAll
    static void stop() {
        if (worker != null) worker.close();
        if (node != null) TestNodes.stop(node);
    }

    private static void awaitStarted(String runId) throws InterruptedException {
        assertTrue(started.computeIfAbsent(runId, id -> new CountDownLatch(1)).await(30, TimeUnit.SECONDS));
    }

    private static void awaitCancellationSeen(String runId) throws InterruptedException {
        for (int i = 0; i < 100 && !sawCancellation.containsKey(runId); i++) Thread.sleep(100);
        assertEquals(Boolean.TRUE, sawCancellation.get(runId), "the handler saw ctx.isCancelled()");
    }

    @Test
    void cancelingAnExecutingRunStopsItsHandler() throws Exception {
        BatonClient client = HappyPathScenario.client(node);
        String runId = client.trigger("slow", Map.of()).id();
        awaitStarted(runId);
        client.cancel(runId);
        Run run = client.poll(runId, Duration.ofSeconds(30));
        assertEquals(RunStatus.CANCELED, run.status());
        assertTrue(run.isCancelled());
        awaitCancellationSeen(runId);
    }

    @Test
    void aRunPastItsMaxDurationTimesOutAndItsHandlerIsStopped() throws Exception {
        BatonClient client = HappyPathScenario.client(node);
        String runId = client.trigger(
                        "slow",
                        Map.of(),
                        TriggerOptions.builder().maxDuration(5).build())
                .id();
        awaitStarted(runId);
        Run run = client.poll(runId, Duration.ofSeconds(30));
        assertEquals(RunStatus.TIMED_OUT, run.status());
        assertTrue(run.isFailed() && run.isCompleted());
        assertEquals(1, run.attemptCount());
        long ranForMs = Duration.between(run.startedAt(), run.finishedAt()).toMillis();
        assertTrue(ranForMs >= 5_000 && ranForMs < 15_000, "timed out after " + ranForMs + " ms");
        awaitCancellationSeen(runId);
    }
}
