package dev.baton.projections.schedules;

import static dev.baton.projections.internal.Jdbc.instant;
import static dev.baton.projections.internal.Jdbc.setInstant;

import dev.baton.engine.schedule.ScheduleSpec;
import dev.baton.engine.schedule.ScheduleState;
import dev.baton.engine.storage.Database;
import dev.baton.projections.internal.Jdbc;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code baton_schedules} (db/schedules-schema.sql): one row per existing schedule, the {@link ScheduleState}
 * its events made, plus its next cron time and when that runs. Every value is a bound parameter.
 */
public final class ScheduleTable {

    private static final List<String> COLUMNS = List.of(
            "schedule_id",
            "environment_id",
            "task_id",
            "cron",
            "timezone",
            "external_id",
            "deduplication_key",
            "schedule_window",
            "active",
            "created_at",
            "updated_at",
            "cursor_at",
            "last_timestamp",
            "last_run_id",
            "next_run_at",
            "due_at",
            "schedule_type");
    static final String COLUMN_LIST = String.join(", ", COLUMNS);

    /** A schedule row: its state, and its next occurrence (null when it has none). */
    public record Row(ScheduleState state, Instant nextRunAt, Instant dueAt) {
        static Row of(ScheduleState state) {
            Optional<Instant> next = state.nextRun();
            return new Row(
                    state, next.orElse(null), next.map(state::effectiveAt).orElse(null));
        }
    }

    private final String upsertSql;

    public ScheduleTable(Database.Dialect dialect) {
        this.upsertSql = Jdbc.upsertSql(dialect, "baton_schedules", COLUMNS);
    }

    public Map<String, ScheduleState> load(Connection connection, Collection<String> scheduleIds) throws SQLException {
        return Jdbc.selectRowsByIds(
                connection,
                scheduleIds,
                "baton_schedules",
                "schedule_id",
                COLUMN_LIST,
                result -> read(result).state(),
                ScheduleState::scheduleId);
    }

    /** Writes the schedules that exist and removes the deleted ones. */
    public void write(Connection connection, Collection<ScheduleState> states) throws SQLException {
        List<ScheduleState> kept = states.stream().filter(ScheduleState::exists).toList();
        List<ScheduleState> deleted =
                states.stream().filter(state -> !state.exists()).toList();
        Jdbc.batch(connection, upsertSql, kept, (upsert, state) -> bind(upsert, Row.of(state)));
        Jdbc.batch(
                connection,
                "DELETE FROM baton_schedules WHERE schedule_id = ?",
                deleted,
                (delete, state) -> delete.setString(1, state.scheduleId()));
    }

    /** One page of the environment's schedules, newest first ({@code page} counts from 1). */
    public List<Row> page(Connection connection, String environmentId, int page, int perPage) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement("SELECT " + COLUMN_LIST
                + " FROM baton_schedules WHERE environment_id = ? ORDER BY created_at DESC, schedule_id DESC "
                + "LIMIT ? OFFSET ?")) {
            select.setString(1, environmentId);
            select.setInt(2, perPage);
            select.setLong(3, (long) (page - 1) * perPage);
            List<Row> rows = new ArrayList<>();
            try (ResultSet result = select.executeQuery()) {
                while (result.next()) rows.add(read(result));
            }
            return rows;
        }
    }

    public long count(Connection connection, String environmentId) throws SQLException {
        try (PreparedStatement select =
                connection.prepareStatement("SELECT COUNT(*) FROM baton_schedules WHERE environment_id = ?")) {
            select.setString(1, environmentId);
            try (ResultSet result = select.executeQuery()) {
                result.next();
                return result.getLong(1);
            }
        }
    }

    /** Ids of the schedules due at or before {@code until}, earliest first. */
    public List<String> dueBy(Connection connection, Instant until, int limit) throws SQLException {
        return Jdbc.selectStrings(
                connection,
                "SELECT schedule_id FROM baton_schedules WHERE due_at <= ? ORDER BY due_at LIMIT ?",
                select -> {
                    setInstant(select, 1, until);
                    select.setInt(2, limit);
                });
    }

    private static void bind(PreparedStatement statement, Row row) throws SQLException {
        ScheduleState state = row.state();
        ScheduleSpec spec = state.spec();
        statement.setString(1, state.scheduleId());
        statement.setString(2, state.environmentId());
        statement.setString(3, spec.taskId());
        statement.setString(4, spec.cron());
        statement.setString(5, spec.timezone());
        statement.setString(6, spec.externalId());
        statement.setString(7, spec.deduplicationKey());
        statement.setString(8, spec.window());
        statement.setBoolean(9, state.active());
        setInstant(statement, 10, state.createdAt());
        setInstant(statement, 11, state.updatedAt());
        setInstant(statement, 12, state.cursor());
        setInstant(statement, 13, state.lastTimestamp());
        statement.setString(14, state.lastRunId());
        setInstant(statement, 15, row.nextRunAt());
        setInstant(statement, 16, row.dueAt());
        statement.setString(17, spec.type());
    }

    private static Row read(ResultSet result) throws SQLException {
        ScheduleSpec spec = new ScheduleSpec(
                result.getString("task_id"),
                result.getString("cron"),
                result.getString("timezone"),
                result.getString("external_id"),
                result.getString("deduplication_key"),
                result.getString("schedule_window"),
                result.getString("schedule_type"));
        ScheduleState state = new ScheduleState(
                result.getString("schedule_id"),
                result.getString("environment_id"),
                spec,
                result.getBoolean("active"),
                false,
                instant(result, "created_at"),
                instant(result, "updated_at"),
                instant(result, "cursor_at"),
                instant(result, "last_timestamp"),
                result.getString("last_run_id"));
        return new Row(state, instant(result, "next_run_at"), instant(result, "due_at"));
    }
}
