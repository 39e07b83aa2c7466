package dev.baton.projections.runs;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.DispatcherSelector;
import dev.baton.engine.run.RunStatus;
import dev.baton.engine.storage.Database;
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
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.postgresql.PGStatement;

/**
 * The run list of one environment, from the read model: filtered, newest first (created_at, then run id,
 * both descending), in keyset pages ({@link RunCursor}), so pages stay exact while runs are added.
 * Eventually consistent with the runs themselves: it shows what the run index projection has written.
 * Every value is a bound parameter; JDBC blocks, so {@link #list} runs on the query dispatcher.
 */
public final class RunList {

  /** The JDBC dispatcher of read-model queries (see reference.conf). */
  public static final String QUERY_DISPATCHER = "baton.projections.query-dispatcher";

  /**
   * Which runs to list. A null field does not filter; a set matches a run holding any of its values (an
   * empty set matches none). {@code tags}: any of the run's tags. {@code createdWithin}: created no longer
   * ago than this (with {@code createdFrom}, the later bound wins).
   *
   * @param createdFrom created at or after this
   * @param createdBefore created strictly before this
   */
  public record Filter(
      Set<RunStatus> statuses,
      Set<String> taskIds,
      Set<String> tags,
      Set<String> queues,
      Set<String> versions,
      String batchId,
      String scheduleId,
      Boolean test,
      Instant createdFrom,
      Instant createdBefore,
      Duration createdWithin) {

    public static final Filter NONE = new Filter(null, null, null, null, null, null, null, null, null, null, null);

    boolean matchesNothing() {
      return Stream.<Set<?>>of(statuses, taskIds, tags, queues, versions).anyMatch(set -> set != null && set.isEmpty());
    }
  }

  /** {@code after}: the next older page; {@code before}: the newer page just before the cursor; neither: the newest. */
  public record PageRequest(int size, RunCursor after, RunCursor before) {
    public PageRequest {
      if (size < 1) throw new IllegalArgumentException("page size must be at least 1");
      if (after != null && before != null) throw new IllegalArgumentException("after and before exclude each other");
    }
  }

  /**
   * A page, newest first. {@code next} is there only when older matching runs exist, {@code previous}
   * only when newer ones exist before the first run; an empty page has neither.
   */
  public record Page(List<RunRow> runs, RunCursor next, RunCursor previous) {}

  private static final Instant EARLIEST = Instant.parse("0001-01-01T00:00:00Z");
  private static final Instant LATEST = Instant.parse("9999-12-31T23:59:59Z");

  private final DataSource dataSource;
  private final Executor executor;
  private final Clock clock;

  public RunList(DataSource dataSource, Executor executor, Clock clock) {
    this.dataSource = dataSource;
    this.executor = executor;
    this.clock = clock;
  }

  public static RunList create(ActorSystem<?> system, Database database, Clock clock) {
    return new RunList(database.dataSource(),
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

  /** One page of the environment's runs (blocking). */
  public Page page(String environmentId, Filter filter, PageRequest request) throws SQLException {
    if (filter.matchesNothing()) return new Page(List.of(), null, null);
    boolean backwards = request.before() != null;
    RunCursor from = backwards ? request.before() : request.after();
    try (Connection connection = dataSource.getConnection()) {
      connection.setAutoCommit(true);
      List<RunRow> rows = select(connection, environmentId, filter, from, backwards, request.size() + 1);
      boolean more = rows.size() > request.size();
      rows = new ArrayList<>(rows.subList(0, Math.min(rows.size(), request.size())));
      if (backwards) Collections.reverse(rows);
      if (rows.isEmpty()) return new Page(List.of(), null, null);
      RunCursor newest = RunCursor.of(rows.get(0));
      RunCursor oldest = RunCursor.of(rows.get(rows.size() - 1));
      RunCursor next;
      RunCursor previous;
      // Past the cursor's side of the page lies the cursor's own run: if it still matches, that settles it.
      if (backwards) {
        previous = more ? newest : null;
        boolean older = matches(connection, environmentId, filter, from)
            || exists(connection, environmentId, filter, oldest, false);
        next = older ? oldest : null;
      } else {
        next = more ? oldest : null;
        boolean newer = from != null && (matches(connection, environmentId, filter, from)
            || exists(connection, environmentId, filter, newest, true));
        previous = newer ? newest : null;
      }
      return new Page(withTags(connection, rows), next, previous);
    }
  }

  /** Up to {@code limit} runs past {@code from}: older ones newest first, or ({@code newer}) newer ones oldest first. */
  private List<RunRow> select(Connection connection, String environmentId, Filter filter, RunCursor from,
      boolean newer, int limit) throws SQLException {
    Sql sql = selectSql(RunTable.COLUMN_LIST, environmentId, filter, from, newer, limit);
    List<RunRow> rows = new ArrayList<>();
    try (PreparedStatement select = sql.prepare(connection); ResultSet result = select.executeQuery()) {
      while (result.next()) rows.add(RunTable.read(result, List.of()));
    }
    return rows;
  }

  private Sql selectSql(String columns, String environmentId, Filter filter, RunCursor from, boolean newer,
      int limit) {
    Sql sql = where(environmentId, filter, from, newer);
    String order = newer ? "ASC" : "DESC";
    sql.text = "SELECT " + columns + " FROM baton_runs r WHERE " + sql.text
        + " ORDER BY r.created_at " + order + ", r.run_id " + order + " LIMIT ?";
    sql.parameters.add(limit);
    return sql;
  }

  /**
   * The database's plan for a page's main query, as {@code EXPLAIN (ANALYZE, BUFFERS)} tells it (PostgreSQL);
   * for the benchmark (docs/benchmarks.md).
   */
  List<String> explainPage(Connection connection, String environmentId, Filter filter, PageRequest request)
      throws SQLException {
    boolean backwards = request.before() != null;
    Sql sql = selectSql(RunTable.COLUMN_LIST, environmentId, filter,
        backwards ? request.before() : request.after(), backwards, request.size() + 1);
    sql.text = "EXPLAIN (ANALYZE, BUFFERS) " + sql.text;
    List<String> plan = new ArrayList<>();
    try (PreparedStatement explain = sql.prepare(connection); ResultSet result = explain.executeQuery()) {
      while (result.next()) plan.add(result.getString(1));
    }
    return plan;
  }

  /** Whether the cursor's run exists and matches the filter (a lookup by primary key). */
  private boolean matches(Connection connection, String environmentId, Filter filter, RunCursor cursor)
      throws SQLException {
    Sql sql = where(environmentId, filter, null, false);
    sql.and("r.run_id = ?", cursor.runId());
    sql.and("r.created_at = ?", cursor.createdAt());
    sql.text = "SELECT 1 FROM baton_runs r WHERE " + sql.text;
    try (PreparedStatement select = sql.prepare(connection); ResultSet result = select.executeQuery()) {
      return result.next();
    }
  }

  /** Whether a matching run lies past {@code from}: newer, or older. */
  private boolean exists(Connection connection, String environmentId, Filter filter, RunCursor from, boolean newer)
      throws SQLException {
    // Ordered like a page in that direction, so the database walks the same index from the cursor and stops
    // at the first match (without an order, it may pick a plan that reads every matching run first).
    Sql sql = selectSql("1", environmentId, filter, from, newer, 1);
    try (PreparedStatement select = sql.prepare(connection); ResultSet result = select.executeQuery()) {
      return result.next();
    }
  }

  private static List<RunRow> withTags(Connection connection, List<RunRow> rows) throws SQLException {
    Map<String, List<String>> tags = RunTable.tags(connection, rows.stream().map(RunRow::runId).toList());
    return rows.stream().map(row -> row.withTags(tags.getOrDefault(row.runId(), List.of()))).toList();
  }

  /** The WHERE clause: the environment, the filter, and the keyset bound. */
  private Sql where(String environmentId, Filter filter, RunCursor from, boolean newer) {
    Sql sql = new Sql();
    sql.and("r.environment_id = ?", environmentId);
    if (filter.statuses() != null) sql.in("r.status", filter.statuses().stream().map(Enum::name).sorted().toList());
    if (filter.taskIds() != null) sql.in("r.task_id", filter.taskIds().stream().sorted().toList());
    if (filter.queues() != null) sql.in("r.queue", filter.queues().stream().sorted().toList());
    if (filter.versions() != null) sql.in("r.version", filter.versions().stream().sorted().toList());
    if (filter.batchId() != null) sql.and("r.batch_id = ?", filter.batchId());
    if (filter.scheduleId() != null) sql.and("r.schedule_id = ?", filter.scheduleId());
    if (filter.test() != null) sql.and("r.is_test = ?", filter.test());
    Instant createdFrom = createdFrom(filter);
    Instant createdBefore = filter.createdBefore() == null ? null : clamp(filter.createdBefore());
    if (createdFrom != null) sql.and("r.created_at >= ?", createdFrom);
    if (createdBefore != null) sql.and("r.created_at < ?", createdBefore);
    String comparison = newer ? ">" : "<";
    if (from != null) sql.and("(r.created_at, r.run_id) " + comparison + " (?, ?)", from.createdAt(), from.runId());
    if (filter.tags() != null) {
      // A semi-join on the environment's tag rows and nothing else: PostgreSQL then walks the runs in page
      // order for a common tag, and starts from the tag's few rows for a rare one. Repeating the page's bounds
      // here (cursor, createdAt) would look helpful but makes the planner count their selectivity twice and
      // pick slow plans (docs/benchmarks.md).
      Sql tags = new Sql();
      tags.and("t.environment_id = ?", environmentId);
      tags.in("t.tag", filter.tags().stream().sorted().toList());
      sql.and("r.run_id IN (SELECT t.run_id FROM baton_run_tags t WHERE " + tags.text + ")",
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

  /** SQL under construction (a WHERE clause: conditions joined by AND), and its parameters in order. */
  private static final class Sql {
    private String text = "";
    private final List<Object> parameters = new ArrayList<>();

    void and(String condition, Object... values) {
      text = text.isEmpty() ? condition : text + " AND " + condition;
      parameters.addAll(List.of(values));
    }

    void in(String column, List<String> values) {
      and(column + " IN (" + RunTable.bindMarkers(values.size()) + ")", values.toArray());
    }

    PreparedStatement prepare(Connection connection) throws SQLException {
      PreparedStatement statement = connection.prepareStatement(text);
      try {
        // Planned with each call's values, never as a generic plan: whether walking the runs in page order or
        // starting from a tag's runs is faster depends on how common the tag (status, task) is. The driver
        // would otherwise prepare a statement run five times on one connection, and PostgreSQL then reuses a
        // generic plan that may read every run of a common tag (measured: 1.7 s instead of 0.2 ms).
        if (statement.isWrapperFor(PGStatement.class)) statement.unwrap(PGStatement.class).setPrepareThreshold(0);
        for (int i = 0; i < parameters.size(); i++) {
          Object value = parameters.get(i);
          if (value instanceof Instant instant) {
            RunTable.setInstant(statement, i + 1, instant);
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
