package dev.baton.projections.batches;

import akka.actor.typed.ActorSystem;
import dev.baton.engine.batch.BatchStatus;
import dev.baton.engine.storage.Database;
import dev.baton.projections.internal.Jdbc;
import dev.baton.projections.internal.QueryDispatcher;
import dev.baton.projections.listing.CreatedWindow;
import dev.baton.projections.listing.ListCursor;
import dev.baton.projections.listing.Page;
import dev.baton.projections.listing.PageRequest;
import dev.baton.projections.listing.SqlWhere;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import javax.sql.DataSource;

/**
 * The batches of one environment, from the batch index: filtered, newest first (created_at, then batch id, both
 * descending), in keyset pages. Eventually consistent with the batches themselves. JDBC blocks, so {@link #list}
 * runs on the query dispatcher.
 */
public final class BatchList {

    /**
     * Which batches to list; a null field does not filter. {@code createdWithin}: created no longer ago than this
     * (with {@code createdFrom}, the later bound wins).
     *
     * @param createdFrom created at or after this
     * @param createdBefore created strictly before this
     */
    public record Filter(
            Set<BatchStatus> statuses, Instant createdFrom, Instant createdBefore, Duration createdWithin) {

        public static final Filter NONE = new Filter(null, null, null, null);

        CreatedWindow created() {
            return new CreatedWindow(createdFrom, createdBefore, createdWithin);
        }
    }

    private final DataSource dataSource;
    private final Executor executor;
    private final Clock clock;

    public BatchList(DataSource dataSource, Executor executor, Clock clock) {
        this.dataSource = dataSource;
        this.executor = executor;
        this.clock = clock;
    }

    public static BatchList create(ActorSystem<?> system, Database database, Clock clock) {
        return new BatchList(database.dataSource(), QueryDispatcher.lookup(system), clock);
    }

    /** {@link #page} on the query dispatcher. */
    public CompletionStage<Page<BatchRow>> list(String environmentId, Filter filter, PageRequest request) {
        return Jdbc.async(executor, () -> page(environmentId, filter, request));
    }

    /** One page of the environment's batches (blocking). */
    public Page<BatchRow> page(String environmentId, Filter filter, PageRequest request) throws SQLException {
        if (filter.statuses() != null && filter.statuses().isEmpty()) return Page.empty();
        return Jdbc.withConnection(
                dataSource,
                connection -> BatchTable.LISTING.page(
                        connection, (from, newer) -> where(environmentId, filter, from, newer), request));
    }

    private SqlWhere where(String environmentId, Filter filter, ListCursor from, boolean newer) {
        SqlWhere sql = new SqlWhere();
        sql.and("b.environment_id = ?", environmentId);
        if (filter.statuses() != null)
            sql.in(
                    "b.status",
                    filter.statuses().stream().map(Enum::name).sorted().toList());
        BatchTable.LISTING.created(sql, filter.created(), clock);
        BatchTable.LISTING.past(sql, from, newer);
        return sql;
    }
}
