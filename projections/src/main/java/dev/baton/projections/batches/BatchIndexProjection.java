package dev.baton.projections.batches;

import akka.actor.typed.ActorSystem;
import akka.persistence.query.Offset;
import akka.projection.ProjectionId;
import akka.projection.eventsourced.EventEnvelope;
import akka.projection.eventsourced.javadsl.EventSourcedProvider;
import akka.projection.javadsl.GroupedProjection;
import akka.projection.javadsl.SourceProvider;
import akka.projection.jdbc.javadsl.JdbcProjection;
import com.typesafe.config.Config;
import dev.baton.engine.batch.BatchEntity;
import dev.baton.engine.storage.Database;
import dev.baton.projections.internal.DataSourceJdbcSession;
import dev.baton.projections.internal.ProjectionDaemons;

/**
 * The batch index on one node: its table and the exactly-once JDBC projection that fills it from every batch event
 * (one instance in the cluster). A projection rather than rows the entity writes, for the token index's reason: the
 * offset commits with the rows, so the index always catches up with the journal. A batch shows in the list, and its
 * counts change, within the projection's short lag; {@code GET /api/v2/batches/{id}} asks the entity and never lags.
 */
public final class BatchIndexProjection {

    public static final String NAME = "baton-batch-index";
    public static final String SCHEMA_SCRIPT = "db/batches-schema.sql";

    private BatchIndexProjection() {}

    /** Creates the table (idempotently) and starts the projection somewhere in the cluster. */
    public static void init(ActorSystem<?> system, Database database) {
        database.runSchemaScript(SCHEMA_SCRIPT);
        BatchTable table = new BatchTable(database.dialect());
        ProjectionDaemons.start(system, NAME, 1, index -> projection(system, database, table));
    }

    public static ProjectionId projectionId() {
        return ProjectionId.of(NAME, BatchEntity.TAG);
    }

    public static GroupedProjection<Offset, EventEnvelope<BatchEntity.Event>> projection(
            ActorSystem<?> system, Database database, BatchTable table) {
        Config root = system.settings().config();
        Config config = root.getConfig("baton.projections.batch-index");
        SourceProvider<Offset, EventEnvelope<BatchEntity.Event>> events = EventSourcedProvider.eventsByTag(
                system, root.getString("baton.engine.read-journal-plugin"), BatchEntity.TAG);
        return JdbcProjection.groupedWithin(
                        projectionId(),
                        events,
                        () -> new DataSourceJdbcSession(database.dataSource()),
                        () -> new BatchIndexHandler(table),
                        system)
                .withGroup(config.getInt("group-after-envelopes"), config.getDuration("group-after-duration"));
    }
}
