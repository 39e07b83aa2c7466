package dev.baton.projections.waitpoints;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.DispatcherSelector;
import dev.baton.engine.storage.Database;
import dev.baton.engine.waitpoint.WaitpointTokenEntity.Status;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import javax.sql.DataSource;

/**
 * The waitpoint tokens of one environment, from the token index: filtered, newest first (created_at, then
 * token id, both descending), in keyset pages ({@link TokenCursor}). Eventually consistent with the tokens
 * themselves. JDBC blocks, so {@link #list} runs on the query dispatcher.
 */
public final class TokenList {

  public static final String QUERY_DISPATCHER = "baton.projections.query-dispatcher";

  /**
   * Which tokens to list; a null field does not filter. {@code statuses}: any of them; {@code tags}: tokens
   * holding any of them. {@code createdWithin}: created no longer ago than this (with {@code createdFrom}, the
   * later bound wins).
   *
   * @param createdFrom created at or after this
   * @param createdBefore created strictly before this
   */
  public record Filter(Set<Status> statuses, String idempotencyKey, Set<String> tags, Instant createdFrom,
      Instant createdBefore, Duration createdWithin) {

    public static final Filter NONE = new Filter(null, null, null, null, null, null);
  }

  /** {@code after}: the next older page; {@code before}: the newer page just before the cursor; neither: the newest. */
  public record PageRequest(int size, TokenCursor after, TokenCursor before) {
    public PageRequest {
      if (size < 1) throw new IllegalArgumentException("page size must be at least 1");
      if (after != null && before != null) throw new IllegalArgumentException("after and before exclude each other");
    }
  }

  /** A page, newest first; {@code next} only when older matching tokens exist, {@code previous} when newer ones do. */
  public record Page(List<TokenRow> tokens, TokenCursor next, TokenCursor previous) {}

  private static final Instant EARLIEST = Instant.parse("0001-01-01T00:00:00Z");
  private static final Instant LATEST = Instant.parse("9999-12-31T23:59:59Z");

  private final DataSource dataSource;
  private final Executor executor;
  private final Clock clock;

  public TokenList(DataSource dataSource, Executor executor, Clock clock) {
    this.dataSource = dataSource;
    this.executor = executor;
    this.clock = clock;
  }

  public static TokenList create(ActorSystem<?> system, Database database, Clock clock) {
    return new TokenList(database.dataSource(),
        system.dispatchers().lookup(DispatcherSelector.fromConfig(QUERY_DISPATCHER)), clock);
  }

  /** {@link #page} on the query dispatcher. */
  public CompletionStage<Page> list(String environmentId, Filter filter, PageRequest request) {
    return CompletableFuture.supplyAsync(() -> {
      try {
        return page(environmentId, filter, request);
      } catch (SQLException e) {
        throw new CompletionException(e);
      }
    }, executor);
  }

  /** One page of the environment's tokens (blocking). */
  public Page page(String environmentId, Filter filter, PageRequest request) throws SQLException {
    if (filter.statuses() != null && filter.statuses().isEmpty()) return new Page(List.of(), null, null);
    if (filter.tags() != null && filter.tags().isEmpty()) return new Page(List.of(), null, null);
    boolean backwards = request.before() != null;
    TokenCursor from = backwards ? request.before() : request.after();
    try (Connection connection = dataSource.getConnection()) {
      connection.setAutoCommit(true);
      List<TokenRow> rows = select(connection, where(environmentId, filter, from, backwards), backwards,
          request.size() + 1);
      boolean more = rows.size() > request.size();
      rows = new ArrayList<>(rows.subList(0, Math.min(rows.size(), request.size())));
      if (backwards) Collections.reverse(rows);
      if (rows.isEmpty()) return new Page(List.of(), null, null);
      TokenCursor newest = TokenCursor.of(rows.get(0));
      TokenCursor oldest = TokenCursor.of(rows.get(rows.size() - 1));
      TokenCursor next;
      TokenCursor previous;
      if (backwards) {
        previous = more ? newest : null;
        next = exists(connection, where(environmentId, filter, oldest, false), false) ? oldest : null;
      } else {
        next = more ? oldest : null;
        previous = from != null && exists(connection, where(environmentId, filter, newest, true), true)
            ? newest : null;
      }
      Map<String, List<String>> tags = TokenTable.tags(connection, rows.stream().map(TokenRow::tokenId).toList());
      return new Page(rows.stream().map(row -> row.withTags(tags.getOrDefault(row.tokenId(), List.of()))).toList(),
          next, previous);
    }
  }

  private static List<TokenRow> select(Connection connection, Sql where, boolean newer, int limit)
      throws SQLException {
    Sql sql = ordered(where, TokenTable.COLUMN_LIST, newer, limit);
    List<TokenRow> rows = new ArrayList<>();
    try (PreparedStatement select = sql.prepare(connection); ResultSet result = select.executeQuery()) {
      while (result.next()) rows.add(TokenTable.read(result));
    }
    return rows;
  }

  private static boolean exists(Connection connection, Sql where, boolean newer) throws SQLException {
    try (PreparedStatement select = ordered(where, "1", newer, 1).prepare(connection);
        ResultSet result = select.executeQuery()) {
      return result.next();
    }
  }

  private static Sql ordered(Sql where, String columns, boolean newer, int limit) {
    String order = newer ? "ASC" : "DESC";
    Sql sql = new Sql();
    sql.text = "SELECT " + columns + " FROM baton_waitpoint_tokens w WHERE " + where.text
        + " ORDER BY w.created_at " + order + ", w.token_id " + order + " LIMIT ?";
    sql.parameters.addAll(where.parameters);
    sql.parameters.add(limit);
    return sql;
  }

  /** The WHERE clause: the environment, the filter, and the keyset bound (tokens past {@code from}). */
  private Sql where(String environmentId, Filter filter, TokenCursor from, boolean newer) {
    Sql sql = new Sql();
    sql.and("w.environment_id = ?", environmentId);
    if (filter.statuses() != null) sql.in("w.status", filter.statuses().stream().map(Enum::name).sorted().toList());
    if (filter.idempotencyKey() != null) sql.and("w.idempotency_key = ?", filter.idempotencyKey());
    Instant createdFrom = createdFrom(filter);
    if (createdFrom != null) sql.and("w.created_at >= ?", createdFrom);
    if (filter.createdBefore() != null) sql.and("w.created_at < ?", clamp(filter.createdBefore()));
    if (from != null) {
      sql.and("(w.created_at, w.token_id) " + (newer ? ">" : "<") + " (?, ?)", from.createdAt(), from.tokenId());
    }
    if (filter.tags() != null) {
      Sql tags = new Sql();
      tags.and("t.environment_id = ?", environmentId);
      tags.in("t.tag", filter.tags().stream().sorted().toList());
      sql.and("w.token_id IN (SELECT t.token_id FROM baton_waitpoint_token_tags t WHERE " + tags.text + ")",
          tags.parameters.toArray());
    }
    return sql;
  }

  private Instant createdFrom(Filter filter) {
    Instant from = filter.createdFrom() == null ? null : clamp(filter.createdFrom());
    if (filter.createdWithin() != null) {
      Instant now = clock.instant();
      Instant within = filter.createdWithin().compareTo(Duration.between(EARLIEST, now)) >= 0
          ? EARLIEST : now.minus(filter.createdWithin());
      from = from == null || within.isAfter(from) ? within : from;
    }
    return from;
  }

  private static Instant clamp(Instant instant) {
    return instant.isBefore(EARLIEST) ? EARLIEST : instant.isAfter(LATEST) ? LATEST : instant;
  }

  /** SQL under construction (conditions joined by AND), and its parameters in order. */
  private static final class Sql {
    private String text = "";
    private final List<Object> parameters = new ArrayList<>();

    void and(String condition, Object... values) {
      text = text.isEmpty() ? condition : text + " AND " + condition;
      parameters.addAll(List.of(values));
    }

    void in(String column, List<String> values) {
      and(column + " IN (" + TokenTable.bindMarkers(values.size()) + ")", values.toArray());
    }

    PreparedStatement prepare(Connection connection) throws SQLException {
      PreparedStatement statement = connection.prepareStatement(text);
      try {
        for (int i = 0; i < parameters.size(); i++) {
          Object value = parameters.get(i);
          if (value instanceof Instant instant) {
            TokenTable.setInstant(statement, i + 1, instant);
          } else {
            statement.setObject(i + 1, value);
          }
        }
        return statement;
      } catch (SQLException e) {
        statement.close();
        throw e;
      }
    }
  }
}
