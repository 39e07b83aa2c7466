package dev.baton.projections.internal;

import dev.baton.engine.storage.Database;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import javax.sql.DataSource;

/**
 * The JDBC details the projected tables share, for PostgreSQL and H2: instants as UTC timestamps, bind
 * markers, whole-row upserts, id lookups in chunks, and blocking calls moved onto a dispatcher.
 */
public final class Jdbc {

    /** Ids per IN list when loading rows: a projection group touches at most this many in practice. */
    private static final int LOAD_CHUNK = 500;

    private Jdbc() {}

    /** A blocking JDBC call. */
    @FunctionalInterface
    public interface Call<T> {
        T call() throws SQLException;
    }

    /** A blocking JDBC call on a connection. */
    @FunctionalInterface
    public interface ConnectionCall<T> {
        T call(Connection connection) throws SQLException;
    }

    /** Sets the parameters of a statement. */
    @FunctionalInterface
    public interface Parameters {
        void set(PreparedStatement statement) throws SQLException;
    }

    /** Reads the current row of a result into a value. */
    @FunctionalInterface
    public interface RowReader<R> {
        R read(ResultSet result) throws SQLException;
    }

    /**
     * The rows of {@code table} whose {@code idColumn} is one of {@code ids}, by id; an id without a row is left
     * out.
     */
    public static <R> Map<String, R> selectRowsByIds(
            Connection connection,
            Collection<String> ids,
            String table,
            String idColumn,
            String columns,
            RowReader<R> reader,
            Function<R, String> idOf)
            throws SQLException {
        Map<String, R> rows = new LinkedHashMap<>();
        selectByIds(
                connection,
                ids,
                markers -> "SELECT " + columns + " FROM " + table + " WHERE " + idColumn + " IN (" + markers + ")",
                result -> {
                    R row = reader.read(result);
                    rows.put(idOf.apply(row), row);
                });
        return rows;
    }

    /** Sets the parameters of a statement for one item. */
    @FunctionalInterface
    public interface Binder<T> {
        void bind(PreparedStatement statement, T item) throws SQLException;
    }

    /** Runs {@code sql} once per item, as one batch; nothing when there are no items. */
    public static <T> void batch(Connection connection, String sql, Collection<T> items, Binder<T> binder)
            throws SQLException {
        if (items.isEmpty()) return;
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            for (T item : items) {
                binder.bind(statement, item);
                statement.addBatch();
            }
            statement.executeBatch();
        }
    }

    /** Reads the current row of a result. */
    @FunctionalInterface
    public interface RowConsumer {
        void accept(ResultSet result) throws SQLException;
    }

    /** {@code call} on {@code executor}; its SQLException fails the future (wrapped, as the callers unwrap it). */
    public static <T> CompletableFuture<T> async(Executor executor, Call<T> call) {
        return CompletableFuture.supplyAsync(
                () -> {
                    try {
                        return call.call();
                    } catch (SQLException e) {
                        throw new CompletionException(e);
                    }
                },
                executor);
    }

    /** {@code call} on a connection of its own, in autocommit: reads and sweeps need no transaction. */
    public static <T> T withConnection(DataSource dataSource, ConnectionCall<T> call) throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(true);
            return call.call(connection);
        }
    }

    /**
     * Inserts or replaces whole rows of {@code table}, keyed by its first column: PostgreSQL's
     * {@code ON CONFLICT} or H2's {@code MERGE}, with one bind marker per column in order.
     */
    public static String upsertSql(Database.Dialect dialect, String table, List<String> columns) {
        String columnList = String.join(", ", columns);
        String markers = bindMarkers(columns.size());
        String key = columns.get(0);
        return switch (dialect) {
            case POSTGRES ->
                "INSERT INTO " + table + " (" + columnList + ") VALUES (" + markers + ")"
                        + " ON CONFLICT (" + key + ") DO UPDATE SET "
                        + columns.stream()
                                .skip(1)
                                .map(column -> column + " = EXCLUDED." + column)
                                .collect(Collectors.joining(", "));
            case H2 -> "MERGE INTO " + table + " (" + columnList + ") KEY (" + key + ") VALUES (" + markers + ")";
        };
    }

    /**
     * Runs {@code select} (given the bind markers of its IN list) for these ids, a chunk at a time so the
     * statement stays within the drivers' parameter limits, and hands every row to {@code each}.
     */
    public static void selectByIds(
            Connection connection, Collection<String> ids, UnaryOperator<String> select, RowConsumer each)
            throws SQLException {
        List<String> all = List.copyOf(ids);
        for (int from = 0; from < all.size(); from += LOAD_CHUNK) {
            List<String> chunk = all.subList(from, Math.min(all.size(), from + LOAD_CHUNK));
            try (PreparedStatement statement = connection.prepareStatement(select.apply(bindMarkers(chunk.size())))) {
                for (int i = 0; i < chunk.size(); i++) statement.setString(i + 1, chunk.get(i));
                try (ResultSet result = statement.executeQuery()) {
                    while (result.next()) each.accept(result);
                }
            }
        }
    }

    /** The first column of every row {@code select} finds, as text (ids, mostly). */
    public static List<String> selectStrings(Connection connection, String select, Parameters parameters)
            throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(select)) {
            parameters.set(statement);
            List<String> values = new ArrayList<>();
            try (ResultSet result = statement.executeQuery()) {
                while (result.next()) values.add(result.getString(1));
            }
            return values;
        }
    }

    /** {@code count} JDBC bind markers ({@code ?, ?, …}) for an IN list; the values are always bound, never inlined. */
    public static String bindMarkers(int count) {
        return String.join(", ", Collections.nCopies(count, "?"));
    }

    public static void setInstant(PreparedStatement statement, int index, Instant instant) throws SQLException {
        if (instant == null) {
            statement.setNull(index, Types.TIMESTAMP_WITH_TIMEZONE);
        } else {
            statement.setObject(index, OffsetDateTime.ofInstant(instant, ZoneOffset.UTC));
        }
    }

    public static Instant instant(ResultSet result, String column) throws SQLException {
        OffsetDateTime value = result.getObject(column, OffsetDateTime.class);
        return value == null ? null : value.toInstant();
    }

    public static Instant instant(ResultSet result, int column) throws SQLException {
        OffsetDateTime value = result.getObject(column, OffsetDateTime.class);
        return value == null ? null : value.toInstant();
    }
}
