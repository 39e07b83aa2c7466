package dev.baton.loadtest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import dev.baton.sdk.task.ChildItem;
import dev.baton.sdk.task.RetryPolicy;
import dev.baton.sdk.task.Task;
import dev.baton.sdk.task.TaskContext;
import dev.baton.sdk.task.TokenResult;
import dev.baton.sdk.worker.BatonWorker;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The fault suite's tasks, each a kind of run that must survive a crash: quick ones, ones still executing when
 * the node dies, ones that fail once and retry (soon, or after a backoff long enough to span a downtime), durable
 * waits, waits for a waitpoint token and parents waiting for child runs. Every handler start is recorded (the
 * invariant checker compares the starts with the journal's executions).
 */
final class FaultTasks {

    static final String NOOP = "fault-noop";
    static final String SLEEP = "fault-sleep";
    static final String FLAKY = "fault-flaky";
    static final String WAIT = "fault-wait";
    static final String PARENT = "fault-parent";
    /** Waits for the waitpoint token {@code payload.tokenId}; its output says how the wait ended. */
    static final String TOKEN = "fault-token";
    /** Like {@link #FLAKY}, with a backoff long enough to fall into a downtime. */
    static final String FLAKY_SLOW = "fault-flaky-slow";

    static final Set<String> ALL = Set.of(NOOP, SLEEP, FLAKY, WAIT, PARENT, TOKEN, FLAKY_SLOW);
    /** A flaky run's budget: its first attempt fails, so it completes on the second. */
    static final int FLAKY_ATTEMPTS = 3;

    static final Duration FLAKY_SLOW_BACKOFF = Duration.ofSeconds(7);

    private FaultTasks() {}

    static List<Task<JsonNode, ?>> all(NoopFleet.Recorder recorder) {
        return all(recorder, ctx -> {});
    }

    /** The tasks, each handler start also told to {@code onStart} (a worker process appends it to its starts file). */
    static List<Task<JsonNode, ?>> all(NoopFleet.Recorder recorder, Consumer<TaskContext> onStart) {
        Consumer<TaskContext> started = ctx -> {
            recorder.started(ctx.runId(), null, 0);
            onStart.accept(ctx);
        };
        return List.of(
                Task.define(NOOP, JsonNode.class, (JsonNode payload, dev.baton.sdk.task.TaskContext ctx) -> {
                            started.accept(ctx);
                            return Map.of("ok", true);
                        })
                        .build(),
                Task.define(SLEEP, JsonNode.class, (JsonNode payload, dev.baton.sdk.task.TaskContext ctx) -> {
                            started.accept(ctx);
                            // laterMs, when given, is how long attempts after the first sleep (a retry on another
                            // worker)
                            boolean later = ctx.attemptNumber() > 1 && payload.has("laterMs");
                            Thread.sleep(
                                    later
                                            ? payload.path("laterMs").asLong()
                                            : payload.path("ms").asLong(500));
                            return Map.of("slept", true);
                        })
                        .build(),
                Task.define(FLAKY, JsonNode.class, (JsonNode payload, dev.baton.sdk.task.TaskContext ctx) -> {
                            started.accept(ctx);
                            if (ctx.attemptNumber() == 1)
                                throw new IllegalStateException("the first attempt of a flaky run fails");
                            return Map.of("attempt", ctx.attemptNumber());
                        })
                        .retry(new RetryPolicy(FLAKY_ATTEMPTS, 2, 200, 1_000, false))
                        .build(),
                Task.define(WAIT, JsonNode.class, (JsonNode payload, dev.baton.sdk.task.TaskContext ctx) -> {
                            started.accept(ctx);
                            ctx.waitFor(
                                    Duration.ofSeconds(payload.path("seconds").asLong(2)));
                            return Map.of("waited", true);
                        })
                        .build(),
                Task.define(PARENT, JsonNode.class, (JsonNode payload, dev.baton.sdk.task.TaskContext ctx) -> {
                            started.accept(ctx);
                            var children = ctx.batchTriggerAndWait(List.of(
                                    ChildItem.of(NOOP, Map.of("child", 1)), ChildItem.of(NOOP, Map.of("child", 2))));
                            return Map.of("children", children.size());
                        })
                        .build(),
                Task.define(TOKEN, JsonNode.class, (JsonNode payload, dev.baton.sdk.task.TaskContext ctx) -> {
                            started.accept(ctx);
                            TokenResult result =
                                    ctx.waitForToken(payload.path("tokenId").asText());
                            return Map.of(
                                    "ok",
                                    result.ok(),
                                    "timeout",
                                    result.isTimeout(),
                                    "data",
                                    result.ok() ? result.data() : NullNode.getInstance());
                        })
                        .build(),
                Task.define(FLAKY_SLOW, JsonNode.class, (JsonNode payload, dev.baton.sdk.task.TaskContext ctx) -> {
                            started.accept(ctx);
                            if (ctx.attemptNumber() == 1)
                                throw new IllegalStateException("the first attempt of a flaky run fails");
                            return Map.of("attempt", ctx.attemptNumber());
                        })
                        .retry(new RetryPolicy(
                                FLAKY_ATTEMPTS, 1, FLAKY_SLOW_BACKOFF.toMillis(), FLAKY_SLOW_BACKOFF.toMillis(), false))
                        .build());
    }

    /**
     * A worker in this JVM serving every fault task: it reconnects quickly after its node dies, and every wait
     * suspends the run (no short waits held in the worker).
     */
    static BatonWorker startWorker(URI url, String workerToken, int slots, NoopFleet.Recorder recorder) {
        return startWorker(List.of(url), workerToken, slots, recorder);
    }

    /** The same, given several nodes: it connects to the first and moves to the next when a connection is lost. */
    static BatonWorker startWorker(List<URI> urls, String workerToken, int slots, NoopFleet.Recorder recorder) {
        return startWorker(
                urls,
                workerToken,
                "fault-" + ProcessHandle.current().pid() + "-" + System.nanoTime() % 100_000,
                slots,
                recorder,
                ctx -> {});
    }

    /** The same, under a chosen worker id (the journal's attempts name it), telling {@code onStart} of each start. */
    static BatonWorker startWorker(
            URI url,
            String workerToken,
            String workerId,
            int slots,
            NoopFleet.Recorder recorder,
            Consumer<TaskContext> onStart) {
        return startWorker(List.of(url), workerToken, workerId, slots, recorder, onStart);
    }

    private static BatonWorker startWorker(
            List<URI> urls,
            String workerToken,
            String workerId,
            int slots,
            NoopFleet.Recorder recorder,
            Consumer<TaskContext> onStart) {
        BatonWorker.Builder builder = BatonWorker.builder(urls, workerToken)
                .workerId(workerId)
                .slots(slots)
                .shortWaitThreshold(Duration.ZERO)
                .reconnectBackoff(Duration.ofMillis(100), Duration.ofSeconds(1));
        for (Task<JsonNode, ?> task : all(recorder, onStart)) builder.register(task);
        BatonWorker worker = builder.build();
        worker.start();
        if (!worker.awaitConnected(Duration.ofSeconds(60))) {
            worker.close();
            throw new IllegalStateException("the fault worker did not connect to " + urls);
        }
        return worker;
    }
}
