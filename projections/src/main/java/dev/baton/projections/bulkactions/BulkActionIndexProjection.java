package dev.baton.projections.bulkactions;

import akka.actor.typed.ActorSystem;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import akka.persistence.query.Offset;
import akka.projection.ProjectionId;
import akka.projection.eventsourced.EventEnvelope;
import akka.projection.eventsourced.javadsl.EventSourcedProvider;
import akka.projection.javadsl.GroupedProjection;
import akka.projection.javadsl.SourceProvider;
import akka.projection.jdbc.javadsl.JdbcProjection;
import dev.baton.engine.bulk.BulkActionEntity;
import dev.baton.engine.bulk.BulkActions;
import dev.baton.engine.storage.Database;
import dev.baton.projections.internal.DataSourceJdbcSession;
import dev.baton.projections.internal.IndexSweeper;
import dev.baton.projections.internal.ProjectionDaemons;
import dev.baton.projections.internal.SweptIndexSettings;
import java.time.Clock;

/**
 * The bulk action index on one node: its table, the exactly-once JDBC projection that fills it from every bulk
 * action event (one instance in the cluster), and the sweeper that wakes every pending action, so an action whose
 * node stopped goes on wherever its entity starts again. A projection for the schedule index's reason: a lost write
 * would leave an action no list shows and no sweeper wakes.
 */
public final class BulkActionIndexProjection {

    public static final String NAME = "baton-bulk-action-index";
    public static final String SCHEMA_SCRIPT = "db/bulk-actions-schema.sql";

    private BulkActionIndexProjection() {}

    /** Creates the table (idempotently) and starts the projection and the sweeper somewhere in the cluster. */
    public static void init(ActorSystem<?> system, Database database, Clock clock) {
        database.runSchemaScript(SCHEMA_SCRIPT);
        SweptIndexSettings settings =
                SweptIndexSettings.fromConfig(system.settings().config(), "baton.projections.bulk-action-index");
        BulkActionTable table = new BulkActionTable(database.dialect());
        ProjectionDaemons.start(system, NAME, 1, index -> projection(system, database, table, settings));
        ClusterSharding sharding = ClusterSharding.get(system);
        IndexSweeper.init(
                system,
                "baton-bulk-action-sweeper",
                "pending bulk actions",
                database.dataSource(),
                table::pending,
                settings.sweeping(),
                clock,
                id -> BulkActions.wake(sharding, id));
    }

    public static ProjectionId projectionId() {
        return ProjectionId.of(NAME, BulkActionEntity.TAG);
    }

    public static GroupedProjection<Offset, EventEnvelope<BulkActionEntity.Event>> projection(
            ActorSystem<?> system, Database database, BulkActionTable table, SweptIndexSettings settings) {
        SourceProvider<Offset, EventEnvelope<BulkActionEntity.Event>> events =
                EventSourcedProvider.eventsByTag(system, settings.readJournalPluginId(), BulkActionEntity.TAG);
        return JdbcProjection.groupedWithin(
                        projectionId(),
                        events,
                        () -> new DataSourceJdbcSession(database.dataSource()),
                        () -> new BulkActionIndexHandler(table),
                        system)
                .withGroup(settings.groupAfterEnvelopes(), settings.groupAfterDuration());
    }
}
