package dev.baton.projections.runs;

import akka.actor.typed.ActorSystem;
import akka.persistence.query.Offset;
import akka.projection.ProjectionId;
import akka.projection.eventsourced.EventEnvelope;
import akka.projection.eventsourced.javadsl.EventSourcedProvider;
import akka.projection.javadsl.GroupedProjection;
import akka.projection.javadsl.SourceProvider;
import akka.projection.jdbc.javadsl.JdbcProjection;
import dev.baton.engine.run.RunEntity;
import dev.baton.engine.storage.Database;
import dev.baton.projections.internal.DataSourceJdbcSession;
import dev.baton.projections.internal.ProjectionDaemons;
import java.util.List;

/**
 * The run index: one exactly-once JDBC projection per run event tag, each run by a sharded daemon
 * process somewhere in the cluster. Rows and offset are written in one transaction per group.
 */
public final class RunIndexProjection {

    public static final String NAME = "baton-run-index";

    private RunIndexProjection() {}

    public static void init(ActorSystem<?> system, Database database, RunIndexSettings settings) {
        RunTable table = new RunTable(database.dialect());
        List<String> tags = settings.tags();
        ProjectionDaemons.start(
                system, NAME, tags.size(), index -> create(system, database, table, settings, tags.get(index)));
    }

    public static ProjectionId projectionId(String tag) {
        return ProjectionId.of(NAME, tag);
    }

    /** The projection of one tag's events (started by {@link #init}; tests may run it on its own). */
    public static GroupedProjection<Offset, EventEnvelope<RunEntity.Event>> create(
            ActorSystem<?> system, Database database, RunTable table, RunIndexSettings settings, String tag) {
        SourceProvider<Offset, EventEnvelope<RunEntity.Event>> events =
                EventSourcedProvider.eventsByTag(system, settings.readJournalPluginId(), tag);
        return create(system, database, table, settings, tag, events);
    }

    public static GroupedProjection<Offset, EventEnvelope<RunEntity.Event>> create(
            ActorSystem<?> system,
            Database database,
            RunTable table,
            RunIndexSettings settings,
            String tag,
            SourceProvider<Offset, EventEnvelope<RunEntity.Event>> events) {
        return JdbcProjection.groupedWithin(
                        projectionId(tag),
                        events,
                        () -> new DataSourceJdbcSession(database.dataSource()),
                        () -> new RunIndexHandler(tag, table, settings.wakeRules()),
                        system)
                .withGroup(settings.groupAfterEnvelopes(), settings.groupAfterDuration());
    }
}
