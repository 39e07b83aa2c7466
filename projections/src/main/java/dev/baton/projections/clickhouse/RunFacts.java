package dev.baton.projections.clickhouse;

import dev.baton.engine.run.RunEntity;
import dev.baton.engine.run.RunSpec;
import dev.baton.engine.run.RunState.Attempt;
import dev.baton.engine.run.RunStatus;
import dev.baton.engine.worker.RunError;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * What the analytics rows need to know about a run after its event number {@code seqNr}: folded from
 * its events in journal order, the way {@code RunState} folds them, so every row is self-contained
 * (task, queue and status even on events that do not carry them). Pure and immutable.
 *
 * <p>Times are epoch milliseconds; 0 means "not yet". {@link #NONE} is the fold's start (no event yet).
 */
public record RunFacts(
        long seqNr,
        String envId,
        String taskId,
        String queue,
        RunStatus status,
        List<String> tags,
        boolean test,
        long createdAtMs,
        long updatedAtMs,
        long queuedAtMs,
        long startedAtMs,
        long finishedAtMs,
        int attemptCount,
        String attemptId,
        String workerId,
        long attemptStartedAtMs,
        long durationMs,
        RunError error) {

    public static final RunFacts NONE =
            new RunFacts(0, "", "", "", RunStatus.NEW, List.of(), false, 0, 0, 0, 0, 0, 0, "", "", 0, 0, null);

    public RunFacts {
        tags = List.copyOf(tags);
    }

    /** The facts after {@code event}, the run's event number {@code eventSeqNr}. */
    public RunFacts apply(RunEntity.Event event, long eventSeqNr) {
        return withAttempt(RunEntity.Event.outcomeAttempt(event)).applyOutcome(event, eventSeqNr);
    }

    /** The facts with the attempt leased and started, as its own events would have left them. */
    private RunFacts withAttempt(Attempt attempt) {
        if (attempt == null) return this;
        long attemptStarted =
                attempt.startedAt() == null ? 0 : attempt.startedAt().toEpochMilli();
        return new RunFacts(
                seqNr,
                envId,
                taskId,
                queue,
                status,
                tags,
                test,
                createdAtMs,
                updatedAtMs,
                queuedAtMs,
                startedAtMs == 0 ? attemptStarted : startedAtMs,
                finishedAtMs,
                attempt.number(),
                attempt.id(),
                nullToEmpty(attempt.workerId()),
                attemptStarted,
                durationMs,
                error);
    }

    private RunFacts applyOutcome(RunEntity.Event event, long eventSeqNr) {
        long at = eventTimeMs(event);
        if (event instanceof RunEntity.RunTriggered e) {
            RunSpec spec = e.spec();
            boolean delayed = spec.delayUntil() != null && spec.delayUntil().isAfter(e.at());
            return new RunFacts(
                    eventSeqNr,
                    spec.environmentId(),
                    spec.taskId(),
                    spec.queue(),
                    delayed
                            ? RunStatus.DELAYED
                            : spec.pendingTask() != null ? RunStatus.PENDING_VERSION : RunStatus.QUEUED,
                    spec.tags(),
                    spec.test(),
                    at,
                    at,
                    delayed ? 0 : at,
                    0,
                    0,
                    0,
                    "",
                    "",
                    0,
                    0,
                    null);
        }
        if (event instanceof RunEntity.RunTaskDeclared e) {
            return new RunFacts(
                    eventSeqNr,
                    envId,
                    taskId,
                    e.queue(),
                    RunStatus.QUEUED,
                    tags,
                    test,
                    createdAtMs,
                    at,
                    queuedAtMs,
                    startedAtMs,
                    finishedAtMs,
                    attemptCount,
                    attemptId,
                    workerId,
                    attemptStartedAtMs,
                    durationMs,
                    error);
        }
        if (event instanceof RunEntity.RunEnqueued e) {
            return with(
                    eventSeqNr,
                    e.awaitingTask() ? RunStatus.PENDING_VERSION : RunStatus.QUEUED,
                    at,
                    at,
                    startedAtMs,
                    finishedAtMs,
                    attemptCount,
                    "",
                    "",
                    0,
                    durationMs,
                    error,
                    tags);
        }
        if (event instanceof RunEntity.AttemptLeased e) {
            return with(
                    eventSeqNr,
                    RunStatus.DEQUEUED,
                    at,
                    queuedAtMs,
                    startedAtMs,
                    finishedAtMs,
                    e.attempt().number(),
                    e.attempt().id(),
                    nullToEmpty(e.attempt().workerId()),
                    0,
                    durationMs,
                    error,
                    tags);
        }
        if (event instanceof RunEntity.AttemptStarted) {
            return with(
                    eventSeqNr,
                    RunStatus.EXECUTING,
                    at,
                    queuedAtMs,
                    startedAtMs == 0 ? at : startedAtMs,
                    finishedAtMs,
                    attemptCount,
                    attemptId,
                    workerId,
                    at,
                    durationMs,
                    error,
                    tags);
        }
        if (event instanceof RunEntity.AttemptFailed e) {
            return with(
                    eventSeqNr,
                    e.retryAt() == null ? status : RunStatus.RETRYING,
                    at,
                    queuedAtMs,
                    startedAtMs,
                    finishedAtMs,
                    attemptCount,
                    "",
                    "",
                    0,
                    durationMs + runningMs(at),
                    e.error(),
                    tags);
        }
        if (event instanceof RunEntity.RunSucceeded) {
            return with(
                    eventSeqNr,
                    RunStatus.COMPLETED,
                    at,
                    queuedAtMs,
                    startedAtMs,
                    at,
                    attemptCount,
                    "",
                    "",
                    0,
                    durationMs + runningMs(at),
                    null,
                    tags);
        }
        if (event instanceof RunEntity.RunFailed e) {
            return ended(eventSeqNr, e.status(), e.error(), at);
        }
        if (event instanceof RunEntity.RunCanceled) {
            return ended(eventSeqNr, RunStatus.CANCELED, null, at);
        }
        if (event instanceof RunEntity.RunExpired) {
            return ended(eventSeqNr, RunStatus.EXPIRED, null, at);
        }
        if (event instanceof RunEntity.TagsAdded e) {
            LinkedHashSet<String> all = new LinkedHashSet<>(tags);
            all.addAll(e.tags());
            return with(
                    eventSeqNr,
                    status,
                    at,
                    queuedAtMs,
                    startedAtMs,
                    finishedAtMs,
                    attemptCount,
                    attemptId,
                    workerId,
                    attemptStartedAtMs,
                    durationMs,
                    error,
                    List.copyOf(all));
        }
        if (event instanceof RunEntity.RunDebounced e
                && e.latest() != null
                && !e.latest().tags().isEmpty()) {
            // A trailing debounced trigger with tags replaces the run's.
            return with(
                    eventSeqNr,
                    status,
                    at,
                    queuedAtMs,
                    startedAtMs,
                    finishedAtMs,
                    attemptCount,
                    attemptId,
                    workerId,
                    attemptStartedAtMs,
                    durationMs,
                    error,
                    e.latest().tags());
        }
        if (event instanceof RunEntity.RunSuspended) {
            return with(
                    eventSeqNr,
                    RunStatus.WAITING,
                    at,
                    queuedAtMs,
                    startedAtMs,
                    finishedAtMs,
                    attemptCount,
                    "",
                    "",
                    0,
                    durationMs + runningMs(at),
                    error,
                    tags);
        }
        if (event instanceof RunEntity.RunResumed) {
            return with(
                    eventSeqNr,
                    RunStatus.QUEUED,
                    at,
                    queuedAtMs,
                    startedAtMs,
                    finishedAtMs,
                    attemptCount,
                    "",
                    "",
                    0,
                    durationMs,
                    error,
                    tags);
        }
        // RunRescheduled, RunDebounced (without tags), MetadataUpdated, StepCompleted, WaitResolved: nothing the rows
        // show changes but the time.
        return with(
                eventSeqNr,
                status,
                at,
                queuedAtMs,
                startedAtMs,
                finishedAtMs,
                attemptCount,
                attemptId,
                workerId,
                attemptStartedAtMs,
                durationMs,
                error,
                tags);
    }

    /** The time an event happened, in epoch milliseconds. */
    public static long eventTimeMs(RunEntity.Event event) {
        return event.at().toEpochMilli();
    }

    /** Running time of the current attempt until {@code atMs}; 0 when no attempt has started. */
    long runningMs(long atMs) {
        return attemptStartedAtMs == 0 ? 0 : Math.max(0, atMs - attemptStartedAtMs);
    }

    /** A terminal event other than success: an attempt still running is closed at {@code at}. */
    private RunFacts ended(long eventSeqNr, RunStatus finalStatus, RunError runError, long at) {
        return with(
                eventSeqNr,
                finalStatus,
                at,
                queuedAtMs,
                startedAtMs,
                at,
                attemptCount,
                "",
                "",
                0,
                durationMs + runningMs(at),
                runError,
                tags);
    }

    private RunFacts with(
            long eventSeqNr,
            RunStatus newStatus,
            long updated,
            long queued,
            long started,
            long finished,
            int attempts,
            String attempt,
            String worker,
            long attemptStarted,
            long duration,
            RunError runError,
            List<String> newTags) {
        return new RunFacts(
                eventSeqNr,
                envId,
                taskId,
                queue,
                newStatus,
                newTags,
                test,
                createdAtMs,
                updated,
                queued,
                started,
                finished,
                attempts,
                attempt,
                worker,
                attemptStarted,
                duration,
                runError);
    }

    private static String nullToEmpty(String value) {
        return value == null ? "" : value;
    }
}
