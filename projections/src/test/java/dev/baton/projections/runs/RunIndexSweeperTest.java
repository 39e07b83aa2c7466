package dev.baton.projections.runs;

import static dev.baton.projections.runs.RunEvents.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import akka.actor.typed.receptionist.Receptionist;
import dev.baton.engine.dispatch.RunSweep;
import dev.baton.engine.run.RunStatus;
import dev.baton.engine.storage.Database;
import dev.baton.engine.testkit.MutableClock;
import dev.baton.engine.testkit.TestDatabases;
import dev.baton.projections.ProjectionDatabases;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The sweeper against rows of the run index on H2 and PostgreSQL, with a recording waker and a hand-moved clock. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RunIndexSweeperTest {

    private static final Duration RECHECK = Duration.ofSeconds(10);
    private static final RunIndexSettings SETTINGS = new RunIndexSettings(
            4,
            Duration.ofSeconds(30),
            "jdbc-read-journal",
            500,
            Duration.ofMillis(250),
            RECHECK,
            Duration.ofSeconds(60),
            Duration.ofMinutes(10),
            Duration.ofMillis(100),
            Duration.ZERO,
            3,
            RunIndexSettings.SWEEPER_DISPATCHER);
    private static final Duration NO_MORE = Duration.ofMillis(500);

    private ActorTestKit testKit;
    private final Map<String, Database> databases = new LinkedHashMap<>();

    @BeforeAll
    void start() {
        testKit = ActorTestKit.create("RunIndexSweeperTest");
        databases.put("h2", ProjectionDatabases.open(TestDatabases.freshH2("sweeper")));
        databases.put("postgres", ProjectionDatabases.open(TestDatabases.freshPostgresSchema("sweeper")));
    }

    @AfterAll
    void stop() {
        testKit.shutdownTestKit();
        databases.values().forEach(Database::close);
    }

    Stream<String> databaseNames() {
        return Stream.of("h2", "postgres");
    }

    private static RunRow row(
            String runId, String environmentId, String tag, RunStatus status, Instant wakeAt, int wakeCount) {
        return row(runId, environmentId, tag, status, wakeAt, wakeCount, T0);
    }

    private static RunRow row(
            String runId,
            String environmentId,
            String tag,
            RunStatus status,
            Instant wakeAt,
            int wakeCount,
            Instant createdAt) {
        return new RunRow(
                runId,
                environmentId,
                "task-a",
                "task/task-a",
                null,
                status,
                tag,
                0,
                null,
                null,
                createdAt,
                createdAt,
                wakeAt,
                wakeCount,
                RunRow.Details.none());
    }

    private static void insert(Database database, RunRow... rows) throws Exception {
        try (Connection connection = database.dataSource().getConnection()) {
            new RunTable(database.dialect()).upsert(connection, List.of(rows));
        }
    }

    private static RunRow read(Database database, String runId) throws Exception {
        try (Connection connection = database.dataSource().getConnection()) {
            return new RunTable(database.dialect()).find(connection, runId).orElseThrow();
        }
    }

    private ActorRef<RunIndexSweeper.Command> sweeper(
            Database database, String tag, MutableClock clock, TestProbe<String> woken) {
        return sweeper(database, tag, SETTINGS, clock, woken, runId -> CompletableFuture.completedFuture(null));
    }

    /** @param answered when a run woken by an environment's sweep answers */
    private ActorRef<RunIndexSweeper.Command> sweeper(
            Database database,
            String tag,
            RunIndexSettings settings,
            MutableClock clock,
            TestProbe<String> woken,
            Function<String, CompletionStage<?>> answered) {
        return testKit.spawn(RunIndexSweeper.create(
                tag,
                database.dataSource(),
                new RunTable(database.dialect()),
                settings,
                clock,
                woken.ref()::tell,
                runId -> {
                    woken.ref().tell(runId);
                    return answered.apply(runId);
                }));
    }

    @ParameterizedTest
    @MethodSource("databaseNames")
    void wakesDueRunsEarliestFirstAndBacksOffTheirNextWake(String db) throws Exception {
        Database database = databases.get(db);
        Instant now = T0.plusSeconds(1000);
        insert(
                database,
                row("due-1", "env", "run-0", RunStatus.QUEUED, now.minusSeconds(30), 0),
                row("due-2", "env", "run-0", RunStatus.RETRYING, now.minusSeconds(20), 2),
                row("due-3", "env", "run-0", RunStatus.EXECUTING, now.minusSeconds(10), 5),
                row("due-4", "env", "run-0", RunStatus.DELAYED, now, 0),
                row("later", "env", "run-0", RunStatus.QUEUED, now.plusSeconds(5), 0),
                row("done", "env", "run-0", RunStatus.COMPLETED, null, 0),
                row("other-tag", "env", "run-1", RunStatus.QUEUED, now.minusSeconds(60), 0));
        MutableClock clock = new MutableClock(now);
        TestProbe<String> woken = testKit.createTestProbe();
        ActorRef<RunIndexSweeper.Command> sweeper = sweeper(database, "run-0", clock, woken);

        // At most sweep-batch (3) per sweep, earliest first; the fourth comes with the next sweep.
        assertEquals(List.of("due-1", "due-2", "due-3", "due-4"), woken.receiveSeveralMessages(4));
        woken.expectNoMessage(NO_MORE);
        assertEquals(now.plusSeconds(10), read(database, "due-1").wakeAt());
        assertEquals(1, read(database, "due-1").wakeCount());
        assertEquals(now.plusSeconds(40), read(database, "due-2").wakeAt());
        assertEquals(3, read(database, "due-2").wakeCount());
        assertEquals(now.plusSeconds(60), read(database, "due-3").wakeAt(), "capped at max-recheck");
        assertEquals(now.minusSeconds(60), read(database, "other-tag").wakeAt(), "another sweeper's row");

        clock.advance(Duration.ofSeconds(11));
        assertEquals(Set.of("due-1", "due-4", "later"), new HashSet<>(woken.receiveSeveralMessages(3)));
        woken.expectNoMessage(NO_MORE);
        assertEquals(now.plusSeconds(11 + 20), read(database, "due-1").wakeAt());
        assertEquals(2, read(database, "due-1").wakeCount());
        testKit.stop(sweeper);
    }

    @ParameterizedTest
    @MethodSource("databaseNames")
    void aQueuedRunIsRecheckedUpToMaxQueuedRecheckApart(String db) throws Exception {
        Database database = databases.get(db);
        Instant now = T0.plusSeconds(5000);
        insert(
                database,
                row("queued", "env", "run-3", RunStatus.QUEUED, now.minusSeconds(1), 7),
                row("executing", "env", "run-3", RunStatus.EXECUTING, now.minusSeconds(1), 7));
        TestProbe<String> woken = testKit.createTestProbe();
        ActorRef<RunIndexSweeper.Command> sweeper = sweeper(database, "run-3", new MutableClock(now), woken);

        assertEquals(Set.of("queued", "executing"), new HashSet<>(woken.receiveSeveralMessages(2)));
        woken.expectNoMessage(NO_MORE);
        // Each wake starts a queued run out of memory from its journal, while its dispatcher holds its place.
        assertEquals(
                now.plus(SETTINGS.maxQueuedRecheck()), read(database, "queued").wakeAt());
        assertEquals(
                now.plus(SETTINGS.maxRecheck()), read(database, "executing").wakeAt());
        testKit.stop(sweeper);
    }

    @ParameterizedTest
    @MethodSource("databaseNames")
    void wakesRunsDueWithinWakeAheadAndRechecksThemABackoffAfterTheirTime(String db) throws Exception {
        Database database = databases.get(db);
        Instant now = T0.plusSeconds(4000);
        insert(
                database,
                row("overdue", "env", "run-9", RunStatus.RETRYING, now.minusSeconds(3), 0),
                row("soon", "env", "run-9", RunStatus.DELAYED, now.plusSeconds(4), 0),
                row("beyond", "env", "run-9", RunStatus.DELAYED, now.plusSeconds(6), 0));
        RunIndexSettings ahead = new RunIndexSettings(
                SETTINGS.tagCount(),
                SETTINGS.leaseTimeout(),
                SETTINGS.readJournalPluginId(),
                SETTINGS.groupAfterEnvelopes(),
                SETTINGS.groupAfterDuration(),
                SETTINGS.recheck(),
                SETTINGS.maxRecheck(),
                SETTINGS.maxQueuedRecheck(),
                SETTINGS.sweepInterval(),
                Duration.ofSeconds(5),
                SETTINGS.sweepBatch(),
                SETTINGS.sweeperDispatcher());
        MutableClock clock = new MutableClock(now);
        TestProbe<String> woken = testKit.createTestProbe();
        ActorRef<RunIndexSweeper.Command> sweeper =
                sweeper(database, "run-9", ahead, clock, woken, runId -> CompletableFuture.completedFuture(null));

        assertEquals(List.of("overdue", "soon"), woken.receiveSeveralMessages(2));
        woken.expectNoMessage(NO_MORE);
        assertEquals(now.plus(RECHECK), read(database, "overdue").wakeAt());
        // Woken ahead, the run is looked at again a backoff after it was due, not after it was woken.
        assertEquals(now.plusSeconds(4).plus(RECHECK), read(database, "soon").wakeAt());
        assertEquals(now.plusSeconds(6), read(database, "beyond").wakeAt());

        clock.advance(Duration.ofSeconds(2));
        assertEquals(List.of("beyond"), woken.receiveSeveralMessages(1));
        woken.expectNoMessage(NO_MORE);
        testKit.stop(sweeper);
    }

    @ParameterizedTest
    @MethodSource("databaseNames")
    void aWakeTimeWrittenAfterTheSweepReadItWins(String db) throws Exception {
        Database database = databases.get(db);
        RunTable table = new RunTable(database.dialect());
        Instant now = T0.plusSeconds(2000);
        insert(database, row("raced", "env", "run-2", RunStatus.QUEUED, now.minusSeconds(1), 2));
        try (Connection connection = database.dataSource().getConnection()) {
            List<RunTable.Due> due = table.due(connection, "run-2", now, 10);
            assertEquals(1, due.size());
            // The projection writes the run's newer event between the sweeper's read and its update.
            insert(database, row("raced", "env", "run-2", RunStatus.DEQUEUED, now.plusSeconds(45), 0));
            assertEquals(0, table.postpone(connection, due, run -> now.plusSeconds(999)));
        }
        RunRow row = read(database, "raced");
        assertEquals(RunStatus.DEQUEUED, row.status());
        assertEquals(now.plusSeconds(45), row.wakeAt());
        assertEquals(0, row.wakeCount());
    }

    @ParameterizedTest
    @MethodSource("databaseNames")
    void sweepEnvironmentWakesThatEnvironmentsUnfinishedRunsOnly(String db) throws Exception {
        Database database = databases.get(db);
        String env = "env_a_" + db;
        Instant now = T0.plusSeconds(3000);
        Instant far = now.plus(Duration.ofHours(1));
        insert(
                database,
                row("a-queued", env, "run-3", RunStatus.QUEUED, far, 0),
                row("a-executing", env, "run-3", RunStatus.EXECUTING, far, 1),
                row("a-retrying", env, "run-3", RunStatus.RETRYING, far, 0),
                row("a-completed", env, "run-3", RunStatus.COMPLETED, null, 0),
                row("a-canceled", env, "run-3", RunStatus.CANCELED, null, 0),
                row("b-queued", "env_b_" + db, "run-3", RunStatus.QUEUED, far, 0),
                row("a-other-tag", env, "run-0", RunStatus.QUEUED, far, 0));
        TestProbe<String> woken = testKit.createTestProbe();
        ActorRef<RunIndexSweeper.Command> sweeper = sweeper(database, "run-3", new MutableClock(now), woken);

        askToSweep(env);

        assertEquals(Set.of("a-queued", "a-executing", "a-retrying"), new HashSet<>(woken.receiveSeveralMessages(3)));
        woken.expectNoMessage(NO_MORE);
        assertEquals(far, read(database, "a-queued").wakeAt());
        assertEquals(1, read(database, "a-executing").wakeCount());
        testKit.stop(sweeper);
    }

    /**
     * A backlog woken at once started every queued entity together (each from its journal): the environment's runs
     * come a page (sweep-batch) at a time, oldest first, each once, also when finished ones lie between them.
     */
    @ParameterizedTest
    @MethodSource("databaseNames")
    void sweepEnvironmentWakesItsRunsOldestFirstAPageATime(String db) throws Exception {
        Database database = databases.get(db);
        String env = "env_paged_" + db;
        Instant now = T0.plusSeconds(4000);
        Instant far = now.plus(Duration.ofHours(1));
        // Created in the order 7, 6, ..., 1, and two at the same time (ordered by id then); one finished between.
        List<RunRow> rows = new ArrayList<>();
        for (int index = 1; index <= 7; index++)
            rows.add(row("r" + index, env, "run-2", RunStatus.QUEUED, far, 0, T0.minusSeconds(index)));
        rows.add(row("r0", env, "run-2", RunStatus.QUEUED, far, 0, T0.minusSeconds(1)));
        rows.add(row("done", env, "run-2", RunStatus.COMPLETED, null, 0, T0.minusSeconds(4)));
        insert(database, rows.toArray(RunRow[]::new));
        TestProbe<String> woken = testKit.createTestProbe();
        ActorRef<RunIndexSweeper.Command> sweeper = sweeper(database, "run-2", new MutableClock(now), woken);

        askToSweep(env);

        assertEquals(List.of("r7", "r6", "r5", "r4", "r3", "r2", "r0", "r1"), woken.receiveSeveralMessages(8));
        woken.expectNoMessage(NO_MORE);
        testKit.stop(sweeper);
    }

    /** Each page's runs start from their journals: the next page waits until they have answered. */
    @ParameterizedTest
    @MethodSource("databaseNames")
    void sweepEnvironmentWakesThePageAfterTheLastOnesRunsAnswered(String db) throws Exception {
        Database database = databases.get(db);
        String env = "env_answers_" + db;
        Instant far = T0.plus(Duration.ofHours(5));
        List<RunRow> rows = new ArrayList<>();
        for (int index = 1; index <= 5; index++)
            rows.add(row("t" + index, env, "run-1", RunStatus.QUEUED, far, 0, T0.plusSeconds(index)));
        insert(database, rows.toArray(RunRow[]::new));
        CompletableFuture<Void> lastAnswer = new CompletableFuture<>();
        TestProbe<String> woken = testKit.createTestProbe();
        ActorRef<RunIndexSweeper.Command> sweeper = sweeper(
                database,
                "run-1",
                SETTINGS,
                new MutableClock(T0),
                woken,
                runId -> runId.equals("t3") ? lastAnswer : CompletableFuture.completedFuture(null));

        askToSweep(env);

        assertEquals(List.of("t1", "t2", "t3"), woken.receiveSeveralMessages(3));
        woken.expectNoMessage(NO_MORE); // ticks come every 100 ms meanwhile
        lastAnswer.complete(null);
        assertEquals(List.of("t4", "t5"), woken.receiveSeveralMessages(2));
        woken.expectNoMessage(NO_MORE);
        testKit.stop(sweeper);
    }

    /** As a dispatcher that starts empty does: every sweeper registered under the service key is asked. */
    private void askToSweep(String environmentId) {
        TestProbe<Receptionist.Listing> listings = testKit.createTestProbe();
        Set<ActorRef<RunSweep.Request>> sweepers = new HashSet<>();
        listings.awaitAssert(() -> {
            testKit.system().receptionist().tell(Receptionist.find(RunSweep.SERVICE_KEY, listings.ref()));
            sweepers.clear();
            sweepers.addAll(listings.receiveMessage().getServiceInstances(RunSweep.SERVICE_KEY));
            assertTrue(!sweepers.isEmpty());
            return null;
        });
        sweepers.forEach(ref -> ref.tell(new RunSweep.SweepEnvironment(environmentId)));
    }
}
