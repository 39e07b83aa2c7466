package dev.baton.engine.logs;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.DispatcherSelector;
import akka.actor.typed.SupervisorStrategy;
import akka.actor.typed.javadsl.Behaviors;
import akka.cluster.typed.ClusterSingleton;
import akka.cluster.typed.SingletonActor;
import dev.baton.engine.metrics.BatonMetrics;
import dev.baton.engine.storage.Database;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.LongAdder;

/**
 * Run logs on one node: the table (created or upgraded on start), the writer the worker gateway hands lines to, the
 * feed that tells followers about new lines, the reads of the API, and the retention sweep, a cluster singleton.
 */
public final class RunLogs {

    private final RunLogSettings settings;
    private final RunLogStore store;
    private final RunLogFeed feed;
    private final RunLogWriter writer;
    private final Executor blockingIo;
    /** Lines {@link #append} stored, for the stored-lines meter beside the writer's. */
    private final LongAdder appended;

    private RunLogs(
            RunLogSettings settings,
            RunLogStore store,
            RunLogFeed feed,
            RunLogWriter writer,
            Executor blockingIo,
            LongAdder appended) {
        this.settings = settings;
        this.store = store;
        this.feed = feed;
        this.writer = writer;
        this.blockingIo = blockingIo;
        this.appended = appended;
    }

    /** Creates the table if missing and starts the sweep singleton; settings from {@code baton.logs}. */
    public static RunLogs create(ActorSystem<?> system, Database database, Clock clock) {
        RunLogSettings settings =
                RunLogSettings.fromConfig(system.settings().config().getConfig("baton.logs"));
        database.runSchemaScript(RunLogStore.SCHEMA_SCRIPT);
        Executor blockingIo = system.dispatchers().lookup(DispatcherSelector.blocking());
        RunLogStore store = new RunLogStore(database.dataSource(), clock, settings.maxLinesPerRun());
        RunLogFeed feed = new RunLogFeed(system);
        RunLogWriter writer = new RunLogWriter(store, feed::publish, blockingIo, clock, settings.writeQueueLines());
        MeterRegistry meters = BatonMetrics.get(system).registry();
        LongAdder appended = new LongAdder();
        FunctionCounter.builder("baton.run.logs.lines.stored", writer, w -> w.linesStored() + appended.sum())
                .description("Run log lines this node wrote to the store (from workers and OTLP), markers included")
                .register(meters);
        FunctionCounter.builder("baton.run.logs.lines.dropped", writer, RunLogWriter::linesDropped)
                .description("Run log lines this node could not store (write queue full, store failed), each marked")
                .register(meters);
        ClusterSingleton.get(system)
                .init(SingletonActor.of(
                        Behaviors.supervise(RunLogSweeper.create(
                                        store, clock, settings.maxAge(), settings.sweepInterval(), blockingIo))
                                .onFailure(SupervisorStrategy.restart()),
                        "run-log-sweeper"));
        return new RunLogs(settings, store, feed, writer, blockingIo, appended);
    }

    public RunLogSettings settings() {
        return settings;
    }

    /** Where the worker gateway hands lines. */
    public RunLogWriter writer() {
        return writer;
    }

    public RunLogFeed feed() {
        return feed;
    }

    /**
     * Stores the lines now, on the blocking-IO executor, under the per-run cap ({@link RunLogStore#append}), and
     * tells the runs' followers, as the writer does; completes once they are stored, with the runs that got lines.
     * For lines whose sender waits for the answer (the OTLP receiver), unlike the worker gateway's, which never wait.
     */
    public CompletionStage<Set<String>> append(String environmentId, List<LogLine> lines) {
        if (lines.isEmpty()) return CompletableFuture.completedFuture(Set.of());
        return CompletableFuture.supplyAsync(() -> store.append(environmentId, lines), blockingIo)
                .thenApply(runs -> {
                    appended.add(lines.size()); // an upper bound when a run's cap cut the batch, as the writer counts
                    for (String runId : runs) feed.publish(new RunLogsAppended(environmentId, runId));
                    return runs;
                });
    }

    /** {@link RunLogStore#read}, on the blocking-IO executor. */
    public CompletionStage<List<StoredLogLine>> read(
            String environmentId, String runId, Integer attempt, LogLevel minLevel, long afterSeq, int limit) {
        return CompletableFuture.supplyAsync(
                () -> store.read(environmentId, runId, attempt, minLevel, afterSeq, limit), blockingIo);
    }
}
