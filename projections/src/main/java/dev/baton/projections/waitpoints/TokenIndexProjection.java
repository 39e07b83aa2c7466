package dev.baton.projections.waitpoints;

import akka.actor.typed.ActorSystem;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import akka.persistence.query.Offset;
import akka.projection.ProjectionId;
import akka.projection.eventsourced.EventEnvelope;
import akka.projection.eventsourced.javadsl.EventSourcedProvider;
import akka.projection.javadsl.GroupedProjection;
import akka.projection.javadsl.SourceProvider;
import akka.projection.jdbc.javadsl.JdbcProjection;
import dev.baton.engine.storage.Database;
import dev.baton.engine.waitpoint.WaitpointTokenEntity;
import dev.baton.projections.internal.DataSourceJdbcSession;
import dev.baton.projections.internal.IndexSweeper;
import dev.baton.projections.internal.ProjectionDaemons;
import dev.baton.projections.internal.SweptIndexSettings;
import java.time.Clock;

/**
 * The waitpoint token index on one node: its tables, the exactly-once JDBC projection that fills them from
 * every token event (one instance in the cluster), and the sweeper that wakes tokens whose timeout is near.
 * Why a projection rather than rows the entity writes after persisting: a write lost to a crash between the
 * persist and the write would leave a token that no list shows and no sweeper times out; the projection
 * stores its offset in the same transaction as the rows, so the index always catches up with the journal.
 * The price is a short lag (group-after-duration plus the read journal's refresh): a token just created
 * may take a moment to be listed, while retrieve, complete and the callback ask the entity and never lag.
 */
public final class TokenIndexProjection {

    public static final String NAME = "baton-waitpoint-index";
    public static final String SCHEMA_SCRIPT = "db/waitpoints-schema.sql";

    private TokenIndexProjection() {}

    /** Creates the tables (idempotently) and starts the projection and the sweeper somewhere in the cluster. */
    public static void init(ActorSystem<?> system, Database database, Clock clock) {
        database.runSchemaScript(SCHEMA_SCRIPT);
        SweptIndexSettings settings =
                SweptIndexSettings.fromConfig(system.settings().config(), "baton.projections.waitpoint-index");
        TokenTable table = new TokenTable(database.dialect());
        ProjectionDaemons.start(system, NAME, 1, index -> projection(system, database, table, settings));
        ClusterSharding sharding = ClusterSharding.get(system);
        IndexSweeper.init(
                system,
                "baton-waitpoint-sweeper",
                "waitpoint tokens near their timeout",
                database.dataSource(),
                table::timingOutBy,
                settings.sweeping(),
                clock,
                id -> sharding.entityRefFor(WaitpointTokenEntity.ENTITY_TYPE_KEY, id)
                        .tell(new WaitpointTokenEntity.Wake()));
    }

    public static ProjectionId projectionId() {
        return ProjectionId.of(NAME, WaitpointTokenEntity.TAG);
    }

    public static GroupedProjection<Offset, EventEnvelope<WaitpointTokenEntity.Event>> projection(
            ActorSystem<?> system, Database database, TokenTable table, SweptIndexSettings settings) {
        SourceProvider<Offset, EventEnvelope<WaitpointTokenEntity.Event>> events =
                EventSourcedProvider.eventsByTag(system, settings.readJournalPluginId(), WaitpointTokenEntity.TAG);
        return JdbcProjection.groupedWithin(
                        projectionId(),
                        events,
                        () -> new DataSourceJdbcSession(database.dataSource()),
                        () -> new TokenIndexHandler(table),
                        system)
                .withGroup(settings.groupAfterEnvelopes(), settings.groupAfterDuration());
    }
}
