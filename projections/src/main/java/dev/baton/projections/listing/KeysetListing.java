package dev.baton.projections.listing;

import dev.baton.projections.internal.Jdbc;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Function;
import org.postgresql.PGStatement;

/**
 * Keyset pages of one table, newest first: ordered by (created_at, id), both descending, so pages stay exact
 * while rows are added. The list that uses it says which rows match ({@link Where}); this class adds the
 * creation window and the keyset bound to that WHERE, orders, limits, and works out whether older and newer
 * pages exist.
 *
 * @param <R> a row of the table
 */
public final class KeysetListing<R> {

    /** Reads the current row of a {@code SELECT} of the listing's columns. */
    @FunctionalInterface
    public interface RowReader<R> {
        R read(ResultSet result) throws SQLException;
    }

    /** The matching rows past {@code from} (older ones, or {@code newer} ones); every row when it is null. */
    @FunctionalInterface
    public interface Where {
        SqlWhere past(ListCursor from, boolean newer);
    }

    private final String table;
    private final String createdAt;
    private final String id;
    private final String columns;
    private final RowReader<R> reader;
    private final Function<R, ListCursor> key;

    /**
     * @param table the table and its alias ({@code baton_runs r})
     * @param createdAt the creation time column, with the alias ({@code r.created_at})
     * @param id the id column, with the alias ({@code r.run_id})
     * @param columns what a page selects, for {@code reader}
     * @param key a row's cursor
     */
    public KeysetListing(
            String table,
            String createdAt,
            String id,
            String columns,
            RowReader<R> reader,
            Function<R, ListCursor> key) {
        this.table = table;
        this.createdAt = createdAt;
        this.id = id;
        this.columns = columns;
        this.reader = reader;
        this.key = key;
    }

    /** Adds the creation window's bounds (if any) to {@code where}. */
    public SqlWhere created(SqlWhere where, CreatedWindow window, Clock clock) {
        Instant from = window.lowerBound(clock);
        Instant before = window.upperBound();
        if (from != null) where.and(createdAt + " >= ?", from);
        if (before != null) where.and(createdAt + " < ?", before);
        return where;
    }

    /** Adds the keyset bound to {@code where}: rows past {@code from}, older or newer; nothing when it is null. */
    public SqlWhere past(SqlWhere where, ListCursor from, boolean newer) {
        if (from == null) return where;
        return where.and(
                "(" + createdAt + ", " + id + ") " + (newer ? ">" : "<") + " (?, ?)", from.createdAt(), from.id());
    }

    /** One page of the rows {@code where} matches (blocking). */
    public Page<R> page(Connection connection, Where where, PageRequest request) throws SQLException {
        boolean backwards = request.before() != null;
        ListCursor from = backwards ? request.before() : request.after();
        List<R> rows = new ArrayList<>();
        try (PreparedStatement select = prepare(
                        connection, select(where.past(from, backwards), columns, backwards, request.size() + 1));
                ResultSet result = select.executeQuery()) {
            while (result.next()) rows.add(reader.read(result));
        }
        boolean more = rows.size() > request.size();
        rows = new ArrayList<>(rows.subList(0, Math.min(rows.size(), request.size())));
        if (backwards) Collections.reverse(rows);
        if (rows.isEmpty()) return Page.empty();
        ListCursor newest = key.apply(rows.get(0));
        ListCursor oldest = key.apply(rows.get(rows.size() - 1));
        ListCursor next;
        ListCursor previous;
        // Past the cursor's side of the page lies the cursor's own row: if it still matches, that settles it.
        if (backwards) {
            previous = more ? newest : null;
            boolean older = matches(connection, where, from) || exists(connection, where.past(oldest, false), false);
            next = older ? oldest : null;
        } else {
            next = more ? oldest : null;
            boolean newer = from != null
                    && (matches(connection, where, from) || exists(connection, where.past(newest, true), true));
            previous = newer ? newest : null;
        }
        return new Page<>(rows, next, previous);
    }

    /**
     * The database's plan for a page's main query, as {@code EXPLAIN (ANALYZE, BUFFERS)} tells it (PostgreSQL);
     * for the benchmark (docs/benchmarks.md).
     */
    public List<String> explainPage(Connection connection, Where where, PageRequest request) throws SQLException {
        boolean backwards = request.before() != null;
        Statement page = select(
                where.past(backwards ? request.before() : request.after(), backwards),
                columns,
                backwards,
                request.size() + 1);
        List<String> plan = new ArrayList<>();
        try (PreparedStatement explain = prepare(
                        connection, new Statement("EXPLAIN (ANALYZE, BUFFERS) " + page.sql(), page.parameters()));
                ResultSet result = explain.executeQuery()) {
            while (result.next()) plan.add(result.getString(1));
        }
        return plan;
    }

    /** How many rows {@code where} matches, every page together (blocking). */
    public long count(Connection connection, Where where) throws SQLException {
        SqlWhere all = where.past(null, false);
        try (PreparedStatement select = prepare(
                        connection,
                        new Statement("SELECT COUNT(*) FROM " + table + " WHERE " + all.text(), all.parameters()));
                ResultSet result = select.executeQuery()) {
            result.next();
            return result.getLong(1);
        }
    }

    /** Whether the cursor's row exists and matches (a lookup by primary key). */
    private boolean matches(Connection connection, Where where, ListCursor cursor) throws SQLException {
        SqlWhere row =
                where.past(null, false).and(id + " = ?", cursor.id()).and(createdAt + " = ?", cursor.createdAt());
        try (PreparedStatement select = prepare(
                        connection,
                        new Statement("SELECT 1 FROM " + table + " WHERE " + row.text(), row.parameters()));
                ResultSet result = select.executeQuery()) {
            return result.next();
        }
    }

    /** Whether a row matches {@code past}, which bounds the rows on one side of a cursor. */
    private boolean exists(Connection connection, SqlWhere past, boolean newer) throws SQLException {
        // Ordered like a page in that direction, so the database walks the same index from the cursor and stops
        // at the first match (without an order, it may pick a plan that reads every matching row first).
        try (PreparedStatement select = prepare(connection, select(past, "1", newer, 1));
                ResultSet result = select.executeQuery()) {
            return result.next();
        }
    }

    /** Up to {@code limit} rows of {@code where}, newest first, or ({@code newer}) oldest first. */
    private Statement select(SqlWhere where, String selected, boolean newer, int limit) {
        String order = newer ? "ASC" : "DESC";
        List<Object> parameters = new ArrayList<>(where.parameters());
        parameters.add(limit);
        return new Statement(
                "SELECT " + selected + " FROM " + table + " WHERE " + where.text() + " ORDER BY " + createdAt + " "
                        + order + ", " + id + " " + order + " LIMIT ?",
                parameters);
    }

    private record Statement(String sql, List<Object> parameters) {}

    private static PreparedStatement prepare(Connection connection, Statement statement) throws SQLException {
        PreparedStatement prepared = connection.prepareStatement(statement.sql());
        try {
            // Planned with each call's values, never as a generic plan: whether walking the rows in page order or
            // starting from a tag's rows is faster depends on how common the tag (status, task) is. The driver
            // would otherwise prepare a statement run five times on one connection, and PostgreSQL then reuses a
            // generic plan that may read every row of a common tag (measured on runs: 1.7 s instead of 0.2 ms).
            if (prepared.isWrapperFor(PGStatement.class))
                prepared.unwrap(PGStatement.class).setPrepareThreshold(0);
            List<Object> parameters = statement.parameters();
            for (int i = 0; i < parameters.size(); i++) {
                Object value = parameters.get(i);
                if (value instanceof Instant instant) {
                    Jdbc.setInstant(prepared, i + 1, instant);
                } else {
                    prepared.setObject(i + 1, value);
                }
            }
            return prepared;
        } catch (SQLException e) {
            prepared.close();
            throw e;
        }
    }
}
