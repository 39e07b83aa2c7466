package dev.baton.projections.runs;

import dev.baton.engine.run.RunStatus;
import dev.baton.engine.storage.Database;
import dev.baton.engine.testkit.TestDatabases;
import dev.baton.projections.ProjectionDatabases;
import dev.baton.projections.listing.ListCursor;
import dev.baton.projections.listing.Page;
import dev.baton.projections.listing.PageRequest;
import dev.baton.projections.runs.RunList.Filter;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The run list at 1,000,000 runs on PostgreSQL: rows written straight into baton_runs and
 * baton_run_tags with INSERT … SELECT generate_series, then the first page and a deep page of each
 * filter timed through {@link RunList#page} (page query, the other-direction check and the tags), with
 * EXPLAIN ANALYZE of the page query. Not part of the default build (tag "bench"); run it with
 * {@code mvn -pl projections test -Dtest=RunListBenchmark -Dsurefire.excludedGroups=} and copy the output
 * into docs/benchmarks.md.
 */
@Tag("bench")
class RunListBenchmark {

    private static final int RUNS = 1_000_000;
    private static final Instant NOW = Instant.parse("2026-01-31T00:00:00Z");
    private static final int REPEATS = 15;
    private static final int PAGE = 25;
    private static final int DEEP = 20_000;

    @Test
    void filteredPagesAtAMillionRuns() throws Exception {
        String url = TestDatabases.freshPostgresSchema("bench");
        String schema = url.substring(url.indexOf("currentSchema=") + "currentSchema=".length());
        try (Database database = ProjectionDatabases.open(url)) {
            long loadStart = System.nanoTime();
            load(database);
            System.out.printf(Locale.ROOT, "loaded %,d runs in %.1f s%n", RUNS, (System.nanoTime() - loadStart) / 1e9);
            printSizes(database);

            RunList list = new RunList(database.dataSource(), Runnable::run, Clock.fixed(NOW, ZoneOffset.UTC));
            Map<String, Filter> filters = new LinkedHashMap<>();
            filters.put("no filter", Filter.NONE);
            filters.put("status FAILED (8%)", statuses(RunStatus.FAILED));
            filters.put("status EXECUTING+RETRYING (3%)", statuses(RunStatus.EXECUTING, RunStatus.RETRYING));
            filters.put("status DELAYED (1%)", statuses(RunStatus.DELAYED));
            filters.put(
                    "task task-7 (2%)",
                    new Filter(null, Set.of("task-7"), null, null, null, null, null, null, null, null, null));
            filters.put("tag common (30%)", tags("common"));
            filters.put("tag rare (0.1%)", tags("rare"));
            filters.put("tags customer-1, customer-2 (0.1%)", tags("customer-1", "customer-2"));
            filters.put(
                    "status FAILED + tag common",
                    new Filter(
                            Set.of(RunStatus.FAILED),
                            null,
                            Set.of("common"),
                            null,
                            null,
                            null,
                            null,
                            null,
                            null,
                            null,
                            null));
            filters.put(
                    "queue shared (5%)",
                    new Filter(null, null, null, Set.of("shared"), null, null, null, null, null, null, null));
            filters.put(
                    "queue nope (0%, no index)",
                    new Filter(null, null, null, Set.of("nope"), null, null, null, null, null, null, null));
            filters.put(
                    "isTest true (1%)", new Filter(null, null, null, null, null, null, null, true, null, null, null));
            filters.put(
                    "period 1d",
                    new Filter(null, null, null, null, null, null, null, null, null, null, Duration.ofDays(1)));

            System.out.printf(
                    Locale.ROOT,
                    "%n%-38s %10s %12s %12s %12s%n",
                    "filter (env_big: 800k runs)",
                    "matching",
                    "first page",
                    "deep page",
                    "page before");
            for (Map.Entry<String, Filter> entry : filters.entrySet()) {
                Filter filter = entry.getValue();
                long matching = count(database, filter);
                double first = medianMillis(() -> list.page("env_big", filter, new PageRequest(PAGE, null, null)));
                ListCursor deep = cursorAt(database, filter, deepOffset(matching));
                double deepPage = deep == null
                        ? Double.NaN
                        : medianMillis(() -> list.page("env_big", filter, new PageRequest(PAGE, deep, null)));
                double before = deep == null
                        ? Double.NaN
                        : medianMillis(() -> list.page("env_big", filter, new PageRequest(PAGE, null, deep)));
                System.out.printf(
                        Locale.ROOT,
                        "%-38s %10d %9.2f ms %9.2f ms %9.2f ms%n",
                        entry.getKey(),
                        matching,
                        first,
                        deepPage,
                        before);
            }

            for (String name : List.of(
                    "no filter",
                    "status FAILED (8%)",
                    "status DELAYED (1%)",
                    "tag common (30%)",
                    "tag rare (0.1%)",
                    "status FAILED + tag common",
                    "queue nope (0%, no index)")) {
                Filter filter = filters.get(name);
                System.out.println("\nEXPLAIN first page, " + name + ":");
                try (Connection connection = database.dataSource().getConnection()) {
                    list.explainPage(connection, "env_big", filter, new PageRequest(PAGE, null, null))
                            .forEach(line -> System.out.println("  " + line));
                }
                long offset = deepOffset(count(database, filter));
                ListCursor deep = cursorAt(database, filter, offset);
                if (deep != null) {
                    System.out.println("EXPLAIN deep page (after run " + offset + "), " + name + ":");
                    try (Connection connection = database.dataSource().getConnection()) {
                        list.explainPage(connection, "env_big", filter, new PageRequest(PAGE, deep, null))
                                .forEach(line -> System.out.println("  " + line));
                        System.out.println("EXPLAIN page before run " + offset + ", " + name + ":");
                        list.explainPage(connection, "env_big", filter, new PageRequest(PAGE, null, deep))
                                .forEach(line -> System.out.println("  " + line));
                    }
                }
            }
        } finally {
            try (Connection connection =
                            DriverManager.getConnection(url, TestDatabases.user(), TestDatabases.password());
                    Statement statement = connection.createStatement()) {
                statement.execute("DROP SCHEMA " + schema + " CASCADE");
            }
        }
    }

    /**
     * 1M runs over 30 days, in creation order: 80% in env_big, 15% env_b, 5% env_c; 50 tasks; statuses
     * 80% COMPLETED, 8% FAILED, 5% QUEUED, 2% EXECUTING, 1% RETRYING, 2% CANCELED, 1% DELAYED, 1% EXPIRED.
     * Tags: "common" on 30%, one of 1000 "customer-N" on 50%, "rare" on 0.1%.
     */
    private static void load(Database database) throws Exception {
        try (Connection connection = database.dataSource().getConnection();
                Statement statement = connection.createStatement()) {
            statement.execute("SELECT setseed(0.42)");
            statement.execute("""
          INSERT INTO baton_runs (run_id, environment_id, task_id, queue, status, tag, attempt_count, created_at,
              updated_at, is_test, duration_ms, finished_at)
          SELECT id, env, task, CASE WHEN r2 < 0.05 THEN 'shared' ELSE 'task/' || task END, status,
              'run-' || (g % 4), CASE WHEN status IN ('QUEUED', 'DELAYED') THEN 0 ELSE 1 END, created, created,
              r3 < 0.01, 1000, CASE WHEN status IN ('COMPLETED', 'FAILED', 'CANCELED', 'EXPIRED') THEN created END
          FROM (
            SELECT g, 'run_' || md5(g::text) AS id,
                CASE WHEN g % 20 < 16 THEN 'env_big' WHEN g % 20 < 19 THEN 'env_b' ELSE 'env_c' END AS env,
                'task-' || floor(random() * 50)::int AS task,
                timestamptz '2026-01-01 00:00:00+00' + g * interval '2592 milliseconds' AS created,
                random() AS r2, random() AS r3,
                (ARRAY['COMPLETED','FAILED','QUEUED','EXECUTING','RETRYING','CANCELED','DELAYED','EXPIRED'])[
                  CASE WHEN s < 0.80 THEN 1 WHEN s < 0.88 THEN 2 WHEN s < 0.93 THEN 3 WHEN s < 0.95 THEN 4
                       WHEN s < 0.96 THEN 5 WHEN s < 0.98 THEN 6 WHEN s < 0.99 THEN 7 ELSE 8 END] AS status
            FROM (SELECT g, random() AS s FROM generate_series(1, RUNS) g) seeds
          ) runs
          """.replace("RUNS", String.valueOf(RUNS)));
            statement.execute("""
          INSERT INTO baton_run_tags (run_id, tag, position, environment_id, created_at)
          SELECT run_id, 'common', 0, environment_id, created_at FROM baton_runs WHERE random() < 0.30""");
            statement.execute("""
          INSERT INTO baton_run_tags (run_id, tag, position, environment_id, created_at)
          SELECT run_id, 'customer-' || floor(random() * 1000)::int, 1, environment_id, created_at
          FROM baton_runs WHERE random() < 0.50""");
            statement.execute("""
          INSERT INTO baton_run_tags (run_id, tag, position, environment_id, created_at)
          SELECT run_id, 'rare', 2, environment_id, created_at FROM baton_runs WHERE random() < 0.001""");
            statement.execute("ANALYZE baton_runs");
            statement.execute("ANALYZE baton_run_tags");
        }
    }

    private static void printSizes(Database database) throws Exception {
        try (Connection connection = database.dataSource().getConnection();
                Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery("""
            SELECT relname, pg_size_pretty(pg_relation_size(oid)) FROM pg_class
            WHERE relnamespace = current_schema()::regnamespace AND relname LIKE 'baton_run%' ORDER BY relname""")) {
            while (result.next()) System.out.println("  " + result.getString(1) + ": " + result.getString(2));
        }
    }

    private static Filter statuses(RunStatus... statuses) {
        return new Filter(Set.of(statuses), null, null, null, null, null, null, null, null, null, null);
    }

    private static Filter tags(String... tags) {
        return new Filter(null, null, Set.of(tags), null, null, null, null, null, null, null, null);
    }

    private interface Query {
        Page run() throws Exception;
    }

    private static double medianMillis(Query query) throws Exception {
        for (int i = 0; i < 3; i++) query.run();
        double[] times = new double[REPEATS];
        for (int i = 0; i < REPEATS; i++) {
            long start = System.nanoTime();
            query.run();
            times[i] = (System.nanoTime() - start) / 1e6;
        }
        Arrays.sort(times);
        return times[REPEATS / 2];
    }

    /** The deep page starts after run 20,000, or near the end of a filter matching fewer. */
    private static long deepOffset(long matching) {
        return Math.min(DEEP, Math.max(0, matching - PAGE - 1));
    }

    /** How many runs of env_big match. */
    private static long count(Database database, Filter filter) throws Exception {
        String where = whereForCount(filter);
        try (Connection connection = database.dataSource().getConnection();
                Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery("SELECT count(*) FROM baton_runs r WHERE " + where)) {
            result.next();
            return result.getLong(1);
        }
    }

    /** The same filter as plain SQL (benchmark data has no quotes), to count and to find deep cursors. */
    private static String whereForCount(Filter filter) {
        List<String> where = new ArrayList<>(List.of("r.environment_id = 'env_big'"));
        if (filter.statuses() != null)
            where.add("r.status IN ("
                    + quoted(filter.statuses().stream().map(Enum::name).collect(Collectors.toSet())) + ")");
        if (filter.taskIds() != null) where.add("r.task_id IN (" + quoted(filter.taskIds()) + ")");
        if (filter.queues() != null) where.add("r.queue IN (" + quoted(filter.queues()) + ")");
        if (filter.test() != null) where.add("r.is_test = " + filter.test());
        if (filter.createdWithin() != null) {
            where.add("r.created_at >= timestamptz '" + NOW.minus(filter.createdWithin()) + "'");
        }
        if (filter.tags() != null) {
            where.add("r.run_id IN (SELECT run_id FROM baton_run_tags WHERE tag IN (" + quoted(filter.tags()) + "))");
        }
        return String.join(" AND ", where);
    }

    private static String quoted(Set<String> values) {
        return values.stream().sorted().map(value -> "'" + value + "'").collect(Collectors.joining(", "));
    }

    /** The cursor of the {@code offset}-th matching run (newest first), found once with OFFSET; null if none. */
    private static ListCursor cursorAt(Database database, Filter filter, long offset) throws Exception {
        try (Connection connection = database.dataSource().getConnection();
                Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery(
                        "SELECT r.created_at, r.run_id FROM baton_runs r WHERE " + whereForCount(filter)
                                + " ORDER BY r.created_at DESC, r.run_id DESC OFFSET " + offset + " LIMIT 1")) {
            if (!result.next()) return null;
            return new ListCursor(result.getObject(1, OffsetDateTime.class).toInstant(), result.getString(2));
        }
    }
}
