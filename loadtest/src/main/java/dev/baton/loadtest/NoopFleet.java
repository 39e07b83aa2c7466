package dev.baton.loadtest;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.sdk.task.Task;
import dev.baton.sdk.worker.BatonWorker;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The worker fleet: {@code workers} SDK workers in this JVM sharing {@code concurrency} slots, all serving the
 * no-op task {@code bench-noop}. Its handler notes when it started: the latency since the payload's {@code t}
 * (System.nanoTime() just before the trigger call, same JVM, so no clock skew) and one execution of the run.
 * The execution counts outlive {@link #close} so the invariant checker can read them after the run.
 */
final class NoopFleet implements AutoCloseable {

    /** What handlers saw, across fleets: executions per run id (for the checker) and latencies since the last reset. */
    static final class Recorder {
        private final Map<String, Integer> executions = new ConcurrentHashMap<>();
        private final AtomicLong calls = new AtomicLong();
        private double[] latencies = new double[1024];
        private int latencyCount;

        void started(String runId, JsonNode payload, long now) {
            calls.incrementAndGet();
            executions.merge(runId, 1, Integer::sum);
            JsonNode t = payload == null ? null : payload.get("t");
            if (t != null && t.canConvertToLong()) {
                synchronized (this) {
                    if (latencyCount == latencies.length)
                        latencies = java.util.Arrays.copyOf(latencies, latencyCount * 2);
                    latencies[latencyCount++] = Stats.ms(now - t.asLong());
                }
            }
        }

        /** Handler calls since the last {@link #resetLatencies}; executions are never reset. */
        long calls() {
            return calls.get();
        }

        synchronized void resetLatencies() {
            latencyCount = 0;
            calls.set(0);
        }

        synchronized double[] latencies() {
            return java.util.Arrays.copyOf(latencies, latencyCount);
        }

        /** Handler starts per run id since this recorder was made. */
        Map<String, Integer> executions() {
            return Map.copyOf(executions);
        }
    }

    private final List<BatonWorker> workers = new ArrayList<>();

    private NoopFleet() {}

    /** @param logLines lines each handler writes to its run log (--log-lines), to measure logging's cost */
    static Task<JsonNode, Void> task(Recorder recorder, int logLines) {
        return Task.define(
                        TriggerClient.TASK, JsonNode.class, (JsonNode payload, dev.baton.sdk.task.TaskContext ctx) -> {
                            recorder.started(ctx.runId(), payload, System.nanoTime());
                            for (int line = 1; line <= logLines; line++)
                                ctx.logger().info("bench line {} of {}", line, logLines);
                            return (Void) null;
                        })
                .build();
    }

    /** Starts the workers and waits until every one is welcomed by the gateway. */
    static NoopFleet start(BenchOptions options, Recorder recorder) {
        NoopFleet fleet = new NoopFleet();
        Task<JsonNode, Void> task = task(recorder, options.logLines());
        try {
            for (int i = 0; i < options.workers(); i++) {
                BatonWorker worker = BatonWorker.builder(options.url(), options.workerToken())
                        .workerId(
                                "bench-" + ProcessHandle.current().pid() + "-" + System.nanoTime() % 100_000 + "-" + i)
                        .slots(options.slotsOf(i))
                        .register(task)
                        .build();
                fleet.workers.add(worker);
                worker.start();
            }
            for (BatonWorker worker : fleet.workers) {
                if (!worker.awaitConnected(Duration.ofSeconds(60))) {
                    throw new IllegalStateException(
                            "worker " + worker.workerId() + " did not connect to " + options.url());
                }
            }
            return fleet;
        } catch (RuntimeException e) {
            fleet.close();
            throw e;
        }
    }

    /**
     * A worker that connects once and leaves, so the node knows the task before any run is triggered (a
     * trigger of a task no worker ever declared is refused) without taking any of the runs.
     */
    static long declareTask(URI url, String workerToken) {
        Recorder ignored = new Recorder();
        try (BatonWorker worker = BatonWorker.builder(url, workerToken)
                .workerId("bench-declare-" + ProcessHandle.current().pid() + "-" + System.nanoTime() % 100_000)
                .slots(1)
                .register(task(ignored, 0))
                .build()) {
            worker.start();
            if (!worker.awaitConnected(Duration.ofSeconds(60))) {
                throw new IllegalStateException(
                        "could not connect a worker to " + url + " (is the worker token right?)");
            }
        }
        return ignored.calls(); // more than 0: the node already had bench-noop runs queued
    }

    @Override
    public void close() {
        workers.parallelStream().forEach(BatonWorker::close);
    }
}
