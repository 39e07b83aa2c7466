package dev.baton.projections.waitpoints;

import dev.baton.engine.storage.Database;
import dev.baton.engine.waitpoint.WaitpointTokenEntity.Status;
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
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The SQL of {@code baton_waitpoint_tokens} and {@code baton_waitpoint_token_tags} (db/waitpoints-schema.sql),
 * for PostgreSQL and H2. Every value is a bound parameter.
 */
public final class TokenTable {

  static final List<String> COLUMNS = List.of("token_id", "environment_id", "status", "created_at", "updated_at",
      "completed_at", "timeout_at", "idempotency_key", "idempotency_key_expires_at", "callback_hash");
  static final String COLUMN_LIST = String.join(", ", COLUMNS);
  /** Rows loaded per query: more ids than this are loaded in several. */
  private static final int LOAD_CHUNK = 500;

  private final String upsertSql;

  public TokenTable(Database.Dialect dialect) {
    String markers = bindMarkers(COLUMNS.size());
    this.upsertSql = switch (dialect) {
      case POSTGRES -> "INSERT INTO baton_waitpoint_tokens (" + COLUMN_LIST + ") VALUES (" + markers + ")"
          + " ON CONFLICT (token_id) DO UPDATE SET " + String.join(", ",
              COLUMNS.stream().skip(1).map(column -> column + " = EXCLUDED." + column).toList());
      case H2 -> "MERGE INTO baton_waitpoint_tokens (" + COLUMN_LIST + ") KEY (token_id) VALUES (" + markers + ")";
    };
  }

  /** The rows of these tokens, with their tags; tokens without a row are left out. */
  public Map<String, TokenRow> load(Connection connection, Collection<String> tokenIds) throws SQLException {
    Map<String, TokenRow> rows = new HashMap<>();
    List<String> ids = List.copyOf(tokenIds);
    for (int from = 0; from < ids.size(); from += LOAD_CHUNK) {
      List<String> chunk = ids.subList(from, Math.min(ids.size(), from + LOAD_CHUNK));
      try (PreparedStatement select = connection.prepareStatement("SELECT " + COLUMN_LIST
          + " FROM baton_waitpoint_tokens WHERE token_id IN (" + bindMarkers(chunk.size()) + ")")) {
        for (int i = 0; i < chunk.size(); i++) select.setString(i + 1, chunk.get(i));
        try (ResultSet result = select.executeQuery()) {
          while (result.next()) {
            TokenRow row = read(result);
            rows.put(row.tokenId(), row);
          }
        }
      }
    }
    Map<String, List<String>> tags = tags(connection, rows.keySet());
    rows.replaceAll((id, row) -> row.withTags(tags.getOrDefault(id, List.of())));
    return rows;
  }

  /** The tags of these tokens, each token's in order; tokens without tags are left out. */
  static Map<String, List<String>> tags(Connection connection, Collection<String> tokenIds) throws SQLException {
    Map<String, List<String>> tags = new HashMap<>();
    List<String> ids = List.copyOf(tokenIds);
    for (int from = 0; from < ids.size(); from += LOAD_CHUNK) {
      List<String> chunk = ids.subList(from, Math.min(ids.size(), from + LOAD_CHUNK));
      try (PreparedStatement select = connection.prepareStatement("SELECT token_id, tag FROM baton_waitpoint_token_tags"
          + " WHERE token_id IN (" + bindMarkers(chunk.size()) + ") ORDER BY token_id, position")) {
        for (int i = 0; i < chunk.size(); i++) select.setString(i + 1, chunk.get(i));
        try (ResultSet result = select.executeQuery()) {
          while (result.next()) {
            tags.computeIfAbsent(result.getString(1), id -> new ArrayList<>()).add(result.getString(2));
          }
        }
      }
    }
    return tags;
  }

  /** Inserts or replaces these rows; of {@code created} (new rows), writes the tags too (they never change). */
  public void upsert(Connection connection, Collection<TokenRow> rows, Collection<TokenRow> created)
      throws SQLException {
    if (rows.isEmpty()) return;
    try (PreparedStatement upsert = connection.prepareStatement(upsertSql)) {
      for (TokenRow row : rows) {
        bind(upsert, row);
        upsert.addBatch();
      }
      upsert.executeBatch();
    }
    if (created.stream().allMatch(row -> row.tags().isEmpty())) return;
    try (PreparedStatement delete = connection.prepareStatement(
        "DELETE FROM baton_waitpoint_token_tags WHERE token_id = ?")) {
      for (TokenRow row : created) {
        delete.setString(1, row.tokenId());
        delete.addBatch();
      }
      delete.executeBatch();
    }
    try (PreparedStatement insert = connection.prepareStatement("INSERT INTO baton_waitpoint_token_tags"
        + " (token_id, tag, position, environment_id, created_at) VALUES (?, ?, ?, ?, ?)")) {
      for (TokenRow row : created) {
        for (int position = 0; position < row.tags().size(); position++) {
          insert.setString(1, row.tokenId());
          insert.setString(2, row.tags().get(position));
          insert.setInt(3, position);
          insert.setString(4, row.environmentId());
          setInstant(insert, 5, row.createdAt());
          insert.addBatch();
        }
      }
      insert.executeBatch();
    }
  }

  /** Ids of waiting tokens whose timeout is at or before {@code by}, earliest first. */
  public List<String> timingOutBy(Connection connection, Instant by, int limit) throws SQLException {
    try (PreparedStatement select = connection.prepareStatement("SELECT token_id FROM baton_waitpoint_tokens"
        + " WHERE status = ? AND timeout_at <= ? ORDER BY timeout_at LIMIT ?")) {
      select.setString(1, Status.WAITING.name());
      setInstant(select, 2, by);
      select.setInt(3, limit);
      List<String> ids = new ArrayList<>();
      try (ResultSet result = select.executeQuery()) {
        while (result.next()) ids.add(result.getString(1));
      }
      return ids;
    }
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
    return new TokenRow(result.getString("token_id"), result.getString("environment_id"),
        Status.valueOf(result.getString("status")), instant(result, "created_at"), instant(result, "updated_at"),
        instant(result, "completed_at"), instant(result, "timeout_at"), result.getString("idempotency_key"),
        instant(result, "idempotency_key_expires_at"), result.getString("callback_hash"), List.of());
  }

  static String bindMarkers(int count) {
    return String.join(", ", Collections.nCopies(count, "?"));
  }

  static void setInstant(PreparedStatement statement, int index, Instant instant) throws SQLException {
    if (instant == null) {
      statement.setNull(index, Types.TIMESTAMP_WITH_TIMEZONE);
    } else {
      statement.setObject(index, OffsetDateTime.ofInstant(instant, ZoneOffset.UTC));
    }
  }

  private static Instant instant(ResultSet result, String column) throws SQLException {
    OffsetDateTime value = result.getObject(column, OffsetDateTime.class);
    return value == null ? null : value.toInstant();
  }
}
