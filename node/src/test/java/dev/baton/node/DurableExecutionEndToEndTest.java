package dev.baton.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigValueFactory;
import dev.baton.examples.ExampleTasks;
import dev.baton.sdk.client.BatonClient;
import dev.baton.sdk.client.CreatedWaitpointToken;
import dev.baton.sdk.client.Run;
import dev.baton.sdk.client.RunStatus;
import dev.baton.sdk.client.WaitpointTokenOptions;
import dev.baton.sdk.task.ChildItem;
import dev.baton.sdk.task.ChildResult;
import dev.baton.sdk.task.RetryPolicy;
import dev.baton.sdk.task.Task;
import dev.baton.sdk.worker.BatonWorker;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Durable execution on a real node and PostgreSQL with SDK workers: memoized steps survive a killed
 * worker, a long wait frees its slot and survives a worker's and a node's restart, and a parent
 * waiting for its children gets each child's outcome once.
 */
class DurableExecutionEndToEndTest {

    private static final RetryPolicy QUICK_RETRY = new RetryPolicy(3, 1, 100, 100, false);

    private Config config;
    private BatonNode node;
    private final List<BatonWorker> workers = new ArrayList<>();

    @BeforeEach
    void startNode() throws IOException {
        // A fixed port, so workers reconnect to the node after its restart.
        config = TestNodes.postgresConfig(TestNodes.freshPostgresSchema("durable"))
                .withValue("baton.node.http.port", ConfigValueFactory.fromAnyRef(freePort()));
        node = TestNodes.start("durable", config);
    }

    @AfterEach
    void stopAll() {
        workers.forEach(BatonWorker::kill);
        if (node != null) TestNodes.stop(node);
    }

    private BatonWorker worker(int slots, Task<?, ?>... tasks) {
        BatonWorker.Builder builder = BatonWorker.builder(HappyPathScenario.url(node), TestNodes.WORKER_TOKEN)
                .slots(slots)
                .reconnectBackoff(Duration.ofMillis(100), Duration.ofMillis(500));
        for (Task<?, ?> task : tasks) builder.register(task);
        BatonWorker worker = builder.build();
        workers.add(worker);
        worker.start();
        assertTrue(worker.awaitConnected(Duration.ofSeconds(30)), "worker did not connect");
        return worker;
    }

    @Test
    void aKilledWorkersNextAttemptRunsOnlyTheStepsThatDidNotFinish() throws Exception {
        AtomicInteger charged = new AtomicInteger();
        AtomicInteger shipped = new AtomicInteger();
        AtomicInteger emailed = new AtomicInteger();
        CountDownLatch twoStepsDone = new CountDownLatch(1);
        Task<Map, Map> order = Task.<Map, Map>define("order", Map.class, (payload, ctx) -> {
                    int charge = ctx.step("charge", Integer.class, charged::incrementAndGet);
                    int ship = ctx.step("ship", Integer.class, shipped::incrementAndGet);
                    if (ctx.attemptNumber() == 1) {
                        twoStepsDone.countDown();
                        Thread.sleep(Duration.ofMinutes(5).toMillis()); // the worker dies here
                    }
                    int email = ctx.step("email", Integer.class, emailed::incrementAndGet);
                    return Map.of("charge", charge, "ship", ship, "email", email, "attempt", ctx.attemptNumber());
                })
                .retry(QUICK_RETRY)
                .build();

        BatonWorker doomed = worker(1, order);
        BatonClient client = HappyPathScenario.client(node);
        String runId = client.trigger("order", Map.of()).id();
        assertTrue(twoStepsDone.await(30, TimeUnit.SECONDS), "the first attempt never got through two steps");
        doomed.kill();
        worker(1, order);

        Run run = client.poll(runId, Duration.ofSeconds(60));
        assertEquals(RunStatus.COMPLETED, run.status(), () -> String.valueOf(run.error()));
        assertEquals(2, run.attemptCount());
        assertEquals(
                Map.of("charge", 1, "ship", 1, "email", 1, "attempt", 2),
                Map.of(
                        "charge",
                        run.output().get("charge").asInt(),
                        "ship",
                        run.output().get("ship").asInt(),
                        "email",
                        run.output().get("email").asInt(),
                        "attempt",
                        run.output().get("attempt").asInt()));
        assertEquals(
                List.of(1, 1, 1),
                List.of(charged.get(), shipped.get(), emailed.get()),
                "each step's side effect happened once");
    }

    @Test
    void aLongWaitFreesTheSlotAndResumesOnTimeOnAnotherWorkerAfterANodeRestart() throws Exception {
        Queue<String> resumedBy = new ConcurrentLinkedQueue<>();
        BatonWorker first = worker(1, sleeper("first", resumedBy), ExampleTasks.helloWorld());
        BatonClient client = HappyPathScenario.client(node);
        Instant triggeredAt = Instant.now();
        String sleeperId = client.trigger("sleeper", Map.of()).id();
        awaitStatus(client, sleeperId, RunStatus.WAITING);

        // The only slot is free while the sleeper waits.
        for (int i = 0; i < 3; i++) {
            Run hello = client.poll(
                    client.trigger("hello-world", Map.of("name", "n" + i)).id(), Duration.ofSeconds(20));
            assertEquals(RunStatus.COMPLETED, hello.status());
        }
        assertEquals(RunStatus.WAITING, client.retrieve(sleeperId).status());

        first.kill();
        TestNodes.stop(node);
        node = TestNodes.start("durable", config);
        worker(1, sleeper("second", resumedBy));

        Run run = HappyPathScenario.client(node).poll(sleeperId, Duration.ofSeconds(90));
        Instant finishedAt = Instant.now();
        assertEquals(RunStatus.COMPLETED, run.status(), () -> String.valueOf(run.error()));
        assertEquals(List.of("second"), List.copyOf(resumedBy), "resumed once, by the worker still there");
        Duration waited = Duration.between(triggeredAt, finishedAt);
        assertTrue(waited.compareTo(Duration.ofSeconds(30)) >= 0, "resumed early: " + waited);
        assertTrue(waited.compareTo(Duration.ofSeconds(90)) < 0, "resumed late: " + waited); // 30 s wait, a restart
        assertEquals(1, run.attemptCount(), "a wait is not a failed attempt");
    }

    /** Waits 30 s durably, then records which worker resumed it. */
    private static Task<Map, Map> sleeper(String workerName, Queue<String> resumedBy) {
        return Task.<Map, Map>define("sleeper", Map.class, (payload, ctx) -> {
                    ctx.waitFor(Duration.ofSeconds(30));
                    resumedBy.add(workerName);
                    return Map.of("resumedBy", workerName);
                })
                .build();
    }

    @Test
    void aParentGetsEveryChildsOutcomeAndItsChildrenRunOnceThoughItsWorkerIsKilledWhileItWaits() throws Exception {
        Map<Integer, AtomicInteger> childRuns = new ConcurrentHashMap<>();
        CountDownLatch releaseChildren = new CountDownLatch(1);
        Task<Map, Map> child = Task.<Map, Map>define("child", Map.class, (payload, ctx) -> {
                    int index = ((Number) payload.get("i")).intValue();
                    childRuns.computeIfAbsent(index, i -> new AtomicInteger()).incrementAndGet();
                    releaseChildren.await(60, TimeUnit.SECONDS);
                    if (index == 3) throw new IllegalStateException("child 3 fails");
                    return Map.of("i", index);
                })
                .retry(RetryPolicy.attempts(1))
                .build();
        AtomicInteger parentExecutions = new AtomicInteger();
        Task<Map, Map> parent = Task.<Map, Map>define("parent", Map.class, (payload, ctx) -> {
                    parentExecutions.incrementAndGet();
                    List<ChildItem> items = new ArrayList<>();
                    for (int i = 0; i < 10; i++) items.add(ChildItem.of("child", Map.of("i", i)));
                    List<ChildResult> results = ctx.batchTriggerAndWait(items);
                    List<Object> outputs = new ArrayList<>();
                    List<String> errors = new ArrayList<>();
                    for (ChildResult result : results) {
                        if (result.ok()) outputs.add(result.output().get("i").asInt());
                        else errors.add(result.error().message());
                    }
                    return Map.of("outputs", outputs, "errors", errors);
                })
                .build();

        BatonWorker parentWorker = worker(1, parent);
        worker(10, child);
        BatonClient client = HappyPathScenario.client(node);
        String parentId = client.trigger("parent", Map.of()).id();
        awaitStatus(client, parentId, RunStatus.WAITING);
        parentWorker.kill();
        worker(1, parent);
        releaseChildren.countDown();

        Run run = client.poll(parentId, Duration.ofSeconds(60));
        assertEquals(RunStatus.COMPLETED, run.status(), () -> String.valueOf(run.error()));
        JsonNode outputs = run.output().get("outputs");
        assertEquals("[0,1,2,4,5,6,7,8,9]", outputs.toString());
        assertEquals("[\"child 3 fails\"]", run.output().get("errors").toString());
        assertEquals(10, childRuns.size());
        childRuns.forEach(
                (index, count) -> assertEquals(1, count.get(), "child " + index + " ran " + count + " times"));
        assertEquals(2, parentExecutions.get(), "the parent ran until it waited, then once more with the results");
        assertFalse(run.isFailed());
    }

    @Test
    void aRunWaitingForATokenResumesWithItsDataFromTheApiOrTheCallbackAndFailsWhenItTimesOut() throws Exception {
        worker(4, ExampleTasks.approval());
        BatonClient client = HappyPathScenario.client(node);

        CreatedWaitpointToken byApi = client.createToken(WaitpointTokenOptions.none());
        String approvedId =
                client.trigger("approval", Map.of("tokenId", byApi.id())).id();
        awaitStatus(client, approvedId, RunStatus.WAITING);
        client.completeToken(byApi.id(), Map.of("approved", true));
        Run approved = client.poll(approvedId, Duration.ofSeconds(30));
        assertEquals(RunStatus.COMPLETED, approved.status(), () -> String.valueOf(approved.error()));
        assertEquals("{\"approved\":true}", approved.output().toString());

        CreatedWaitpointToken byCallback = client.createToken(WaitpointTokenOptions.none());
        String calledBackId =
                client.trigger("approval", Map.of("tokenId", byCallback.id())).id();
        awaitStatus(client, calledBackId, RunStatus.WAITING);
        HttpResponse<String> callback = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create(byCallback.url()))
                                .header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString("{\"via\":\"webhook\"}"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertEquals(200, callback.statusCode(), callback.body());
        Run calledBack = client.poll(calledBackId, Duration.ofSeconds(30));
        assertEquals("{\"via\":\"webhook\"}", calledBack.output().toString());

        CreatedWaitpointToken expiring =
                client.createToken(WaitpointTokenOptions.builder().timeout("2s").build());
        String timedOutId =
                client.trigger("approval", Map.of("tokenId", expiring.id())).id();
        Run timedOut = client.poll(timedOutId, Duration.ofSeconds(60));
        assertEquals(RunStatus.FAILED, timedOut.status());
        assertTrue(
                timedOut.error().message().contains("TRIGGER_WAITPOINT_TIMEOUT"),
                timedOut.error().message());
    }

    private static void awaitStatus(BatonClient client, String runId, RunStatus status) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (client.retrieve(runId).status() != status) {
            if (System.nanoTime() > deadline) throw new AssertionError(runId + " never became " + status);
            Thread.sleep(50);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
