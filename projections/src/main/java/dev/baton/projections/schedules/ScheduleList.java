package dev.baton.projections.schedules;

import akka.actor.typed.ActorSystem;
import dev.baton.engine.storage.Database;
import dev.baton.projections.internal.Jdbc;
import dev.baton.projections.internal.QueryDispatcher;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import javax.sql.DataSource;

/**
 * An environment's schedules from the schedule index, newest first, in numbered pages (Trigger.dev's
 * {@code schedules.list}). Eventually consistent with the schedules themselves. JDBC blocks, so every call
 * runs on the read-model query dispatcher.
 */
public final class ScheduleList {

    /** @param total every schedule of the environment */
    public record Page(List<ScheduleTable.Row> rows, long total) {}

    private final DataSource dataSource;
    private final ScheduleTable table;
    private final Executor executor;

    public ScheduleList(DataSource dataSource, ScheduleTable table, Executor executor) {
        this.dataSource = dataSource;
        this.table = table;
        this.executor = executor;
    }

    public static ScheduleList create(ActorSystem<?> system, Database database) {
        return new ScheduleList(
                database.dataSource(), new ScheduleTable(database.dialect()), QueryDispatcher.lookup(system));
    }

    /** Page {@code page} (from 1) of {@code perPage} schedules, and the total. */
    public CompletionStage<Page> list(String environmentId, int page, int perPage) {
        return Jdbc.async(
                executor,
                () -> Jdbc.withConnection(
                        dataSource,
                        connection -> new Page(
                                table.page(connection, environmentId, page, perPage),
                                table.count(connection, environmentId))));
    }
}
