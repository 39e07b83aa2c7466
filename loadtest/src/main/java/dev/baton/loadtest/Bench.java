package dev.baton.loadtest;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Baton's side of the peers benchmark (docs/benchmarks.md): the harness's phases against a running
 * node, one {@code RESULT} line per metric in the harness's format, then the {@link InvariantChecker}.
 *
 * <ul>
 *   <li>{@code enqueue_batch}: N no-op runs through the v3 two-phase batch API in chunks of --batch, one call
 *       after the other (single triggers, --inflight at a time, when the node answers 404 there);</li>
 *   <li>{@code drain_batch}: start --concurrency worker slots; completions/s from worker start until the read
 *       model shows every run final;</li>
 *   <li>{@code enqueue_single}: N single triggers, --inflight in flight: jobs/s, call p50/p99;</li>
 *   <li>{@code drain_single}: as drain_batch, for those runs (the fleet then stays up for the latency phase);</li>
 *   <li>{@code latency} ({@code latency_e2e}): open loop at each --rate for --duration s: trigger call start →
 *       handler start, p50/p95/p99.</li>
 * </ul>
 * Phases that drain need runs: drain_batch loads a batch first when enqueue_batch was not asked for. With
 * {@code --warmup W}, W runs first go through batch load, drain, single triggers and drain, printed as comments:
 * the node is a long-running JVM, and until its JIT has compiled the hot path (tens of seconds on 2 cores, when
 * C2 takes 40 % of the CPU) it measures the compiler more than itself.
 *
 * <p>Exit status: 0, 1 when an invariant was violated, 2 on bad usage.
 */
public final class Bench {

    /** What a run printed and what it checked against (report is null with --no-check), for the smoke test. */
    public record Outcome(
            List<ResultLine> results, InvariantChecker.Expectation expectation, InvariantChecker.Report report) {

        public ResultLine result(String metric) {
            return results.stream()
                    .filter(line -> line.metric().equals(metric))
                    .findFirst()
                    .orElseThrow(() -> new IllegalStateException("no RESULT line for " + metric));
        }
    }

    private Bench() {}

    public static void main(String[] args) throws Exception {
        BenchOptions options;
        try {
            options = BenchOptions.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            return;
        }
        Outcome outcome = run(options, System.out);
        System.exit(outcome.report() == null || outcome.report().ok() ? 0 : 1);
    }

    public static Outcome run(BenchOptions options, PrintStream out) throws Exception {
        out.printf(
                "# baton: java %s, %d cpus, loadavg %s, N=%d batch=%d inflight=%d concurrency=%d workers=%d "
                        + "rate=%s/s x %ds; node %s%n",
                Runtime.version(),
                Runtime.getRuntime().availableProcessors(),
                Stats.loadavg1(),
                options.n(),
                options.batch(),
                options.inflight(),
                options.concurrency(),
                options.workers(),
                options.rates(),
                options.durationSeconds(),
                options.url());
        List<ResultLine> results = new ArrayList<>();
        InvariantChecker.Report report = null;
        InvariantChecker.Expectation expectation;
        try (LoadRun run = new LoadRun(options, out)) {
            if (options.warmup() > 0) warmUp(run, options.warmup(), out);
            int n = options.n();
            boolean batchLoaded = false;
            for (String phase : options.phases()) {
                switch (phase) {
                    case "enqueue_batch" -> {
                        emit(results, out, run.enqueueBatch(n));
                        batchLoaded = true;
                    }
                    case "drain_batch" -> {
                        if (!batchLoaded) emit(results, out, run.enqueueBatch(n));
                        batchLoaded = false;
                        emit(results, out, run.drain("drain_batch", n, false));
                    }
                    case "enqueue_single" -> emit(results, out, run.enqueueSingle(n));
                    case "drain_single" ->
                        emit(
                                results,
                                out,
                                run.drain("drain_single", n, options.phases().contains("latency")));
                    case "latency" -> {
                        for (int rate : options.rates()) emit(results, out, run.latency(rate));
                        run.stopFleet();
                    }
                    default -> throw new IllegalStateException("unknown phase " + phase);
                }
            }
            run.stopFleet();
            if (options.logLines() > 0) emit(results, out, run.runLogs());
            expectation = run.expectation();
            if (options.check()) {
                report = check(options, expectation);
                emit(results, out, invariantsLine(options, report));
                report.listed(20).forEach(violation -> out.println("# violation: " + violation));
            }
        }
        return new Outcome(List.copyOf(results), expectation, report);
    }

    /** The load phases once, unmeasured; their runs are checked with the rest. */
    private static void warmUp(LoadRun run, int runs, PrintStream out) throws Exception {
        out.println("# warm-up: " + runs + " runs through enqueue_batch, drain_batch, enqueue_single, drain_single");
        out.println("# warm-up " + run.enqueueBatch(runs));
        out.println("# warm-up " + run.drain("drain_batch", runs, false));
        out.println("# warm-up " + run.enqueueSingle(runs));
        out.println("# warm-up " + run.drain("drain_single", runs, false));
    }

    private static InvariantChecker.Report check(BenchOptions options, InvariantChecker.Expectation expected)
            throws Exception {
        InvariantChecker checker = new InvariantChecker(
                options.dbUrl(),
                options.dbUser(),
                options.dbPassword(),
                options.clickhouseUrl(),
                options.clickhouseDatabase());
        return checker.check(expected, Duration.ofSeconds(30));
    }

    private static ResultLine invariantsLine(BenchOptions options, InvariantChecker.Report report) {
        ResultLine line = new ResultLine(options.label(), "invariants")
                .put("ok", report.ok())
                .put("violations", report.violations().size())
                .put("runs", report.runs())
                .put("journal_events", report.journalEvents())
                .put("events_per_run", Stats.f2(report.eventsPerRun()))
                .put("read_model_runs", report.readModelRuns())
                .put("reexecuted", report.reexecuted())
                .put("executed_elsewhere", report.executedElsewhere());
        if (report.clickhouseRuns() >= 0) line.put("clickhouse_runs", report.clickhouseRuns());
        return line.put("loadavg1", Stats.loadavg1());
    }

    private static void emit(List<ResultLine> results, PrintStream out, ResultLine line) {
        results.add(line);
        line.print(out);
    }
}
