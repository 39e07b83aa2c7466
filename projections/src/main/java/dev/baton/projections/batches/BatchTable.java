package dev.baton.projections.batches;

import static dev.baton.projections.internal.Jdbc.instant;
import static dev.baton.projections.internal.Jdbc.setInstant;

import dev.baton.engine.batch.BatchStatus;
import dev.baton.engine.storage.Database;
import dev.baton.projections.internal.Jdbc;
import dev.baton.projections.listing.KeysetListing;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/** The SQL of {@code baton_batches} (db/batches-schema.sql), for PostgreSQL and H2. Every value is a bound parameter. */
public final class BatchTable {

    static final List<String> COLUMNS = List.of(
            "batch_id",
            "environment_id",
            "status",
            "run_count",
            "runs_created",
            "item_errors",
            "idempotency_key",
            "created_at",
            "updated_at",
            "completed_at",
            "sequence_nr");
    static final String COLUMN_LIST = String.join(", ", COLUMNS);

    static final KeysetListing<BatchRow> LISTING = new KeysetListing<>(
            "baton_batches b", "b.created_at", "b.batch_id", COLUMN_LIST, BatchTable::read, BatchRow::cursor);

    private final String upsertSql;

    public BatchTable(Database.Dialect dialect) {
        this.upsertSql = Jdbc.upsertSql(dialect, "baton_batches", COLUMNS);
    }

    /** The rows of these batches; batches without a row are left out. */
    public Map<String, BatchRow> load(Connection connection, Collection<String> batchIds) throws SQLException {
        return Jdbc.selectRowsByIds(
                connection, batchIds, "baton_batches", "batch_id", COLUMN_LIST, BatchTable::read, BatchRow::batchId);
    }

    /** Inserts or replaces these rows. */
    public void upsert(Connection connection, Collection<BatchRow> rows) throws SQLException {
        Jdbc.batch(connection, upsertSql, rows, BatchTable::bind);
    }

    private static void bind(PreparedStatement statement, BatchRow row) throws SQLException {
        statement.setString(1, row.batchId());
        statement.setString(2, row.environmentId());
        statement.setString(3, row.status().name());
        statement.setInt(4, row.runCount());
        statement.setInt(5, row.runsCreated());
        statement.setInt(6, row.itemErrors());
        statement.setString(7, row.idempotencyKey());
        setInstant(statement, 8, row.createdAt());
        setInstant(statement, 9, row.updatedAt());
        setInstant(statement, 10, row.completedAt());
        statement.setLong(11, row.sequenceNr());
    }

    static BatchRow read(ResultSet result) throws SQLException {
        return new BatchRow(
                result.getString("batch_id"),
                result.getString("environment_id"),
                BatchStatus.valueOf(result.getString("status")),
                result.getInt("run_count"),
                result.getInt("runs_created"),
                result.getInt("item_errors"),
                result.getString("idempotency_key"),
                instant(result, "created_at"),
                instant(result, "updated_at"),
                instant(result, "completed_at"),
                result.getLong("sequence_nr"));
    }
}
