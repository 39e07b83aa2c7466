package dev.baton.projections.runs;

import static dev.baton.projections.runs.RunEvents.at;
import static dev.baton.projections.runs.RunEvents.attempt;
import static dev.baton.projections.runs.RunEvents.spec;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.baton.engine.run.Debounce;
import dev.baton.engine.run.RunEntity.AttemptFailed;
import dev.baton.engine.run.RunEntity.AttemptLeased;
import dev.baton.engine.run.RunEntity.AttemptStarted;
import dev.baton.engine.run.RunEntity.Event;
import dev.baton.engine.run.RunEntity.MetadataUpdated;
import dev.baton.engine.run.RunEntity.RunCanceled;
import dev.baton.engine.run.RunEntity.RunDebounced;
import dev.baton.engine.run.RunEntity.RunEnqueued;
import dev.baton.engine.run.RunEntity.RunExpired;
import dev.baton.engine.run.RunEntity.RunFailed;
import dev.baton.engine.run.RunEntity.RunRescheduled;
import dev.baton.engine.run.RunEntity.RunResumed;
import dev.baton.engine.run.RunEntity.RunSucceeded;
import dev.baton.engine.run.RunEntity.RunSuspended;
import dev.baton.engine.run.RunEntity.RunTaskDeclared;
import dev.baton.engine.run.RunEntity.RunTriggered;
import dev.baton.engine.run.RunEntity.TagsAdded;
import dev.baton.engine.run.RunSettings;
import dev.baton.engine.run.RunSpec;
import dev.baton.engine.run.RunState;
import dev.baton.engine.run.RunStatus;
import dev.baton.engine.run.TriggerRequest;
import dev.baton.engine.run.Wait;
import dev.baton.engine.task.TaskDefinition;
import dev.baton.engine.worker.RunError;
import dev.baton.engine.worker.StepResult;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The run index row after each event sequence: status and wake time (no database). */
class RunRowTest {

    private static final Duration RECHECK = Duration.ofSeconds(10);
    private static final Duration LEASE = Duration.ofSeconds(30);
    private static final RunRow.WakeRules RULES = new RunRow.WakeRules(RECHECK, LEASE);
    private static final RunError BOOM = new RunError("Error", "boom", null);

    private static RunRow fold(Event... events) {
        RunRow row = null;
        for (Event event : events) row = RunRow.apply(row, "run_1", "run-2", event, RULES);
        return row;
    }

    private static void assertRow(RunRow row, RunStatus status, Instant wakeAt) {
        assertEquals(status, row.status(), "status");
        assertEquals(wakeAt, row.wakeAt(), "wake_at");
        assertEquals(0, row.wakeCount(), "wake_count");
    }

    private static RunTriggered triggered(RunSpec spec) {
        return new RunTriggered("run_1", spec, at(0));
    }

    @Test
    void aTriggeredRunIsQueuedAndRecheckedAfterTheRecheckInterval() {
        RunRow row = fold(triggered(spec("env_1")));
        assertRow(row, RunStatus.QUEUED, at(10));
        assertEquals("run_1", row.runId());
        assertEquals("env_1", row.environmentId());
        assertEquals("task-a", row.taskId());
        assertEquals("task/task-a", row.queue());
        assertEquals("key-1", row.concurrencyKey());
        assertEquals("run-2", row.tag());
        assertEquals(at(0), row.createdAt());
        assertEquals(at(0), row.updatedAt());
    }

    @Test
    void aQueuedRunWithAShortTtlWakesWhenItExpires() {
        assertRow(fold(triggered(spec("env_1", null, Duration.ofSeconds(4), null))), RunStatus.QUEUED, at(4));
        assertRow(fold(triggered(spec("env_1", null, Duration.ofMinutes(5), null))), RunStatus.QUEUED, at(10));
    }

    @Test
    void aDelayedRunWakesAtItsDelayAndAtTheNewOneWhenRescheduled() {
        RunSpec delayed = spec("env_1", at(600), Duration.ofSeconds(4), null);
        assertRow(fold(triggered(delayed)), RunStatus.DELAYED, at(600));
        RunRow rescheduled = fold(triggered(delayed), new RunRescheduled(at(900), at(5)));
        assertRow(rescheduled, RunStatus.DELAYED, at(900));
        assertEquals(at(5), rescheduled.updatedAt());
    }

    @Test
    void aDebouncedRunWakesAtItsPushedStartAndTakesATrailingTriggersTagsAndMaxDuration() {
        RunSpec delayed = spec("env_1", at(600), null, 60);
        RunRow leading = fold(triggered(delayed), new RunDebounced(at(700), null, at(5)));
        assertRow(leading, RunStatus.DELAYED, at(700));
        assertEquals(at(5), leading.updatedAt());
        assertEquals(delayed.tags(), leading.tags());
        assertEquals(at(700), leading.details().delayedUntil());

        var latest = new Debounce.TrailingFields("{}", "application/json", null, List.of("latest"), 3, 120);
        RunRow trailing = fold(triggered(delayed), new RunDebounced(at(800), latest, at(6)));
        assertRow(trailing, RunStatus.DELAYED, at(800));
        assertEquals(List.of("latest"), trailing.tags());
        assertEquals(120, trailing.maxDurationSeconds());

        var bare = new Debounce.TrailingFields("{}", "application/json", null, List.of(), null, null);
        RunRow kept = fold(triggered(delayed), new RunDebounced(at(900), bare, at(7)));
        assertEquals(delayed.tags(), kept.tags());
        assertEquals(60, kept.maxDurationSeconds());
    }

    @Test
    void anAttemptJournaledWithItsOutcomeIsCountedAndTimed() {
        RunState.Attempt first = new RunState.Attempt("att_1", 1, "ws_1", "w_1", at(2), at(3));
        RunState.Attempt second = new RunState.Attempt("att_2", 2, "ws_1", "w_1", at(20), at(21));
        RunRow retrying = fold(
                triggered(spec("env_1")),
                new AttemptFailed("att_1", new RunError("E", "m", null), at(5), at(15), first));
        assertRow(retrying, RunStatus.RETRYING, at(15));
        assertEquals(1, retrying.attemptCount());
        RunRow done = fold(
                triggered(spec("env_1")),
                new AttemptFailed("att_1", new RunError("E", "m", null), at(5), at(15), first),
                new RunEnqueued(at(15)),
                new RunSucceeded("att_2", "{}", at(24), second));
        assertRow(done, RunStatus.COMPLETED, null);
        assertEquals(2, done.attemptCount());
        assertEquals(at(3), done.details().startedAt());
        assertEquals(2_000 + 3_000, done.details().durationMs());
    }

    @Test
    void aRunWaitingForADurationWakesAtItsEndAndAnyOtherWaitIsRechecked() {
        Event[] executing = {
            triggered(spec("env_1")),
            new AttemptLeased(attempt(1, at(2))),
            new AttemptStarted(attempt(1, at(2)).id(), at(3))
        };
        RunRow sleeping = fold(concat(
                executing, new RunSuspended(attempt(1, at(2)).id(), Wait.duration("wait#1", at(3600)), at(5), null)));
        assertRow(sleeping, RunStatus.WAITING, at(3600));

        RunRow waitingForChildren = fold(concat(
                executing,
                new RunSuspended(
                        attempt(1, at(2)).id(),
                        Wait.runs("runs#1", List.of(TriggerRequest.of("task-a", "{}")), null),
                        at(5),
                        null)));
        assertRow(waitingForChildren, RunStatus.WAITING, at(15));

        RunRow resumed = fold(concat(
                executing,
                new RunSuspended(attempt(1, at(2)).id(), Wait.token("token#1", "waitpoint_1"), at(5), null),
                new RunResumed("token#1", StepResult.success("{}"), at(8))));
        assertRow(resumed, RunStatus.QUEUED, at(18));
    }

    private static Event[] concat(Event[] first, Event... more) {
        Event[] all = Arrays.copyOf(first, first.length + more.length);
        System.arraycopy(more, 0, all, first.length, more.length);
        return all;
    }

    @Test
    void aDelayInThePastQueuesAtOnce() {
        assertRow(fold(new RunTriggered("run_1", spec("env_1", at(-1), null, null), at(0))), RunStatus.QUEUED, at(10));
    }

    @Test
    void theEndOfADelayStartsTheTtlClock() {
        RunSpec delayed = spec("env_1", at(600), Duration.ofSeconds(4), null);
        assertRow(fold(triggered(delayed), new RunEnqueued(at(600))), RunStatus.QUEUED, at(604));
    }

    /** {@code spec} as a trigger of a task no worker had declared leaves it, locked to {@code version} (or null). */
    private static RunSpec awaitingTask(RunSpec spec, String version) {
        return new RunSpec(
                spec.environmentId(),
                spec.taskId(),
                spec.queue(),
                spec.payloadJson(),
                spec.payloadType(),
                spec.tags(),
                spec.metadataJson(),
                spec.idempotencyKey(),
                spec.retry(),
                spec.maxDurationSeconds(),
                spec.test(),
                spec.concurrencyKey(),
                spec.priorityMs(),
                spec.delayUntil(),
                spec.ttl(),
                spec.replayOf(),
                spec.lineage(),
                spec.trace(),
                version,
                new RunSpec.PendingTask(null, null, null));
    }

    @Test
    void aRunOfAnUndeclaredTaskIsPendingVersionAlsoAfterItsDelayUntilItsTaskIsDeclared() {
        assertRow(fold(triggered(awaitingTask(spec("env_1"), null))), RunStatus.PENDING_VERSION, at(10));
        RunSpec delayed = awaitingTask(spec("env_1", at(600), null, null), null);
        RunRow pending = fold(triggered(delayed), new RunEnqueued(at(600), true));
        assertRow(pending, RunStatus.PENDING_VERSION, at(610));
        RunRow queued = fold(
                triggered(delayed),
                new RunEnqueued(at(600), true),
                new RunTaskDeclared(new TaskDefinition("hello", "greetings", null, null, null), "greetings", at(700)));
        assertRow(queued, RunStatus.QUEUED, at(710));
        assertEquals("greetings", queued.queue());
    }

    @Test
    void aRunsVersionIsItsLockElseTheVersionItsFirstAttemptRanOn() {
        assertEquals(
                "v2",
                fold(triggered(awaitingTask(spec("env_1"), "v2"))).details().version());
        RunState.Attempt first = new RunState.Attempt("att_1", 1, "ws_1", "w_1", at(2), at(3), "v1");
        RunState.Attempt second = new RunState.Attempt("att_2", 2, "ws_2", "w_2", at(20), at(21), "v3");
        RunRow done = fold(
                triggered(spec("env_1")),
                new AttemptFailed("att_1", BOOM, at(5), at(15), first),
                new RunEnqueued(at(15)),
                new RunSucceeded("att_2", "{}", at(24), second));
        assertEquals("v1", done.details().version());
        assertEquals(2_000 + 3_000, done.details().durationMs(), "the version changes nothing else");
    }

    @Test
    void aLeasedRunWakesAfterItsLeaseAndARecheck() {
        RunRow row = fold(triggered(spec("env_1")), new AttemptLeased(attempt(1, at(2))));
        assertRow(row, RunStatus.DEQUEUED, at(2 + 30 + 10));
        assertEquals(1, row.attemptCount());
        assertEquals(at(2), row.updatedAt());
    }

    @Test
    void anExecutingRunWakesAfterItsLeaseOrAtItsMaxDurationIfSooner() {
        assertRow(
                fold(
                        triggered(spec("env_1")),
                        new AttemptLeased(attempt(1, at(2))),
                        new AttemptStarted("att_1", at(3))),
                RunStatus.EXECUTING,
                at(3 + 40));
        assertRow(
                fold(
                        triggered(spec("env_1", null, null, 5)),
                        new AttemptLeased(attempt(1, at(2))),
                        new AttemptStarted("att_1", at(3))),
                RunStatus.EXECUTING,
                at(8));
        assertRow(
                fold(
                        triggered(spec("env_1", null, null, 3600)),
                        new AttemptLeased(attempt(1, at(2))),
                        new AttemptStarted("att_1", at(3))),
                RunStatus.EXECUTING,
                at(43));
    }

    @Test
    void aFailedAttemptWithARetryWakesAtTheRetryAndIsRetrying() {
        RunRow row = fold(
                triggered(spec("env_1")),
                new AttemptLeased(attempt(1, at(2))),
                new AttemptStarted("att_1", at(3)),
                new AttemptFailed("att_1", BOOM, at(4), at(6), null));
        assertRow(row, RunStatus.RETRYING, at(6));
    }

    @Test
    void aRequeuedRunThatHadAnAttemptNoLongerExpires() {
        RunRow row = fold(
                triggered(spec("env_1", null, Duration.ofSeconds(4), null)),
                new AttemptLeased(attempt(1, at(2))),
                new AttemptFailed("att_1", BOOM, at(3), at(5), null),
                new RunEnqueued(at(5)));
        assertRow(row, RunStatus.QUEUED, at(15));
    }

    @Test
    void finalEventsEndTheRowWithNoWakeTime() {
        RunTriggered trigger = triggered(spec("env_1"));
        AttemptLeased leased = new AttemptLeased(attempt(1, at(2)));
        AttemptStarted started = new AttemptStarted("att_1", at(3));
        assertRow(
                fold(trigger, leased, started, new RunSucceeded("att_1", "{}", at(4), null)),
                RunStatus.COMPLETED,
                null);
        assertRow(
                fold(
                        trigger,
                        leased,
                        started,
                        new AttemptFailed("att_1", BOOM, at(4), null, null),
                        new RunFailed(BOOM, RunStatus.FAILED, at(4))),
                RunStatus.FAILED,
                null);
        assertRow(
                fold(
                        trigger,
                        leased,
                        started,
                        new AttemptFailed("att_1", BOOM, at(4), null, null),
                        new RunFailed(BOOM, RunStatus.TIMED_OUT, at(4))),
                RunStatus.TIMED_OUT,
                null);
        assertRow(fold(trigger, leased, new RunFailed(BOOM, RunStatus.CRASHED, at(4))), RunStatus.CRASHED, null);
        assertRow(fold(trigger, new RunCanceled(at(4), null)), RunStatus.CANCELED, null);
        assertRow(fold(trigger, new RunExpired(at(4))), RunStatus.EXPIRED, null);
    }

    @Test
    void aFailedAttemptWithoutRetryKeepsTheStatusUntilTheFinalEvent() {
        RunRow row = fold(
                triggered(spec("env_1")),
                new AttemptLeased(attempt(1, at(2))),
                new AttemptStarted("att_1", at(3)),
                new AttemptFailed("att_1", BOOM, at(4), null, null));
        assertRow(row, RunStatus.EXECUTING, at(14));
    }

    @Test
    void tagsAndMetadataOnlyTouchUpdatedAt() {
        RunRow before = fold(triggered(spec("env_1")), new AttemptLeased(attempt(1, at(2))));
        RunRow swept = new RunRow(
                before.runId(),
                before.environmentId(),
                before.taskId(),
                before.queue(),
                before.concurrencyKey(),
                before.status(),
                before.tag(),
                before.attemptCount(),
                before.ttl(),
                before.maxDurationSeconds(),
                before.createdAt(),
                before.updatedAt(),
                at(99),
                3,
                before.details());
        RunRow tagged = RunRow.apply(swept, "run_1", "run-2", new TagsAdded(List.of("x"), at(7)), RULES);
        RunRow updated = RunRow.apply(tagged, "run_1", "run-2", new MetadataUpdated("{\"a\":1}", at(8)), RULES);
        assertEquals(RunStatus.DEQUEUED, updated.status());
        assertEquals(at(99), updated.wakeAt());
        assertEquals(3, updated.wakeCount());
        assertEquals(at(8), updated.updatedAt());
    }

    @Test
    void anEventAfterASweepResetsTheWakeCount() {
        RunRow queued = fold(triggered(spec("env_1")));
        RunRow swept = new RunRow(
                queued.runId(),
                queued.environmentId(),
                queued.taskId(),
                queued.queue(),
                queued.concurrencyKey(),
                queued.status(),
                queued.tag(),
                0,
                null,
                null,
                queued.createdAt(),
                queued.updatedAt(),
                at(50),
                4,
                queued.details());
        assertRow(
                RunRow.apply(swept, "run_1", "run-2", new AttemptLeased(attempt(1, at(60))), RULES),
                RunStatus.DEQUEUED,
                at(100));
    }

    @Test
    void eventsOfAnUnknownRunAreSkipped() {
        assertNull(RunRow.apply(null, "run_1", "run-2", new RunEnqueued(at(1)), RULES));
    }

    @Test
    void replayingAnyPrefixAgainEndsInTheSameRow() {
        List<Event> history = List.of(
                triggered(spec("env_1", at(5), Duration.ofSeconds(60), 100)),
                new RunRescheduled(at(6), at(1)),
                new RunEnqueued(at(6)),
                new AttemptLeased(attempt(1, at(7))),
                new AttemptStarted("att_1", at(8)),
                new AttemptFailed("att_1", BOOM, at(9), at(11), null),
                new RunEnqueued(at(11)),
                new TagsAdded(List.of("t"), at(12)),
                new AttemptLeased(attempt(2, at(13))),
                new AttemptStarted("att_2", at(14)),
                new RunSucceeded("att_2", "{}", at(15), null));
        RunRow once = fold(history.toArray(Event[]::new));
        for (int replayFrom = 0; replayFrom < history.size(); replayFrom++) {
            List<Event> again = new ArrayList<>(history);
            again.addAll(history.subList(replayFrom, history.size()));
            assertEquals(once, fold(again.toArray(Event[]::new)), "replayed from event " + replayFrom);
        }
        assertRow(once, RunStatus.COMPLETED, null);
        assertEquals(2, once.attemptCount());
    }

    @Test
    void timesAreKeptToTheMicrosecond() {
        RunRow row = RunRow.apply(
                null,
                "run_1",
                "run-0",
                new RunTriggered("run_1", spec("env_1"), Instant.parse("2026-11-28T10:00:00.123456789Z")),
                RULES);
        assertEquals(Instant.parse("2026-11-28T10:00:00.123456Z"), row.createdAt());
        assertEquals(Instant.parse("2026-11-28T10:00:10.123456Z"), row.wakeAt());
    }

    @Test
    void theIndexProjectsEveryTagARunCanHave() {
        RunSettings engine = new RunSettings(
                LEASE, Duration.ofSeconds(5), 4, 10, 1000, Duration.ofSeconds(10), Duration.ofSeconds(30));
        RunIndexSettings index = new RunIndexSettings(
                4,
                LEASE,
                "jdbc-read-journal",
                500,
                Duration.ofMillis(250),
                RECHECK,
                Duration.ofSeconds(60),
                Duration.ofMinutes(10),
                Duration.ofSeconds(1),
                Duration.ofSeconds(5),
                1000,
                RunIndexSettings.SWEEPER_DISPATCHER);
        for (int i = 0; i < 200; i++) {
            String runId = dev.baton.engine.common.Ids.newId("run");
            assertEquals(true, index.tags().contains(engine.tagFor(runId)), runId);
        }
    }
}
