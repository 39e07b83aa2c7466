package dev.baton.loadtest;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * Counts runs in the node's read model ({@code baton_runs}, written by the run-index projection) over one
 * JDBC connection: one indexed aggregate per poll, cheaper than paging {@code GET /api/v1/runs}. A run counts
 * as done once the read model shows a final status, so a drain includes the projection's lag, as a peer's
 * drain includes its own bookkeeping.
 */
final class RunCounter implements AutoCloseable {

    /** The engine's final statuses (dev.baton.engine.run.RunStatus#isFinal), as stored in baton_runs.status. */
    static final String FINAL_STATUSES =
            "'COMPLETED','FAILED','CRASHED','SYSTEM_FAILURE','CANCELED','EXPIRED','TIMED_OUT'";

    private final Connection connection;
    private final PreparedStatement finalCount;

    RunCounter(String url, String user, String password) throws SQLException {
        this.connection = DriverManager.getConnection(url, user, password);
        this.finalCount = connection.prepareStatement(
                "SELECT count(*) FROM baton_runs WHERE task_id = ? AND status IN (" + FINAL_STATUSES + ")");
        finalCount.setString(1, TriggerClient.TASK);
    }

    /** bench-noop runs the read model shows in a final status. */
    long finished() {
        try (ResultSet rows = finalCount.executeQuery()) {
            rows.next();
            return rows.getLong(1);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot count runs in baton_runs: " + e.getMessage(), e);
        }
    }

    /** Lines handlers logged (not Baton's cap or drop markers) that were stored since {@code since}. */
    long storedLogLines(java.time.Instant since) {
        try (PreparedStatement count =
                connection.prepareStatement("SELECT count(*) FROM baton_run_logs WHERE stored_at >= ?"
                        + " AND (attributes IS NULL OR attributes NOT LIKE '%baton.marker%')")) {
            count.setObject(1, java.time.OffsetDateTime.ofInstant(since, java.time.ZoneOffset.UTC));
            try (ResultSet rows = count.executeQuery()) {
                rows.next();
                return rows.getLong(1);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot count lines in baton_run_logs: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() throws SQLException {
        connection.close();
    }
}
