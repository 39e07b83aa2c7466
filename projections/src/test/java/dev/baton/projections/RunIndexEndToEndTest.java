package dev.baton.projections;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.projection.javadsl.ProjectionManagement;
import com.typesafe.config.Config;
import dev.baton.engine.run.RunState;
import dev.baton.engine.run.RunStatus;
import dev.baton.engine.task.RetryPolicy;
import dev.baton.engine.testkit.TestDatabases;
import dev.baton.engine.worker.WorkerChannel;
import dev.baton.projections.runs.RunIndexProjection;
import dev.baton.projections.runs.RunIndexSettings;
import dev.baton.projections.runs.RunRow;
import dev.baton.projections.runs.RunTable;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The run index projection on a real node: PostgreSQL, the JDBC journal, real run entities. Every
 * run's row agrees with the entity's own state, and replaying the projection from offset 0 (offsets
 * cleared through ProjectionManagement) leaves the table identical. The recheck is long, so the
 * sweeper leaves every row alone while the test compares them.
 */
class RunIndexEndToEndTest {

    private static final Duration RECHECK = Duration.ofHours(1);
    private static final Duration LEASE = Duration.ofMinutes(5);
    private static final String ENV = "env_index";

    private static TestCluster node;
    private static RunIndexSettings settings;

    @BeforeAll
    static void start() {
        Config config = TestCluster.postgresConfig(TestDatabases.freshPostgresSchema("index_e2e"), """
        baton.projections.run-index.recheck = 1h
        baton.engine.run.lease-timeout = 5m
        """);
        node = TestCluster.start("RunIndexEndToEndTest", config);
        settings = RunIndexSettings.fromConfig(config);
    }

    @AfterAll
    static void stop() {
        if (node != null) node.close();
    }

    /** What the row of a run in this state must hold. */
    private static Instant expectedWake(RunState state) {
        Instant wake = switch (state.status()) {
            case QUEUED -> {
                Instant recheck = state.queuedAt().plus(RECHECK);
                Duration ttl = state.spec().ttl();
                yield ttl != null
                                && state.attemptCount() == 0
                                && state.queuedAt().plus(ttl).isBefore(recheck)
                        ? state.queuedAt().plus(ttl)
                        : recheck;
            }
            case DELAYED -> state.delayUntil();
            case DEQUEUED -> state.currentAttempt().leasedAt().plus(LEASE).plus(RECHECK);
            case EXECUTING -> {
                Instant started = state.currentAttempt().startedAt();
                Instant lease = started.plus(LEASE).plus(RECHECK);
                Integer max = state.spec().maxDurationSeconds();
                yield max != null && started.plusSeconds(max).isBefore(lease) ? started.plusSeconds(max) : lease;
            }
            case RETRYING -> state.retryAt();
            default -> null;
        };
        return wake == null ? null : wake.truncatedTo(ChronoUnit.MICROS);
    }

    private static boolean rowMatches(RunRow row, RunState state) {
        return row != null
                && row.status() == state.status()
                && row.environmentId().equals(state.spec().environmentId())
                && row.attemptCount() == state.attemptCount()
                && row.createdAt().equals(state.createdAt().truncatedTo(ChronoUnit.MICROS))
                && row.updatedAt().equals(state.updatedAt().truncatedTo(ChronoUnit.MICROS))
                && java.util.Objects.equals(row.wakeAt(), expectedWake(state))
                && row.wakeCount() == 0
                && row.tag().equals(node.engine().runSettings().tagFor(state.runId()));
    }

    private static Map<String, RunRow> rows(List<String> runIds) throws Exception {
        try (Connection connection = node.database().dataSource().getConnection()) {
            return new TreeMap<>(new RunTable(node.database().dialect()).load(connection, runIds));
        }
    }

    /** projection key → (offset, last updated) of the run index. */
    private static Map<String, long[]> offsets() throws Exception {
        Map<String, long[]> offsets = new TreeMap<>();
        try (Connection connection = node.database().dataSource().getConnection();
                Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery("SELECT projection_key, current_offset, last_updated"
                        + " FROM akka_projection_offset_store WHERE projection_name = '" + RunIndexProjection.NAME
                        + "'")) {
            while (result.next()) {
                offsets.put(result.getString(1), new long[] {Long.parseLong(result.getString(2)), result.getLong(3)});
            }
        }
        return offsets;
    }

    private static int tableSize() throws Exception {
        try (Connection connection = node.database().dataSource().getConnection();
                Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery("SELECT count(*) FROM baton_runs")) {
            result.next();
            return result.getInt(1);
        }
    }

    @Test
    void everyRunsRowFollowsItsEventsAndSurvivesAReplayFromOffsetZero() throws Exception {
        RunDriver runs = new RunDriver(node.system());
        TestProbe<WorkerChannel.Message> worker = node.testKit().createTestProbe();
        Instant now = Instant.now();
        RetryPolicy slowRetry = new RetryPolicy(3, 1.0, 3_600_000, 3_600_000, false);
        Map<String, RunState> expected = new LinkedHashMap<>();

        expected.put("run_queued", runs.trigger("run_queued", RunDriver.spec(ENV)));
        expected.put(
                "run_ttl",
                runs.trigger("run_ttl", RunDriver.spec(ENV, RetryPolicy.DEFAULT, null, Duration.ofMinutes(30), null)));
        expected.put(
                "run_delayed",
                runs.trigger(
                        "run_delayed",
                        RunDriver.spec(ENV, RetryPolicy.DEFAULT, now.plus(Duration.ofHours(2)), null, null)));
        runs.trigger(
                "run_rescheduled", RunDriver.spec(ENV, RetryPolicy.DEFAULT, now.plus(Duration.ofHours(2)), null, null));
        expected.put("run_rescheduled", runs.reschedule("run_rescheduled", now.plus(Duration.ofHours(3))));
        // A leased or executing attempt is journaled only with its outcome: the index shows such runs queued.
        expected.put("run_leased", runs.trigger("run_leased", RunDriver.spec(ENV)));
        runs.lease("run_leased", worker.ref());
        expected.put(
                "run_executing",
                runs.trigger("run_executing", RunDriver.spec(ENV, RetryPolicy.DEFAULT, null, null, 600)));
        runs.start("run_executing", runs.lease("run_executing", worker.ref()));
        runs.trigger("run_retrying", RunDriver.spec(ENV, slowRetry, null, null, null));
        String attempt = runs.lease("run_retrying", worker.ref());
        runs.start("run_retrying", attempt);
        runs.fail("run_retrying", attempt);
        runs.trigger("run_completed", RunDriver.spec(ENV));
        attempt = runs.lease("run_completed", worker.ref());
        runs.start("run_completed", attempt);
        runs.complete("run_completed", attempt);
        runs.trigger("run_failed", RunDriver.spec(ENV, RetryPolicy.DEFAULT.withMaxAttempts(1), null, null, null));
        attempt = runs.lease("run_failed", worker.ref());
        runs.start("run_failed", attempt);
        runs.fail("run_failed", attempt);
        runs.trigger("run_canceled", RunDriver.spec(ENV));
        runs.cancel("run_canceled");
        runs.trigger("run_tagged", RunDriver.spec(ENV));
        runs.addTags("run_tagged", List.of("vip"));
        for (String runId : List.of("run_retrying", "run_completed", "run_failed", "run_canceled", "run_tagged")) {
            expected.put(runId, runs.get(runId));
        }
        assertEquals(RunStatus.RETRYING, expected.get("run_retrying").status());
        assertEquals(RunStatus.FAILED, expected.get("run_failed").status());

        List<String> runIds = new ArrayList<>(expected.keySet());
        TestCluster.await(
                () -> {
                    Map<String, RunRow> rows = rows(runIds);
                    return expected.values().stream().allMatch(state -> rowMatches(rows.get(state.runId()), state));
                },
                Duration.ofSeconds(30),
                "the index to hold every run as its entity sees it");

        Map<String, RunRow> before = rows(runIds);
        int sizeBefore = tableSize();
        Map<String, long[]> offsetsBefore = offsets();
        assertEquals(settings.tagCount(), offsetsBefore.size(), "every tag's projection stored an offset");

        ProjectionManagement management = ProjectionManagement.get(node.system());
        for (String tag : settings.tags()) {
            management
                    .clearOffset(RunIndexProjection.projectionId(tag))
                    .toCompletableFuture()
                    .get(30, TimeUnit.SECONDS);
        }
        TestCluster.await(
                () -> {
                    Map<String, long[]> now2 = offsets();
                    return now2.size() == offsetsBefore.size()
                            && offsetsBefore.entrySet().stream()
                                    .allMatch(entry -> now2.get(entry.getKey()) != null
                                            && now2.get(entry.getKey())[0] == entry.getValue()[0]
                                            && now2.get(entry.getKey())[1] > entry.getValue()[1]);
                },
                Duration.ofSeconds(30),
                "every tag replayed from offset 0 up to where it was");

        assertEquals(before, rows(runIds));
        assertEquals(sizeBefore, tableSize());
        assertTrue(sizeBefore >= expected.size());
    }
}
