package dev.baton.projections.runs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.persistence.query.Offset;
import akka.persistence.query.Sequence;
import akka.projection.eventsourced.EventEnvelope;
import akka.projection.testkit.javadsl.ProjectionTestKit;
import akka.projection.testkit.javadsl.TestSourceProvider;
import akka.stream.javadsl.Source;
import com.typesafe.config.ConfigFactory;
import dev.baton.engine.run.RunEntity;
import dev.baton.engine.run.RunEntity.AttemptLeased;
import dev.baton.engine.run.RunEntity.Event;
import dev.baton.engine.run.RunState;
import dev.baton.engine.run.RunStatus;
import dev.baton.engine.storage.Database;
import dev.baton.engine.testkit.TestDatabases;
import dev.baton.projections.ProjectionDatabases;
import dev.baton.projections.internal.DataSourceJdbcSession;
import dev.baton.projections.listing.ListCursor;
import dev.baton.projections.listing.Page;
import dev.baton.projections.listing.PageRequest;
import dev.baton.projections.runs.RunList.Filter;
import dev.baton.projections.runs.SyntheticRuns.Run;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The run list over 5,000 runs in 3 environments and 10 tasks, projected by the real run index
 * projection from synthetic events, on PostgreSQL and H2. Every filter, in every environment, walked
 * forwards (next) and back (previous), returns exactly the runs a plain Java filter of the generated
 * runs expects, in order; pages neither repeat nor skip runs while new runs are projected between fetches.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RunListTest {

    private static final String TAG = "run-0";
    private static final int RUNS = 5_000;
    private static final List<String> ENVIRONMENTS = List.of("env_a", "env_b", "env_c");
    private static final Instant START = Instant.parse("2026-03-01T12:00:00Z");
    /** The run list's "now", for createdAt[period]: an hour and 90 s after the first run (they span ~170 s). */
    private static final Instant NOW = START.plus(Duration.ofHours(1)).plusSeconds(90);

    private static final RunIndexSettings SETTINGS = new RunIndexSettings(
            4,
            Duration.ofSeconds(30),
            "jdbc-read-journal",
            500,
            Duration.ofMillis(50),
            Duration.ofSeconds(10),
            Duration.ofSeconds(60),
            Duration.ofMinutes(10),
            Duration.ofSeconds(1),
            Duration.ofSeconds(5),
            1000,
            RunIndexSettings.SWEEPER_DISPATCHER);

    private final Map<String, Database> databases = new LinkedHashMap<>();
    private final Map<String, ActorTestKit> testKits = new LinkedHashMap<>();
    private final Map<String, List<Run>> runs = new LinkedHashMap<>();
    private final Map<String, SyntheticRuns> generators = new LinkedHashMap<>();

    @BeforeAll
    void start() {
        databases.put("h2", ProjectionDatabases.open(TestDatabases.freshH2("list")));
        databases.put("postgres", ProjectionDatabases.open(TestDatabases.freshPostgresSchema("list")));
        databases.forEach((name, database) -> {
            ActorTestKit testKit = ActorTestKit.create(
                    "RunListTest-" + name,
                    ConfigFactory.parseString("""
          akka.projection.jdbc.dialect = "%s-dialect"
          akka.projection.jdbc.blocking-jdbc-dispatcher.thread-pool-executor.fixed-pool-size = 4
          """.formatted(name)).withFallback(ConfigFactory.load()));
            testKits.put(name, testKit);
            SyntheticRuns generator = new SyntheticRuns(42);
            generators.put(name, generator);
            List<Run> generated = generator.runs("", RUNS, ENVIRONMENTS, 10, START);
            runs.put(name, new ArrayList<>(generated));
            project(name, generator.journal(generated));
        });
    }

    @AfterAll
    void stop() {
        testKits.values().forEach(ActorTestKit::shutdownTestKit);
        databases.values().forEach(Database::close);
    }

    Stream<String> databaseNames() {
        return Stream.of("h2", "postgres");
    }

    /** Through the real grouped, exactly-once projection, until its offset reached the last event. */
    private void project(String db, List<EventEnvelope<Event>> envelopes) {
        Database database = databases.get(db);
        ActorTestKit testKit = testKits.get(db);
        var events =
                TestSourceProvider.<Offset, EventEnvelope<Event>>create(Source.from(envelopes), EventEnvelope::offset);
        var projection = RunIndexProjection.create(
                testKit.system(), database, new RunTable(database.dialect()), SETTINGS, TAG, events);
        long last = ((Sequence) envelopes.get(envelopes.size() - 1).offset()).value();
        ProjectionTestKit.create(testKit.system())
                .run(projection, Duration.ofSeconds(120), () -> assertEquals(last, storedOffset(database)));
    }

    /** Projects a few runs at once through the handler, as one projection transaction would. */
    private void projectNow(String db, List<Run> added) throws Exception {
        Database database = databases.get(db);
        DataSourceJdbcSession session = new DataSourceJdbcSession(database.dataSource());
        try {
            new RunIndexHandler(TAG, new RunTable(database.dialect()), SETTINGS.wakeRules())
                    .process(session, generators.get(db).journal(added));
            session.commit();
        } finally {
            session.close();
        }
        runs.get(db).addAll(added);
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

    private RunList list(String db) {
        return new RunList(databases.get(db).dataSource(), Runnable::run, Clock.fixed(NOW, ZoneOffset.UTC));
    }

    private List<String> expected(String db, String environment, Predicate<Run> matches) {
        return runs.get(db).stream()
                .filter(run -> run.environmentId().equals(environment))
                .filter(matches)
                .sorted(Run.NEWEST_FIRST)
                .map(Run::runId)
                .toList();
    }

    private record Case(String name, Filter filter, Predicate<Run> matches) {}

    private static Filter filter(
            Set<RunStatus> statuses, Set<String> tasks, Set<String> tags, Set<String> queues, Boolean test) {
        return new Filter(statuses, tasks, tags, queues, null, null, null, test, null, null, null);
    }

    private static List<Case> cases() {
        Instant from = START.plusSeconds(40);
        Instant before = START.plusSeconds(90);
        Predicate<Run> window =
                run -> !run.createdAt().isBefore(from) && run.createdAt().isBefore(before);
        return List.of(
                new Case("everything", Filter.NONE, run -> true),
                new Case(
                        "status COMPLETED",
                        filter(Set.of(RunStatus.COMPLETED), null, null, null, null),
                        run -> run.status() == RunStatus.COMPLETED),
                new Case(
                        "status EXECUTING (with RETRYING)",
                        filter(Set.of(RunStatus.EXECUTING, RunStatus.RETRYING), null, null, null, null),
                        run -> run.status() == RunStatus.EXECUTING || run.status() == RunStatus.RETRYING),
                new Case(
                        "status FAILED, CRASHED, TIMED_OUT",
                        filter(
                                Set.of(RunStatus.FAILED, RunStatus.CRASHED, RunStatus.TIMED_OUT),
                                null,
                                null,
                                null,
                                null),
                        run -> Set.of(RunStatus.FAILED, RunStatus.CRASHED, RunStatus.TIMED_OUT)
                                .contains(run.status())),
                new Case(
                        "status DELAYED",
                        filter(Set.of(RunStatus.DELAYED), null, null, null, null),
                        run -> run.status() == RunStatus.DELAYED),
                new Case("no status", filter(Set.of(), null, null, null, null), run -> false),
                new Case(
                        "task task-3",
                        filter(null, Set.of("task-3"), null, null, null),
                        run -> run.taskId().equals("task-3")),
                new Case(
                        "tasks task-1, task-7",
                        filter(null, Set.of("task-1", "task-7"), null, null, null),
                        run -> Set.of("task-1", "task-7").contains(run.taskId())),
                new Case("unknown task", filter(null, Set.of("nope"), null, null, null), run -> false),
                new Case(
                        "tag vip",
                        filter(null, null, Set.of("vip"), null, null),
                        run -> run.tags().contains("vip")),
                new Case(
                        "tags red, blue",
                        filter(null, null, Set.of("red", "blue"), null, null),
                        run -> run.tags().contains("red") || run.tags().contains("blue")),
                new Case(
                        "queue task/task-2",
                        filter(null, null, null, Set.of("task/task-2"), null),
                        run -> run.queue().equals("task/task-2")),
                new Case(
                        "queues shared, task/task-4",
                        filter(null, null, null, Set.of("shared", "task/task-4"), null),
                        run -> run.queue().equals("shared") || run.queue().equals("task/task-4")),
                new Case("test runs", filter(null, null, null, null, true), Run::test),
                new Case("live runs", filter(null, null, null, null, false), run -> !run.test()),
                new Case(
                        "version",
                        new Filter(null, null, null, null, Set.of("20250101.1"), null, null, null, null, null, null),
                        run -> false),
                new Case(
                        "batch",
                        new Filter(null, null, null, null, null, "batch_1", null, null, null, null, null),
                        run -> false),
                new Case(
                        "schedule",
                        new Filter(null, null, null, null, null, null, "sched_1", null, null, null, null),
                        run -> false),
                new Case(
                        "created in a window",
                        new Filter(null, null, null, null, null, null, null, null, from, before, null),
                        window),
                new Case(
                        "created within the last hour",
                        new Filter(null, null, null, null, null, null, null, null, null, null, Duration.ofHours(1)),
                        run -> !run.createdAt().isBefore(NOW.minus(Duration.ofHours(1)))),
                new Case(
                        "period and from: the later wins",
                        new Filter(
                                null,
                                null,
                                null,
                                null,
                                null,
                                null,
                                null,
                                null,
                                START.plusSeconds(100),
                                null,
                                Duration.ofHours(1)),
                        run -> !run.createdAt().isBefore(START.plusSeconds(100))),
                new Case(
                        "COMPLETED vip live runs",
                        filter(Set.of(RunStatus.COMPLETED), null, Set.of("vip"), null, false),
                        run -> run.status() == RunStatus.COMPLETED && run.tags().contains("vip") && !run.test()),
                new Case(
                        "tasks and tags in a window",
                        new Filter(
                                null,
                                Set.of("task-0", "task-5"),
                                Set.of("eu", "us"),
                                null,
                                null,
                                null,
                                null,
                                null,
                                from,
                                before,
                                null),
                        window.and(run -> Set.of("task-0", "task-5").contains(run.taskId())
                                && (run.tags().contains("eu") || run.tags().contains("us")))));
    }

    @ParameterizedTest
    @MethodSource("databaseNames")
    void everyFilterWalkedBothWaysReturnsExactlyTheExpectedRuns(String db) throws Exception {
        RunList list = list(db);
        for (Case filterCase : cases()) {
            long matching = runs.get(db).stream().filter(filterCase.matches()).count();
            boolean none = filterCase.name().startsWith("no ")
                    || filterCase.name().startsWith("unknown")
                    || List.of("version", "batch", "schedule").contains(filterCase.name());
            assertEquals(none, matching == 0, filterCase.name() + " matches " + matching + " runs");
            for (String environment : ENVIRONMENTS) {
                List<String> expected = expected(db, environment, filterCase.matches());
                int size = expected.size() > 400 ? 97 : 13;
                String what = db + " " + environment + " " + filterCase.name();
                List<List<String>> forwards =
                        walkForwards(list, environment, filterCase.filter(), size, what, () -> {});
                assertSameRuns(expected, forwards.stream().flatMap(List::stream).toList(), what + ": forwards");
                assertEquals(
                        expected.size(),
                        list.count(environment, filterCase.filter())
                                .toCompletableFuture()
                                .get(30, java.util.concurrent.TimeUnit.SECONDS),
                        what + ": count");
                assertSameRuns(
                        expected,
                        walkBackFromTheOldest(list, environment, filterCase.filter(), size, what),
                        what + ": backwards from the oldest run");
                if (forwards.size() > 1) {
                    assertEquals(
                            forwards,
                            walkBackFromTheLastPage(db, list, environment, filterCase.filter(), size, forwards, what),
                            what + ": back through previous, page by page");
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("databaseNames")
    void pagesNeitherRepeatNorSkipRunsWhileNewRunsArrive(String db) throws Exception {
        RunList list = list(db);
        SyntheticRuns generator = generators.get(db);
        Map<String, Predicate<Run>> filters = new LinkedHashMap<>();
        filters.put("everything", run -> true);
        filters.put(
                "COMPLETED vip or eu",
                run -> run.status() == RunStatus.COMPLETED
                        && (run.tags().contains("vip") || run.tags().contains("eu")));
        Map<String, Filter> asFilters = Map.of(
                "everything",
                Filter.NONE,
                "COMPLETED vip or eu",
                filter(Set.of(RunStatus.COMPLETED), null, Set.of("vip", "eu"), null, null));
        int round = 0;
        for (var entry : filters.entrySet()) {
            Filter filter = asFilters.get(entry.getKey());
            String what = db + " concurrent " + entry.getKey();
            String prefix = "c" + round++ + "_";
            int[] batch = {0};
            ThrowingRunnable newRunsArrive = () -> projectNow(
                    db,
                    generator.runs(
                            prefix + batch[0]++ + "_",
                            9,
                            ENVIRONMENTS,
                            10,
                            latestCreatedAt(db).plusMillis(1)));

            // Newer runs land on top while the client pages down: never on a page it has yet to see.
            List<String> before = expected(db, "env_a", entry.getValue());
            List<List<String>> pages = walkForwards(list, "env_a", filter, 50, what, newRunsArrive);
            List<String> seen = pages.stream().flatMap(List::stream).toList();
            assertSameRuns(before, seen, what + ": walking down, exactly the runs there were when it started");

            // Walking back up through previous, the runs that arrived meanwhile appear at the top, each once.
            List<String> up = new ArrayList<>(pages.get(pages.size() - 1));
            ListCursor previous = cursor(db, up.get(0));
            List<String> lastArrived = List.of();
            while (previous != null) {
                Page<RunRow> page = list.page("env_a", filter, new PageRequest(50, null, previous));
                assertEnvironment(page, "env_a", what);
                up.addAll(0, ids(page));
                previous = page.previous();
                int from = runs.get(db).size();
                newRunsArrive.run();
                lastArrived = runs.get(db).subList(from, runs.get(db).size()).stream()
                        .map(Run::runId)
                        .toList();
            }
            List<String> arrivedLast = lastArrived;
            assertSameRuns(
                    expected(db, "env_a", entry.getValue()).stream()
                            .filter(id -> !arrivedLast.contains(id))
                            .toList(),
                    up,
                    what + ": walking up, every run once, with those that arrived before each fetch");
            assertEquals(up.size(), new HashSet<>(up).size(), what + ": no run twice");
        }
    }

    private ListCursor cursor(String db, String runId) {
        return runs.get(db).stream()
                .filter(run -> run.runId().equals(runId))
                .findFirst()
                .map(run -> new ListCursor(run.createdAt(), run.runId()))
                .orElseThrow();
    }

    private Instant latestCreatedAt(String db) {
        return runs.get(db).stream().map(Run::createdAt).max(Instant::compareTo).orElseThrow();
    }

    private List<List<String>> walkForwards(
            RunList list, String environment, Filter filter, int size, String what, ThrowingRunnable betweenPages)
            throws Exception {
        List<List<String>> pages = new ArrayList<>();
        ListCursor after = null;
        do {
            Page<RunRow> page = list.page(environment, filter, new PageRequest(size, after, null));
            assertEnvironment(page, environment, what);
            if (page.rows().isEmpty()) {
                assertTrue(pages.isEmpty(), what + ": an empty page only when nothing matches");
                assertNull(page.next(), what);
                assertNull(page.previous(), what);
                return pages;
            }
            assertEquals(pages.isEmpty(), page.previous() == null, what + ": previous on every page but the first");
            if (page.next() != null) assertEquals(size, page.rows().size(), what + ": only the last page is short");
            pages.add(ids(page));
            after = page.next();
            betweenPages.run();
        } while (after != null);
        return pages;
    }

    /** From before the oldest possible run, up through previous to the newest: every run once, in order. */
    private List<String> walkBackFromTheOldest(RunList list, String environment, Filter filter, int size, String what)
            throws Exception {
        List<String> ids = new ArrayList<>();
        ListCursor before = new ListCursor(Instant.EPOCH, "");
        boolean first = true;
        while (before != null) {
            Page<RunRow> page = list.page(environment, filter, new PageRequest(size, null, before));
            assertEnvironment(page, environment, what);
            if (first) assertNull(page.next(), what + ": nothing is older than the oldest page");
            first = false;
            ids.addAll(0, ids(page));
            before = page.previous();
        }
        return ids;
    }

    /** From the last page of a walk down, back up through previous: the same pages, in the same order. */
    private List<List<String>> walkBackFromTheLastPage(
            String db,
            RunList list,
            String environment,
            Filter filter,
            int size,
            List<List<String>> forwards,
            String what)
            throws Exception {
        List<List<String>> pages = new ArrayList<>();
        pages.add(forwards.get(forwards.size() - 1));
        ListCursor before = cursor(db, forwards.get(forwards.size() - 1).get(0));
        while (before != null) {
            Page<RunRow> page = list.page(environment, filter, new PageRequest(size, null, before));
            assertEnvironment(page, environment, what);
            assertNotNull(page.next(), what + ": a page reached backwards has older runs after it");
            pages.add(0, ids(page));
            before = page.previous();
        }
        return pages;
    }

    /** Equal id lists; on a difference, says where (the lists run into thousands). */
    private static void assertSameRuns(List<String> expected, List<String> actual, String what) {
        if (expected.equals(actual)) return;
        int at = 0;
        while (at < Math.min(expected.size(), actual.size()) && expected.get(at).equals(actual.get(at))) at++;
        throw new AssertionError(what + ": expected " + expected.size() + " runs, got " + actual.size()
                + "; first difference at " + at + ": expected " + window(expected, at) + ", got " + window(actual, at)
                + (actual.size() != new HashSet<>(actual).size() ? " (with duplicates)" : ""));
    }

    private static List<String> window(List<String> ids, int at) {
        return ids.subList(Math.max(0, at - 1), Math.min(ids.size(), at + 3));
    }

    private static void assertEnvironment(Page<RunRow> page, String environment, String what) {
        for (RunRow row : page.rows()) {
            assertEquals(environment, row.environmentId(), what + ": only the environment's own runs");
        }
    }

    private static List<String> ids(Page<RunRow> page) {
        return page.rows().stream().map(RunRow::runId).toList();
    }

    @ParameterizedTest
    @MethodSource("databaseNames")
    void rowsCarryWhatTheListShows(String db) throws Exception {
        RunList list = list(db);
        Map<String, Run> byId = new LinkedHashMap<>();
        runs.get(db).forEach(run -> byId.put(run.runId(), run));
        Page<RunRow> page = list.page("env_b", Filter.NONE, new PageRequest(100, null, null));
        assertEquals(100, page.rows().size());
        for (RunRow row : page.rows()) {
            Run run = byId.get(row.runId());
            assertEquals(run.status(), row.status());
            assertEquals(run.tags(), row.tags(), "tags in order");
            assertEquals(run.test(), row.details().test());
            assertEquals(run.taskId(), row.taskId());
            assertEquals(run.createdAt(), row.createdAt());
            assertEquals(run.status().isFinal(), row.details().finishedAt() != null, row.runId() + " finishedAt");
            assertEquals(run.status() == RunStatus.DELAYED, row.details().delayedUntil() != null, row.runId());
        }
        assertFalse(page.rows().isEmpty());
    }

    @ParameterizedTest
    @MethodSource("databaseNames")
    void aCursorWhoseRunNoLongerMatchesStillLeadsToTheRightPages(String db) throws Exception {
        RunList list = list(db);
        Filter queued = filter(Set.of(RunStatus.QUEUED), null, null, null, null);
        List<String> before = expected(db, "env_c", run -> run.status() == RunStatus.QUEUED);
        Page<RunRow> first = list.page("env_c", queued, new PageRequest(5, null, null));
        ListCursor cursor = first.next();
        // The cursor's run is leased: it leaves the filter, the pages around it stay the same.
        Run moved = runs.get(db).stream()
                .filter(run -> run.runId().equals(cursor.id()))
                .findFirst()
                .orElseThrow();
        DataSourceJdbcSession session =
                new DataSourceJdbcSession(databases.get(db).dataSource());
        try {
            new RunIndexHandler(TAG, new RunTable(databases.get(db).dialect()), SETTINGS.wakeRules())
                    .process(
                            session,
                            List.of(EventEnvelope.create(
                                    Offset.sequence(Long.MAX_VALUE),
                                    RunEntity.persistenceId(moved.runId()).id(),
                                    2,
                                    new AttemptLeased(new RunState.Attempt(
                                            "att_1",
                                            1,
                                            "ws",
                                            "w",
                                            moved.createdAt().plusMillis(1),
                                            null)),
                                    0L)));
            session.commit();
        } finally {
            session.close();
        }
        runs.get(db)
                .replaceAll(run -> run == moved
                        ? new Run(
                                run.runId(),
                                run.environmentId(),
                                run.taskId(),
                                run.queue(),
                                RunStatus.DEQUEUED,
                                run.tags(),
                                run.test(),
                                run.createdAt(),
                                run.events())
                        : run);

        Page<RunRow> second = list.page("env_c", queued, new PageRequest(5, cursor, null));
        assertEquals(before.subList(5, 10), ids(second));
        assertEquals(second.rows().get(0).cursor(), second.previous(), "newer runs still exist");
        Page<RunRow> back = list.page("env_c", queued, new PageRequest(4, null, cursor));
        assertEquals(before.subList(0, 4), ids(back));
        assertEquals(back.rows().get(3).cursor(), back.next(), "older runs still exist");
        Page<RunRow> top = list.page(
                "env_c", queued, new PageRequest(4, null, back.rows().get(0).cursor()));
        assertTrue(top.rows().isEmpty(), "nothing is newer than the newest");
    }

    private interface ThrowingRunnable {
        void run() throws Exception;
    }
}
