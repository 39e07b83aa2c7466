package dev.baton.projections;

import akka.actor.typed.ActorSystem;
import dev.baton.engine.storage.Database;
import dev.baton.projections.batches.BatchIndexProjection;
import dev.baton.projections.bulkactions.BulkActionIndexProjection;
import dev.baton.projections.clickhouse.ClickHouseAnalytics;
import dev.baton.projections.runs.RunIndexProjection;
import dev.baton.projections.runs.RunIndexSettings;
import dev.baton.projections.runs.RunIndexSweeper;
import dev.baton.projections.runs.RunTable;
import dev.baton.projections.schedules.ScheduleIndexProjection;
import dev.baton.projections.traces.TraceExport;
import dev.baton.projections.waitpoints.TokenIndexProjection;
import java.time.Clock;

/**
 * The projections on one node: creates their tables (idempotently, under the schema lock) and starts
 * the run index projection and the run sweepers, one per run event tag, spread over the cluster, then the
 * ClickHouse analytics and the token, schedule and batch indexes. Every index is named {@code XxxIndexProjection}
 * (starts it), {@code XxxIndexHandler} (the fold), {@code XxxTable} (its SQL) and {@code XxxList} (its query).
 */
public final class Projections {

    public static final String SCHEMA_SCRIPT = "db/projections-schema.sql";

    private Projections() {}

    public static void init(ActorSystem<?> system, Database database) {
        init(system, database, Clock.systemUTC());
    }

    public static void init(ActorSystem<?> system, Database database, Clock clock) {
        checkDialect(system, database);
        database.runSchemaScript(SCHEMA_SCRIPT);
        RunIndexSettings settings =
                RunIndexSettings.fromConfig(system.settings().config());
        RunTable table = new RunTable(database.dialect());
        RunIndexProjection.init(system, database, settings);
        RunIndexSweeper.init(system, database.dataSource(), table, settings, clock);
        ClickHouseAnalytics.init(system, database);
        TokenIndexProjection.init(system, database, clock);
        ScheduleIndexProjection.init(system, database, clock);
        BatchIndexProjection.init(system, database);
        BulkActionIndexProjection.init(system, database, clock);
        TraceExport.init(system, database);
    }

    /** akka-projection's offset store speaks the dialect of its configuration: it must be the database's. */
    private static void checkDialect(ActorSystem<?> system, Database database) {
        String expected = switch (database.dialect()) {
            case POSTGRES -> "postgres-dialect";
            case H2 -> "h2-dialect";
        };
        String configured = system.settings().config().getString("akka.projection.jdbc.dialect");
        if (!expected.equals(configured)) {
            throw new IllegalStateException("akka.projection.jdbc.dialect is \"" + configured + "\" but baton.db is "
                    + database.dialect() + ": set it to \"" + expected + "\"");
        }
    }
}
