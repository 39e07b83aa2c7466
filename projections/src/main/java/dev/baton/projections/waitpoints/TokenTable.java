package dev.baton.projections.waitpoints;

import static dev.baton.projections.internal.Jdbc.instant;
import static dev.baton.projections.internal.Jdbc.setInstant;

import dev.baton.engine.storage.Database;
import dev.baton.engine.waitpoint.WaitpointTokenEntity.Status;
import dev.baton.projections.internal.Jdbc;
import dev.baton.projections.internal.TagTable;
import dev.baton.projections.listing.KeysetListing;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * The SQL of {@code baton_waitpoint_tokens} and {@code baton_waitpoint_token_tags} (db/waitpoints-schema.sql),
 * for PostgreSQL and H2. Every value is a bound parameter.
 */
public final class TokenTable {

    static final List<String> COLUMNS = List.of(
            "token_id",
            "environment_id",
            "status",
            "created_at",
            "updated_at",
            "completed_at",
            "timeout_at",
            "idempotency_key",
            "idempotency_key_expires_at",
            "callback_hash");
    static final String COLUMN_LIST = String.join(", ", COLUMNS);

    /** The token list's pages: rows read without their tags, which the page's tokens get afterwards. */
    static final KeysetListing<TokenRow> LISTING = new KeysetListing<>(
            "baton_waitpoint_tokens w", "w.created_at", "w.token_id", COLUMN_LIST, TokenTable::read, TokenRow::cursor);

    /** A token's tags, read separately from its row. */
    static final TagTable TAGS = new TagTable("baton_waitpoint_token_tags", "token_id");

    private final String upsertSql;

    public TokenTable(Database.Dialect dialect) {
        this.upsertSql = Jdbc.upsertSql(dialect, "baton_waitpoint_tokens", COLUMNS);
    }

    /** The rows of these tokens, with their tags; tokens without a row are left out. */
    public Map<String, TokenRow> load(Connection connection, Collection<String> tokenIds) throws SQLException {
        Map<String, TokenRow> rows = Jdbc.selectRowsByIds(
                connection,
                tokenIds,
                "baton_waitpoint_tokens",
                "token_id",
                COLUMN_LIST,
                TokenTable::read,
                TokenRow::tokenId);
        Map<String, List<String>> tags = TAGS.load(connection, rows.keySet());
        rows.replaceAll((id, row) -> row.withTags(tags.getOrDefault(id, List.of())));
        return rows;
    }

    /** Inserts or replaces these rows; of {@code created} (new rows), writes the tags too (they never change). */
    public void upsert(Connection connection, Collection<TokenRow> rows, Collection<TokenRow> created)
            throws SQLException {
        Jdbc.batch(connection, upsertSql, rows, TokenTable::bind);
        if (created.stream().allMatch(row -> row.tags().isEmpty())) return;
        TAGS.replace(connection, created.stream().map(TokenRow::tagged).toList());
    }

    /** Ids of waiting tokens whose timeout is at or before {@code by}, earliest first. */
    public List<String> timingOutBy(Connection connection, Instant by, int limit) throws SQLException {
        return Jdbc.selectStrings(
                connection,
                "SELECT token_id FROM baton_waitpoint_tokens"
                        + " WHERE status = ? AND timeout_at <= ? ORDER BY timeout_at LIMIT ?",
                select -> {
                    select.setString(1, Status.WAITING.name());
                    setInstant(select, 2, by);
                    select.setInt(3, limit);
                });
    }

    private static void bind(PreparedStatement statement, TokenRow row) throws SQLException {
        statement.setString(1, row.tokenId());
        statement.setString(2, row.environmentId());
        statement.setString(3, row.status().name());
        setInstant(statement, 4, row.createdAt());
        setInstant(statement, 5, row.updatedAt());
        setInstant(statement, 6, row.completedAt());
        setInstant(statement, 7, row.timeoutAt());
        statement.setString(8, row.idempotencyKey());
        setInstant(statement, 9, row.idempotencyKeyExpiresAt());
        statement.setString(10, row.callbackHash());
    }

    /** A row of a {@code SELECT} of {@link #COLUMN_LIST}, without its tags (read separately). */
    static TokenRow read(ResultSet result) throws SQLException {
        return new TokenRow(
                result.getString("token_id"),
                result.getString("environment_id"),
                Status.valueOf(result.getString("status")),
                instant(result, "created_at"),
                instant(result, "updated_at"),
                instant(result, "completed_at"),
                instant(result, "timeout_at"),
                result.getString("idempotency_key"),
                instant(result, "idempotency_key_expires_at"),
                result.getString("callback_hash"),
                List.of());
    }
}
