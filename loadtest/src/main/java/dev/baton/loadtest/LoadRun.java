package dev.baton.loadtest;

import java.io.IOException;
import java.io.PrintStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The harness's phases against one node, in the order given. Runs are counted as triggered when a call is
 * answered 2xx; a phase that waits for completions polls the read model until every run triggered so far is
 * final (see {@link RunCounter}). What a phase measures is one {@link ResultLine}.
 */
final class LoadRun implements AutoCloseable {

    /** The harness's cap on calls in flight in the open loop; reaching it means the node could not keep up. */
    private static final int MAX_OUTSTANDING = 1024;

    private static final long POLL_MILLIS = 50;

    private final BenchOptions options;
    private final PrintStream out;
    private final TriggerClient client;
    private final RunCounter counter;
    private final NoopFleet.Recorder recorder = new NoopFleet.Recorder();
    private final Instant since = Instant.now();
    private final long finishedBefore;
    private final AtomicLong accepted = new AtomicLong();
    private final AtomicLong failedCalls = new AtomicLong();
    private final Set<String> acceptedRunIds = ConcurrentHashMap.newKeySet();
    private NoopFleet fleet;

    LoadRun(BenchOptions options, PrintStream out) throws Exception {
        this.options = options;
        this.out = out;
        this.client = new TriggerClient(options.url(), options.secretKey());
        this.counter = new RunCounter(options.dbUrl(), options.dbUser(), options.dbPassword());
        this.finishedBefore = counter.finished();
        long stray = NoopFleet.declareTask(options.url(), options.workerToken());
        if (stray > 0)
            out.println("# note: the node already had " + stray
                    + " bench-noop runs queued; they ran on the declaring worker");
    }

    InvariantChecker.Expectation expectation() {
        return new InvariantChecker.Expectation(
                since, accepted.get(), failedCalls.get(), Set.copyOf(acceptedRunIds), recorder.executions());
    }

    // ---------------------------------------------------------------- loading

    ResultLine enqueueBatch(int n) throws Exception {
        long t0 = System.nanoTime();
        String via = "batch";
        for (int i = 0; i < n; i += options.batch()) {
            int count = Math.min(options.batch(), n - i);
            Optional<String> batchId = client.createBatch(count).get();
            if (batchId.isEmpty()) {
                via = "single_fallback";
                out.println(
                        "# POST /api/v3/batches answered 404: this node has no batch API yet; loading the remaining "
                                + (n - i) + " runs with single triggers, " + options.inflight() + " in flight");
                triggerSingles(i, n - i, options.inflight(), null);
                break;
            }
            TriggerClient.BatchItems items = sendItems(batchId.get(), i, count);
            if (!items.sealed() || items.itemsAccepted() + items.itemsDeduplicated() != count) {
                throw new IllegalStateException(
                        "batch " + batchId.get() + " took " + items + " for " + count + " items");
            }
            // The batch is new, so items it deduplicated were created by an earlier send of this loop.
            accepted.addAndGet(count);
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        return new ResultLine(options.label(), "enqueue_batch")
                .put("jobs", n)
                .put("batch", options.batch())
                .put("secs", Stats.f2(secs))
                .put("jobs_per_sec", Math.round(n / secs))
                .put("via", via)
                .put("loadavg1", Stats.loadavg1());
    }

    /**
     * Sends a batch's items; a 503 (some runs not created in time, e.g. while a cluster allocates its shards) is
     * answered as the API asks: the same items again, which it deduplicates by index.
     */
    private TriggerClient.BatchItems sendItems(String batchId, int first, int count) throws Exception {
        for (int attempt = 1; ; attempt++) {
            try {
                return client.sendItems(batchId, first, count).get();
            } catch (java.util.concurrent.ExecutionException e) {
                if (!(e.getCause() instanceof TriggerClient.HttpStatusException status)
                        || status.status != 503
                        || attempt == 5) {
                    throw e;
                }
                out.println("# batch " + batchId + ": " + status.getMessage() + "; sending its items again");
            }
        }
    }

    ResultLine enqueueSingle(int n) throws InterruptedException {
        long t0 = System.nanoTime();
        Latencies calls = new Latencies();
        long errors = triggerSingles(0, n, options.inflight(), calls);
        double secs = (System.nanoTime() - t0) / 1e9;
        double[] sorted = Stats.sorted(calls.values());
        return new ResultLine(options.label(), "enqueue_single")
                .put("jobs", n)
                .put("inflight", options.inflight())
                .put("secs", Stats.f2(secs))
                .put("jobs_per_sec", Math.round(n / secs))
                .put("call_p50_ms", Stats.f2(Stats.pct(sorted, 50)))
                .put("call_p99_ms", Stats.f2(Stats.pct(sorted, 99)))
                .put("errors", errors)
                .put("loadavg1", Stats.loadavg1());
    }

    /** {@code count} trigger calls, {@code inflight} lanes at a time (each calls again when answered); the errors. */
    private long triggerSingles(int first, int count, int inflight, Latencies calls) throws InterruptedException {
        AtomicInteger next = new AtomicInteger();
        AtomicLong errors = new AtomicLong();
        int lanes = Math.min(inflight, count);
        List<Thread> threads = new ArrayList<>(lanes);
        for (int lane = 0; lane < lanes; lane++) {
            Thread thread = new Thread(
                    () -> {
                        try (TriggerLane client = new TriggerLane(options.url(), options.secretKey())) {
                            for (int i = next.getAndIncrement(); i < count; i = next.getAndIncrement()) {
                                long start = System.nanoTime();
                                try {
                                    triggered(client.trigger(first + i, start));
                                    if (calls != null) calls.add(Stats.ms(System.nanoTime() - start));
                                } catch (IOException | RuntimeException e) {
                                    failed(errors, e);
                                }
                            }
                        }
                    },
                    "bench-lane-" + lane);
            thread.setDaemon(true);
            thread.start();
            threads.add(thread);
        }
        for (Thread thread : threads) thread.join();
        if (errors.get() > 0) out.println("# " + errors.get() + " of " + count + " trigger calls failed");
        return errors.get();
    }

    private void triggered(String runId) {
        accepted.incrementAndGet();
        acceptedRunIds.add(runId);
    }

    private void failed(AtomicLong errors, Throwable error) {
        failedCalls.incrementAndGet();
        if (errors.incrementAndGet() <= 5) out.println("# trigger failed: " + TriggerClient.unwrap(error));
    }

    // ---------------------------------------------------------------- draining

    /** Starts the fleet and times it from worker start until every run triggered so far (n just now) is final. */
    ResultLine drain(String metric, int n, boolean keepFleet) {
        recorder.resetLatencies();
        long expectedCalls = remaining();
        long t0 = System.nanoTime();
        startFleet();
        long remaining = awaitFinished(expectedCalls);
        double secs = (System.nanoTime() - t0) / 1e9;
        long done = n - Math.min(n, remaining);
        ResultLine line = new ResultLine(options.label(), metric)
                .put("jobs", done)
                .put("of", n)
                .put("secs", Stats.f2(secs))
                .put("jobs_per_sec", Math.round(done / secs))
                .put("handler_calls", recorder.calls())
                .put("timed_out", remaining != 0)
                .put("concurrency", options.concurrency())
                .put("workers", options.workers())
                .put("loadavg1", Stats.loadavg1());
        if (!keepFleet) stopFleet();
        return line;
    }

    /**
     * Polls until the read model shows every triggered run final, or the phase timeout; what remains. The count
     * reads every bench-noop row, so it runs every 50 ms only once the fleet has started {@code expectedCalls}
     * handlers (no run can be final before its handler started), and every second before that: the database
     * the node is measured on stays nearly undisturbed, and the end is still seen within 50 ms.
     */
    private long awaitFinished(long expectedCalls) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(options.phaseTimeoutSeconds());
        long lastCount = System.nanoTime() - TimeUnit.SECONDS.toNanos(1);
        long remaining = Long.MAX_VALUE;
        while (System.nanoTime() < deadline) {
            boolean handlersDone = recorder.calls() >= expectedCalls;
            if (handlersDone || System.nanoTime() - lastCount >= TimeUnit.SECONDS.toNanos(1)) {
                lastCount = System.nanoTime();
                remaining = remaining();
                if (remaining == 0) return 0;
            }
            sleep(POLL_MILLIS);
        }
        return remaining();
    }

    private long remaining() {
        return Math.max(0, finishedBefore + accepted.get() - counter.finished());
    }

    // ---------------------------------------------------------------- latency

    /** Open loop at {@code rate}/s for the duration, like the harness; latency = handler start − payload t. */
    ResultLine latency(int rate) {
        if (fleet == null) startFleet();
        sleep(1000); // let the worker settle idle
        recorder.resetLatencies();
        long total = (long) rate * options.durationSeconds();
        AtomicInteger outstanding = new AtomicInteger();
        AtomicLong errors = new AtomicLong();
        Latencies calls = new Latencies();
        long sent = 0;
        int maxOut = 0;
        long t0 = System.nanoTime();
        long deadline = t0 + TimeUnit.SECONDS.toNanos(options.durationSeconds() + 5L);
        while (sent < total && System.nanoTime() < deadline) {
            long due = Math.min(total, (long) ((System.nanoTime() - t0) / 1e9 * rate));
            while (sent < due && outstanding.get() < MAX_OUTSTANDING) {
                sent++;
                maxOut = Math.max(maxOut, outstanding.incrementAndGet());
                long stamp = System.nanoTime();
                client.trigger(sent, stamp).whenComplete((runId, error) -> {
                    if (error == null) {
                        calls.add(Stats.ms(System.nanoTime() - stamp));
                        triggered(runId);
                    } else {
                        failed(errors, error);
                    }
                    outstanding.decrementAndGet();
                });
            }
            LockSupport.parkNanos(1_000_000);
        }
        double sendSecs = (System.nanoTime() - t0) / 1e9;
        while (outstanding.get() > 0) sleep(5);
        long remaining = awaitFinished(0);
        sleep(200);
        double[] lat = Stats.sorted(recorder.latencies());
        double[] call = Stats.sorted(calls.values());
        return new ResultLine(options.label(), "latency_e2e")
                .put("offered_rate", rate)
                .put("achieved_rate", Math.round(sent / sendSecs))
                .put("sent", sent)
                .put("received", lat.length)
                .put("p50_ms", Stats.f2(Stats.pct(lat, 50)))
                .put("p95_ms", Stats.f2(Stats.pct(lat, 95)))
                .put("p99_ms", Stats.f2(Stats.pct(lat, 99)))
                .put("max_ms", Stats.f2(Stats.max(lat)))
                .put("enqueue_call_p50_ms", Stats.f2(Stats.pct(call, 50)))
                .put("enqueue_call_p99_ms", Stats.f2(Stats.pct(call, 99)))
                .put("errors", errors.get())
                .put("max_outstanding", maxOut)
                .put("remaining_after", remaining)
                .put("loadavg1", Stats.loadavg1());
    }

    /**
     * With --log-lines: the lines handlers logged against those stored, once the writers had a moment to flush.
     * Logging is best effort (a throttled worker drops lines and says so in a marker), so this is a figure, not an
     * invariant.
     */
    ResultLine runLogs() {
        long logged = recorder.executions().values().stream()
                        .mapToLong(Integer::longValue)
                        .sum()
                * options.logLines();
        long stored = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline && (stored = counter.storedLogLines(since)) < logged) sleep(200);
        return new ResultLine(options.label(), "run_logs")
                .put("lines_logged", logged)
                .put("lines_stored", stored)
                .put("per_run", options.logLines());
    }

    // ---------------------------------------------------------------- fleet

    private void startFleet() {
        fleet = NoopFleet.start(options, recorder);
        out.println("# worker fleet started: " + options.workers() + " worker(s), " + options.concurrency() + " slots");
    }

    void stopFleet() {
        if (fleet != null) {
            fleet.close();
            fleet = null;
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    @Override
    public void close() throws java.sql.SQLException {
        stopFleet();
        client.close();
        counter.close();
    }

    /** Call latencies in ms, appended from the HTTP client's threads. */
    private static final class Latencies {
        private double[] values = new double[1024];
        private int count;

        synchronized void add(double value) {
            if (count == values.length) values = java.util.Arrays.copyOf(values, count * 2);
            values[count++] = value;
        }

        synchronized double[] values() {
            return java.util.Arrays.copyOf(values, count);
        }
    }
}
