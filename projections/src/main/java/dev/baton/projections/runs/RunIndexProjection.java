package dev.baton.projections.runs;

import akka.actor.typed.ActorSystem;
import akka.cluster.sharding.typed.ShardedDaemonProcessSettings;
import akka.cluster.sharding.typed.javadsl.ShardedDaemonProcess;
import akka.persistence.query.Offset;
import akka.projection.ProjectionBehavior;
import akka.projection.ProjectionId;
import akka.projection.eventsourced.EventEnvelope;
import akka.projection.eventsourced.javadsl.EventSourcedProvider;
import akka.projection.javadsl.GroupedProjection;
import akka.projection.javadsl.SourceProvider;
import akka.projection.jdbc.javadsl.JdbcProjection;
import dev.baton.engine.run.RunEntity;
import dev.baton.engine.storage.Database;
import dev.baton.projections.internal.DataSourceJdbcSession;
import java.util.List;
import java.util.Optional;

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
        ShardedDaemonProcess.get(system)
                .init(
                        ProjectionBehavior.Command.class,
                        NAME,
                        tags.size(),
                        index -> ProjectionBehavior.create(create(system, database, table, settings, tags.get(index))),
                        ShardedDaemonProcessSettings.create(system),
                        Optional.of(ProjectionBehavior.stopMessage()));
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
