package dev.baton.projections.runs;

import static dev.baton.projections.runs.RunEvents.at;
import static dev.baton.projections.runs.RunEvents.attempt;
import static dev.baton.projections.runs.RunEvents.spec;
import static org.junit.jupiter.api.Assertions.assertEquals;

import akka.NotUsed;
import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.persistence.query.Offset;
import akka.persistence.query.Sequence;
import akka.projection.eventsourced.EventEnvelope;
import akka.projection.jdbc.javadsl.JdbcProjection;
import akka.projection.testkit.javadsl.ProjectionTestKit;
import akka.projection.testkit.javadsl.TestSourceProvider;
import akka.stream.javadsl.Source;
import com.typesafe.config.ConfigFactory;
import dev.baton.engine.run.RunEntity;
import dev.baton.engine.run.RunEntity.AttemptFailed;
import dev.baton.engine.run.RunEntity.AttemptLeased;
import dev.baton.engine.run.RunEntity.AttemptStarted;
import dev.baton.engine.run.RunEntity.Event;
import dev.baton.engine.run.RunEntity.RunEnqueued;
import dev.baton.engine.run.RunEntity.RunSucceeded;
import dev.baton.engine.run.RunEntity.RunTriggered;
import dev.baton.engine.run.RunEntity.TagsAdded;
import dev.baton.engine.run.RunStatus;
import dev.baton.engine.storage.Database;
import dev.baton.engine.testkit.TestDatabases;
import dev.baton.engine.worker.RunError;
import dev.baton.projections.ProjectionDatabases;
import dev.baton.projections.Projections;
import dev.baton.projections.internal.DataSourceJdbcSession;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The run index handler through a real JDBC projection (offsets in the same transaction) on H2 and
 * PostgreSQL, fed by a test source: rows match the fold of each run's events, whatever the grouping,
 * and replaying from offset 0 leaves the table identical.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RunIndexHandlerTest {

    private static final String TAG = "run-1";
    private static final RunIndexSettings SETTINGS = new RunIndexSettings(
            4,
            Duration.ofSeconds(30),
            "jdbc-read-journal",
            3,
            Duration.ofMillis(50),
            Duration.ofSeconds(10),
            Duration.ofSeconds(60),
            Duration.ofMinutes(10),
            Duration.ofSeconds(1),
            Duration.ofSeconds(5),
            1000,
            RunIndexSettings.SWEEPER_DISPATCHER);
    private static final RunError BOOM = new RunError("Error", "boom", null);

    private final Map<String, ActorTestKit> testKits = new LinkedHashMap<>();
    private final Map<String, Database> databases = new LinkedHashMap<>();

    @BeforeAll
    void start() {
        databases.put("h2", ProjectionDatabases.open(TestDatabases.freshH2("index")));
        databases.put("postgres", ProjectionDatabases.open(TestDatabases.freshPostgresSchema("index")));
        databases.forEach((name, database) -> testKits.put(
                name,
                ActorTestKit.create(
                        "RunIndexHandlerTest-" + name,
                        ConfigFactory.parseString("""
            akka.projection.jdbc.dialect = "%s-dialect"
            akka.projection.jdbc.blocking-jdbc-dispatcher.thread-pool-executor.fixed-pool-size = 4
            """.formatted(name)).withFallback(ConfigFactory.load()))));
    }

    @AfterAll
    void stop() {
        testKits.values().forEach(ActorTestKit::shutdownTestKit);
        databases.values().forEach(Database::close);
    }

    Stream<String> databaseNames() {
        return Stream.of("h2", "postgres");
    }

    /** Three runs' events, interleaved as the journal would hand them over. */
    private static List<EventEnvelope<Event>> journal(String prefix) {
        String a = prefix + "_a";
        String b = prefix + "_b";
        String c = prefix + "_c";
        List<Object[]> events = List.of(
                new Object[] {a, new RunTriggered(a, spec("env_1"), at(0))},
                new Object[] {b, new RunTriggered(b, spec("env_1", at(600), null, null), at(0))},
                new Object[] {a, new AttemptLeased(attempt(1, at(1)))},
                new Object[] {a, new AttemptStarted("att_1", at(2))},
                new Object[] {c, new RunTriggered(c, spec("env_2", null, Duration.ofSeconds(4), 30), at(2))},
                new Object[] {a, new AttemptFailed("att_1", BOOM, at(3), at(5), null)},
                new Object[] {c, new TagsAdded(List.of("x"), at(3))},
                new Object[] {a, new RunEnqueued(at(5))},
                new Object[] {c, new AttemptLeased(attempt(1, at(6)))},
                new Object[] {a, new AttemptLeased(attempt(2, at(6)))},
                new Object[] {c, new AttemptStarted("att_1", at(7))},
                new Object[] {a, new AttemptStarted("att_2", at(7))},
                new Object[] {a, new RunSucceeded("att_2", "{}", at(8), null)});
        Map<String, Long> sequenceNumbers = new LinkedHashMap<>();
        List<EventEnvelope<Event>> envelopes = new ArrayList<>();
        for (int i = 0; i < events.size(); i++) {
            String runId = (String) events.get(i)[0];
            long seqNr = sequenceNumbers.merge(runId, 1L, Long::sum);
            envelopes.add(EventEnvelope.create(
                    Offset.sequence(i + 1), RunEntity.persistenceId(runId).id(), seqNr, (Event) events.get(i)[1], 0L));
        }
        return envelopes;
    }

    private static Map<String, RunRow> expectedRows(List<EventEnvelope<Event>> envelopes) {
        Map<String, RunRow> rows = new LinkedHashMap<>();
        for (EventEnvelope<Event> envelope : envelopes) {
            String runId =
                    envelope.persistenceId().substring(envelope.persistenceId().indexOf('|') + 1);
            rows.put(runId, RunRow.apply(rows.get(runId), runId, TAG, envelope.event(), SETTINGS.wakeRules()));
        }
        return rows;
    }

    private void runProjection(String db, List<EventEnvelope<Event>> envelopes) {
        Database database = databases.get(db);
        ActorTestKit testKit = testKits.get(db);
        Source<EventEnvelope<Event>, NotUsed> source = Source.from(envelopes);
        TestSourceProvider<Offset, EventEnvelope<Event>> events =
                TestSourceProvider.create(source, EventEnvelope::offset);
        var projection = RunIndexProjection.create(
                testKit.system(), database, new RunTable(database.dialect()), SETTINGS, TAG, events);
        long last = ((Sequence) envelopes.get(envelopes.size() - 1).offset()).value();
        ProjectionTestKit.create(testKit.system())
                .run(
                        projection,
                        Duration.ofSeconds(20),
                        () -> assertEquals(last, storedOffset(database), "stored offset"));
    }

    private static long storedOffset(Database database) throws Exception {
        try (Connection connection = database.dataSource().getConnection();
                Statement statement = connection.createStatement();
                ResultSet result =
                        statement.executeQuery("SELECT \"current_offset\" FROM \"akka_projection_offset_store\""
                                + " WHERE \"projection_name\" = '" + RunIndexProjection.NAME
                                + "' AND \"projection_key\" = '" + TAG + "'")) {
            return result.next() ? Long.parseLong(result.getString(1)) : -1;
        }
    }

    private static Map<String, RunRow> rows(Database database, Iterable<String> runIds) throws Exception {
        List<String> ids = new ArrayList<>();
        runIds.forEach(ids::add);
        try (Connection connection = database.dataSource().getConnection()) {
            return new RunTable(database.dialect()).load(connection, ids);
        }
    }

    @ParameterizedTest
    @MethodSource("databaseNames")
    void rowsFollowTheEventsAndAReplayFromOffsetZeroChangesNothing(String db) throws Exception {
        Database database = databases.get(db);
        List<EventEnvelope<Event>> envelopes = journal("run_" + db);
        Map<String, RunRow> expected = expectedRows(envelopes);

        runProjection(db, envelopes);
        Map<String, RunRow> projected = rows(database, expected.keySet());
        assertEquals(expected, projected);
        assertEquals(RunStatus.COMPLETED, projected.get("run_" + db + "_a").status());
        assertEquals(null, projected.get("run_" + db + "_a").wakeAt());
        assertEquals(RunStatus.DELAYED, projected.get("run_" + db + "_b").status());
        assertEquals(at(600), projected.get("run_" + db + "_b").wakeAt());
        assertEquals(RunStatus.EXECUTING, projected.get("run_" + db + "_c").status());
        assertEquals(at(37), projected.get("run_" + db + "_c").wakeAt());

        try (Connection connection = database.dataSource().getConnection();
                Statement statement = connection.createStatement()) {
            statement.executeUpdate("DELETE FROM \"akka_projection_offset_store\"");
        }
        runProjection(db, envelopes);
        assertEquals(projected, rows(database, expected.keySet()));
    }

    @ParameterizedTest
    @MethodSource("databaseNames")
    void theSchemaIsIdempotentAndIsTheOneAkkaProjectionCreates(String db) throws Exception {
        Database database = databases.get(db);
        database.runSchemaScript(Projections.SCHEMA_SCRIPT);
        JdbcProjection.createTablesIfNotExists(
                        () -> new DataSourceJdbcSession(database.dataSource()),
                        testKits.get(db).system())
                .toCompletableFuture()
                .get(20, TimeUnit.SECONDS);
        try (Connection connection = database.dataSource().getConnection();
                Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery("SELECT count(*) FROM information_schema.tables"
                        + " WHERE lower(table_name) LIKE 'akka_projection%' AND table_schema = "
                        + (db.equals("h2") ? "'PUBLIC'" : "current_schema()"))) {
            result.next();
            assertEquals(2, result.getInt(1), "the offset store and management tables, not copies in another case");
        }
    }
}
