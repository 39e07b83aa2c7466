package dev.baton.projections.bulkactions;

import akka.actor.typed.ActorSystem;
import dev.baton.engine.storage.Database;
import dev.baton.projections.internal.Jdbc;
import dev.baton.projections.internal.QueryDispatcher;
import dev.baton.projections.listing.Page;
import dev.baton.projections.listing.PageRequest;
import dev.baton.projections.listing.SqlWhere;
import java.sql.SQLException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import javax.sql.DataSource;

/**
 * The bulk actions of one environment, from the bulk action index: newest first (created_at, then id, both
 * descending), in keyset pages. Eventually consistent with the actions themselves, whose retrieve never lags.
 * JDBC blocks, so {@link #list} runs on the query dispatcher.
 */
public final class BulkActionList {

    private final DataSource dataSource;
    private final Executor executor;

    public BulkActionList(DataSource dataSource, Executor executor) {
        this.dataSource = dataSource;
        this.executor = executor;
    }

    public static BulkActionList create(ActorSystem<?> system, Database database) {
        return new BulkActionList(database.dataSource(), QueryDispatcher.lookup(system));
    }

    /** {@link #page} on the query dispatcher. */
    public CompletionStage<Page<BulkActionRow>> list(String environmentId, PageRequest request) {
        return Jdbc.async(executor, () -> page(environmentId, request));
    }

    /** One page of the environment's actions (blocking). */
    public Page<BulkActionRow> page(String environmentId, PageRequest request) throws SQLException {
        return Jdbc.withConnection(
                dataSource,
                connection -> BulkActionTable.LISTING.page(
                        connection,
                        (from, newer) -> BulkActionTable.LISTING.past(
                                new SqlWhere().and("a.environment_id = ?", environmentId), from, newer),
                        request));
    }
}
