package dev.baton.projections.clickhouse;

import static org.junit.jupiter.api.Assertions.assertEquals;

import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.persistence.query.PersistenceQuery;
import akka.persistence.query.javadsl.CurrentEventsByPersistenceIdQuery;
import akka.projection.eventsourced.EventEnvelope;
import akka.projection.javadsl.ProjectionManagement;
import com.typesafe.config.Config;
import dev.baton.engine.run.RunEntity;
import dev.baton.engine.run.RunState;
import dev.baton.engine.task.RetryPolicy;
import dev.baton.engine.testkit.TestDatabases;
import dev.baton.engine.worker.WorkerChannel;
import dev.baton.projections.RunDriver;
import dev.baton.projections.TestCluster;
import dev.baton.projections.traces.RunHistory;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The ClickHouse projection on a real node (PostgreSQL journal, real run entities): run_events holds exactly
 * the journal's events per type, runs holds each entity's status, replaying every tag from offset 0 changes no
 * count (FINAL or raw) and no task statistic, and a handler with nothing cached reads the journal and writes
 * the same rows as the one that saw every event.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class) // the second test adds a run the first one's counts exclude
class ClickHouseProjectionEndToEndTest {

    private static final String ENV = "env_ch";

    private static String url;
    private static TestCluster node;
    private static ClickHouseTestServer.Store server;
    private static ClickHouseStore store;

    @BeforeAll
    static void start() {
        url = ClickHouseTestServer.find();
        if (url == null) return;
        String database = ClickHouseTestServer.freshDatabase("baton_e2e");
        Config config = TestCluster.postgresConfig(
                TestDatabases.freshPostgresSchema("clickhouse_e2e"), """
        baton.clickhouse.url = "%s"
        baton.clickhouse.database = "%s"
        baton.clickhouse.group-after-duration = 100ms
        baton.clickhouse.restart-backoff.min = 200ms
        baton.clickhouse.restart-backoff.max = 1s
        baton.projections.run-index.recheck = 1h
        baton.engine.run.lease-timeout = 5m
        """.formatted(url, database));
        node = TestCluster.start("ClickHouseProjectionEndToEndTest", config);
        server = ClickHouseTestServer.store(url, database);
        store = server.store();
    }

    @BeforeEach
    void requireClickHouse() {
        ClickHouseTestServer.requireServer(url);
    }

    @AfterAll
    static void stop() {
        if (node != null) node.close();
        if (server != null) {
            server.dropDatabase();
            server.close();
        }
    }

    /** Event type → count of the run events in the journal. */
    static Map<String, Long> journalCounts(TestCluster cluster) throws Exception {
        Map<String, Long> counts = new TreeMap<>();
        try (Connection connection = cluster.database().dataSource().getConnection();
                Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery("SELECT event_ser_manifest, count(*) FROM event_journal"
                        + " WHERE persistence_id LIKE 'Run|%' GROUP BY event_ser_manifest")) {
            while (result.next()) {
                String manifest = result.getString(1);
                counts.put(manifest.substring(manifest.lastIndexOf('$') + 1), result.getLong(2));
            }
        }
        return counts;
    }

    /** Event type → count of rows in run_events, FINAL (or raw). */
    static Map<String, Long> clickHouseCounts(ClickHouseStore store, boolean fin) {
        Map<String, Long> counts = new TreeMap<>();
        store.select("SELECT event_type, count() AS events FROM run_events" + (fin ? " FINAL" : "")
                        + " GROUP BY event_type")
                .rows()
                .forEach(row -> counts.put(row.get(0), Long.parseLong(row.get(1))));
        return counts;
    }

    /** Tag → the journal position (event_id) of its last event: what a caught-up projection stores as offset. */
    private static Map<String, Long> lastTaggedEvents() throws Exception {
        Map<String, Long> last = new TreeMap<>();
        try (Connection connection = node.database().dataSource().getConnection();
                Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery("SELECT tag, max(event_id) FROM event_tag GROUP BY tag")) {
            while (result.next()) {
                if (store.settings().tags().contains(result.getString(1)))
                    last.put(result.getString(1), result.getLong(2));
            }
        }
        return last;
    }

    private static Map<String, long[]> offsets() throws Exception {
        Map<String, long[]> offsets = new TreeMap<>();
        try (Connection connection = node.database().dataSource().getConnection();
                Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery("SELECT projection_key, current_offset, last_updated"
                        + " FROM akka_projection_offset_store WHERE projection_name = '" + ClickHouseAnalytics.NAME
                        + "'")) {
            while (result.next()) {
                offsets.put(result.getString(1), new long[] {Long.parseLong(result.getString(2)), result.getLong(3)});
            }
        }
        return offsets;
    }

    private static Map<String, RunState> driveRuns() {
        RunDriver runs = new RunDriver(node.system());
        TestProbe<WorkerChannel.Message> worker = node.testKit().createTestProbe();
        RetryPolicy quickRetry = new RetryPolicy(2, 1.0, 10, 10, false);
        Map<String, RunState> expected = new LinkedHashMap<>();
        runs.trigger("ch_queued", RunDriver.spec(ENV));
        runs.trigger(
                "ch_delayed",
                RunDriver.spec(ENV, RetryPolicy.DEFAULT, Instant.now().plusSeconds(3600), null, null));
        runs.reschedule("ch_delayed", Instant.now().plusSeconds(7200));
        for (int i = 0; i < 6; i++) {
            String runId = "ch_done_" + i;
            runs.trigger(runId, RunDriver.spec(ENV));
            String attempt = runs.lease(runId, worker.ref());
            runs.start(runId, attempt);
            runs.complete(runId, attempt);
        }
        runs.trigger("ch_retried", RunDriver.spec(ENV, quickRetry, null, null, null));
        String attempt = runs.lease("ch_retried", worker.ref());
        runs.start("ch_retried", attempt);
        runs.fail("ch_retried", attempt);
        TestCluster.await(
                () -> runs.get("ch_retried").status() == dev.baton.engine.run.RunStatus.QUEUED,
                Duration.ofSeconds(10),
                "the retry to be queued");
        attempt = runs.lease("ch_retried", worker.ref());
        runs.start("ch_retried", attempt);
        runs.fail("ch_retried", attempt);
        runs.trigger("ch_canceled", RunDriver.spec(ENV));
        runs.addTags("ch_canceled", List.of("vip"));
        runs.cancel("ch_canceled");
        for (String runId : List.of("ch_queued", "ch_delayed", "ch_done_0", "ch_done_5", "ch_retried", "ch_canceled")) {
            expected.put(runId, runs.get(runId));
        }
        return expected;
    }

    @Test
    @Order(1)
    void everyJournalEventIsOneRowAndAReplayFromOffsetZeroChangesNoCount() throws Exception {
        Map<String, RunState> expected = driveRuns();
        TestCluster.await(
                () -> clickHouseCounts(store, true).equals(journalCounts(node)),
                Duration.ofSeconds(60),
                "run_events to hold every journal event");
        Map<String, Long> journal = journalCounts(node);
        assertEquals(6L, journal.get("RunSucceeded"));
        assertEquals(2L, journal.get("AttemptFailed"));
        for (RunState state : expected.values()) {
            TestCluster.await(
                    () -> state.status()
                            .name()
                            .equals(store.select(
                                            "SELECT status FROM runs FINAL" + " WHERE run_id = '" + state.runId() + "'")
                                    .single()),
                    Duration.ofSeconds(30),
                    "runs to show " + state);
        }
        assertEquals(
                "2",
                store.select("SELECT attempt_count FROM runs FINAL WHERE run_id = 'ch_retried'")
                        .single());
        assertEquals(
                "vip",
                store.select("SELECT arrayStringConcat(tags, ',') FROM runs FINAL WHERE run_id = 'ch_canceled'")
                        .single());

        String stats = "SELECT env_id, task_id, uniqExactMerge(runs) AS finished, uniqExactIfMerge(failures) AS failed,"
                + " quantilesIfMerge(0.5, 0.95, 0.99)(duration_ms_quantiles) AS q FROM task_stats GROUP BY env_id, "
                + "task_id";
        QueryResult statsBefore = store.select(stats);
        assertEquals(List.of(ENV, "task-a", "8", "1"), statsBefore.rows().get(0).subList(0, 4));
        Map<String, Long> finalBefore = clickHouseCounts(store, true);
        Map<String, Long> rawBefore = clickHouseCounts(store, false);
        String runsBefore = store.select("SELECT count() FROM runs FINAL").single();
        // The offset is stored after ClickHouse acknowledged the group's rows: wait for the last one of each tag.
        Map<String, Long> lastTagged = lastTaggedEvents();
        assertEquals(4, lastTagged.size(), "every tag has events");
        TestCluster.await(
                () -> {
                    Map<String, long[]> stored = offsets();
                    return lastTagged.entrySet().stream()
                            .allMatch(entry -> stored.get(entry.getKey()) != null
                                    && stored.get(entry.getKey())[0] == entry.getValue());
                },
                Duration.ofSeconds(30),
                "every tag's offset stored at its last event");
        Map<String, long[]> offsetsBefore = offsets();
        assertEquals(4, offsetsBefore.size(), "every tag's projection stored an offset");

        ProjectionManagement management = ProjectionManagement.get(node.system());
        for (String tag : store.settings().tags()) {
            management
                    .clearOffset(ClickHouseAnalytics.projectionId(tag))
                    .toCompletableFuture()
                    .get(30, TimeUnit.SECONDS);
        }
        TestCluster.await(
                () -> {
                    Map<String, long[]> now = offsets();
                    return now.size() == offsetsBefore.size()
                            && offsetsBefore.entrySet().stream()
                                    .allMatch(entry -> now.get(entry.getKey()) != null
                                            && now.get(entry.getKey())[0] == entry.getValue()[0]
                                            && now.get(entry.getKey())[1] > entry.getValue()[1]);
                },
                Duration.ofSeconds(60),
                "every tag replayed from offset 0 up to where it was");

        assertEquals(finalBefore, clickHouseCounts(store, true));
        assertEquals(rawBefore, clickHouseCounts(store, false), "a replay sends no event row again");
        assertEquals(runsBefore, store.select("SELECT count() FROM runs FINAL").single());
        assertEquals(statsBefore, store.select(stats));
    }

    @Test
    @Order(2)
    void aHandlerWithNothingCachedReadsTheJournalAndWritesTheSameRows() throws Exception {
        String runId = "ch_cold";
        RunDriver runs = new RunDriver(node.system());
        TestProbe<WorkerChannel.Message> worker = node.testKit().createTestProbe();
        runs.trigger(runId, RunDriver.spec(ENV));
        runs.addTags(runId, List.of("cold"));
        String attempt = runs.lease(runId, worker.ref());
        runs.start(runId, attempt);
        runs.complete(runId, attempt); // the attempt is journaled with its outcome: events 1-3
        String columns = String.join(", ", RunEventRow.COLUMNS).replace("tags", "arrayStringConcat(tags, ',') AS tags");
        String rowsOf = "SELECT " + columns + " FROM %s.run_events FINAL WHERE run_id = '" + runId
                + "' AND seq_nr >= 2 ORDER BY seq_nr";
        TestCluster.await(
                () -> store.select(rowsOf.formatted(store.database())).rows().size() == 2,
                Duration.ofSeconds(30),
                "the projection to write the run");

        String coldDatabase = store.database() + "_cold";
        var executor = Executors.newFixedThreadPool(2);
        try (ClickHouseStore cold = new ClickHouseStore(store.settings().withDatabase(coldDatabase), executor)) {
            cold.ensureSchema().toCompletableFuture().get(30, TimeUnit.SECONDS);
            CurrentEventsByPersistenceIdQuery query = PersistenceQuery.get(node.system())
                    .getReadJournalFor(CurrentEventsByPersistenceIdQuery.class, "jdbc-read-journal");
            List<EventEnvelope<RunEntity.Event>> fromSecond = query.currentEventsByPersistenceId(
                            RunEntity.persistenceId(runId).id(), 2, Long.MAX_VALUE)
                    .map(e -> EventEnvelope.create(
                            e.offset(), e.persistenceId(), e.sequenceNr(), (RunEntity.Event) e.event(), e.timestamp()))
                    .runWith(akka.stream.javadsl.Sink.seq(), node.system())
                    .toCompletableFuture()
                    .get(30, TimeUnit.SECONDS);
            assertEquals(2, fromSecond.size());
            int[] journalReads = {0};
            RunJournal real = RunJournal.of(node.system(), "jdbc-read-journal");
            RunJournal counting = (persistenceId, seqNr) -> {
                journalReads[0]++;
                return real.factsBefore(persistenceId, seqNr);
            };
            new ClickHouseHandler(
                            "run-x",
                            cold,
                            counting,
                            RunHistory.fromJournal(node.system(), "jdbc-read-journal"),
                            new RunFactsCache(10))
                    .process(fromSecond)
                    .toCompletableFuture()
                    .get(30, TimeUnit.SECONDS);
            assertEquals(1, journalReads[0], "one journal read, for the first event");
            assertEquals(
                    store.select(rowsOf.formatted(store.database())), store.select(rowsOf.formatted(coldDatabase)));
            cold.execute("DROP DATABASE IF EXISTS " + coldDatabase, null);
        } finally {
            executor.shutdownNow();
        }
    }
}
