package dev.baton.projections.internal;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * The tags of an indexed row, one row each in order ({@code baton_run_tags}, {@code baton_waitpoint_token_tags}):
 * {@code (<id column>, tag, position, environment_id, created_at)}. The environment and creation time are
 * copied so a list can filter on tags without joining the row's table first.
 */
public final class TagTable {

    /** The tags of one row, and the row's environment and creation time. */
    public record Tagged(String id, String environmentId, Instant createdAt, List<String> tags) {}

    private final String table;
    private final String idColumn;

    public TagTable(String table, String idColumn) {
        this.table = table;
        this.idColumn = idColumn;
    }

    /** The tags of these ids, each id's in order; ids without tags are left out. */
    public Map<String, List<String>> load(Connection connection, Collection<String> ids) throws SQLException {
        Map<String, List<String>> tags = new HashMap<>();
        Jdbc.selectByIds(
                connection,
                ids,
                markers -> "SELECT " + idColumn + ", tag FROM " + table + " WHERE " + idColumn + " IN (" + markers
                        + ") ORDER BY " + idColumn + ", position",
                result -> tags.computeIfAbsent(result.getString(1), id -> new ArrayList<>())
                        .add(result.getString(2)));
        return tags;
    }

    /** These rows, each with its tags from this table; {@code withTags} gives a row its tags. */
    public <R> List<R> withTags(
            Connection connection, List<R> rows, Function<R, String> id, BiFunction<R, List<String>, R> withTags)
            throws SQLException {
        Map<String, List<String>> tags = load(connection, rows.stream().map(id).toList());
        return rows.stream()
                .map(row -> withTags.apply(row, tags.getOrDefault(id.apply(row), List.of())))
                .toList();
    }

    /** Replaces the tags of these rows with theirs: deletes the old ones, inserts the new. */
    public void replace(Connection connection, Collection<Tagged> rows) throws SQLException {
        if (rows.isEmpty()) return;
        Jdbc.batch(
                connection,
                "DELETE FROM " + table + " WHERE " + idColumn + " = ?",
                rows,
                (delete, row) -> delete.setString(1, row.id()));
        if (rows.stream().allMatch(row -> row.tags().isEmpty())) return;
        try (PreparedStatement insert = connection.prepareStatement("INSERT INTO " + table + " (" + idColumn
                + ", tag, position, environment_id, created_at) VALUES (?, ?, ?, ?, ?)")) {
            for (Tagged row : rows) {
                List<String> tags = row.tags();
                for (int position = 0; position < tags.size(); position++) {
                    insert.setString(1, row.id());
                    insert.setString(2, tags.get(position));
                    insert.setInt(3, position);
                    insert.setString(4, row.environmentId());
                    Jdbc.setInstant(insert, 5, row.createdAt());
                    insert.addBatch();
                }
            }
            insert.executeBatch();
        }
    }
}
