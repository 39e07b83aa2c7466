package dev.baton.projections.clickhouse;

import dev.baton.engine.logs.LogLevel;
import dev.baton.projections.internal.Jdbc;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code baton_run_logs} (engine/src/main/resources/db/run-logs.sql) as the shipper reads it: by (stored_at, seq),
 * with the run's task from the run index ({@code baton_runs}; empty when the index has not seen the run yet).
 */
final class RunLogsTable implements ShippedTable<LogLineRow> {

    static final String FEED = "run_logs";

    private static final String SELECT = "SELECT l.seq, l.environment_id, l.run_id, r.task_id, l.attempt_id,"
            + " l.attempt_number, l.logged_at, l.stored_at, l.level, l.message, l.attributes, l.error"
            + " FROM baton_run_logs l LEFT JOIN baton_runs r ON r.run_id = l.run_id"
            + " WHERE l.stored_at >= ? AND (l.stored_at > ? OR l.seq > ?) AND l.stored_at < ?"
            + " ORDER BY l.stored_at, l.seq LIMIT ?";

    @Override
    public String feed() {
        return FEED;
    }

    @Override
    public Batch<LogLineRow> rowsAfter(Connection connection, ShippingOffset after, Instant before, int limit)
            throws SQLException {
        List<LogLineRow> rows = new ArrayList<>();
        ShippingOffset last = after;
        try (PreparedStatement select = connection.prepareStatement(SELECT)) {
            Jdbc.setInstant(select, 1, after.time());
            Jdbc.setInstant(select, 2, after.time());
            select.setLong(3, after.key().isEmpty() ? 0 : Long.parseLong(after.key()));
            Jdbc.setInstant(select, 4, before);
            select.setInt(5, limit);
            try (ResultSet result = select.executeQuery()) {
                while (result.next()) {
                    rows.add(LogLineRow.of(
                            result.getString(2),
                            result.getString(3),
                            result.getLong(1),
                            result.getString(4),
                            result.getString(5),
                            result.getInt(6),
                            Jdbc.instant(result, 7).toEpochMilli(),
                            Jdbc.instant(result, 8).toEpochMilli(),
                            levelName(result.getShort(9)),
                            result.getString(10),
                            result.getString(11),
                            result.getString(12)));
                    last = new ShippingOffset(Jdbc.instant(result, 8), Long.toString(result.getLong(1)));
                }
            }
        }
        return new Batch<>(rows, last);
    }

    @Override
    public void insert(ClickHouseStore store, List<LogLineRow> rows) {
        store.insertLogLines(rows);
    }

    private static String levelName(short stored) {
        LogLevel[] levels = LogLevel.values();
        return stored >= 0 && stored < levels.length ? levels[stored].name() : Short.toString(stored);
    }
}
