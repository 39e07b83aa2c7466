package dev.baton.projections.runs;

import static dev.baton.projections.internal.Jdbc.instant;
import static dev.baton.projections.internal.Jdbc.setInstant;

import dev.baton.engine.run.RunStatus;
import dev.baton.engine.storage.Database;
import dev.baton.projections.internal.Jdbc;
import dev.baton.projections.internal.TagTable;
import dev.baton.projections.listing.KeysetListing;
import dev.baton.projections.listing.ListCursor;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The SQL of {@code baton_runs} (created by {@code db/projections-schema.sql}), for PostgreSQL and H2.
 * A new column goes into the script (CREATE and ALTER), {@link RunRow}, {@link #COLUMNS}, {@link #bind} and
 * {@link #read}. A run's tags live in {@code baton_run_tags}, one row each.
 */
public final class RunTable {

    /** A row the sweeper found due, with the wake time it read (its update only applies if that still stands). */
    /** @param queued the run waits in its queue (its dispatcher holds its place; see RunIndexSweeper#backoff) */
    public record Due(String runId, Instant wakeAt, int wakeCount, boolean queued) {}

    static final List<String> COLUMNS = List.of(
            "run_id",
            "environment_id",
            "task_id",
            "queue",
            "concurrency_key",
            "status",
            "tag",
            "attempt_count",
            "ttl_ms",
            "max_duration_seconds",
            "created_at",
            "updated_at",
            "wake_at",
            "wake_count",
            "is_test",
            "idempotency_key",
            "started_at",
            "finished_at",
            "delayed_until",
            "attempt_started_ns",
            "duration_ms",
            "timed_attempts",
            "version",
            "batch_id",
            "schedule_id");
    static final String COLUMN_LIST = String.join(", ", COLUMNS);

    /** The run list's pages: rows read without their tags, which only the page's runs get afterwards. */
    static final KeysetListing<RunRow> LISTING = new KeysetListing<>(
            "baton_runs r", "r.created_at", "r.run_id", COLUMN_LIST, result -> read(result, List.of()), RunRow::cursor);

    /** A run's tags, read separately from its row. */
    static final TagTable TAGS = new TagTable("baton_run_tags", "run_id");

    private static final String FINAL_STATUSES = Arrays.stream(RunStatus.values())
            .filter(RunStatus::isFinal)
            .map(s -> "'" + s.name() + "'")
            .collect(Collectors.joining(", "));

    private final String upsertSql;

    public RunTable(Database.Dialect dialect) {
        this.upsertSql = Jdbc.upsertSql(dialect, "baton_runs", COLUMNS);
    }

    /** The rows of these runs (with their tags); runs without a row are left out. */
    public Map<String, RunRow> load(Connection connection, Collection<String> runIds) throws SQLException {
        Map<String, List<String>> tags = TAGS.load(connection, runIds);
        return Jdbc.selectRowsByIds(
                connection,
                runIds,
                "baton_runs",
                "run_id",
                COLUMN_LIST,
                result -> read(result, tags.getOrDefault(result.getString("run_id"), List.of())),
                RunRow::runId);
    }

    public Optional<RunRow> find(Connection connection, String runId) throws SQLException {
        return Optional.ofNullable(load(connection, List.of(runId)).get(runId));
    }

    /** Inserts or replaces these rows whole, with their tags. */
    public void upsert(Connection connection, Collection<RunRow> rows) throws SQLException {
        upsert(connection, rows, rows);
    }

    /**
     * Inserts or replaces these rows whole; of {@code retagged} (some of the rows), replaces the tags too.
     * The projection passes only the rows whose tags changed, so a status change costs one statement.
     */
    public void upsert(Connection connection, Collection<RunRow> rows, Collection<RunRow> retagged)
            throws SQLException {
        Jdbc.batch(connection, upsertSql, rows, RunTable::bind);
        TAGS.replace(connection, retagged.stream().map(RunRow::tagged).toList());
    }

    /** Runs of {@code tag} due by {@code by}, earliest first. */
    public List<Due> due(Connection connection, String tag, Instant by, int limit) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT run_id, wake_at, wake_count, status = 'QUEUED' FROM baton_runs WHERE tag = ? AND wake_at <= ? ORDER BY wake_at "
                        + "LIMIT ?")) {
            select.setString(1, tag);
            setInstant(select, 2, by);
            select.setInt(3, limit);
            List<Due> due = new ArrayList<>();
            try (ResultSet result = select.executeQuery()) {
                while (result.next()) {
                    due.add(new Due(result.getString(1), instant(result, 2), result.getInt(3), result.getBoolean(4)));
                }
            }
            return due;
        }
    }

    /**
     * Moves each woken run's wake time to {@code nextWake} and counts the wake, unless its row changed since
     * it was read (a newer event's wake time wins). Returns how many rows were moved.
     */
    public int postpone(Connection connection, List<Due> woken, Function<Due, Instant> nextWake) throws SQLException {
        if (woken.isEmpty()) return 0;
        try (PreparedStatement update = connection.prepareStatement(
                "UPDATE baton_runs SET wake_at = ?, wake_count = wake_count + 1 WHERE run_id = ? AND wake_at = ?")) {
            for (Due due : woken) {
                setInstant(update, 1, nextWake.apply(due));
                update.setString(2, due.runId());
                setInstant(update, 3, due.wakeAt());
                update.addBatch();
            }
            int moved = 0;
            for (int count : update.executeBatch()) {
                if (count > 0) moved += count;
            }
            return moved;
        }
    }

    /**
     * Up to {@code limit} of the environment's runs of {@code tag} that are not finished, oldest first, past
     * {@code after} (from the first when it is null); with the cursor of the last, to go on from.
     */
    public Unfinished unfinished(Connection connection, String tag, String environmentId, ListCursor after, int limit)
            throws SQLException {
        try (PreparedStatement select = connection.prepareStatement("SELECT run_id, created_at FROM baton_runs"
                + " WHERE environment_id = ? AND tag = ? AND status NOT IN (" + FINAL_STATUSES + ")"
                + (after == null ? "" : " AND (created_at, run_id) > (?, ?)")
                + " ORDER BY created_at, run_id LIMIT ?")) {
            int parameter = 1;
            select.setString(parameter++, environmentId);
            select.setString(parameter++, tag);
            if (after != null) {
                setInstant(select, parameter++, after.createdAt());
                select.setString(parameter++, after.id());
            }
            select.setInt(parameter, limit);
            List<String> runIds = new ArrayList<>();
            ListCursor last = after;
            try (ResultSet result = select.executeQuery()) {
                while (result.next()) {
                    runIds.add(result.getString(1));
                    last = new ListCursor(instant(result, 2), result.getString(1));
                }
            }
            return new Unfinished(runIds, last);
        }
    }

    /** A page of an environment's unfinished runs, and the position after its last. */
    public record Unfinished(List<String> runIds, ListCursor last) {}

    private static void bind(PreparedStatement statement, RunRow row) throws SQLException {
        statement.setString(1, row.runId());
        statement.setString(2, row.environmentId());
        statement.setString(3, row.taskId());
        statement.setString(4, row.queue());
        statement.setString(5, row.concurrencyKey());
        statement.setString(6, row.status().name());
        statement.setString(7, row.tag());
        statement.setInt(8, row.attemptCount());
        statement.setObject(9, row.ttl() == null ? null : row.ttl().toMillis(), Types.BIGINT);
        statement.setObject(10, row.maxDurationSeconds(), Types.INTEGER);
        setInstant(statement, 11, row.createdAt());
        setInstant(statement, 12, row.updatedAt());
        setInstant(statement, 13, row.wakeAt());
        statement.setInt(14, row.wakeCount());
        RunRow.Details details = row.details();
        statement.setBoolean(15, details.test());
        statement.setString(16, details.idempotencyKey());
        setInstant(statement, 17, details.startedAt());
        setInstant(statement, 18, details.finishedAt());
        setInstant(statement, 19, details.delayedUntil());
        statement.setObject(20, nanos(details.attemptStartedAt()), Types.BIGINT);
        statement.setLong(21, details.durationMs());
        statement.setInt(22, details.timedAttempts());
        statement.setString(23, details.version());
        statement.setString(24, details.batchId());
        statement.setString(25, details.scheduleId());
    }

    /** A row of a {@code SELECT} of {@link #COLUMN_LIST}, with the run's tags (read separately). */
    static RunRow read(ResultSet result, List<String> tags) throws SQLException {
        long ttlMs = result.getLong("ttl_ms");
        Duration ttl = result.wasNull() ? null : Duration.ofMillis(ttlMs);
        int maxDuration = result.getInt("max_duration_seconds");
        Integer maxDurationSeconds = result.wasNull() ? null : maxDuration;
        return new RunRow(
                result.getString("run_id"),
                result.getString("environment_id"),
                result.getString("task_id"),
                result.getString("queue"),
                result.getString("concurrency_key"),
                RunStatus.valueOf(result.getString("status")),
                result.getString("tag"),
                result.getInt("attempt_count"),
                ttl,
                maxDurationSeconds,
                instant(result, "created_at"),
                instant(result, "updated_at"),
                instant(result, "wake_at"),
                result.getInt("wake_count"),
                new RunRow.Details(
                        result.getBoolean("is_test"),
                        result.getString("idempotency_key"),
                        tags,
                        instant(result, "started_at"),
                        instant(result, "finished_at"),
                        instant(result, "delayed_until"),
                        ofNanos(result, "attempt_started_ns"),
                        result.getLong("duration_ms"),
                        result.getInt("timed_attempts"),
                        result.getString("version"),
                        result.getString("batch_id"),
                        result.getString("schedule_id")));
    }

    private static Long nanos(Instant instant) {
        return instant == null ? null : instant.getEpochSecond() * 1_000_000_000L + instant.getNano();
    }

    private static Instant ofNanos(ResultSet result, String column) throws SQLException {
        long nanos = result.getLong(column);
        return result.wasNull()
                ? null
                : Instant.ofEpochSecond(Math.floorDiv(nanos, 1_000_000_000L), Math.floorMod(nanos, 1_000_000_000L));
    }
}
