package dev.baton.projections.bulkactions;

import static dev.baton.projections.internal.Jdbc.instant;
import static dev.baton.projections.internal.Jdbc.setInstant;

import dev.baton.engine.bulk.BulkActionEntity.Status;
import dev.baton.engine.bulk.BulkActionEntity.Type;
import dev.baton.engine.storage.Database;
import dev.baton.projections.internal.Jdbc;
import dev.baton.projections.listing.KeysetListing;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/** The SQL of {@code baton_bulk_actions} (db/bulk-actions-schema.sql), for PostgreSQL and H2. Every value is bound. */
public final class BulkActionTable {

    static final List<String> COLUMNS = List.of(
            "bulk_action_id",
            "environment_id",
            "name",
            "type",
            "status",
            "total_count",
            "success_count",
            "failure_count",
            "created_at",
            "completed_at",
            "sequence_nr");
    static final String COLUMN_LIST = String.join(", ", COLUMNS);

    static final KeysetListing<BulkActionRow> LISTING = new KeysetListing<>(
            "baton_bulk_actions a",
            "a.created_at",
            "a.bulk_action_id",
            COLUMN_LIST,
            BulkActionTable::read,
            BulkActionRow::cursor);

    private final String upsertSql;

    public BulkActionTable(Database.Dialect dialect) {
        this.upsertSql = Jdbc.upsertSql(dialect, "baton_bulk_actions", COLUMNS);
    }

    /** The rows of these actions; actions without a row are left out. */
    public Map<String, BulkActionRow> load(Connection connection, Collection<String> ids) throws SQLException {
        return Jdbc.selectRowsByIds(
                connection,
                ids,
                "baton_bulk_actions",
                "bulk_action_id",
                COLUMN_LIST,
                BulkActionTable::read,
                BulkActionRow::bulkActionId);
    }

    /** Inserts or replaces these rows. */
    public void upsert(Connection connection, Collection<BulkActionRow> rows) throws SQLException {
        Jdbc.batch(connection, upsertSql, rows, BulkActionTable::bind);
    }

    /** The pending actions, oldest first, at most {@code limit}: the sweeper wakes them (the time is not used). */
    public List<String> pending(Connection connection, Instant unused, int limit) throws SQLException {
        return Jdbc.selectStrings(
                connection,
                "SELECT bulk_action_id FROM baton_bulk_actions WHERE status = ? ORDER BY created_at LIMIT ?",
                select -> {
                    select.setString(1, Status.PENDING.name());
                    select.setInt(2, limit);
                });
    }

    private static void bind(PreparedStatement statement, BulkActionRow row) throws SQLException {
        statement.setString(1, row.bulkActionId());
        statement.setString(2, row.environmentId());
        statement.setString(3, row.name());
        statement.setString(4, row.type().name());
        statement.setString(5, row.status().name());
        statement.setLong(6, row.total());
        statement.setLong(7, row.success());
        statement.setLong(8, row.failure());
        setInstant(statement, 9, row.createdAt());
        setInstant(statement, 10, row.completedAt());
        statement.setLong(11, row.sequenceNr());
    }

    static BulkActionRow read(ResultSet result) throws SQLException {
        return new BulkActionRow(
                result.getString("bulk_action_id"),
                result.getString("environment_id"),
                result.getString("name"),
                Type.valueOf(result.getString("type")),
                Status.valueOf(result.getString("status")),
                result.getLong("total_count"),
                result.getLong("success_count"),
                result.getLong("failure_count"),
                instant(result, "created_at"),
                instant(result, "completed_at"),
                result.getLong("sequence_nr"));
    }
}
