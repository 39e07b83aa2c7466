package dev.baton.projections.clickhouse;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.DispatcherSelector;
import com.typesafe.config.Config;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The read side of the analytics tables for the API (docs/analytics.md, "Analytics in the API"): finished runs
 * per task, and per time bucket, of one environment over a window, from {@code runs FINAL} (exact at any moment,
 * as the ready queries read it). Every query names the environment. Debian's ClickHouse 18.16 has no server-side
 * query parameters, so the few values a query holds are numbers the caller computed, or strings written as
 * {@code unhex('…')} of their UTF-8 bytes ({@link #text}): no character a client sent reaches the SQL text, only hex
 * digits. A read is bounded by {@link Settings#deadline()}; a failure of any kind completes the stage with
 * {@link AnalyticsUnavailableException}.
 */
public final class TaskAnalytics {

    /** Statuses counted as failures, as in docs/analytics.md and task_stats_mv. */
    public static final String FAILURE_STATUSES = "('FAILED', 'CRASHED', 'SYSTEM_FAILURE', 'TIMED_OUT')";
    /** Final statuses of runs that never executed to an end of their own: left out of the percentiles. */
    private static final String NOT_EXECUTED_STATUSES = "('CANCELED', 'EXPIRED')";

    private static final Logger log = LoggerFactory.getLogger(TaskAnalytics.class);

    /** {@code baton.clickhouse.queries}. */
    public record Settings(Duration connectTimeout, Duration timeout, Duration maxWindow, int maxPoints) {
        public static final String DISPATCHER = "baton.clickhouse.queries.dispatcher";

        public static Settings fromConfig(Config config) {
            Config queries = config.getConfig("baton.clickhouse.queries");
            return new Settings(
                    queries.getDuration("connect-timeout"),
                    queries.getDuration("timeout"),
                    queries.getDuration("max-window"),
                    queries.getInt("max-points"));
        }

        /** The longest a read may take, waiting for a thread included. */
        public Duration deadline() {
            return connectTimeout.plus(timeout).plusSeconds(1);
        }
    }

    /** Finished runs from {@code from} (inclusive) to {@code to} (exclusive), by the time they finished. */
    public record Window(Instant from, Instant to) {
        public Window {
            if (!from.isBefore(to)) throw new IllegalArgumentException("from must be before to");
        }
    }

    /** p50/p95/p99 of the runs' execution time (all attempts), in milliseconds: exact (quantileExact). */
    public record Percentiles(long p50, long p95, long p99) {}

    /**
     * Finished runs by outcome; {@code durations} is null when none of them executed to an end (all were
     * canceled or expired).
     */
    public record Outcomes(
            long finished, long completed, long failed, long canceled, long expired, Percentiles durations) {
        public static final Outcomes NONE = new Outcomes(0, 0, 0, 0, 0, null);

        /** Failed runs over finished runs (0 when none finished), as ready query 1 computes it. */
        public double failureRate() {
            return finished == 0 ? 0 : (double) failed / finished;
        }
    }

    public record TaskOutcomes(String taskId, Outcomes outcomes) {}

    /** One bucket of a series: runs that finished from {@code start} for the series' interval. */
    public record Bucket(Instant start, Outcomes outcomes) {}

    private final ClickHouseStore store;
    private final Settings settings;

    private TaskAnalytics(ClickHouseStore store, Settings settings) {
        this.store = store;
        this.settings = settings;
    }

    /** Analytics of a node whose ClickHouse is not configured: {@link #enabled()} is false. */
    public static TaskAnalytics off(Config config) {
        return new TaskAnalytics(null, Settings.fromConfig(config));
    }

    /**
     * The node's analytics: off when {@code baton.clickhouse.url} is empty, else a store of its own (shorter
     * timeouts than the sink's, its own threads), closed with the actor system.
     */
    public static TaskAnalytics create(ActorSystem<?> system) {
        Config config = system.settings().config();
        ClickHouseSettings clickHouse = ClickHouseSettings.fromConfig(config);
        Settings settings = Settings.fromConfig(config);
        if (!clickHouse.enabled()) return new TaskAnalytics(null, settings);
        Executor executor = system.dispatchers().lookup(DispatcherSelector.fromConfig(Settings.DISPATCHER));
        ClickHouseStore store = ClickHouseAnalytics.openStore(
                system, clickHouse.withTimeouts(settings.connectTimeout(), settings.timeout()), executor);
        return new TaskAnalytics(store, settings);
    }

    /** For tests: analytics over a store the caller owns. */
    public static TaskAnalytics over(ClickHouseStore store, Settings settings) {
        return new TaskAnalytics(store, settings);
    }

    public boolean enabled() {
        return store != null;
    }

    public Settings settings() {
        return settings;
    }

    /** Per task (only {@code taskId} when not null), the environment's runs that finished in the window. */
    public CompletionStage<List<TaskOutcomes>> tasks(String environmentId, Window window, String taskId) {
        String sql = "SELECT task_id, " + OUTCOMES + " FROM runs FINAL WHERE " + where(environmentId, window, taskId)
                + " GROUP BY task_id ORDER BY task_id";
        return query(sql, result -> {
            List<TaskOutcomes> tasks = new ArrayList<>();
            for (int row = 0; row < result.rows().size(); row++) {
                tasks.add(new TaskOutcomes(result.get(row, "task_id"), outcomes(result, row)));
            }
            return tasks;
        });
    }

    /**
     * The environment's runs that finished in the window (of {@code taskId} only, when not null), per bucket of
     * {@code interval}. Buckets start at multiples of the interval since the epoch (UTC); every bucket that
     * overlaps the window is there, the empty ones with zeros.
     */
    public CompletionStage<List<Bucket>> throughput(
            String environmentId, Window window, Duration interval, String taskId) {
        long intervalMs = interval.toMillis();
        if (intervalMs < 1) throw new IllegalArgumentException("interval must be at least 1 ms");
        String sql = "SELECT intDiv(finished_at_ms, " + intervalMs + ") * " + intervalMs + " AS bucket, " + OUTCOMES
                + " FROM runs FINAL WHERE " + where(environmentId, window, taskId)
                + " GROUP BY bucket ORDER BY bucket";
        return query(sql, result -> {
            Map<Long, Outcomes> found = new HashMap<>();
            for (int row = 0; row < result.rows().size(); row++) {
                found.put(result.getLong(row, "bucket"), outcomes(result, row));
            }
            List<Bucket> buckets = new ArrayList<>();
            long first = Math.floorDiv(window.from().toEpochMilli(), intervalMs) * intervalMs;
            for (long start = first; start < window.to().toEpochMilli(); start += intervalMs) {
                buckets.add(new Bucket(Instant.ofEpochMilli(start), found.getOrDefault(start, Outcomes.NONE)));
            }
            return buckets;
        });
    }

    /** The aggregates every query reads, per group. */
    private static final String OUTCOMES = "count() AS finished,"
            + " countIf(status = 'COMPLETED') AS completed,"
            + " countIf(status IN " + FAILURE_STATUSES + ") AS failed,"
            + " countIf(status = 'CANCELED') AS canceled,"
            + " countIf(status = 'EXPIRED') AS expired,"
            + " countIf(status NOT IN " + NOT_EXECUTED_STATUSES + ") AS executed,"
            + " quantilesExactIf(0.5, 0.95, 0.99)(duration_ms, status NOT IN " + NOT_EXECUTED_STATUSES + ")"
            + " AS durations";

    /** The environment (always), final runs, finished within the window, and the task when asked. */
    static String where(String environmentId, Window window, String taskId) {
        String where = "env_id = " + text(environmentId)
                + " AND is_final = 1"
                + " AND finished_at_ms >= " + window.from().toEpochMilli()
                + " AND finished_at_ms < " + window.to().toEpochMilli();
        return taskId == null ? where : where + " AND task_id = " + text(taskId);
    }

    /** A string as SQL that holds only hex digits: {@code unhex('…')} of its UTF-8 bytes. */
    static String text(String value) {
        return "unhex('" + HexFormat.of().formatHex(value.getBytes(StandardCharsets.UTF_8)) + "')";
    }

    private static Outcomes outcomes(QueryResult result, int row) {
        long executed = result.getLong(row, "executed");
        return new Outcomes(
                result.getLong(row, "finished"),
                result.getLong(row, "completed"),
                result.getLong(row, "failed"),
                result.getLong(row, "canceled"),
                result.getLong(row, "expired"),
                executed == 0 ? null : percentiles(result.get(row, "durations")));
    }

    /** {@code [p50,p95,p99]} as TabSeparated writes an array of integers. */
    static Percentiles percentiles(String array) {
        String[] values = array.replace("[", "").replace("]", "").split(",");
        if (values.length != 3) throw new IllegalStateException("expected three percentiles: " + array);
        return new Percentiles(
                Long.parseLong(values[0].strip()),
                Long.parseLong(values[1].strip()),
                Long.parseLong(values[2].strip()));
    }

    private <T> CompletionStage<T> query(String sql, Function<QueryResult, T> read) {
        if (store == null) throw new IllegalStateException("ClickHouse is not configured");
        Map<String, String> serverSettings = Map.of(
                "max_execution_time",
                String.valueOf(Math.max(1, settings.timeout().toSeconds())));
        CompletableFuture<T> answer;
        try {
            answer = CompletableFuture.supplyAsync(
                    () -> read.apply(store.select(sql, serverSettings)), store.executor());
        } catch (RuntimeException e) { // the executor refused the task (shutting down)
            answer = CompletableFuture.failedFuture(e);
        }
        return answer.orTimeout(settings.deadline().toMillis(), TimeUnit.MILLISECONDS)
                .handle((value, error) -> {
                    if (error == null) return value;
                    Throwable cause = error.getCause() != null ? error.getCause() : error;
                    log.warn("analytics query failed: {}", cause.toString());
                    throw new AnalyticsUnavailableException(cause);
                });
    }
}
