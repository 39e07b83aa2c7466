package dev.baton.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.sdk.client.BatonClient;
import dev.baton.sdk.client.Run;
import dev.baton.sdk.client.RunStatus;
import dev.baton.sdk.client.TriggerOptions;
import dev.baton.sdk.task.Task;
import dev.baton.sdk.worker.BatonWorker;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Invariant 5 (nothing stuck) across a hard crash: with runs DELAYED, QUEUED and EXECUTING, the
 * node is killed with SIGKILL and a new one starts on the same database. Every run must finish,
 * delayed runs no earlier than their time and not long after the restart, and no run may succeed twice.
 */
class CrashRecoveryTest {

    private static final Map<String, String> FAST_TIMERS = Map.of(
            "baton.engine.run.lease-timeout", "4s",
            "baton.engine.run.heartbeat-interval", "1s");

    private final Map<String, AtomicInteger> successes = new ConcurrentHashMap<>();
    private final Map<String, Instant> firstStart = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> executions = new ConcurrentHashMap<>();

    private Task<Map, Object> recordingTask(String id) {
        return Task.<Map, Object>define(id, Map.class, (payload, ctx) -> {
                    firstStart.putIfAbsent(ctx.runId(), Instant.now());
                    int execution = executions
                            .computeIfAbsent(ctx.runId(), r -> new AtomicInteger())
                            .incrementAndGet();
                    if (id.equals("crash-exec") && execution == 1) {
                        Thread.sleep(Duration.ofMinutes(2).toMillis()); // still running when the node dies
                    }
                    successes
                            .computeIfAbsent(ctx.runId(), r -> new AtomicInteger())
                            .incrementAndGet();
                    return Map.of("attempt", ctx.attemptNumber());
                })
                .build();
    }

    private BatonWorker worker(NodeProcess node, int slots, String... taskIds) {
        BatonWorker.Builder builder = BatonWorker.builder(node.url(), TestNodes.WORKER_TOKEN)
                .slots(slots)
                .reconnectBackoff(Duration.ofMillis(100), Duration.ofSeconds(1));
        for (String taskId : taskIds) builder.register(recordingTask(taskId));
        BatonWorker worker = builder.build();
        worker.start();
        assertTrue(worker.awaitConnected(Duration.ofSeconds(30)), "worker did not connect");
        return worker;
    }

    @Test
    void everyRunFinishesAfterTheNodeIsKilledAndRestarted(@TempDir Path logs) throws Exception {
        NodeProcess.Store store = NodeProcess.Store.postgres(TestNodes.freshPostgresSchema("crash"));
        int port = NodeProcess.freePort();
        NodeProcess first = NodeProcess.start(store, port, FAST_TIMERS, logs.resolve("first.log"));
        BatonClient client =
                BatonClient.builder(first.url(), TestNodes.SECRET_KEY).build();

        // crash-queued is known (declared once) but its worker is gone: its runs wait in the queue.
        worker(first, 1, "crash-queued").close();
        BatonWorker executor = worker(first, 20, "crash-exec", "crash-delayed");

        List<String> executing = new ArrayList<>();
        for (int i = 0; i < 10; i++)
            executing.add(client.trigger("crash-exec", Map.of("i", i)).id());
        awaitStatus(client, executing, RunStatus.EXECUTING, Duration.ofSeconds(30));

        // Due = when the trigger was sent + its delay: the server reads the delay on arrival, before the run exists.
        Map<String, Instant> due = new ConcurrentHashMap<>();
        List<String> delayed = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            int seconds = 2 + i % 9;
            Instant sent = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
            String id = client.trigger(
                            "crash-delayed",
                            Map.of("i", i),
                            TriggerOptions.builder().delay(seconds + "s").build())
                    .id();
            delayed.add(id);
            due.put(id, sent.plusSeconds(seconds));
        }
        List<String> queued = new ArrayList<>();
        for (int i = 0; i < 50; i++)
            queued.add(client.trigger("crash-queued", Map.of("i", i)).id());

        first.kill();
        try (NodeProcess second = NodeProcess.start(store, port, FAST_TIMERS, logs.resolve("second.log"));
                BatonWorker queuedWorker = worker(second, 10, "crash-queued")) {
            Instant restartedAt = Instant.now();
            List<String> all = new ArrayList<>(executing);
            all.addAll(delayed);
            all.addAll(queued);
            Map<String, Run> finished = awaitFinished(client, all, Duration.ofSeconds(120));

            for (Run run : finished.values()) {
                assertEquals(RunStatus.COMPLETED, run.status(), run.id() + " " + run.error());
            }
            // The attempt killed with the node was never journaled (an attempt is written with its outcome):
            // the run went back to its queue and ran again.
            for (String id : executing) {
                assertTrue(executions.get(id).get() >= 2, "the attempt killed with the node runs again: " + id);
            }
            for (String id : delayed) {
                Instant dueAt = due.get(id);
                Instant started = firstStart.get(id);
                assertFalse(started.isBefore(dueAt), id + " started " + started + " before its time " + dueAt);
                Instant latest = (dueAt.isAfter(restartedAt) ? dueAt : restartedAt).plusSeconds(15);
                assertTrue(started.isBefore(latest), id + " started " + started + ", expected by " + latest);
            }
            // Exactly one success in each run's history, and it is the last event. (A handler that returned just
            // as the node died may legitimately run again: its completion never reached the journal.)
            for (String id : all) {
                List<String> history =
                        client.events(id).stream().map(event -> event.type()).toList();
                assertEquals(1, history.stream().filter("RunSucceeded"::equals).count(), id + " " + history);
                assertEquals("RunSucceeded", history.get(history.size() - 1), id + " " + history);
            }
            // Runs that first started after the restart cannot have lost a completion: they ran exactly once.
            firstStart.forEach((id, started) -> {
                if (started.isAfter(restartedAt))
                    assertEquals(1, successes.get(id).get(), "run " + id + " succeeded twice");
            });
        } finally {
            executor.close();
        }
    }

    private static void awaitStatus(BatonClient client, List<String> ids, RunStatus status, Duration timeout)
            throws InterruptedException {
        Instant deadline = Instant.now().plus(timeout);
        while (Instant.now().isBefore(deadline)) {
            if (ids.stream().allMatch(id -> client.retrieve(id).status() == status)) return;
            Thread.sleep(200);
        }
        throw new AssertionError("runs did not all reach " + status);
    }

    private static Map<String, Run> awaitFinished(BatonClient client, List<String> ids, Duration timeout)
            throws InterruptedException {
        Map<String, Run> finished = new ConcurrentHashMap<>();
        Instant deadline = Instant.now().plus(timeout);
        while (Instant.now().isBefore(deadline)) {
            for (String id : ids) {
                if (finished.containsKey(id)) continue;
                try {
                    Run run = client.retrieve(id);
                    if (run.isCompleted()) finished.put(id, run);
                } catch (RuntimeException notYetReachable) {
                    // the node may still be starting
                }
            }
            if (finished.size() == ids.size()) return finished;
            Thread.sleep(500);
        }
        List<String> stuck =
                ids.stream().filter(id -> !finished.containsKey(id)).toList();
        throw new AssertionError(
                stuck.size() + " runs never finished, e.g. " + stuck.subList(0, Math.min(5, stuck.size())));
    }
}
