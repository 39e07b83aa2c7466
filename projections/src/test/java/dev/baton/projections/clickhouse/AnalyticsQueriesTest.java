package dev.baton.projections.clickhouse;

import static dev.baton.projections.clickhouse.TestRuns.BOOM;
import static dev.baton.projections.clickhouse.TestRuns.spec;
import static dev.baton.projections.clickhouse.TestRuns.started;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.baton.engine.run.RunEntity.AttemptFailed;
import dev.baton.engine.run.RunEntity.RunCanceled;
import dev.baton.engine.run.RunEntity.RunEnqueued;
import dev.baton.engine.run.RunEntity.RunFailed;
import dev.baton.engine.run.RunEntity.RunSucceeded;
import dev.baton.engine.run.RunEntity.RunTriggered;
import dev.baton.engine.run.RunStatus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The five ready queries of docs/analytics.md, taken from the file as written, run on a known data set (seven
 * runs of two environments, built from run events by the projection's own fold and writer) and return the
 * numbers worked out by hand. The data set is written twice, as an at-least-once delivery may do.
 */
class AnalyticsQueriesTest {

    private static final Path DOC = Path.of("..", "docs", "analytics.md");
    /** Yesterday 10:00 UTC: inside every query's time window, whenever the test runs. */
    private static final Instant DAY =
            LocalDate.now(ZoneOffset.UTC).minusDays(1).atTime(10, 0).toInstant(ZoneOffset.UTC);

    private static final String YESTERDAY =
            LocalDate.now(ZoneOffset.UTC).minusDays(1).toString();

    private static String url;
    private static ClickHouseTestServer.Store server;
    private static ClickHouseStore store;
    private static List<String> queries;

    @BeforeAll
    static void start() throws Exception {
        queries = readyQueries(Files.readString(DOC));
        assertEquals(5, queries.size(), "ready queries in " + DOC);
        url = ClickHouseTestServer.find();
        if (url == null) return;
        server = ClickHouseTestServer.store(url, ClickHouseTestServer.freshDatabase("baton_docs"));
        store = server.store();
        store.ensureSchema().toCompletableFuture().get(30, TimeUnit.SECONDS);
        TestRuns data = dataSet();
        data.writeTo(store);
        data.writeTo(store);
        assertEquals(5, data.countOf(RunStatus.COMPLETED));
    }

    @BeforeEach
    void requireClickHouse() {
        ClickHouseTestServer.requireServer(url);
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.dropDatabase();
            server.close();
        }
    }

    /** The ```sql blocks of the "Ready queries" section, in order. */
    static List<String> readyQueries(String markdown) {
        int start = markdown.indexOf("## Ready queries");
        int end = markdown.indexOf("\n## ", start + 1);
        String section = markdown.substring(start, end < 0 ? markdown.length() : end);
        Matcher blocks = Pattern.compile("```sql\n(.*?)```", Pattern.DOTALL).matcher(section);
        List<String> sql = new ArrayList<>();
        while (blocks.find()) sql.add(blocks.group(1));
        return sql;
    }

    private static Instant t(long millis) {
        return DAY.plusMillis(millis);
    }

    /**
     * env_a, task email (queue task/email): a1 completes (waits 1000 ms, runs 1000 ms, tags vip), a2 completes
     * (3000, 2000, vip+eu), a3 fails after two attempts (500 + 200 ms waits, 500 + 1500 ms runs, eu), a4 is
     * canceled before it starts. env_a, task resize: a5 completes (100, 4000, vip), a6 completes on its third
     * attempt (no waits, 100 + 100 + 300 ms). env_b, task email: b1 completes (50, 3000, vip).
     */
    static TestRuns dataSet() {
        var email = spec("env_a", "email", List.of("vip"));
        var emailEu = spec("env_a", "email", List.of("vip", "eu"));
        var eu = spec("env_a", "email", List.of("eu"));
        var resize = spec("env_a", "resize", List.of("vip"));
        var plainResize = spec("env_a", "resize", List.of());
        long m10 = 600_000;
        long h1 = 3_600_000;
        long r6 = h1 + 5 * 60_000;
        return new TestRuns()
                .completed("a1", email, t(0), 1000, 1000)
                .completed("a2", emailEu, t(0), 3000, 2000)
                .run(
                        "a3",
                        new RunTriggered("a3", eu, t(m10)),
                        new AttemptFailed("att_1", BOOM, t(m10 + 1000), t(m10 + 2000), started(1, t(m10 + 500))),
                        new RunEnqueued(t(m10 + 2000)),
                        new AttemptFailed("att_2", BOOM, t(m10 + 3700), null, started(2, t(m10 + 2200))),
                        new RunFailed(BOOM, RunStatus.FAILED, t(m10 + 3700)))
                .run(
                        "a4",
                        new RunTriggered("a4", spec("env_a", "email", List.of()), t(2 * m10)),
                        new RunCanceled(t(2 * m10 + 1000), null))
                .completed("a5", resize, t(h1), 100, 4000)
                .run(
                        "a6",
                        new RunTriggered("a6", plainResize, t(r6)),
                        new AttemptFailed("att_1", BOOM, t(r6 + 100), t(r6 + 1000), started(1, t(r6))),
                        new RunEnqueued(t(r6 + 1000)),
                        new AttemptFailed("att_2", BOOM, t(r6 + 1100), t(r6 + 2000), started(2, t(r6 + 1000))),
                        new RunEnqueued(t(r6 + 2000)),
                        new RunSucceeded("att_3", "{}", t(r6 + 2300), started(3, t(r6 + 2000))))
                .completed("b1", spec("env_b", "email", List.of("vip")), t(3 * m10), 50, 3000);
    }

    private static List<List<String>> rows(int query) {
        QueryResult result = store.select(queries.get(query - 1));
        return result.rows();
    }

    private static List<String> row(String... values) {
        return List.of(values);
    }

    @Test
    void failureRatePerTaskPerDay() {
        assertEquals(
                List.of(
                        row("env_a", "email", YESTERDAY, "4", "1", "0.25"),
                        row("env_a", "resize", YESTERDAY, "2", "0", "0"),
                        row("env_b", "email", YESTERDAY, "1", "0", "0")),
                rows(1));
    }

    @Test
    void durationPercentilesPerTaskPerHour() {
        String ten = YESTERDAY + " 10:00:00";
        String eleven = YESTERDAY + " 11:00:00";
        // Durations: email 10h 1000, 2000, 2000 (a4 canceled, left out); resize 11h 4000, 500; b1 3000.
        assertEquals(
                List.of(
                        row("env_a", "email", ten, "4", "1", "[2000,2000,2000]", "2000", "2000", "2000"),
                        row("env_a", "resize", eleven, "2", "0", "[2250,3825,3965]", "2250", "3825", "3965"),
                        row("env_b", "email", ten, "1", "0", "[3000,3000,3000]", "3000", "3000", "3000")),
                withoutFloatNoise(rows(2)));
    }

    @Test
    void queueWaitTimePerQueueAndTaskPerDay() {
        // email waits 1000, 3000, 500, 200; resize 100, 0, 0, 0; b1 50.
        assertEquals(
                List.of(
                        row(
                                "env_a",
                                "task/email",
                                "email",
                                YESTERDAY,
                                "4",
                                "1175",
                                "[750,2700]",
                                "750",
                                "2700",
                                "3000"),
                        row("env_a", "task/resize", "resize", YESTERDAY, "4", "25", "[0,85]", "0", "85", "100"),
                        row("env_b", "task/email", "email", YESTERDAY, "1", "50", "[50,50]", "50", "50", "50")),
                withoutFloatNoise(rows(3)));
    }

    @Test
    void retriesPerTask() {
        assertEquals(
                List.of(
                        row("env_a", "resize", "2", "1", "2", "1", "3"),
                        row("env_a", "email", "4", "1", "1", "0.25", "2"),
                        row("env_b", "email", "1", "0", "0", "0", "1")),
                rows(4));
    }

    @Test
    void busiestTags() {
        assertEquals(
                List.of(
                        row("env_a", "vip", "3", "0", "2333"),
                        row("env_a", "eu", "2", "1", "2000"),
                        row("env_b", "vip", "1", "0", "3000")),
                rows(5));
    }

    /** Rounds the floating-point values in quantile arrays, e.g. [0,84.99999999999997] to [0,85]. */
    private static List<List<String>> withoutFloatNoise(List<List<String>> rows) {
        return rows.stream()
                .map(row -> row.stream()
                        .map(value -> {
                            if (!value.startsWith("[")) return value;
                            List<String> parts = new ArrayList<>();
                            for (String part :
                                    value.substring(1, value.length() - 1).split(",")) {
                                parts.add(String.valueOf(Math.round(Double.parseDouble(part))));
                            }
                            return "[" + String.join(",", parts) + "]";
                        })
                        .toList())
                .toList();
    }
}
