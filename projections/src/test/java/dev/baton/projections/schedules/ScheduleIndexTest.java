package dev.baton.projections.schedules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.persistence.query.Sequence;
import akka.projection.eventsourced.EventEnvelope;
import com.typesafe.config.ConfigFactory;
import dev.baton.engine.schedule.ScheduleEntity;
import dev.baton.engine.schedule.ScheduleEntity.Event;
import dev.baton.engine.schedule.ScheduleSpec;
import dev.baton.engine.schedule.ScheduleState;
import dev.baton.engine.storage.Database;
import dev.baton.engine.testkit.MutableClock;
import dev.baton.engine.testkit.TestDatabases;
import dev.baton.projections.ProjectionDatabases;
import dev.baton.projections.internal.DataSourceJdbcSession;
import dev.baton.projections.internal.IndexSweeper;
import dev.baton.projections.internal.SweptIndexSettings;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The schedule index handler on H2 and PostgreSQL: rows are the fold of each schedule's events (the same
 * transitions as the entity), a deleted schedule leaves no row, replaying changes nothing; the list pages
 * newest first; the sweeper wakes exactly the schedules due within its look-ahead.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ScheduleIndexTest {

    private static final Instant T0 = Instant.parse("2026-03-02T10:00:30Z");
    private final List<Database> databases = new ArrayList<>();
    private ActorTestKit testKit;

    @BeforeAll
    void start() {
        testKit = ActorTestKit.create("ScheduleIndexTest", ConfigFactory.load());
    }

    @AfterAll
    void stop() {
        databases.forEach(Database::close);
        testKit.shutdownTestKit();
    }

    Stream<Database> databases() {
        Database h2 = ProjectionDatabases.open(TestDatabases.freshH2("schedule-index"));
        Database postgres = ProjectionDatabases.open(TestDatabases.freshPostgresSchema("schedule_index"));
        for (Database database : List.of(h2, postgres)) {
            database.runSchemaScript(ScheduleIndexProjection.SCHEMA_SCRIPT);
            database.runSchemaScript(ScheduleIndexProjection.SCHEMA_SCRIPT); // idempotent
            databases.add(database);
        }
        return Stream.of(h2, postgres);
    }

    private long sequence;

    private EventEnvelope<Event> envelope(String scheduleId, Event event) {
        sequence++;
        return EventEnvelope.create(
                Sequence.apply(sequence),
                ScheduleEntity.persistenceId(scheduleId).id(),
                sequence,
                event,
                T0.toEpochMilli());
    }

    private static void project(Database database, List<EventEnvelope<Event>> envelopes) throws Exception {
        DataSourceJdbcSession session = new DataSourceJdbcSession(database.dataSource());
        try {
            new ScheduleIndexHandler(new ScheduleTable(database.dialect())).process(session, envelopes);
            session.commit();
        } finally {
            session.close();
        }
    }

    private static Map<String, ScheduleState> load(Database database, String... ids) throws Exception {
        try (Connection connection = database.dataSource().getConnection()) {
            return new ScheduleTable(database.dialect()).load(connection, List.of(ids));
        }
    }

    private static ScheduleSpec spec(String cron) {
        return new ScheduleSpec("tick", cron, "Europe/Berlin", "ext-1", "key-1", "30m", ScheduleSpec.IMPERATIVE);
    }

    @ParameterizedTest
    @MethodSource("databases")
    void rowsFoldTheEventsLikeTheEntityAndReplayingChangesNothing(Database database) throws Exception {
        List<EventEnvelope<Event>> events = List.of(
                envelope("sched_a", new ScheduleEntity.ScheduleCreated("sched_a", "env_1", spec("0 * * * *"), T0)),
                envelope("sched_b", new ScheduleEntity.ScheduleCreated("sched_b", "env_1", spec("* * * * *"), T0)),
                envelope(
                        "sched_a",
                        new ScheduleEntity.ScheduleFired(
                                Instant.parse("2026-03-02T11:00:00Z"), "run_1", Instant.parse("2026-03-02T11:07:00Z"))),
                envelope("sched_b", new ScheduleEntity.ScheduleDeactivated(T0.plusSeconds(5))),
                envelope("sched_c", new ScheduleEntity.ScheduleCreated("sched_c", "env_1", spec("* * * * *"), T0)),
                envelope("sched_c", new ScheduleEntity.ScheduleDeleted(T0.plusSeconds(9))));
        // In two groups, as the projection may cut them.
        project(database, events.subList(0, 3));
        project(database, events.subList(3, events.size()));

        ScheduleState expectedA = ScheduleState.empty("sched_a")
                .created("env_1", spec("0 * * * *"), T0)
                .fired(Instant.parse("2026-03-02T11:00:00Z"), "run_1", Instant.parse("2026-03-02T11:07:00Z"));
        Map<String, ScheduleState> rows = load(database, "sched_a", "sched_b", "sched_c");
        assertEquals(expectedA, rows.get("sched_a"));
        assertEquals(Set.of("sched_a", "sched_b"), rows.keySet(), "a deleted schedule has no row");
        assertEquals(false, rows.get("sched_b").active());

        try (Connection connection = database.dataSource().getConnection()) {
            ScheduleTable table = new ScheduleTable(database.dialect());
            ScheduleTable.Row a = table.page(connection, "env_1", 1, 10).stream()
                    .filter(row -> row.state().scheduleId().equals("sched_a"))
                    .findFirst()
                    .orElseThrow();
            assertEquals(Instant.parse("2026-03-02T12:00:00Z"), a.nextRunAt());
            assertEquals(expectedA.effectiveAt(a.nextRunAt()), a.dueAt());
            ScheduleTable.Row b = table.page(connection, "env_1", 1, 10).stream()
                    .filter(row -> row.state().scheduleId().equals("sched_b"))
                    .findFirst()
                    .orElseThrow();
            assertNull(b.nextRunAt(), "an inactive schedule has no next run");
            assertNull(b.dueAt());
        }

        project(database, events);
        assertEquals(rows, load(database, "sched_a", "sched_b", "sched_c"));
    }

    @ParameterizedTest
    @MethodSource("databases")
    void theListPagesNewestFirstWithATotal(Database database) throws Exception {
        List<EventEnvelope<Event>> events = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            events.add(envelope(
                    "sched_p" + i,
                    new ScheduleEntity.ScheduleCreated(
                            "sched_p" + i, "env_page", spec("0 * * * *"), T0.plusSeconds(i))));
        }
        events.add(
                envelope("sched_q", new ScheduleEntity.ScheduleCreated("sched_q", "env_other", spec("0 * * * *"), T0)));
        project(database, events);
        ScheduleList list =
                new ScheduleList(database.dataSource(), new ScheduleTable(database.dialect()), Runnable::run);
        ScheduleList.Page first =
                list.list("env_page", 1, 2).toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertEquals(5, first.total());
        assertEquals(List.of("sched_p4", "sched_p3"), ids(first));
        assertEquals(
                List.of("sched_p0"),
                ids(list.list("env_page", 3, 2).toCompletableFuture().get(10, TimeUnit.SECONDS)));
        assertEquals(
                List.of(), ids(list.list("env_page", 4, 2).toCompletableFuture().get(10, TimeUnit.SECONDS)));
    }

    private static List<String> ids(ScheduleList.Page page) {
        return page.rows().stream().map(row -> row.state().scheduleId()).toList();
    }

    @Test
    void theSweeperWakesTheSchedulesDueWithinItsLookAhead() throws Exception {
        Database database = ProjectionDatabases.open(TestDatabases.freshH2("schedule-sweeper"));
        databases.add(database);
        database.runSchemaScript(ScheduleIndexProjection.SCHEMA_SCRIPT);
        ScheduleSpec hourly = new ScheduleSpec("tick", "0 * * * *", "UTC", null, null, null, ScheduleSpec.IMPERATIVE);
        project(
                database,
                List.of(
                        // Next run 11:00 (due in under a minute at 10:59:30), and 12:00 for the one created after
                        // 11:00.
                        envelope("sched_soon", new ScheduleEntity.ScheduleCreated("sched_soon", "env_1", hourly, T0)),
                        envelope(
                                "sched_later",
                                new ScheduleEntity.ScheduleCreated(
                                        "sched_later", "env_1", hourly, Instant.parse("2026-03-02T11:00:01Z"))),
                        envelope("sched_off", new ScheduleEntity.ScheduleCreated("sched_off", "env_1", hourly, T0)),
                        envelope("sched_off", new ScheduleEntity.ScheduleDeactivated(T0))));
        MutableClock clock = new MutableClock(Instant.parse("2026-03-02T10:59:30Z"));
        List<String> woken = new CopyOnWriteArrayList<>();
        SweptIndexSettings settings = new SweptIndexSettings(
                "unused",
                10,
                Duration.ofMillis(50),
                Duration.ofMillis(100),
                Duration.ofSeconds(60),
                100,
                "baton.projections.sweeper-dispatcher");
        var sweeper = testKit.spawn(IndexSweeper.create(
                "due schedules",
                database.dataSource(),
                new ScheduleTable(database.dialect())::dueBy,
                settings.sweeping(),
                clock,
                woken::add));
        Instant deadline = Instant.now().plusSeconds(10);
        while (woken.size() < 2) {
            if (Instant.now().isAfter(deadline)) throw new AssertionError("woken on every sweep while due: " + woken);
            Thread.sleep(20);
        }
        testKit.stop(sweeper);
        assertEquals(Set.of("sched_soon"), Set.copyOf(woken));
    }
}
