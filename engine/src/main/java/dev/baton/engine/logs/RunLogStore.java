package dev.baton.engine.logs;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import javax.sql.DataSource;

/**
 * The runs' log lines in {@code baton_run_logs} (db/run-logs.sql). Blocking JDBC: call it on a blocking-IO
 * executor. A run keeps at most {@code maxLinesPerRun} lines: the batch that reaches the cap stores what fits and
 * one marker line, and later lines of the run are dropped. Lines older than the retention are deleted by
 * {@link #deleteStoredBefore}.
 */
public final class RunLogStore {

    public static final String SCHEMA_SCRIPT = "db/run-logs.sql";
    /** Rows per INSERT statement: 9 parameters each stays far below PostgreSQL's 32767. */
    static final int ROWS_PER_INSERT = 500;
    /** Rows one DELETE of the sweep removes, so that no transaction grows with the backlog. */
    static final int ROWS_PER_DELETE = 10_000;

    private static final String UNIQUE_VIOLATION = "23505";

    private final DataSource dataSource;
    private final Clock clock;
    private final int maxLinesPerRun;

    public RunLogStore(DataSource dataSource, Clock clock, int maxLinesPerRun) {
        this.dataSource = dataSource;
        this.clock = clock;
        this.maxLinesPerRun = maxLinesPerRun;
    }

    /**
     * Stores the lines in one transaction, in their order per run, under the per-run cap; returns the runs that got
     * lines. A batch costs a handful of statements whatever its number of runs: a node writes thousands of runs' lines
     * a second. Runs are locked in id order, so two nodes writing the same runs never deadlock.
     */
    public Set<String> append(String environmentId, List<LogLine> lines) {
        Map<String, List<LogLine>> byRun = new TreeMap<>();
        for (LogLine line : lines)
            byRun.computeIfAbsent(line.runId(), id -> new ArrayList<>()).add(line);
        Instant now = clock.instant();
        try (Connection connection = dataSource.getConnection()) {
            ensureCountRows(connection, byRun.keySet(), now);
            connection.setAutoCommit(false);
            try {
                Map<String, Count> counts = lockCounts(connection, byRun.keySet());
                Set<String> written = new LinkedHashSet<>();
                List<LogLine> rows = new ArrayList<>();
                Map<String, Count> updated = new LinkedHashMap<>();
                byRun.forEach((runId, runLines) -> {
                    Count count = counts.get(runId);
                    if (count == null) throw new IllegalStateException("no log counter for run " + runId);
                    if (count.capped()) return;
                    List<LogLine> kept = withinCap(runId, runLines, count.lines(), now);
                    rows.addAll(kept);
                    written.add(runId);
                    boolean reachesCap = runLines.size() > Math.max(0, maxLinesPerRun - count.lines());
                    updated.put(runId, new Count(count.lines() + kept.size(), reachesCap));
                });
                insert(connection, environmentId, rows, now);
                updateCounts(connection, updated, now);
                connection.commit();
                return written;
            } catch (SQLException | RuntimeException e) {
                connection.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw new IllegalStateException("storing log lines failed", e);
        }
    }

    private record Count(long lines, boolean capped) {}

    /**
     * The counter rows of runs that have none, created outside the transaction: a duplicate from another node is
     * fine and must not abort the batch (PostgreSQL aborts a transaction on any error), so on a conflict each row is
     * tried alone.
     */
    private static void ensureCountRows(Connection connection, Set<String> runIds, Instant now) throws SQLException {
        Set<String> missing = new TreeSet<>(runIds);
        forChunks(List.copyOf(runIds), chunk -> {
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT run_id FROM baton_run_log_counts WHERE run_id IN (" + markers(chunk.size()) + ")")) {
                for (int i = 0; i < chunk.size(); i++) select.setString(i + 1, chunk.get(i));
                try (ResultSet rows = select.executeQuery()) {
                    while (rows.next()) missing.remove(rows.getString(1));
                }
            }
        });
        if (missing.isEmpty()) return;
        String insertRow =
                "INSERT INTO baton_run_log_counts(run_id, lines, capped, updated_at) VALUES (?, 0, FALSE, ?)";
        try (PreparedStatement insert = connection.prepareStatement(insertRow)) {
            for (String runId : missing) {
                insert.setString(1, runId);
                insert.setObject(2, utc(now));
                insert.addBatch();
            }
            insert.executeBatch();
        } catch (SQLException e) {
            if (!isUniqueViolation(e)) throw e;
            for (String runId : missing) {
                try (PreparedStatement insert = connection.prepareStatement(insertRow)) {
                    insert.setString(1, runId);
                    insert.setObject(2, utc(now));
                    insert.executeUpdate();
                } catch (SQLException duplicate) {
                    if (!isUniqueViolation(duplicate)) throw duplicate;
                }
            }
        }
    }

    /** A batch's unique violation may come wrapped (BatchUpdateException's next exception names the cause). */
    private static boolean isUniqueViolation(SQLException e) {
        for (SQLException cause = e; cause != null; cause = cause.getNextException())
            if (UNIQUE_VIOLATION.equals(cause.getSQLState())) return true;
        return false;
    }

    /** Locks the runs' counters in id order and reads them. */
    private static Map<String, Count> lockCounts(Connection connection, Set<String> runIds) throws SQLException {
        Map<String, Count> counts = new LinkedHashMap<>();
        forChunks(List.copyOf(runIds), chunk -> {
            try (PreparedStatement select = connection.prepareStatement("SELECT run_id, lines, capped FROM"
                    + " baton_run_log_counts WHERE run_id IN (" + markers(chunk.size()) + ") ORDER BY run_id"
                    + " FOR UPDATE")) {
                for (int i = 0; i < chunk.size(); i++) select.setString(i + 1, chunk.get(i));
                try (ResultSet rows = select.executeQuery()) {
                    while (rows.next()) counts.put(rows.getString(1), new Count(rows.getLong(2), rows.getBoolean(3)));
                }
            }
        });
        return counts;
    }

    /** The lines that fit under the cap, plus the cap's marker when this batch reaches it. */
    private List<LogLine> withinCap(String runId, List<LogLine> lines, long stored, Instant now) {
        long room = Math.max(0, maxLinesPerRun - stored);
        List<LogLine> kept = new ArrayList<>(lines.subList(0, (int) Math.min(room, lines.size())));
        if (lines.size() > room) {
            LogLine first = lines.get((int) room);
            kept.add(LogLine.marker(
                    runId,
                    first.attemptId(),
                    first.attemptNumber(),
                    now,
                    "log limit of " + maxLinesPerRun + " lines per run reached: later lines of this run are dropped",
                    "maxLinesPerRun",
                    maxLinesPerRun));
        }
        return kept;
    }

    private static void updateCounts(Connection connection, Map<String, Count> counts, Instant now)
            throws SQLException {
        if (counts.isEmpty()) return;
        try (PreparedStatement update = connection.prepareStatement(
                "UPDATE baton_run_log_counts SET lines = ?, capped = ?, updated_at = ? WHERE run_id = ?")) {
            for (Map.Entry<String, Count> count : counts.entrySet()) {
                update.setLong(1, count.getValue().lines());
                update.setBoolean(2, count.getValue().capped());
                update.setObject(3, utc(now));
                update.setString(4, count.getKey());
                update.addBatch();
            }
            update.executeBatch();
        }
    }

    private interface ChunkWork {
        void run(List<String> chunk) throws SQLException;
    }

    /** Run ids in chunks of {@link #ROWS_PER_INSERT}, so an IN list stays far below PostgreSQL's parameter limit. */
    private static void forChunks(List<String> ids, ChunkWork work) throws SQLException {
        for (int from = 0; from < ids.size(); from += ROWS_PER_INSERT)
            work.run(ids.subList(from, Math.min(ids.size(), from + ROWS_PER_INSERT)));
    }

    private static String markers(int count) {
        return String.join(",", Collections.nCopies(count, "?"));
    }

    /** One multi-row INSERT per {@link #ROWS_PER_INSERT} lines. */
    private static void insert(Connection connection, String environmentId, List<LogLine> rows, Instant now)
            throws SQLException {
        for (int from = 0; from < rows.size(); from += ROWS_PER_INSERT) {
            List<LogLine> chunk = rows.subList(from, Math.min(rows.size(), from + ROWS_PER_INSERT));
            StringBuilder sql = new StringBuilder("INSERT INTO baton_run_logs(environment_id, run_id, attempt_id,"
                    + " attempt_number, logged_at, stored_at, level, message, attributes, error) VALUES ");
            for (int i = 0; i < chunk.size(); i++) sql.append(i == 0 ? "" : ",").append("(?,?,?,?,?,?,?,?,?,?)");
            try (PreparedStatement insert = connection.prepareStatement(sql.toString())) {
                int p = 1;
                for (LogLine line : chunk) {
                    insert.setString(p++, environmentId);
                    insert.setString(p++, line.runId());
                    insert.setString(p++, line.attemptId());
                    insert.setInt(p++, line.attemptNumber());
                    insert.setObject(p++, utc(line.timestamp()));
                    insert.setObject(p++, utc(now));
                    insert.setShort(p++, (short) line.level().ordinal());
                    insert.setString(p++, line.message());
                    insert.setString(p++, line.attributesJson());
                    insert.setString(p++, line.errorJson());
                }
                insert.executeUpdate();
            }
        }
    }

    /**
     * One page of a run's lines, oldest first: those after {@code afterSeq}, of attempt number {@code attempt} when
     * it is not null, at {@code minLevel} or above when it is not null.
     */
    public List<StoredLogLine> read(
            String environmentId, String runId, Integer attempt, LogLevel minLevel, long afterSeq, int limit) {
        StringBuilder sql = new StringBuilder("SELECT seq, attempt_id, attempt_number, logged_at, level, message,"
                + " attributes, error FROM baton_run_logs WHERE run_id = ? AND environment_id = ? AND seq > ?");
        if (attempt != null) sql.append(" AND attempt_number = ?");
        if (minLevel != null) sql.append(" AND level >= ?");
        sql.append(" ORDER BY seq LIMIT ?");
        try (Connection connection = dataSource.getConnection();
                PreparedStatement select = connection.prepareStatement(sql.toString())) {
            int p = 1;
            select.setString(p++, runId);
            select.setString(p++, environmentId);
            select.setLong(p++, afterSeq);
            if (attempt != null) select.setInt(p++, attempt);
            if (minLevel != null) select.setShort(p++, (short) minLevel.ordinal());
            select.setInt(p, limit);
            List<StoredLogLine> lines = new ArrayList<>();
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    lines.add(new StoredLogLine(
                            rows.getLong(1),
                            new LogLine(
                                    runId,
                                    rows.getString(2),
                                    rows.getInt(3),
                                    rows.getObject(4, OffsetDateTime.class).toInstant(),
                                    LogLevel.ofStored(rows.getShort(5)),
                                    rows.getString(6),
                                    rows.getString(7),
                                    rows.getString(8))));
                }
            }
            return lines;
        } catch (SQLException e) {
            throw new IllegalStateException("reading log lines failed", e);
        }
    }

    /** Deletes the lines stored before {@code cutoff}, and the counters of runs not written since; returns lines. */
    public long deleteStoredBefore(Instant cutoff) {
        long deleted = 0;
        try (Connection connection = dataSource.getConnection()) {
            int removed;
            do {
                try (PreparedStatement delete = connection.prepareStatement("DELETE FROM baton_run_logs WHERE seq IN"
                        + " (SELECT seq FROM baton_run_logs WHERE stored_at < ? ORDER BY seq LIMIT ?)")) {
                    delete.setObject(1, utc(cutoff));
                    delete.setInt(2, ROWS_PER_DELETE);
                    removed = delete.executeUpdate();
                }
                deleted += removed;
            } while (removed == ROWS_PER_DELETE);
            try (PreparedStatement delete =
                    connection.prepareStatement("DELETE FROM baton_run_log_counts WHERE updated_at < ?")) {
                delete.setObject(1, utc(cutoff));
                delete.executeUpdate();
            }
            return deleted;
        } catch (SQLException e) {
            throw new IllegalStateException("deleting old log lines failed", e);
        }
    }

    private static OffsetDateTime utc(Instant instant) {
        return instant.atOffset(ZoneOffset.UTC);
    }
}
