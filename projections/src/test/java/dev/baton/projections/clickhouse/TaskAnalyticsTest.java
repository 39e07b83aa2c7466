package dev.baton.projections.clickhouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.projections.clickhouse.TaskAnalytics.Bucket;
import dev.baton.projections.clickhouse.TaskAnalytics.Outcomes;
import dev.baton.projections.clickhouse.TaskAnalytics.Percentiles;
import dev.baton.projections.clickhouse.TaskAnalytics.TaskOutcomes;
import dev.baton.projections.clickhouse.TaskAnalytics.Window;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The API's analytics reads on ClickHouse, over the ready queries' data set (AnalyticsQueriesTest#dataSet, written
 * twice as an at-least-once delivery may), with the numbers worked out by hand: per task and per bucket, exact
 * percentiles, the window's bounds to the millisecond, one environment only, and literals that cannot be broken out
 * of.
 */
class TaskAnalyticsTest {

    /** The data set's time origin: yesterday 10:00 UTC. */
    private static final Instant DAY =
            LocalDate.now(ZoneOffset.UTC).minusDays(1).atTime(10, 0).toInstant(ZoneOffset.UTC);

    /** A task name with a quote, a backslash and non-ASCII letters. */
    private static final String ODD_TASK = "tâche 'x' \\ ü";

    private static final Window TWO_HOURS = new Window(DAY, DAY.plus(Duration.ofHours(2)));

    private static String url;
    private static ClickHouseTestServer.Store server;
    private static TaskAnalytics analytics;

    @BeforeAll
    static void start() throws Exception {
        url = ClickHouseTestServer.find();
        if (url == null) return;
        server = ClickHouseTestServer.store(url, ClickHouseTestServer.freshDatabase("baton_task_analytics"));
        server.store().ensureSchema().toCompletableFuture().get(30, TimeUnit.SECONDS);
        TestRuns data = AnalyticsQueriesTest.dataSet();
        data.writeTo(server.store());
        data.writeTo(server.store());
        new TestRuns()
                .completed("c1", TestRuns.spec("env_c", ODD_TASK, List.of()), DAY, 10, 700)
                .writeTo(server.store());
        analytics = TaskAnalytics.over(
                server.store(),
                new TaskAnalytics.Settings(Duration.ofSeconds(2), Duration.ofSeconds(10), Duration.ofDays(90), 1000));
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

    @Test
    void perTaskOfOneEnvironment() throws Exception {
        // email: a1 (1000 ms) and a2 (2000) complete, a3 fails (2000), a4 is canceled (no duration);
        // resize: a5 (4000) and a6 (500) complete. env_b's b1 (email) is not env_a's.
        assertEquals(
                List.of(
                        new TaskOutcomes("email", new Outcomes(4, 2, 1, 1, 0, new Percentiles(2000, 2000, 2000))),
                        new TaskOutcomes("resize", new Outcomes(2, 2, 0, 0, 0, new Percentiles(4000, 4000, 4000)))),
                tasks("env_a", TWO_HOURS, null));
        assertEquals(0.25, tasks("env_a", TWO_HOURS, "email").get(0).outcomes().failureRate());
        assertEquals(
                List.of(new TaskOutcomes("email", new Outcomes(1, 1, 0, 0, 0, new Percentiles(3000, 3000, 3000)))),
                tasks("env_b", TWO_HOURS, null));
    }

    @Test
    void theWindowIncludesFromAndExcludesTo() throws Exception {
        // a1 finished at +2000 ms, a2 at +5000 ms.
        Window between = new Window(DAY.plusMillis(2000), DAY.plusMillis(5000));
        assertEquals(
                List.of(new TaskOutcomes("email", new Outcomes(1, 1, 0, 0, 0, new Percentiles(1000, 1000, 1000)))),
                tasks("env_a", between, "email"));
        assertEquals(List.of(), tasks("env_a", new Window(DAY.plusMillis(2001), DAY.plusMillis(5000)), "email"));
    }

    @Test
    void perBucketWithEveryBucketOfTheWindow() throws Exception {
        Outcomes firstHour = new Outcomes(4, 2, 1, 1, 0, new Percentiles(2000, 2000, 2000));
        Outcomes secondHour = new Outcomes(2, 2, 0, 0, 0, new Percentiles(4000, 4000, 4000));
        assertEquals(
                List.of(new Bucket(DAY, firstHour), new Bucket(DAY.plus(Duration.ofHours(1)), secondHour)),
                throughput("env_a", TWO_HOURS, Duration.ofHours(1), null));
        assertEquals(
                List.of(new Bucket(DAY, Outcomes.NONE), new Bucket(DAY.plus(Duration.ofHours(1)), secondHour)),
                throughput("env_a", TWO_HOURS, Duration.ofHours(1), "resize"));
        // 30-minute buckets over 10:10 to 11:10: the first starts at 10:00, the last at 11:00.
        List<Bucket> halves = throughput(
                "env_a",
                new Window(DAY.plus(Duration.ofMinutes(10)), DAY.plus(Duration.ofMinutes(70))),
                Duration.ofMinutes(30),
                null);
        assertEquals(
                List.of(DAY, DAY.plus(Duration.ofMinutes(30)), DAY.plus(Duration.ofMinutes(60))),
                halves.stream().map(Bucket::start).toList());
        // a3 failed at 10:10:03.7 and a4 was canceled at 10:20:01; a5 and a6 finished after 11:00.
        assertEquals(
                List.of(new Outcomes(2, 0, 1, 1, 0, new Percentiles(2000, 2000, 2000)), Outcomes.NONE, secondHour),
                halves.stream().map(Bucket::outcomes).toList());
    }

    @Test
    void quotesInTheEnvironmentOrTaskMatchNothing() throws Exception {
        assertEquals(List.of(), tasks("env_a' OR '1'='1", TWO_HOURS, null));
        assertEquals(List.of(), tasks("env_a", TWO_HOURS, "email' OR task_id != '"));
        assertEquals(List.of(), tasks("env_a\\", TWO_HOURS, "\\' OR 1 = 1 --"));
    }

    @Test
    void anyTaskNameRoundTrips() throws Exception {
        TaskOutcomes odd = new TaskOutcomes(ODD_TASK, new Outcomes(1, 1, 0, 0, 0, new Percentiles(700, 700, 700)));
        assertEquals(List.of(odd), tasks("env_c", TWO_HOURS, null));
        assertEquals(List.of(odd), tasks("env_c", TWO_HOURS, ODD_TASK));
    }

    @Test
    void onlyHexDigitsOfTheStringsReachTheSql() {
        String where = TaskAnalytics.where("env_a' --", TWO_HOURS, "ta\\sk'ü");
        assertEquals(
                "env_a' --",
                new String(
                        HexFormat.of().parseHex(where.replaceAll("(?s).*env_id = unhex\\('([0-9a-f]*)'\\).*", "$1")),
                        StandardCharsets.UTF_8));
        assertTrue(where.replaceAll("unhex\\('[0-9a-f]*'\\)", "").indexOf('\'') < 0, where);
    }

    private static List<TaskOutcomes> tasks(String environment, Window window, String task) throws Exception {
        return analytics.tasks(environment, window, task).toCompletableFuture().get(15, TimeUnit.SECONDS);
    }

    private static List<Bucket> throughput(String environment, Window window, Duration interval, String task)
            throws Exception {
        return analytics
                .throughput(environment, window, interval, task)
                .toCompletableFuture()
                .get(15, TimeUnit.SECONDS);
    }
}
