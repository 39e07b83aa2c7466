package dev.baton.projections.clickhouse;

import static dev.baton.projections.clickhouse.TestRuns.BOOM;
import static dev.baton.projections.clickhouse.TestRuns.attempt;
import static dev.baton.projections.clickhouse.TestRuns.spec;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.baton.engine.run.Debounce;
import dev.baton.engine.run.RunEntity;
import dev.baton.engine.run.RunEntity.AttemptFailed;
import dev.baton.engine.run.RunEntity.AttemptLeased;
import dev.baton.engine.run.RunEntity.AttemptStarted;
import dev.baton.engine.run.RunEntity.MetadataUpdated;
import dev.baton.engine.run.RunEntity.RunCanceled;
import dev.baton.engine.run.RunEntity.RunDebounced;
import dev.baton.engine.run.RunEntity.RunEnqueued;
import dev.baton.engine.run.RunEntity.RunExpired;
import dev.baton.engine.run.RunEntity.RunFailed;
import dev.baton.engine.run.RunEntity.RunRescheduled;
import dev.baton.engine.run.RunEntity.RunTriggered;
import dev.baton.engine.run.RunSpec;
import dev.baton.engine.run.RunStatus;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The fold behind every row: status after each event, durations, queue waits and the one final row per run. */
class RunFactsTest {

    private static final Instant T = Instant.parse("2026-11-27T10:00:00Z");

    private static Instant t(long ms) {
        return T.plusMillis(ms);
    }

    private static List<RunEventRow> rows(String runId, RunEntity.Event... events) {
        return new TestRuns().run(runId, events).rows;
    }

    private static List<String> statuses(List<RunEventRow> rows) {
        return rows.stream().map(RunEventRow::status).toList();
    }

    @Test
    void aTrailingDebouncedTriggerWithTagsReplacesTheRunsTags() {
        RunSpec delayed = TestRuns.spec("env", "task", List.of("first"));
        delayed = new RunSpec(
                delayed.environmentId(),
                delayed.taskId(),
                delayed.queue(),
                "{}",
                "application/json",
                delayed.tags(),
                null,
                null,
                delayed.retry(),
                null,
                false,
                null,
                0,
                t(60_000),
                null,
                null);
        List<RunEventRow> rows = rows(
                "r",
                new RunTriggered("r", delayed, T),
                new RunDebounced(t(70_000), null, t(1000)),
                new RunDebounced(
                        t(80_000),
                        new Debounce.TrailingFields("{}", "application/json", null, List.of("latest"), null, null),
                        t(2000)),
                new RunDebounced(
                        t(90_000),
                        new Debounce.TrailingFields("{}", "application/json", null, List.of(), null, null),
                        t(3000)));
        assertEquals(List.of("DELAYED", "DELAYED", "DELAYED", "DELAYED"), statuses(rows));
        assertEquals(
                List.of("RunTriggered", "RunDebounced", "RunDebounced", "RunDebounced"),
                rows.stream().map(RunEventRow::eventType).toList());
        assertEquals(List.of("first"), rows.get(1).tags(), "a leading trigger keeps the tags");
        assertEquals(List.of("latest"), rows.get(2).tags());
        assertEquals(List.of("latest"), rows.get(3).tags(), "a trailing trigger without tags keeps them");
    }

    @Test
    void aDelayedRunThatRetriesAndIsCanceledWhileRunning() {
        RunSpec delayed = new RunSpec(
                "env",
                "task",
                "q",
                null,
                null,
                List.of("a"),
                null,
                null,
                TestRuns.spec("env", "task", List.of()).retry(),
                null,
                true,
                null,
                0,
                t(60_000),
                null,
                null);
        List<RunEventRow> rows = rows(
                "r",
                new RunTriggered("r", delayed, T),
                new RunRescheduled(t(90_000), t(1000)),
                new RunEnqueued(t(90_000)),
                new AttemptLeased(attempt(1, t(90_500))),
                new AttemptStarted("att_1", t(90_600)),
                new AttemptFailed("att_1", BOOM, t(91_600), t(92_000), null),
                new MetadataUpdated("{}", t(91_700)),
                new RunEnqueued(t(92_000)),
                new AttemptLeased(attempt(2, t(92_100))),
                new AttemptStarted("att_2", t(92_200)),
                new RunCanceled(t(92_700), null));
        assertEquals(
                List.of(
                        "DELAYED",
                        "DELAYED",
                        "QUEUED",
                        "DEQUEUED",
                        "EXECUTING",
                        "RETRYING",
                        "RETRYING",
                        "QUEUED",
                        "DEQUEUED",
                        "EXECUTING",
                        "CANCELED"),
                statuses(rows));
        assertEquals(
                List.of(0L, 0L, 0L, 500L, 0L, 0L, 0L, 0L, 100L, 0L, 0L),
                rows.stream().map(RunEventRow::queueWaitMs).toList(),
                "waits since the delay ended, then since the retry");
        assertEquals(1000, rows.get(5).attemptDurationMs());
        assertEquals("TypeError", rows.get(5).errorType());
        assertEquals(1500, rows.get(10).durationMs(), "1000 ms, then 500 ms until the cancel");
        assertEquals(
                List.of(false, false, false, false, false, false, false, false, false, false, true),
                rows.stream().map(RunEventRow::isFinal).toList());
        assertEquals(2, rows.get(10).attempt());
        rows.forEach(row -> {
            assertEquals("task", row.taskId());
            assertEquals("q", row.queue());
            assertEquals("env", row.envId());
            assertEquals(true, row.test());
            assertEquals(T.toEpochMilli(), row.createdAtMs());
        });
    }

    @Test
    void terminalEventsOtherThanSuccess() {
        List<RunEventRow> failed = rows(
                "f",
                new RunTriggered("f", spec("env", "task", List.of()), T),
                new AttemptLeased(attempt(1, t(10))),
                new AttemptStarted("att_1", t(20)),
                new AttemptFailed("att_1", BOOM, t(520), null, null),
                new RunFailed(BOOM, RunStatus.CRASHED, t(520)));
        assertEquals(List.of("QUEUED", "DEQUEUED", "EXECUTING", "EXECUTING", "CRASHED"), statuses(failed));
        assertEquals(500, failed.get(4).durationMs());
        assertEquals("TypeError", failed.get(4).errorType());
        assertEquals(true, failed.get(4).isFinal());

        List<RunEventRow> expired =
                rows("e", new RunTriggered("e", spec("env", "task", List.of()), T), new RunExpired(t(5000)));
        assertEquals(List.of("QUEUED", "EXPIRED"), statuses(expired));
        assertEquals(0, expired.get(1).durationMs());
        assertEquals(true, expired.get(1).isFinal());
    }

    @Test
    void resultRowsAndLiteralsRoundTripTheirEscapes() {
        QueryResult result = QueryResult.parse("a\tb\nx\\ty\\\\z\\n\tit\\'s\n");
        assertEquals(List.of("a", "b"), result.columns());
        assertEquals(List.of(List.of("x\ty\\z\n", "it's")), result.rows());
        assertEquals("'a\\'b', 'c\\\\d'", ClickHouseStore.literals(List.of("a'b", "c\\d")));
    }
}
