package dev.baton.engine.dispatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.baton.engine.common.Ids;
import dev.baton.engine.run.TriggerRequest;
import dev.baton.engine.task.QueueLimits;
import dev.baton.engine.task.TaskDefinition;
import dev.baton.engine.testkit.TestNode;
import dev.baton.engine.worker.WorkerChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The dispatcher's limits and turn-taking, counted exactly with a worker stand-in that holds what it gets. */
class ConcurrencyAndFairnessTest {

    private static final Duration QUIET = Duration.ofMillis(400);
    private static TestNode node;

    @BeforeAll
    static void start() {
        // The stand-in worker holds runs across many quiet windows without heartbeats: leases must outlast them.
        node = TestNode.start("ConcurrencyAndFairnessTest", ConfigFactory.parseString("""
        baton.engine.dispatch.environment-concurrency-limit = 12
        baton.engine.run.lease-timeout = 60s
        """));
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    private static String environment(String taskId) throws Exception {
        String env = "env_" + Ids.random(8);
        node.engine()
                .declareTasks(env, List.of(new TaskDefinition(taskId, "q", null, null, null)))
                .toCompletableFuture()
                .get();
        return env;
    }

    private static void trigger(String env, String taskId, String key, long priorityMs, int count) throws Exception {
        trigger(env, taskId, key, key, priorityMs, count);
    }

    /** Runs labelled {@code label} in their payload, on concurrency key {@code key} (null for none). */
    private static void trigger(String env, String taskId, String label, String key, long priorityMs, int count)
            throws Exception {
        for (int i = 0; i < count; i++) {
            TriggerRequest request = TriggerRequest.builder(taskId)
                    .payload("{\"key\":\"" + label + "\"}", "application/json")
                    .queue("q")
                    .concurrencyKey(key)
                    .priorityMs(priorityMs)
                    .build();
            node.engine().runs().trigger(env, request).toCompletableFuture().get();
        }
    }

    private static String keyOf(WorkerChannel.Execute execute) {
        return execute.payloadJson().replaceAll(".*\"key\":\"([^\"]*)\".*", "$1");
    }

    /** Takes executions until none arrives for a while; returns them. */
    private static List<WorkerChannel.Execute> drainOffers(FakeWorker worker) {
        List<WorkerChannel.Execute> got = new ArrayList<>();
        while (true) {
            try {
                got.add(worker.probe.expectMessageClass(WorkerChannel.Execute.class, QUIET));
            } catch (AssertionError quiet) {
                return got;
            }
        }
    }

    @Test
    void aQueueLimitCapsRunsInFlightAndEachFinishFreesExactlyOne() throws Exception {
        String env = environment("t");
        trigger(env, "t", null, 0, 20);
        FakeWorker worker = new FakeWorker(node, env, "ws_1", Set.of("t"), Map.of("q", new QueueLimits(5, null)), 20);
        List<WorkerChannel.Execute> first = drainOffers(worker);
        assertEquals(5, first.size());
        for (WorkerChannel.Execute execute : first) {
            worker.finish(execute);
            assertEquals(1, drainOffers(worker).size());
        }
    }

    @Test
    void eachConcurrencyKeyGetsTheQueueLimitAndTheGlobalCapBoundsTheirSum() throws Exception {
        String env = environment("t");
        for (String key : List.of("a", "b", "c")) trigger(env, "t", key, 0, 10);
        FakeWorker perKey = new FakeWorker(node, env, "ws_k", Set.of("t"), Map.of("q", new QueueLimits(5, null)), 40);
        Map<String, Integer> byKey = new HashMap<>();
        drainOffers(perKey).forEach(execute -> byKey.merge(keyOf(execute), 1, Integer::sum));
        assertEquals(Map.of("a", 4, "b", 4, "c", 4), byKey, "5 per key, but the environment allows 12 in all");

        String capped = environment("t");
        for (String key : List.of("a", "b", "c")) trigger(capped, "t", key, 0, 10);
        FakeWorker global = new FakeWorker(node, capped, "ws_g", Set.of("t"), Map.of("q", new QueueLimits(5, 8)), 40);
        List<WorkerChannel.Execute> offers = drainOffers(global);
        assertEquals(8, offers.size());
        Map<String, Integer> spread = new HashMap<>();
        offers.forEach(execute -> spread.merge(keyOf(execute), 1, Integer::sum));
        assertTrue(spread.values().stream().allMatch(n -> n >= 2 && n <= 3), "fair across keys: " + spread);
    }

    @Test
    void theEnvironmentLimitCapsAllQueuesTogether() throws Exception {
        String env = environment("t");
        trigger(env, "t", null, 0, 30);
        FakeWorker worker = new FakeWorker(node, env, "ws_e", Set.of("t"), Map.of(), 50);
        assertEquals(12, drainOffers(worker).size());
    }

    @Test
    void aHotKeyDoesNotStarveAColdOne() throws Exception {
        String env = environment("t");
        trigger(env, "t", "hot", 0, 1000);
        trigger(env, "t", "cold", 0, 10);
        FakeWorker worker = new FakeWorker(node, env, "ws_f", Set.of("t"), Map.of(), 2);
        List<String> order = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            WorkerChannel.Execute execute = worker.next();
            order.add(keyOf(execute));
            worker.finish(execute);
        }
        int lastCold = order.lastIndexOf("cold");
        assertEquals(10, order.stream().filter("cold"::equals).count(), "all cold runs within 30 dispatches: " + order);
        assertTrue(lastCold < 25, "cold runs interleaved, not after the hot key drains: " + order);
    }

    @Test
    void priorityGivesAHeadStartWithinAQueue() throws Exception {
        String env = environment("t");
        FakeWorker worker = new FakeWorker(node, env, "ws_p", Set.of("t"), Map.of("q", new QueueLimits(1, null)), 1);
        trigger(env, "t", "first", null, 0, 1);
        WorkerChannel.Execute first = worker.next();
        trigger(env, "t", "none", null, 0, 1);
        trigger(env, "t", "ten", null, 10_000, 1);
        trigger(env, "t", "five", null, 5_000, 1);
        worker.finish(first);
        List<String> order = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            WorkerChannel.Execute execute = worker.next();
            order.add(keyOf(execute));
            worker.finish(execute);
        }
        assertEquals(List.of("ten", "five", "none"), order);
    }
}
