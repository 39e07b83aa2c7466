package dev.baton.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import dev.baton.sdk.client.BatonClient;
import dev.baton.sdk.client.Run;
import dev.baton.sdk.client.RunStatus;
import dev.baton.sdk.task.Task;
import dev.baton.sdk.worker.BatonWorker;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A real node on a real PostgreSQL, real HTTP, and SDK workers connected through the gateway. */
class PostgresEndToEndTest {

    private static Config config;
    private static BatonNode node;
    private static BatonWorker worker;

    @BeforeAll
    static void startNode() {
        config = TestNodes.postgresConfig(TestNodes.freshPostgresSchema("e2e"));
        node = TestNodes.start("e2e-pg", config);
        worker = HappyPathScenario.worker(node, 16);
    }

    @AfterAll
    static void stopNode() {
        if (worker != null) worker.close();
        if (node != null) TestNodes.stop(node);
    }

    @Test
    void hundredRunsCompleteAndReadBackIdenticallyAfterARestart() throws Exception {
        List<Run> completed = HappyPathScenario.triggerAndComplete(node, 100);

        worker.close();
        TestNodes.stop(node);
        node = TestNodes.start("e2e-pg", config);
        worker = HappyPathScenario.worker(node, 16);

        HappyPathScenario.assertReadBackIdentically(node, completed);
        List<String> history = HappyPathScenario.client(node)
                .events(completed.get(0).id())
                .stream()
                .map(event -> event.type())
                .toList();
        assertEquals(List.of("RunTriggered", "RunSucceeded"), history);
    }

    @Test
    void aRunWhoseWorkerIsKilledIsRetriedOnAnotherWorker() throws Exception {
        CountDownLatch startedOnDoomedWorker = new CountDownLatch(1);
        Task<Map, Object> blocking = Task.<Map, Object>define("e2e-crash", Map.class, (payload, ctx) -> {
                    startedOnDoomedWorker.countDown();
                    Thread.sleep(Duration.ofMinutes(5).toMillis());
                    return Map.of("by", "doomed");
                })
                .build();
        Task<Map, Object> healthy = Task.<Map, Object>define(
                        "e2e-crash",
                        Map.class,
                        (payload, ctx) -> Map.of("by", "survivor", "attempt", ctx.attemptNumber()))
                .build();

        BatonWorker doomed = BatonWorker.builder(HappyPathScenario.url(node), TestNodes.WORKER_TOKEN)
                .slots(1)
                .register(blocking)
                .build();
        doomed.start();
        assertTrue(doomed.awaitConnected(Duration.ofSeconds(30)));
        BatonClient client = HappyPathScenario.client(node);
        String runId = client.trigger("e2e-crash", Map.of()).id();
        assertTrue(startedOnDoomedWorker.await(30, TimeUnit.SECONDS), "the first attempt never started");

        try (BatonWorker survivor = BatonWorker.builder(HappyPathScenario.url(node), TestNodes.WORKER_TOKEN)
                .slots(1)
                .register(healthy)
                .build()) {
            survivor.start();
            assertTrue(survivor.awaitConnected(Duration.ofSeconds(30)));
            doomed.kill();

            Run run = client.poll(runId, Duration.ofSeconds(60));
            assertEquals(RunStatus.COMPLETED, run.status());
            assertEquals(2, run.attemptCount());
            assertEquals("survivor", run.output().get("by").asText());
            assertEquals(2, run.output().get("attempt").asInt());
        }
    }

    @Test
    void aTaskThatAlwaysThrowsEndsFailedAfterItsMaxAttempts() {
        BatonClient client = HappyPathScenario.client(node);
        String runId = client.trigger("fail", Map.of("message", "kaboom")).id();
        Run run = client.poll(runId, Duration.ofSeconds(60));
        assertEquals(RunStatus.FAILED, run.status());
        assertEquals(2, run.attemptCount());
        assertEquals("kaboom", run.error().message());
        assertTrue(run.isFailed() && run.isCompleted() && !run.isSuccess());
    }

    @Test
    void maxAttemptsFromTheTriggerOverridesTheTaskPolicy() {
        BatonClient client = HappyPathScenario.client(node);
        String runId = client.trigger(
                        "fail",
                        Map.of("message", "once"),
                        dev.baton.sdk.client.TriggerOptions.builder()
                                .maxAttempts(1)
                                .build())
                .id();
        Run run = client.poll(runId, Duration.ofSeconds(60));
        assertEquals(RunStatus.FAILED, run.status());
        assertEquals(1, run.attemptCount());
    }

    @Test
    void aTaskNoWorkerEverDeclaredIsPendingVersion() {
        BatonClient client = HappyPathScenario.client(node);
        String runId = client.trigger("never-declared", Map.of()).id();
        assertEquals(RunStatus.PENDING_VERSION, client.retrieve(runId).status());
    }
}
