package dev.baton.projections.runs;

import akka.actor.typed.ActorSystem;
import dev.baton.engine.run.RunStatus;
import dev.baton.engine.storage.Database;
import dev.baton.projections.internal.QueryDispatcher;
import dev.baton.projections.listing.CreatedWindow;
import dev.baton.projections.listing.ListCursor;
import dev.baton.projections.listing.SqlWhere;
import dev.baton.projections.listing.TaggedList;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.stream.Stream;
import javax.sql.DataSource;

/**
 * The run list of one environment, from the read model: filtered, newest first (created_at, then run id,
 * both descending), in keyset pages ({@link ListCursor}), so pages stay exact while runs are added.
 * Eventually consistent with the runs themselves: it shows what the run index projection has written.
 * Every value is a bound parameter; JDBC blocks, so {@link #list} runs on the query dispatcher.
 */
public final class RunList extends TaggedList<RunRow, RunList.Filter> {

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
            Duration createdWithin)
            implements TaggedList.Filter {

        public static final Filter NONE = new Filter(null, null, null, null, null, null, null, null, null, null, null);

        @Override
        public boolean matchesNothing() {
            return Stream.<Set<?>>of(statuses, taskIds, tags, queues, versions)
                    .anyMatch(set -> set != null && set.isEmpty());
        }

        CreatedWindow created() {
            return new CreatedWindow(createdFrom, createdBefore, createdWithin);
        }
    }

    public RunList(DataSource dataSource, Executor executor, Clock clock) {
        super(dataSource, executor, clock, RunTable.LISTING, RunTable.TAGS, RunRow::runId, RunRow::withTags);
    }

    public static RunList create(ActorSystem<?> system, Database database, Clock clock) {
        return new RunList(database.dataSource(), QueryDispatcher.lookup(system), clock);
    }

    @Override
    protected SqlWhere where(String environmentId, Filter filter, ListCursor from, boolean newer) {
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
        RunTable.LISTING.created(sql, filter.created(), clock);
        RunTable.LISTING.past(sql, from, newer);
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
