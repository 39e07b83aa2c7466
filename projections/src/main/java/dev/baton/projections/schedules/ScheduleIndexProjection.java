package dev.baton.projections.schedules;

import akka.actor.typed.ActorSystem;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import akka.persistence.query.Offset;
import akka.projection.ProjectionId;
import akka.projection.eventsourced.EventEnvelope;
import akka.projection.eventsourced.javadsl.EventSourcedProvider;
import akka.projection.javadsl.GroupedProjection;
import akka.projection.javadsl.SourceProvider;
import akka.projection.jdbc.javadsl.JdbcProjection;
import dev.baton.engine.schedule.ScheduleEntity;
import dev.baton.engine.storage.Database;
import dev.baton.projections.internal.DataSourceJdbcSession;
import dev.baton.projections.internal.IndexSweeper;
import dev.baton.projections.internal.ProjectionDaemons;
import dev.baton.projections.internal.SweptIndexSettings;
import java.time.Clock;

/**
 * The schedule index on one node: its table, the exactly-once JDBC projection that fills it from every
 * schedule event (one instance in the cluster: schedules change rarely), and the sweeper that wakes due
 * schedules. Why a projection rather than a table the entity writes after persisting: a write lost to a
 * crash between the persist and the write would leave a schedule that no list shows and no sweeper
 * wakes; the projection writes its offset in the same transaction, so the table always catches up.
 */
public final class ScheduleIndexProjection {

    public static final String NAME = "baton-schedule-index";
    public static final String SCHEMA_SCRIPT = "db/schedules-schema.sql";

    private ScheduleIndexProjection() {}

    /** Creates the table (idempotently) and starts the projection and the sweeper somewhere in the cluster. */
    public static void init(ActorSystem<?> system, Database database, Clock clock) {
        database.runSchemaScript(SCHEMA_SCRIPT);
        SweptIndexSettings settings =
                SweptIndexSettings.fromConfig(system.settings().config(), "baton.projections.schedule-index");
        ScheduleTable table = new ScheduleTable(database.dialect());
        ProjectionDaemons.start(system, NAME, 1, index -> projection(system, database, table, settings));
        ClusterSharding sharding = ClusterSharding.get(system);
        IndexSweeper.init(
                system,
                "baton-schedule-sweeper",
                "due schedules",
                database.dataSource(),
                table::dueBy,
                settings.sweeping(),
                clock,
                id -> sharding.entityRefFor(ScheduleEntity.ENTITY_TYPE_KEY, id).tell(new ScheduleEntity.Wake()));
    }

    public static ProjectionId projectionId() {
        return ProjectionId.of(NAME, ScheduleEntity.TAG);
    }

    public static GroupedProjection<Offset, EventEnvelope<ScheduleEntity.Event>> projection(
            ActorSystem<?> system, Database database, ScheduleTable table, SweptIndexSettings settings) {
        SourceProvider<Offset, EventEnvelope<ScheduleEntity.Event>> events =
                EventSourcedProvider.eventsByTag(system, settings.readJournalPluginId(), ScheduleEntity.TAG);
        return JdbcProjection.groupedWithin(
                        projectionId(),
                        events,
                        () -> new DataSourceJdbcSession(database.dataSource()),
                        () -> new ScheduleIndexHandler(table),
                        system)
                .withGroup(settings.groupAfterEnvelopes(), settings.groupAfterDuration());
    }
}
