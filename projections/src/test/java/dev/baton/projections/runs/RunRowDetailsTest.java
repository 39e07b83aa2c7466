package dev.baton.projections.runs;

import static dev.baton.projections.runs.RunEvents.at;
import static dev.baton.projections.runs.RunEvents.attempt;
import static dev.baton.projections.runs.RunEvents.spec;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.engine.run.RunEntity.AttemptFailed;
import dev.baton.engine.run.RunEntity.AttemptLeased;
import dev.baton.engine.run.RunEntity.AttemptStarted;
import dev.baton.engine.run.RunEntity.Event;
import dev.baton.engine.run.RunEntity.RunCanceled;
import dev.baton.engine.run.RunEntity.RunEnqueued;
import dev.baton.engine.run.RunEntity.RunFailed;
import dev.baton.engine.run.RunEntity.RunRescheduled;
import dev.baton.engine.run.RunEntity.RunSucceeded;
import dev.baton.engine.run.RunEntity.RunTriggered;
import dev.baton.engine.run.RunEntity.TagsAdded;
import dev.baton.engine.run.RunLineage;
import dev.baton.engine.run.RunSpec;
import dev.baton.engine.run.RunStatus;
import dev.baton.engine.task.RetryPolicy;
import dev.baton.engine.worker.RunError;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The list fields of a run's row: what the engine's RunState says for the same events. */
class RunRowDetailsTest {

    private static final RunRow.WakeRules RULES = new RunRow.WakeRules(Duration.ofSeconds(10), Duration.ofSeconds(30));
    private static final RunError BOOM = new RunError("Error", "boom", null);

    private static RunRow fold(List<Event> events) {
        RunRow row = null;
        for (Event event : events) row = RunRow.apply(row, "run_1", "run-0", event, RULES);
        return row;
    }

    private static RunSpec specWith(List<String> tags, boolean test, String idempotencyKey, Instant delayUntil) {
        return specWith(tags, test, idempotencyKey, delayUntil, null);
    }

    private static RunSpec specWith(
            List<String> tags, boolean test, String idempotencyKey, Instant delayUntil, RunLineage lineage) {
        return new RunSpec(
                "env_1",
                "task-a",
                "task/task-a",
                "{}",
                "application/json",
                tags,
                null,
                idempotencyKey,
                RetryPolicy.DEFAULT,
                null,
                test,
                null,
                0,
                delayUntil,
                Duration.ofMinutes(5),
                null,
                lineage,
                null);
    }

    @Test
    void aRunKeepsTheBatchOrScheduleThatCreatedIt() {
        RunRow.Details batched = fold(List.of(new RunTriggered(
                        "run_1", specWith(List.of(), false, null, null, RunLineage.ofBatch("batch_1", 3)), at(0))))
                .details();
        assertEquals("batch_1", batched.batchId());
        assertNull(batched.scheduleId());
        assertEquals(
                "sched_1",
                fold(List.of(new RunTriggered(
                                "run_1",
                                specWith(List.of(), false, null, null, RunLineage.ofSchedule("sched_1")),
                                at(0))))
                        .details()
                        .scheduleId());
        assertNull(fold(List.of(new RunTriggered("run_1", spec("env_1"), at(0))))
                .details()
                .batchId());
    }

    @Test
    void theTriggerSetsTheSpecsFields() {
        RunRow.Details details = fold(List.of(
                        new RunTriggered("run_1", specWith(List.of("a", "b", "a"), true, "key-1", null), at(0))))
                .details();
        assertEquals(List.of("a", "b"), details.tags());
        assertTrue(details.test());
        assertEquals("key-1", details.idempotencyKey());
        assertNull(details.startedAt());
        assertNull(details.finishedAt());
        assertEquals(0, details.durationMs());
    }

    @Test
    void durationSumsTheAttemptsToTheNanosecondAndStartedAtIsTheFirstStart() {
        Instant start1 = at(2).plusNanos(999_999);
        Instant start2 = at(20).plusNanos(500);
        List<Event> events = List.of(
                new RunTriggered("run_1", spec("env_1"), at(0)),
                new AttemptLeased(attempt(1, at(1))),
                new AttemptStarted("att_1", start1),
                new AttemptFailed("att_1", BOOM, at(3).plusNanos(999_998), at(10), null),
                new RunEnqueued(at(10)),
                new AttemptLeased(attempt(2, at(19))),
                new AttemptStarted("att_2", start2),
                new RunSucceeded("att_2", "{}", at(21).plusNanos(499), null));
        RunRow row = fold(events);
        // As RunState: (3.000999998 - 2.000999999) s → 999 ms, then (21.000000499 - 20.0000005) s → 999 ms
        // (starts cut to microseconds would give 1000 + 1000).
        assertEquals(999 + 999, row.details().durationMs());
        assertEquals(
                start1.truncatedTo(java.time.temporal.ChronoUnit.MICROS),
                row.details().startedAt());
        assertEquals(at(21), row.details().finishedAt().truncatedTo(java.time.temporal.ChronoUnit.SECONDS));
        assertNull(row.details().attemptStartedAt());
        assertEquals(2, row.details().timedAttempts());
    }

    @Test
    void eventsDeliveredAgainNeverCountAnAttemptTwice() {
        List<Event> history = List.of(
                new RunTriggered("run_1", spec("env_1"), at(0)),
                new AttemptLeased(attempt(1, at(1))),
                new AttemptStarted("att_1", at(2)),
                new AttemptFailed("att_1", BOOM, at(5), null, null),
                new RunFailed(BOOM, RunStatus.FAILED, at(5)));
        RunRow once = fold(history);
        assertEquals(3000, once.details().durationMs());
        for (int from = 1; from < history.size(); from++) {
            List<Event> again = new ArrayList<>(history);
            again.addAll(history.subList(from, history.size()));
            assertEquals(once, fold(again), "delivered again from event " + from);
        }
    }

    @Test
    void aCanceledRunningAttemptCountsUntilTheCancel() {
        RunRow row = fold(List.of(
                new RunTriggered("run_1", spec("env_1"), at(0)),
                new AttemptLeased(attempt(1, at(1))),
                new AttemptStarted("att_1", at(2)),
                new RunCanceled(at(9), null)));
        assertEquals(RunStatus.CANCELED, row.status());
        assertEquals(7000, row.details().durationMs());
        assertEquals(at(9), row.details().finishedAt());
    }

    @Test
    void delayedUntilHoldsOnlyWhileDelayed() {
        RunRow delayed = fold(List.of(new RunTriggered("run_1", specWith(List.of(), false, null, at(60)), at(0))));
        assertEquals(at(60), delayed.details().delayedUntil());
        RunRow rescheduled = RunRow.apply(delayed, "run_1", "run-0", new RunRescheduled(at(90), at(1)), RULES);
        assertEquals(at(90), rescheduled.details().delayedUntil());
        RunRow queued = RunRow.apply(rescheduled, "run_1", "run-0", new RunEnqueued(at(90)), RULES);
        assertNull(queued.details().delayedUntil());
        RunRow canceled = RunRow.apply(rescheduled, "run_1", "run-0", new RunCanceled(at(2), null), RULES);
        assertNull(canceled.details().delayedUntil());
    }

    @Test
    void addedTagsFollowTheTriggersOnce() {
        RunRow row = fold(List.of(
                new RunTriggered("run_1", specWith(List.of("b", "a"), false, null, null), at(0)),
                new TagsAdded(List.of("c", "a"), at(1)),
                new TagsAdded(List.of("d"), at(2))));
        assertEquals(List.of("b", "a", "c", "d"), row.tags());
        assertFalse(row.details().test());
    }
}
