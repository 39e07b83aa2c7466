package dev.baton.projections.runs;

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
import dev.baton.engine.run.RunEntity.RunResumed;
import dev.baton.engine.run.RunEntity.RunSucceeded;
import dev.baton.engine.run.RunEntity.RunSuspended;
import dev.baton.engine.run.RunEntity.RunTaskDeclared;
import dev.baton.engine.run.RunEntity.RunTriggered;
import dev.baton.engine.run.RunEntity.StepCompleted;
import dev.baton.engine.run.RunEntity.TagsAdded;
import dev.baton.engine.run.RunEntity.WaitResolved;
import dev.baton.engine.run.RunSpec;
import dev.baton.engine.run.RunState.Attempt;
import dev.baton.engine.run.RunStatus;
import dev.baton.engine.run.Wait;
import dev.baton.projections.internal.TagTable;
import dev.baton.projections.listing.ListCursor;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;

/**
 * One row of {@code baton_runs}, and how each run event changes it. Pure and deterministic (times
 * come from the events, never from a clock), so replaying a run's events rebuilds the same row.
 *
 * <p>{@code wakeAt} is when the run must be looked at if nothing else did: the run's own next timer
 * (delay, retry, TTL, maxDuration), or for a run waiting on others (queue, worker) its last event plus
 * a recheck. Final runs have none. Times are kept to the microsecond, as both databases store them.
 *
 * @param attemptCount attempts leased so far (a run with none still expires by its TTL)
 * @param ttl the spec's TTL, or null; with {@code maxDurationSeconds} kept for the wake times of later events
 * @param wakeCount how often the sweeper woke the run since its last event (its recheck backs off with it)
 * @param details what the run list shows and filters on beyond the index columns
 */
public record RunRow(
        String runId,
        String environmentId,
        String taskId,
        String queue,
        String concurrencyKey,
        RunStatus status,
        String tag,
        int attemptCount,
        Duration ttl,
        Integer maxDurationSeconds,
        Instant createdAt,
        Instant updatedAt,
        Instant wakeAt,
        int wakeCount,
        Details details) {

    /**
     * @param recheck how long after its last event a run waiting on others is looked at again
     * @param leaseTimeout the engine's lease timeout: a leased or executing run's own deadline
     */
    public record WakeRules(Duration recheck, Duration leaseTimeout) {}

    /**
     * The run's list fields, folded like the engine's {@code RunState}: {@code durationMs} is time spent
     * executing, summed over attempts; {@code delayedUntil} is set while the run is DELAYED.
     * {@code batchId} is the batch that created the run (an API batch, or a {@code batchTriggerAndWait} of its
     * parent), {@code scheduleId} the schedule that fired it; {@code version} the version the run is locked to (by
     * its trigger, its parent, or the worker of its first attempt), null until then.
     *
     * @param tags the run's tags in order (the trigger's, then any added since), without duplicates
     * @param attemptStartedAt the running attempt's start, or null; to the nanosecond, as in the event, so
     *     {@code durationMs} is the engine's to the millisecond
     * @param timedAttempts the attempts (1..n) whose time is in {@code durationMs}: an attempt's time counts
     *     once, however often its events are delivered
     */
    public record Details(
            boolean test,
            String idempotencyKey,
            List<String> tags,
            Instant startedAt,
            Instant finishedAt,
            Instant delayedUntil,
            Instant attemptStartedAt,
            long durationMs,
            int timedAttempts,
            String version,
            String batchId,
            String scheduleId) {

        public Details {
            tags = tags == null ? List.of() : List.copyOf(new LinkedHashSet<>(tags));
            startedAt = micros(startedAt);
            finishedAt = micros(finishedAt);
            delayedUntil = micros(delayedUntil);
        }

        /** A run with nothing listed beyond its spec yet. */
        public static Details none() {
            return new Details(false, null, List.of(), null, null, null, null, 0, 0, null, null, null);
        }

        static Details of(RunSpec spec, Instant delayedUntil) {
            return new Details(
                    spec.test(),
                    spec.idempotencyKey(),
                    spec.tags(),
                    null,
                    null,
                    delayedUntil,
                    null,
                    0,
                    0,
                    spec.lockedToVersion(),
                    spec.lineage().batchId(),
                    spec.lineage().scheduleId());
        }

        Details delayed(Instant until) {
            return new Details(
                    test,
                    idempotencyKey,
                    tags,
                    startedAt,
                    finishedAt,
                    until,
                    attemptStartedAt,
                    durationMs,
                    timedAttempts,
                    version,
                    batchId,
                    scheduleId);
        }

        Details attemptStarted(Instant at) {
            return new Details(
                    test,
                    idempotencyKey,
                    tags,
                    startedAt == null ? at : startedAt,
                    finishedAt,
                    delayedUntil,
                    at,
                    durationMs,
                    timedAttempts,
                    version,
                    batchId,
                    scheduleId);
        }

        /** A new attempt was leased, or the run went back to its queue: no attempt is running (nothing counted). */
        Details noAttempt() {
            return new Details(
                    test,
                    idempotencyKey,
                    tags,
                    startedAt,
                    finishedAt,
                    delayedUntil,
                    null,
                    durationMs,
                    timedAttempts,
                    version,
                    batchId,
                    scheduleId);
        }

        /** Attempt {@code attempt} (the latest leased; 0 for none) ended at {@code at}: its time counts, once. */
        Details attemptEnded(int attempt, Instant at) {
            if (attempt <= timedAttempts) return noAttempt();
            long running = attemptStartedAt == null
                    ? 0
                    : Math.max(0, Duration.between(attemptStartedAt, at).toMillis());
            return new Details(
                    test,
                    idempotencyKey,
                    tags,
                    startedAt,
                    finishedAt,
                    delayedUntil,
                    null,
                    durationMs + running,
                    attempt,
                    version,
                    batchId,
                    scheduleId);
        }

        Details finished(int attempt, Instant at) {
            Details ended = attemptEnded(attempt, at);
            return new Details(
                    test,
                    idempotencyKey,
                    tags,
                    startedAt,
                    at,
                    null,
                    null,
                    ended.durationMs,
                    ended.timedAttempts,
                    version,
                    batchId,
                    scheduleId);
        }

        Details tagged(List<String> added) {
            List<String> all = new ArrayList<>(tags);
            all.addAll(added);
            return new Details(
                    test,
                    idempotencyKey,
                    all,
                    startedAt,
                    finishedAt,
                    delayedUntil,
                    attemptStartedAt,
                    durationMs,
                    timedAttempts,
                    version,
                    batchId,
                    scheduleId);
        }

        Details withTags(List<String> newTags) {
            return new Details(
                    test,
                    idempotencyKey,
                    newTags,
                    startedAt,
                    finishedAt,
                    delayedUntil,
                    attemptStartedAt,
                    durationMs,
                    timedAttempts,
                    version,
                    batchId,
                    scheduleId);
        }

        /** The version the run is locked to, from its trigger or the first attempt's worker; set once. */
        Details withVersion(String newVersion) {
            if (newVersion == null || version != null) return this;
            return new Details(
                    test,
                    idempotencyKey,
                    tags,
                    startedAt,
                    finishedAt,
                    delayedUntil,
                    attemptStartedAt,
                    durationMs,
                    timedAttempts,
                    newVersion,
                    batchId,
                    scheduleId);
        }
    }

    public RunRow {
        createdAt = micros(createdAt);
        updatedAt = micros(updatedAt);
        wakeAt = micros(wakeAt);
        details = Objects.requireNonNull(details, "details");
    }

    public List<String> tags() {
        return details.tags();
    }

    /** This row with these tags (as read from {@code baton_run_tags}). */
    RunRow withTags(List<String> tags) {
        return with(details.withTags(tags));
    }

    /** The run's position in the run list. */
    public ListCursor cursor() {
        return new ListCursor(createdAt, runId);
    }

    TagTable.Tagged tagged() {
        return new TagTable.Tagged(runId, environmentId, createdAt, tags());
    }

    /**
     * The row after {@code event}. A {@link RunTriggered} (re)starts the row; any other event needs the
     * row, and returns null without one (its trigger was projected elsewhere, e.g. under another tag).
     */
    public static RunRow apply(RunRow row, String runId, String tag, RunEntity.Event event, WakeRules rules) {
        if (event instanceof RunTriggered e) return triggered(runId, tag, e.spec(), e.at(), rules);
        if (row == null) return null;
        row = row.withAttempt(RunEntity.Event.outcomeAttempt(event));
        if (event instanceof RunRescheduled e) {
            return row.moved(tag, row.status, e.at(), e.delayUntil()).with(row.details.delayed(e.delayUntil()));
        }
        if (event instanceof RunDebounced e) {
            RunRow pushed =
                    row.moved(tag, row.status, e.at(), e.delayUntil()).with(row.details.delayed(e.delayUntil()));
            Debounce.TrailingFields latest = e.latest();
            if (latest == null) return pushed;
            // A trailing trigger replaces the tags and maxDuration it gives.
            if (!latest.tags().isEmpty()) pushed = pushed.with(pushed.details.withTags(latest.tags()));
            return latest.maxDurationSeconds() == null
                    ? pushed
                    : pushed.withMaxDurationSeconds(latest.maxDurationSeconds());
        }
        if (event instanceof RunTaskDeclared e) {
            return row.moved(tag, RunStatus.QUEUED, e.at(), e.at().plus(rules.recheck()))
                    .inQueue(e.queue());
        }
        if (event instanceof RunEnqueued e) {
            Instant wake = e.at().plus(rules.recheck());
            if (row.attemptCount == 0) wake = earliest(wake, expiry(row.ttl, e.at()));
            return row.moved(tag, e.awaitingTask() ? RunStatus.PENDING_VERSION : RunStatus.QUEUED, e.at(), wake)
                    .with(row.details.noAttempt().delayed(null));
        }
        if (event instanceof AttemptLeased e) {
            Instant leasedAt = e.attempt().leasedAt();
            return row.withAttemptCount(e.attempt().number())
                    .moved(
                            tag,
                            RunStatus.DEQUEUED,
                            leasedAt,
                            leasedAt.plus(rules.leaseTimeout()).plus(rules.recheck()))
                    .with(row.details.noAttempt().delayed(null));
        }
        if (event instanceof AttemptStarted e) {
            Instant wake = e.at().plus(rules.leaseTimeout()).plus(rules.recheck());
            if (row.maxDurationSeconds != null) wake = earliest(wake, e.at().plusSeconds(row.maxDurationSeconds));
            return row.moved(tag, RunStatus.EXECUTING, e.at(), wake).with(row.details.attemptStarted(e.at()));
        }
        if (event instanceof AttemptFailed e) {
            // Without a retry the terminal event follows in the same write; until then the run keeps its status.
            RunRow failed = e.retryAt() != null
                    ? row.moved(tag, RunStatus.RETRYING, e.at(), e.retryAt())
                    : row.moved(tag, row.status, e.at(), e.at().plus(rules.recheck()));
            return failed.with(row.details.attemptEnded(row.attemptCount, e.at()));
        }
        if (event instanceof RunSucceeded e) return row.ended(tag, RunStatus.COMPLETED, e.at());
        if (event instanceof RunFailed e) return row.ended(tag, e.status(), e.at());
        if (event instanceof RunCanceled e) return row.ended(tag, RunStatus.CANCELED, e.at());
        if (event instanceof RunExpired e) return row.ended(tag, RunStatus.EXPIRED, e.at());
        if (event instanceof TagsAdded e) return row.touched(e.at()).with(row.details.tagged(e.tags()));
        if (event instanceof MetadataUpdated e) return row.touched(e.at());
        if (event instanceof RunSuspended e) {
            // A duration wait wakes at its end; any other wait is rechecked, so a lost answer is asked for again.
            Instant wake =
                    e.waitFor().kind() == Wait.Kind.DURATION ? e.waitFor().until() : e.at().plus(rules.recheck());
            return row.moved(tag, RunStatus.WAITING, e.at(), wake)
                    .with(row.details.attemptEnded(row.attemptCount, e.at()));
        }
        if (event instanceof RunResumed e)
            return row.moved(tag, RunStatus.QUEUED, e.at(), e.at().plus(rules.recheck()));
        if (event instanceof StepCompleted e) return row.touched(e.at());
        if (event instanceof WaitResolved e) return row.touched(e.at());
        return row;
    }

    /** The row with the attempt counted and its start recorded, before its outcome is applied. */
    private RunRow withAttempt(Attempt attempt) {
        if (attempt == null) return this;
        RunRow counted = withAttemptCount(attempt.number()).with(details.withVersion(attempt.version()));
        return attempt.startedAt() == null
                ? counted
                : counted.with(counted.details.attemptStarted(attempt.startedAt()));
    }

    private static RunRow triggered(String runId, String tag, RunSpec spec, Instant at, WakeRules rules) {
        boolean delayed = spec.delayUntil() != null && spec.delayUntil().isAfter(at);
        Instant wake = delayed ? spec.delayUntil() : earliest(at.plus(rules.recheck()), expiry(spec.ttl(), at));
        return new RunRow(
                runId,
                spec.environmentId(),
                spec.taskId(),
                spec.queue(),
                spec.concurrencyKey(),
                delayed ? RunStatus.DELAYED : spec.pendingTask() != null ? RunStatus.PENDING_VERSION : RunStatus.QUEUED,
                tag,
                0,
                spec.ttl(),
                spec.maxDurationSeconds(),
                at,
                at,
                wake,
                0,
                Details.of(spec, delayed ? spec.delayUntil() : null));
    }

    /**
     * A new status, last-event time and wake time; the sweeper's backoff starts over. A run that leaves
     * DELAYED is no longer delayed until anything.
     */
    private RunRow moved(String newTag, RunStatus newStatus, Instant at, Instant wake) {
        Details next = newStatus == RunStatus.DELAYED ? details : details.delayed(null);
        return new RunRow(
                runId,
                environmentId,
                taskId,
                queue,
                concurrencyKey,
                newStatus,
                newTag,
                attemptCount,
                ttl,
                maxDurationSeconds,
                createdAt,
                at,
                newStatus.isFinal() ? null : wake,
                0,
                next);
    }

    /** The final event: a running attempt ends with the run. */
    private RunRow ended(String newTag, RunStatus finalStatus, Instant at) {
        return moved(newTag, finalStatus, at, null).with(details.finished(attemptCount, at));
    }

    private RunRow touched(Instant at) {
        return new RunRow(
                runId,
                environmentId,
                taskId,
                queue,
                concurrencyKey,
                status,
                tag,
                attemptCount,
                ttl,
                maxDurationSeconds,
                createdAt,
                at,
                wakeAt,
                wakeCount,
                details);
    }

    private RunRow inQueue(String newQueue) {
        return new RunRow(
                runId,
                environmentId,
                taskId,
                newQueue,
                concurrencyKey,
                status,
                tag,
                attemptCount,
                ttl,
                maxDurationSeconds,
                createdAt,
                updatedAt,
                wakeAt,
                wakeCount,
                details);
    }

    private RunRow withMaxDurationSeconds(Integer seconds) {
        return new RunRow(
                runId,
                environmentId,
                taskId,
                queue,
                concurrencyKey,
                status,
                tag,
                attemptCount,
                ttl,
                seconds,
                createdAt,
                updatedAt,
                wakeAt,
                wakeCount,
                details);
    }

    private RunRow withAttemptCount(int count) {
        return new RunRow(
                runId,
                environmentId,
                taskId,
                queue,
                concurrencyKey,
                status,
                tag,
                count,
                ttl,
                maxDurationSeconds,
                createdAt,
                updatedAt,
                wakeAt,
                wakeCount,
                details);
    }

    private RunRow with(Details newDetails) {
        return new RunRow(
                runId,
                environmentId,
                taskId,
                queue,
                concurrencyKey,
                status,
                tag,
                attemptCount,
                ttl,
                maxDurationSeconds,
                createdAt,
                updatedAt,
                wakeAt,
                wakeCount,
                newDetails);
    }

    private static Instant expiry(Duration ttl, Instant queuedAt) {
        return ttl == null ? null : queuedAt.plus(ttl);
    }

    private static Instant earliest(Instant a, Instant b) {
        if (a == null) return b;
        if (b == null) return a;
        return a.isBefore(b) ? a : b;
    }

    private static Instant micros(Instant instant) {
        return instant == null ? null : instant.truncatedTo(ChronoUnit.MICROS);
    }
}
