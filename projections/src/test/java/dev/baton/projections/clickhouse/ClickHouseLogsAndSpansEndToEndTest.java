package dev.baton.projections.clickhouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.projection.javadsl.ProjectionManagement;
import com.typesafe.config.Config;
import dev.baton.engine.logs.LogLevel;
import dev.baton.engine.logs.LogLine;
import dev.baton.engine.logs.RunLogStore;
import dev.baton.engine.run.RunStatus;
import dev.baton.engine.task.RetryPolicy;
import dev.baton.engine.testkit.TestDatabases;
import dev.baton.engine.trace.TraceContext;
import dev.baton.engine.worker.WorkerChannel;
import dev.baton.projections.RunDriver;
import dev.baton.projections.TestCluster;
import dev.baton.projections.traces.SpanStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Logs and spans in ClickHouse on a real node: a run that logs, fails once and then succeeds has its lines in
 * run_logs and its drawn and reported spans in spans, linked to their parents; shipping everything again (the
 * shipper and every run event projection from offset 0) changes no FINAL count.
 */
class ClickHouseLogsAndSpansEndToEndTest {

    private static final String ENV = "env_logs";
    private static final String RUN = "logs_retried";

    private static String url;
    private static TestCluster node;
    private static ClickHouseTestServer.Store server;
    private static ClickHouseStore store;

    @BeforeAll
    static void start() {
        url = ClickHouseTestServer.find();
        if (url == null) return;
        String database = ClickHouseTestServer.freshDatabase("baton_logs");
        Config config = TestCluster.postgresConfig(
                TestDatabases.freshPostgresSchema("clickhouse_logs"), """
        baton.clickhouse.url = "%s"
        baton.clickhouse.database = "%s"
        baton.clickhouse.group-after-duration = 100ms
        baton.clickhouse.restart-backoff.min = 200ms
        baton.clickhouse.restart-backoff.max = 1s
        baton.clickhouse.shipping.interval = 200ms
        baton.clickhouse.shipping.safety-window = 1s
        baton.projections.run-index.recheck = 1h
        baton.engine.run.lease-timeout = 5m
        """.formatted(url, database));
        node = TestCluster.start("ClickHouseLogsAndSpansEndToEndTest", config);
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

    private static LogLine line(String attemptId, int attempt, LogLevel level, String message, String errorJson) {
        return new LogLine(
                RUN, attemptId, attempt, Instant.now(), level, message, "{\"step\":\"" + attempt + "\"}", errorJson);
    }

    private static String count(String table) {
        return store.select("SELECT count() FROM " + table + " FINAL").single();
    }

    @Test
    void aRunThatFailedOnceHasItsLogsAndLinkedSpansInClickHouseAndShippingTwiceChangesNoCount() throws Exception {
        RunDriver runs = new RunDriver(node.system());
        TestProbe<WorkerChannel.Message> worker = node.testKit().createTestProbe();
        RunLogStore logs = new RunLogStore(node.database().dataSource(), Clock.systemUTC(), 1000);
        SpanStore reported = SpanStore.create(node.system(), node.database(), Clock.systemUTC());

        runs.trigger(RUN, RunDriver.spec(ENV, new RetryPolicy(2, 1.0, 10, 10, false), null, null, null));
        // A line's task comes from the run index: in the test's one-second window, let it see the run first.
        TestCluster.await(() -> indexed(RUN), Duration.ofSeconds(30), "the run index to hold the run");
        String first = runs.lease(RUN, worker.ref());
        runs.start(RUN, first);
        logs.append(
                ENV,
                List.of(
                        line(first, 1, LogLevel.INFO, "starting", null),
                        line(
                                first,
                                1,
                                LogLevel.ERROR,
                                "it broke",
                                "{\"name\":\"TypeError\",\"message\":\"bad input\"}")));
        runs.fail(RUN, first);
        TestCluster.await(
                () -> runs.get(RUN).status() == RunStatus.QUEUED, Duration.ofSeconds(10), "the retry to be queued");
        String second = runs.lease(RUN, worker.ref());
        runs.start(RUN, second);
        logs.append(ENV, List.of(line(second, 2, LogLevel.INFO, "worked this time", null)));
        String traceId = runs.get(RUN).spec().traceContext(RUN).traceId();
        long now = System.currentTimeMillis() * 1_000_000L;
        reported.store(
                        ENV,
                        List.of(new SpanStore.ReportedSpan(
                                RUN,
                                traceId,
                                "00000000000000d1",
                                TraceContext.attemptSpanId(second),
                                "SELECT users",
                                "client",
                                now - 5_000_000L,
                                now,
                                false,
                                null,
                                Map.of("db.system", "postgresql"))))
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
        runs.complete(RUN, second);

        TestCluster.await(
                () -> store.select("SELECT count() FROM run_logs FINAL WHERE run_id = '" + RUN + "'")
                                .single()
                                .equals("3")
                        && store.select("SELECT count() FROM spans FINAL WHERE run_id = '" + RUN
                                        + "' AND source = 'worker'")
                                .single()
                                .equals("1")
                        && !store.select("SELECT count() FROM spans FINAL WHERE run_id = '" + RUN
                                        + "' AND source = 'run'")
                                .single()
                                .equals("0"),
                Duration.ofSeconds(60),
                "the run's lines and spans in ClickHouse");

        assertEquals(
                List.of(
                        List.of("1", first, "INFO", "starting", "", "", ENV, "task-a"),
                        List.of("1", first, "ERROR", "it broke", "TypeError", "bad input", ENV, "task-a"),
                        List.of("2", second, "INFO", "worked this time", "", "", ENV, "task-a")),
                store.select("SELECT attempt_number, attempt_id, level, message, error_type, error_message, env_id,"
                                + " task_id FROM run_logs FINAL WHERE run_id = '" + RUN + "' ORDER BY seq")
                        .rows());

        Map<String, List<String>> spans = new HashMap<>();
        for (List<String> row : store.select("SELECT name, span_id, parent_span_id, source, is_error, trace_id,"
                        + " toString(duration_us > 0) FROM spans FINAL WHERE run_id = '" + RUN + "'")
                .rows()) {
            spans.put(row.get(0), row);
        }
        String runSpan = TraceContext.runSpanId(RUN);
        assertEquals(List.of("task-a", runSpan, "", "run", "0", traceId, "1"), spans.get("task-a"));
        assertEquals(
                List.of("attempt 1", TraceContext.attemptSpanId(first), runSpan, "run", "1", traceId, "1"),
                spans.get("attempt 1"));
        assertEquals(
                List.of("attempt 2", TraceContext.attemptSpanId(second), runSpan, "run", "0", traceId, "1"),
                spans.get("attempt 2"));
        assertEquals(
                List.of(
                        "SELECT users",
                        "00000000000000d1",
                        TraceContext.attemptSpanId(second),
                        "worker",
                        "0",
                        traceId,
                        "1"),
                spans.get("SELECT users"));
        assertTrue(spans.containsKey("retry backoff"), "the wait between the attempts: " + spans.keySet());
        assertEquals(
                "{\"db.system\":\"postgresql\"}",
                store.select("SELECT attributes FROM spans FINAL WHERE span_id = '00000000000000d1'")
                        .single());

        // The doc's two queries over logs and spans, as written there.
        List<String> documented = documentedQueries();
        assertEquals(2, documented.size(), "queries over logs and spans in docs/analytics.md");
        List<List<String>> errorLines = store.select(documented.get(0)).rows().stream()
                .filter(row -> row.get(0).equals(ENV))
                .toList();
        assertEquals(List.of(List.of(ENV, "task-a", "1", "1", "['TypeError']")), errorLines);
        Map<String, List<String>> byName = new HashMap<>();
        for (List<String> row : store.select(documented.get(1)).rows()) {
            if (row.get(0).equals(ENV)) byName.put(row.get(1), row);
        }
        assertEquals(List.of("1", "1"), byName.get("attempt 1").subList(2, 4), "one attempt 1 span, failed");
        assertEquals(List.of("1", "0"), byName.get("SELECT users").subList(2, 4));
        assertEquals("5", byName.get("SELECT users").get(6), "its p95 in ms");

        // Everything again from offset 0: the shipper's offsets and every run event projection's.
        String logsBefore = count("run_logs");
        String spansBefore = count("spans");
        String eventsBefore = count("run_events");
        try (Connection connection = node.database().dataSource().getConnection();
                Statement statement = connection.createStatement()) {
            statement.executeUpdate("DELETE FROM baton_clickhouse_shipping");
        }
        ProjectionManagement management = ProjectionManagement.get(node.system());
        for (String tag : store.settings().tags()) {
            management
                    .clearOffset(ClickHouseAnalytics.projectionId(tag))
                    .toCompletableFuture()
                    .get(30, TimeUnit.SECONDS);
        }
        TestCluster.await(
                () -> shippingOffsets() == 2, Duration.ofSeconds(30), "the shipper to ship both tables again");
        TestCluster.await(
                () -> Long.parseLong(store.select(
                                        "SELECT count() FROM spans WHERE run_id = '" + RUN + "' AND source = 'run'")
                                .single())
                        > Long.parseLong(store.select("SELECT count() FROM spans FINAL WHERE run_id = '" + RUN
                                        + "' AND source = 'run'")
                                .single()),
                Duration.ofSeconds(30),
                "the projection to draw the run's spans again");
        assertEquals(logsBefore, count("run_logs"));
        assertEquals(spansBefore, count("spans"));
        assertEquals(eventsBefore, count("run_events"));
    }

    /** The ```sql blocks of docs/analytics.md's "Queries over logs and spans". */
    private static List<String> documentedQueries() throws Exception {
        String markdown = Files.readString(Path.of("..", "docs", "analytics.md"));
        int start = markdown.indexOf("## Queries over logs and spans");
        int end = markdown.indexOf("\n## ", start + 1);
        Matcher blocks = Pattern.compile("```sql\n(.*?)```", Pattern.DOTALL)
                .matcher(markdown.substring(start, end < 0 ? markdown.length() : end));
        List<String> sql = new ArrayList<>();
        while (blocks.find()) sql.add(blocks.group(1));
        return sql;
    }

    private static boolean indexed(String runId) throws Exception {
        try (Connection connection = node.database().dataSource().getConnection();
                Statement statement = connection.createStatement();
                var result = statement.executeQuery("SELECT count(*) FROM baton_runs WHERE run_id = '" + runId + "'")) {
            result.next();
            return result.getInt(1) == 1;
        }
    }

    private static int shippingOffsets() throws Exception {
        try (Connection connection = node.database().dataSource().getConnection();
                Statement statement = connection.createStatement();
                var result = statement.executeQuery("SELECT count(*) FROM baton_clickhouse_shipping")) {
            result.next();
            return result.getInt(1);
        }
    }
}
