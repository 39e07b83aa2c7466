package dev.baton.projections.clickhouse;

import static dev.baton.projections.clickhouse.TestRuns.BOOM;
import static dev.baton.projections.clickhouse.TestRuns.attempt;
import static dev.baton.projections.clickhouse.TestRuns.spec;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.engine.run.RunEntity.AttemptFailed;
import dev.baton.engine.run.RunEntity.AttemptLeased;
import dev.baton.engine.run.RunEntity.AttemptStarted;
import dev.baton.engine.run.RunEntity.RunCanceled;
import dev.baton.engine.run.RunEntity.RunEnqueued;
import dev.baton.engine.run.RunEntity.RunFailed;
import dev.baton.engine.run.RunEntity.RunTriggered;
import dev.baton.engine.run.RunEntity.TagsAdded;
import dev.baton.engine.run.RunStatus;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Every write path, read back: the tables are created (twice, harmlessly) with the columns the writer sends,
 * every column of run_events and runs comes back as written (the silent zero-row trap of compressed responses
 * would show here as missing rows), and writing the same rows again changes no FINAL count nor task_stats.
 */
class ClickHouseStoreTest {

    private static final Instant T = Instant.parse("2026-11-27T10:15:30.250Z");

    private static String url;
    private static ClickHouseTestServer.Store server;
    private static ClickHouseStore store;

    @BeforeAll
    static void start() throws Exception {
        url = ClickHouseTestServer.find();
        if (url == null) return;
        server = ClickHouseTestServer.store(url, ClickHouseTestServer.freshDatabase("baton_store_test"));
        store = server.store();
        store.ensureSchema().toCompletableFuture().get(30, TimeUnit.SECONDS);
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

    private static TestRuns runs(String prefix) {
        String failed = prefix + "_failed";
        String canceled = prefix + "_canceled";
        return new TestRuns()
                .run(
                        failed,
                        new RunTriggered(failed, spec("env_1", "email", List.of("vip", "it's-ü")), T),
                        new AttemptLeased(attempt(1, T.plusMillis(1500))),
                        new AttemptStarted("att_1", T.plusMillis(1600)),
                        new AttemptFailed("att_1", BOOM, T.plusMillis(2600), T.plusMillis(3000), null),
                        new RunEnqueued(T.plusMillis(3000)),
                        new AttemptLeased(attempt(2, T.plusMillis(3100))),
                        new AttemptStarted("att_2", T.plusMillis(3200)),
                        new AttemptFailed("att_2", BOOM, T.plusMillis(3700), null, null),
                        new RunFailed(BOOM, RunStatus.FAILED, T.plusMillis(3700)),
                        new TagsAdded(List.of("late"), T.plusMillis(5000)))
                .run(
                        canceled,
                        new RunTriggered(canceled, spec("env_2", "resize", List.of()), T),
                        new RunCanceled(T.plusMillis(10), null))
                .completed(prefix + "_ok", spec("env_1", "email", List.of("vip")), T, 250, 1234);
    }

    private static List<String> columns(String table) {
        return store
                .select("SELECT name FROM system.columns WHERE database = currentDatabase() AND table = '" + table
                        + "'")
                .rows()
                .stream()
                .map(row -> row.get(0))
                .toList();
    }

    @Test
    void theTablesAreCreatedOnceWithTheColumnsTheWriterSends() throws Exception {
        try (ClickHouseTestServer.Store again = ClickHouseTestServer.store(url, store.database())) {
            again.store().ensureSchema().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
        List<String> tables = store
                .select("SELECT name FROM system.tables WHERE database = currentDatabase()" + " ORDER BY name")
                .rows()
                .stream()
                .map(row -> row.get(0))
                .toList();
        assertEquals(List.of("run_events", "run_logs", "runs", "spans", "task_stats", "task_stats_mv"), tables);
        assertEquals(
                RunEventRow.COLUMNS.stream().sorted().toList(),
                columns("run_events").stream().sorted().toList());
        assertEquals(
                ClickHouseStore.RUNS_COLUMNS.stream().sorted().toList(),
                columns("runs").stream().sorted().toList());
        assertEquals(
                LogLineRow.COLUMNS.stream().sorted().toList(),
                columns("run_logs").stream().sorted().toList());
        assertEquals(
                SpanRow.COLUMNS.stream().sorted().toList(),
                columns("spans").stream().sorted().toList());
    }

    @Test
    void everyColumnOfRunEventsReadsBackAsWritten() throws Exception {
        TestRuns runs = runs("events");
        runs.writeTo(store);
        QueryResult result = store.select("""
        SELECT env_id, run_id, seq_nr, event_type, toUnixTimestamp(event_time) AS event_time_s, event_time_ms,
          task_id, queue, status, is_final, attempt, attempt_id, worker_id, attempt_duration_ms, duration_ms,
          queue_wait_ms, error_type, error_message, arrayStringConcat(tags, ',') AS tags, is_test,
          toUnixTimestamp(created_at) AS created_at_s, created_at_ms
        FROM run_events FINAL WHERE run_id LIKE 'events_%' ORDER BY run_id, seq_nr""");
        List<RunEventRow> expected = runs.rows.stream()
                .sorted((a, b) -> a.runId().equals(b.runId())
                        ? Long.compare(a.seqNr(), b.seqNr())
                        : a.runId().compareTo(b.runId()))
                .toList();
        assertEquals(expected.size(), result.rows().size(), "rows read back");
        for (int i = 0; i < expected.size(); i++) {
            RunEventRow row = expected.get(i);
            List<String> values = List.of(
                    row.envId(),
                    row.runId(),
                    "" + row.seqNr(),
                    row.eventType(),
                    "" + row.eventTimeMs() / 1000,
                    "" + row.eventTimeMs(),
                    row.taskId(),
                    row.queue(),
                    row.status(),
                    row.isFinal() ? "1" : "0",
                    "" + row.attempt(),
                    row.attemptId(),
                    row.workerId(),
                    "" + row.attemptDurationMs(),
                    "" + row.durationMs(),
                    "" + row.queueWaitMs(),
                    row.errorType(),
                    row.errorMessage(),
                    String.join(",", row.tags()),
                    row.test() ? "1" : "0",
                    "" + row.createdAtMs() / 1000,
                    "" + row.createdAtMs());
            assertEquals(values, result.rows().get(i), "row " + i);
        }
        // A few facts the fold must get right, checked by hand.
        Map<String, String> failedEnd = rowOf(result, "events_failed", 9);
        assertEquals("RunFailed", failedEnd.get("event_type"));
        assertEquals("FAILED", failedEnd.get("status"));
        assertEquals("1", failedEnd.get("is_final"));
        assertEquals("1500", failedEnd.get("duration_ms"), "1000 ms + 500 ms of two attempts");
        assertEquals(BOOM.message(), failedEnd.get("error_message"));
        Map<String, String> late = rowOf(result, "events_failed", 10);
        assertEquals("FAILED", late.get("status"), "status after a tag added to a finished run");
        assertEquals("0", late.get("is_final"));
        assertEquals("vip,it's-ü,late", late.get("tags"));
        assertEquals("1500", rowOf(result, "events_failed", 2).get("queue_wait_ms"));
        assertEquals("100", rowOf(result, "events_failed", 6).get("queue_wait_ms"));
        assertEquals("RETRYING", rowOf(result, "events_failed", 4).get("status"));
        assertEquals("1000", rowOf(result, "events_failed", 4).get("attempt_duration_ms"));
        assertEquals("1234", rowOf(result, "events_ok", 2).get("duration_ms"));
        assertEquals("" + T.getEpochSecond(), rowOf(result, "events_ok", 1).get("event_time_s"));
        assertEquals("" + T.toEpochMilli(), rowOf(result, "events_ok", 1).get("event_time_ms"));
    }

    private static Map<String, String> rowOf(QueryResult result, String runId, long seqNr) {
        for (int i = 0; i < result.rows().size(); i++) {
            if (result.get(i, "run_id").equals(runId) && result.getLong(i, "seq_nr") == seqNr) {
                int row = i;
                return result.columns().stream().collect(Collectors.toMap(c -> c, c -> result.get(row, c)));
            }
        }
        throw new AssertionError("no row " + runId + "/" + seqNr);
    }

    @Test
    void runsKeepsEachRunsLatestStateAndEveryColumnReadsBack() throws Exception {
        TestRuns runs = runs("latest");
        // An older version of the failed run arrives after the newer one (a replay): FINAL keeps the newest.
        RunFacts older = runs.latest.get("latest_failed");
        runs.writeTo(store);
        RunFacts early = RunFacts.NONE;
        for (var event : runs.events.get("latest_failed").subList(0, 3)) early = early.apply(event, early.seqNr() + 1);
        store.write(List.of(), Map.of("latest_failed", early), List.of())
                .toCompletableFuture()
                .get(30, TimeUnit.SECONDS);

        QueryResult result = store.select("""
        SELECT env_id, run_id, seq_nr, task_id, queue, status, is_final, toUnixTimestamp(created_at) AS created_s,
          created_at_ms, toUnixTimestamp(updated_at) AS updated_s, updated_at_ms,
          toUnixTimestamp(started_at) AS started_s,
          started_at_ms, toUnixTimestamp(finished_at) AS finished_s, finished_at_ms, attempt_count, duration_ms,
          error_type, error_message, arrayStringConcat(tags, ',') AS tags, is_test
        FROM runs FINAL WHERE run_id LIKE 'latest_%' ORDER BY run_id""");
        assertEquals(3, result.rows().size());
        List<String> failed = result.rows().get(1);
        assertEquals(
                List.of(
                        "env_1",
                        "latest_failed",
                        "10",
                        "email",
                        "task/email",
                        "FAILED",
                        "1",
                        "" + older.createdAtMs() / 1000,
                        "" + older.createdAtMs(),
                        "" + older.updatedAtMs() / 1000,
                        "" + older.updatedAtMs(),
                        "" + older.startedAtMs() / 1000,
                        "" + older.startedAtMs(),
                        "" + older.finishedAtMs() / 1000,
                        "" + older.finishedAtMs(),
                        "2",
                        "1500",
                        "TypeError",
                        BOOM.message(),
                        "vip,it's-ü,late",
                        "0"),
                failed);
        List<String> canceled = result.rows().get(0);
        assertEquals("CANCELED", canceled.get(5));
        assertEquals("0", canceled.get(12), "never started");
        assertEquals("COMPLETED", result.rows().get(2).get(5));
        assertEquals("1234", result.rows().get(2).get(16));
    }

    @Test
    void writingTheSameRowsAgainChangesNoFinalCountNorTheTaskStatistics() throws Exception {
        TestRuns runs = runs("again");
        String counts = """
        SELECT (SELECT count() FROM run_events FINAL WHERE run_id LIKE 'again_%') AS events,
          (SELECT count() FROM runs FINAL WHERE run_id LIKE 'again_%') AS runs""";
        String stats = """
        SELECT env_id, task_id, uniqExactMerge(runs) AS finished, uniqExactIfMerge(failures) AS failed
        FROM task_stats GROUP BY env_id, task_id ORDER BY env_id, task_id""";
        runs.writeTo(store);
        QueryResult once = store.select(counts);
        QueryResult statsOnce = store.select(stats);
        assertEquals(List.of(List.of("" + runs.count(), "3")), once.rows());
        runs.writeTo(store);
        runs.writeTo(store);
        assertEquals(once, store.select(counts));
        assertEquals(statsOnce, store.select(stats));
        assertEquals(runs.count(), rawCount("again_"), "events already written are not sent again");
    }

    @Test
    void copiesOfRunEventsThatDoGetInCollapseUnderFinalAndOnMerge() throws Exception {
        TestRuns runs = runs("copies");
        // A background merge would collapse the copies before they are counted.
        store.execute("SYSTEM STOP MERGES " + store.database() + ".run_events", store.database());
        try {
            store.insertEvents(runs.rows);
            store.insertEvents(runs.rows);
            assertEquals(2 * runs.count(), rawCount("copies_"));
            assertEquals(
                    "" + runs.count(),
                    store.select("SELECT count() FROM run_events FINAL WHERE run_id LIKE 'copies_%'")
                            .single());
        } finally {
            store.execute("SYSTEM START MERGES " + store.database() + ".run_events", store.database());
        }
        store.execute("OPTIMIZE TABLE run_events FINAL", store.database());
        assertEquals(runs.count(), rawCount("copies_"));
    }

    private static long rawCount(String prefix) {
        return Long.parseLong(store.select("SELECT count() FROM run_events WHERE run_id LIKE '" + prefix + "%'")
                .single());
    }

    @Test
    void largeGroupsAreCheckedForWrittenEventsInChunks() throws Exception {
        TestRuns runs = new TestRuns();
        for (int i = 0; i < 2500; i++) {
            runs.run("many_" + i, new RunTriggered("many_" + i, spec("env_many", "bulk", List.of()), T.plusMillis(i)));
        }
        runs.writeTo(store);
        runs.writeTo(store);
        assertEquals(2500, rawCount("many_"));
    }

    @Test
    void tablesDroppedUnderARunningStoreAreCreatedAgainAfterTheFailedWrite() throws Exception {
        try (ClickHouseTestServer.Store other =
                ClickHouseTestServer.store(url, ClickHouseTestServer.freshDatabase("baton_wiped"))) {
            ClickHouseStore wiped = other.store();
            TestRuns runs = runs("wiped");
            wiped.ensureSchema().toCompletableFuture().get(30, TimeUnit.SECONDS);
            other.dropDatabase();
            assertThrows(ExecutionException.class, () -> runs.writeTo(wiped));
            wiped.ensureSchema().toCompletableFuture().get(30, TimeUnit.SECONDS);
            runs.writeTo(wiped);
            assertEquals(
                    "" + runs.count(),
                    wiped.select("SELECT count() FROM run_events FINAL").single());
            other.dropDatabase();
        }
    }

    @Test
    void aServerThatCannotCompressResponsesIsRefusedLoudly() throws Exception {
        String version = store.serverVersion().toCompletableFuture().get(30, TimeUnit.SECONDS);
        if (!version.startsWith("18.")) return; // a current server compresses fine
        ClickHouseSettings compressing = new ClickHouseSettings(
                store.settings().url(),
                store.database(),
                "default",
                "",
                true,
                store.settings().connectTimeout(),
                store.settings().requestTimeout(),
                10,
                store.settings().groupAfterDuration(),
                store.settings().minBackoff(),
                store.settings().maxBackoff(),
                0.2,
                10,
                100,
                4,
                "jdbc-read-journal");
        try (ClickHouseStore broken = new ClickHouseStore(compressing, Runnable::run)) {
            ExecutionException failure = assertThrows(
                    ExecutionException.class,
                    () -> broken.ensureSchema().toCompletableFuture().get(30, TimeUnit.SECONDS));
            assertTrue(
                    failure.getCause().getMessage().contains("compress-server-response = off"),
                    failure.getCause().getMessage());
        }
    }
}
