package dev.baton.projections.runs;

import akka.actor.typed.ActorSystem;
import dev.baton.engine.run.RunStatus;
import dev.baton.engine.storage.Database;
import dev.baton.projections.internal.Jdbc;
import dev.baton.projections.internal.QueryDispatcher;
import dev.baton.projections.listing.CreatedWindow;
import dev.baton.projections.listing.KeysetListing;
import dev.baton.projections.listing.ListCursor;
import dev.baton.projections.listing.PageRequest;
import dev.baton.projections.listing.SqlWhere;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.stream.Stream;
import javax.sql.DataSource;

/**
 * The run list of one environment, from the read model: filtered, newest first (created_at, then run id,
 * both descending), in keyset pages ({@link ListCursor}), so pages stay exact while runs are added.
 * Eventually consistent with the runs themselves: it shows what the run index projection has written.
 * Every value is a bound parameter; JDBC blocks, so {@link #list} runs on the query dispatcher.
 */
public final class RunList {

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
            return Stream.<Set<?>>of(statuses, taskIds, tags, queues, versions)
                    .anyMatch(set -> set != null && set.isEmpty());
        }

        CreatedWindow created() {
            return new CreatedWindow(createdFrom, createdBefore, createdWithin);
        }
    }

    /**
     * A page, newest first. {@code next} is there only when older matching runs exist, {@code previous}
     * only when newer ones exist before the first run; an empty page has neither.
     */
    public record Page(List<RunRow> runs, ListCursor next, ListCursor previous) {}

    /** Read without their tags, which only the page's runs get afterwards. */
    private static final KeysetListing<RunRow> LISTING = new KeysetListing<>(
            "baton_runs r",
            "r.created_at",
            "r.run_id",
            RunTable.COLUMN_LIST,
            result -> RunTable.read(result, List.of()),
            RunRow::cursor);

    private final DataSource dataSource;
    private final Executor executor;
    private final Clock clock;

    public RunList(DataSource dataSource, Executor executor, Clock clock) {
        this.dataSource = dataSource;
        this.executor = executor;
        this.clock = clock;
    }

    public static RunList create(ActorSystem<?> system, Database database, Clock clock) {
        return new RunList(database.dataSource(), QueryDispatcher.lookup(system), clock);
    }

    /** {@link #page} on the query dispatcher. */
    public CompletionStage<Page> list(String environmentId, Filter filter, PageRequest request) {
        return Jdbc.async(executor, () -> page(environmentId, filter, request));
    }

    /** One page of the environment's runs (blocking). */
    public Page page(String environmentId, Filter filter, PageRequest request) throws SQLException {
        if (filter.matchesNothing()) return new Page(List.of(), null, null);
        return Jdbc.withConnection(dataSource, connection -> {
            KeysetListing.Rows<RunRow> page =
                    LISTING.page(connection, (from, newer) -> where(environmentId, filter, from, newer), request);
            if (page.rows().isEmpty()) return new Page(List.of(), null, null);
            return new Page(
                    RunTable.TAGS.withTags(connection, page.rows(), RunRow::runId, RunRow::withTags),
                    page.next(),
                    page.previous());
        });
    }

    /**
     * The database's plan for a page's main query, as {@code EXPLAIN (ANALYZE, BUFFERS)} tells it (PostgreSQL);
     * for the benchmark (docs/benchmarks.md).
     */
    List<String> explainPage(Connection connection, String environmentId, Filter filter, PageRequest request)
            throws SQLException {
        return LISTING.explainPage(connection, (from, newer) -> where(environmentId, filter, from, newer), request);
    }

    /** The WHERE clause: the environment, the filter, and the keyset bound. */
    private SqlWhere where(String environmentId, Filter filter, ListCursor from, boolean newer) {
        SqlWhere sql = new SqlWhere();
        sql.and("r.environment_id = ?", environmentId);
        if (filter.statuses() != null)
            sql.in(
                    "r.status",
                    filter.statuses().stream().map(Enum::name).sorted().toList());
        if (filter.taskIds() != null)
            sql.in("r.task_id", filter.taskIds().stream().sorted().toList());
        if (filter.queues() != null)
            sql.in("r.queue", filter.queues().stream().sorted().toList());
        if (filter.versions() != null)
            sql.in("r.version", filter.versions().stream().sorted().toList());
        if (filter.batchId() != null) sql.and("r.batch_id = ?", filter.batchId());
        if (filter.scheduleId() != null) sql.and("r.schedule_id = ?", filter.scheduleId());
        if (filter.test() != null) sql.and("r.is_test = ?", filter.test());
        LISTING.created(sql, filter.created(), clock);
        LISTING.past(sql, from, newer);
        if (filter.tags() != null) {
            // A semi-join on the environment's tag rows and nothing else: PostgreSQL then walks the runs in page
            // order for a common tag, and starts from the tag's few rows for a rare one. Repeating the page's bounds
            // here (cursor, createdAt) would look helpful but makes the planner count their selectivity twice and
            // pick slow plans (docs/benchmarks.md).
            SqlWhere tags = new SqlWhere();
            tags.and("t.environment_id = ?", environmentId);
            tags.in("t.tag", filter.tags().stream().sorted().toList());
            sql.and(
                    "r.run_id IN (SELECT t.run_id FROM baton_run_tags t WHERE " + tags.text() + ")",
                    tags.parameters().toArray());
        }
        return sql;
    }
}
