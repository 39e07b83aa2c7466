package dev.baton.projections.clickhouse;

import dev.baton.projections.internal.Jdbc;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code baton_spans} (projections/src/main/resources/db/spans-schema.sql), the spans workers reported, as the
 * shipper reads it: by (received_at, span_key). A span reported again gets a new received_at and is shipped again,
 * as the same row.
 */
final class ReportedSpansTable implements ShippedTable<SpanRow> {

    static final String FEED = "spans";

    private static final String SELECT = "SELECT span_key, environment_id, run_id, trace_id, span_id, parent_span_id,"
            + " name, kind, start_nanos, end_nanos, error, status_message, attributes, received_at FROM baton_spans"
            + " WHERE received_at >= ? AND (received_at > ? OR span_key > ?) AND received_at < ?"
            + " ORDER BY received_at, span_key LIMIT ?";

    @Override
    public String feed() {
        return FEED;
    }

    @Override
    public Batch<SpanRow> rowsAfter(Connection connection, ShippingOffset after, Instant before, int limit)
            throws SQLException {
        List<SpanRow> rows = new ArrayList<>();
        ShippingOffset last = after;
        try (PreparedStatement select = connection.prepareStatement(SELECT)) {
            Jdbc.setInstant(select, 1, after.time());
            Jdbc.setInstant(select, 2, after.time());
            select.setString(3, after.key());
            Jdbc.setInstant(select, 4, before);
            select.setInt(5, limit);
            try (ResultSet result = select.executeQuery()) {
                while (result.next()) {
                    rows.add(new SpanRow(
                            result.getString(2),
                            result.getString(3),
                            result.getString(4),
                            result.getString(5),
                            RunEventRow.nullToEmpty(result.getString(6)),
                            result.getString(7),
                            result.getString(8),
                            SpanRow.SOURCE_WORKER,
                            SpanRow.clampMicros(result.getLong(9) / 1000),
                            SpanRow.clampMicros(result.getLong(10) / 1000),
                            result.getBoolean(11),
                            RunEventRow.nullToEmpty(result.getString(12)),
                            result.getString(13)));
                    last = new ShippingOffset(Jdbc.instant(result, 14), result.getString(1));
                }
            }
        }
        return new Batch<>(rows, last);
    }

    @Override
    public void insert(ClickHouseStore store, List<SpanRow> rows) {
        store.insertSpans(rows);
    }
}
