package dev.baton.engine.run;

import dev.baton.engine.common.CborSerializable;
import dev.baton.engine.task.TaskDefinition;
import dev.baton.engine.worker.RunError;
import dev.baton.engine.worker.StepResult;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A run's state, folded from its events by {@link RunEntity}. Pure: every method returns a new state.
 *
 * @param queuedAt when the run last entered its queue (trigger, end of delay, retry); orders the queue
 *     and starts the TTL clock
 * @param retryAt when the next attempt is queued (RETRYING), else null
 * @param tags the run's tags (the trigger's, plus any added since)
 * @param metadataJson the run's current metadata (a JSON object's text), or null
 * @param steps the memoized results of the run's durable operations (steps and resolved waits), by key
 * @param pendingWait what the run waits for while WAITING, else null
 * @param children the child runs it started and waited for, in order
 * @param resuming true from the end of a wait until the next lease: that lease continues the same attempt
 * @param ranOnVersion the version of the worker that held its first attempt; null before any (or in journals from
 *     before versions)
 * @param endedAttemptId the attempt whose success or failure the journal holds last; null before any, and once a
 *     suspension or a cancel ended an attempt. A worker's outcome sent again for it (the first answer was lost) is
 *     recognised by it ({@link #succeededWith}, {@link #failedWith})
 */
public record RunState(
        String runId,
        RunStatus status,
        RunSpec spec,
        Instant createdAt,
        Instant updatedAt,
        Instant delayUntil,
        Instant queuedAt,
        int attemptCount,
        Attempt currentAttempt,
        Instant startedAt,
        Instant finishedAt,
        Instant retryAt,
        String outputJson,
        RunError error,
        long durationMs,
        List<String> tags,
        String metadataJson,
        Map<String, StepResult> steps,
        Wait pendingWait,
        List<String> children,
        boolean resuming,
        String ranOnVersion,
        String endedAttemptId)
        implements CborSerializable {

    /** @param version the version of the worker that held it; null in journals from before versions */
    public record Attempt(
            String id,
            int number,
            String sessionId,
            String workerId,
            Instant leasedAt,
            Instant startedAt,
            String version)
            implements CborSerializable {

        public Attempt(String id, int number, String sessionId, String workerId, Instant leasedAt, Instant startedAt) {
            this(id, number, sessionId, workerId, leasedAt, startedAt, null);
        }

        Attempt started(Instant at) {
            return new Attempt(id, number, sessionId, workerId, leasedAt, at, version);
        }

        long runningMillis(Instant end) {
            return startedAt == null
                    ? 0
                    : Math.max(0, Duration.between(startedAt, end).toMillis());
        }
    }

    public RunState {
        tags = tags == null ? List.of() : List.copyOf(tags);
        steps = steps == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(steps));
        children = children == null ? List.of() : List.copyOf(children);
    }

    static RunState empty(String runId) {
        return new RunState(
                runId,
                RunStatus.NEW,
                null,
                null,
                null,
                null,
                null,
                0,
                null,
                null,
                null,
                null,
                null,
                null,
                0,
                List.of(),
                null,
                Map.of(),
                null,
                List.of(),
                false,
                null,
                null);
    }

    public boolean exists() {
        return status != RunStatus.NEW;
    }

    public boolean belongsTo(String environmentId) {
        return exists() && spec.environmentId().equals(environmentId);
    }

    /** A run holding a worker slot and a concurrency slot: leased or executing. */
    public boolean isRunning() {
        return status == RunStatus.DEQUEUED || status == RunStatus.EXECUTING;
    }

    public RunLineage lineage() {
        return spec.lineage();
    }

    /**
     * When the run last changed as callers see it: its last event, or later its attempt's lease or start, which
     * the journal records only with the attempt's outcome.
     */
    public Instant lastChangedAt() {
        Instant last = updatedAt;
        if (currentAttempt != null) {
            for (Instant at : new Instant[] {currentAttempt.leasedAt(), currentAttempt.startedAt()}) {
                if (at != null && (last == null || at.isAfter(last))) last = at;
            }
        }
        return last;
    }

    boolean isCurrentAttempt(String attemptId) {
        return currentAttempt != null && currentAttempt.id().equals(attemptId);
    }

    /**
     * True when the run ended with this success of {@code attemptId}: a worker's completion sent again because its
     * answer was lost (the run's shard moved meanwhile) is a repeat, answered as accepted rather than as stale.
     */
    boolean succeededWith(String attemptId, String output) {
        return status == RunStatus.COMPLETED && attemptId.equals(endedAttemptId) && Objects.equals(outputJson, output);
    }

    /**
     * True when this failure of {@code attemptId} is the last outcome the journal holds: a repeat, as for
     * {@link #succeededWith}. The engine's own failures (lease expired, timed out) carry errors of their own.
     */
    boolean failedWith(String attemptId, RunError attemptError) {
        return attemptId.equals(endedAttemptId) && attemptError.equals(error);
    }

    int maxAttempts() {
        return spec.retry().maxAttempts();
    }

    /** When the TTL expires a run that never started; null without a TTL or once an attempt was leased. */
    Instant expiresAt() {
        return spec.ttl() == null || queuedAt == null || attemptCount > 0 ? null : queuedAt.plus(spec.ttl());
    }

    // ---------------------------------------------------------------- transitions (one per event)

    /**
     * The run's version, as Trigger.dev's runs show {@code version}: the one it is locked to (by its trigger or its
     * parent), else the one its first attempt ran on; null while neither is known.
     */
    public String version() {
        if (spec != null && spec.lockedToVersion() != null) return spec.lockedToVersion();
        return ranOnVersion;
    }

    /** What a run that may start now waits in: its queue, or PENDING_VERSION while no worker declared its task. */
    private static RunStatus waiting(RunSpec spec) {
        return spec.pendingTask() != null ? RunStatus.PENDING_VERSION : RunStatus.QUEUED;
    }

    RunState triggered(RunSpec runSpec, Instant at) {
        boolean delayed = runSpec.delayUntil() != null && runSpec.delayUntil().isAfter(at);
        return new RunState(
                runId,
                delayed ? RunStatus.DELAYED : waiting(runSpec),
                runSpec,
                at,
                at,
                delayed ? runSpec.delayUntil() : null,
                delayed ? null : at,
                0,
                null,
                null,
                null,
                null,
                null,
                null,
                0,
                runSpec.tags(),
                runSpec.metadataJson(),
                Map.of(),
                null,
                List.of(),
                false,
                ranOnVersion,
                endedAttemptId);
    }

    RunState rescheduled(Instant until, Instant at) {
        return new RunState(
                runId,
                status,
                spec,
                createdAt,
                at,
                until,
                queuedAt,
                attemptCount,
                currentAttempt,
                startedAt,
                finishedAt,
                retryAt,
                outputJson,
                error,
                durationMs,
                tags,
                metadataJson,
                steps,
                pendingWait,
                children,
                resuming,
                ranOnVersion,
                endedAttemptId);
    }

    /** Pushed back by a debounced trigger; a trailing one ({@code latest} not null) also replaces what it gave. */
    RunState debounced(Instant until, Debounce.TrailingFields latest, Instant at) {
        if (latest == null) return rescheduled(until, at);
        return new RunState(
                runId,
                status,
                spec.debounced(latest),
                createdAt,
                at,
                until,
                queuedAt,
                attemptCount,
                currentAttempt,
                startedAt,
                finishedAt,
                retryAt,
                outputJson,
                error,
                durationMs,
                latest.tags().isEmpty() ? tags : latest.tags(),
                latest.metadataJson() == null ? metadataJson : latest.metadataJson(),
                steps,
                pendingWait,
                children,
                resuming,
                ranOnVersion,
                endedAttemptId);
    }

    RunState enqueued(Instant at) {
        return new RunState(
                runId,
                waiting(spec),
                spec,
                createdAt,
                at,
                null,
                at,
                attemptCount,
                null,
                startedAt,
                finishedAt,
                null,
                outputJson,
                error,
                durationMs,
                tags,
                metadataJson,
                steps,
                null,
                children,
                false,
                ranOnVersion,
                endedAttemptId);
    }

    /** The task of a PENDING_VERSION run was declared: its declaration completes the spec and the run is queued. */
    RunState taskResolved(TaskDefinition task, Instant at) {
        return new RunState(
                runId,
                RunStatus.QUEUED,
                spec.resolved(task),
                createdAt,
                at,
                delayUntil,
                queuedAt,
                attemptCount,
                currentAttempt,
                startedAt,
                finishedAt,
                retryAt,
                outputJson,
                error,
                durationMs,
                tags,
                metadataJson,
                steps,
                pendingWait,
                children,
                resuming,
                ranOnVersion,
                endedAttemptId);
    }

    RunState leased(Attempt attempt) {
        return new RunState(
                runId,
                RunStatus.DEQUEUED,
                spec,
                createdAt,
                attempt.leasedAt(),
                null,
                queuedAt,
                attempt.number(),
                attempt,
                startedAt,
                finishedAt,
                null,
                outputJson,
                error,
                durationMs,
                tags,
                metadataJson,
                steps,
                null,
                children,
                false,
                ranOnVersion,
                endedAttemptId);
    }

    /**
     * The state with {@code attempt} as its current attempt (counted, its start kept as the run's first
     * start), before the attempt's outcome is applied; null (an older journal's event) changes nothing.
     */
    /** The attempt counted; the version of the first attempt's worker is remembered: retries prefer that version. */
    RunState attempted(Attempt attempt) {
        if (attempt == null) return this;
        return new RunState(
                runId,
                status,
                spec,
                createdAt,
                updatedAt,
                delayUntil,
                queuedAt,
                attempt.number(),
                attempt,
                startedAt == null ? attempt.startedAt() : startedAt,
                finishedAt,
                retryAt,
                outputJson,
                error,
                durationMs,
                tags,
                metadataJson,
                steps,
                pendingWait,
                children,
                resuming,
                ranOnVersion != null ? ranOnVersion : attempt.version(),
                endedAttemptId);
    }

    /** How a run held by a worker looks from outside: DEQUEUED until the worker starts it, then EXECUTING. */
    RunState running(Attempt attempt) {
        RunState withAttempt = attempted(attempt);
        return new RunState(
                runId,
                attempt.startedAt() == null ? RunStatus.DEQUEUED : RunStatus.EXECUTING,
                spec,
                createdAt,
                updatedAt,
                null,
                queuedAt,
                withAttempt.attemptCount,
                attempt,
                withAttempt.startedAt,
                finishedAt,
                null,
                outputJson,
                error,
                durationMs,
                tags,
                metadataJson,
                steps,
                null,
                children,
                false,
                withAttempt.ranOnVersion,
                endedAttemptId);
    }

    /** The number of the next leased attempt: a run resuming after a wait continues its attempt. */
    int nextAttemptNumber() {
        return resuming ? Math.max(1, attemptCount) : attemptCount + 1;
    }

    RunState stepCompleted(String key, StepResult result, Instant at) {
        Map<String, StepResult> next = new LinkedHashMap<>(steps);
        next.put(key, result);
        return new RunState(
                runId,
                status,
                spec,
                createdAt,
                at,
                delayUntil,
                queuedAt,
                attemptCount,
                currentAttempt,
                startedAt,
                finishedAt,
                retryAt,
                outputJson,
                error,
                durationMs,
                tags,
                metadataJson,
                next,
                pendingWait,
                children,
                resuming,
                ranOnVersion,
                endedAttemptId);
    }

    /** The attempt ends without an outcome: its slots are free until the wait is resolved. */
    RunState suspended(Wait newWait, List<String> newChildren, Instant at) {
        List<String> allChildren = new ArrayList<>(children);
        allChildren.addAll(newChildren);
        return new RunState(
                runId,
                RunStatus.WAITING,
                spec,
                createdAt,
                at,
                null,
                queuedAt,
                attemptCount,
                null,
                startedAt,
                finishedAt,
                null,
                outputJson,
                error,
                durationMs + currentAttempt.runningMillis(at),
                tags,
                metadataJson,
                steps,
                newWait,
                allChildren,
                false,
                ranOnVersion,
                null);
    }

    RunState waitPartlyResolved(int index, StepResult result, Instant at) {
        return new RunState(
                runId,
                status,
                spec,
                createdAt,
                at,
                delayUntil,
                queuedAt,
                attemptCount,
                currentAttempt,
                startedAt,
                finishedAt,
                retryAt,
                outputJson,
                error,
                durationMs,
                tags,
                metadataJson,
                steps,
                pendingWait.withResolved(index, result),
                children,
                resuming,
                ranOnVersion,
                endedAttemptId);
    }

    /** The wait is over: its result is memoized and the run is queued again in its original place. */
    RunState resumed(StepResult result, Instant at) {
        return stepCompleted(pendingWait.key(), result, at).queuedAgain(at);
    }

    private RunState queuedAgain(Instant at) {
        return new RunState(
                runId,
                RunStatus.QUEUED,
                spec,
                createdAt,
                at,
                null,
                queuedAt,
                attemptCount,
                null,
                startedAt,
                finishedAt,
                null,
                outputJson,
                error,
                durationMs,
                tags,
                metadataJson,
                steps,
                null,
                children,
                true,
                ranOnVersion,
                endedAttemptId);
    }

    RunState attemptStarted(Instant at) {
        return new RunState(
                runId,
                RunStatus.EXECUTING,
                spec,
                createdAt,
                at,
                null,
                queuedAt,
                attemptCount,
                currentAttempt.started(at),
                startedAt == null ? at : startedAt,
                finishedAt,
                null,
                outputJson,
                error,
                durationMs,
                tags,
                metadataJson,
                steps,
                pendingWait,
                children,
                resuming,
                ranOnVersion,
                endedAttemptId);
    }

    /** The current attempt ended in failure; with {@code nextRetryAt} the run waits, else a terminal event follows. */
    RunState attemptFailed(RunError attemptError, Instant at, Instant nextRetryAt) {
        RunStatus next = nextRetryAt == null ? status : RunStatus.RETRYING;
        return new RunState(
                runId,
                next,
                spec,
                createdAt,
                at,
                null,
                queuedAt,
                attemptCount,
                null,
                startedAt,
                finishedAt,
                nextRetryAt,
                outputJson,
                attemptError,
                durationMs + currentAttempt.runningMillis(at),
                tags,
                metadataJson,
                steps,
                null,
                children,
                false,
                ranOnVersion,
                currentAttempt.id());
    }

    RunState succeeded(String output, Instant at) {
        return new RunState(
                runId,
                RunStatus.COMPLETED,
                spec,
                createdAt,
                at,
                null,
                queuedAt,
                attemptCount,
                null,
                startedAt,
                at,
                null,
                output,
                null,
                durationMs + currentAttempt.runningMillis(at),
                tags,
                metadataJson,
                steps,
                null,
                children,
                false,
                ranOnVersion,
                currentAttempt.id());
    }

    /** A terminal event other than success; an attempt still running is closed at {@code at}. */
    RunState ended(RunStatus finalStatus, RunError runError, Instant at) {
        long duration = durationMs + (currentAttempt == null ? 0 : currentAttempt.runningMillis(at));
        return new RunState(
                runId,
                finalStatus,
                spec,
                createdAt,
                at,
                null,
                queuedAt,
                attemptCount,
                null,
                startedAt,
                at,
                null,
                null,
                runError,
                duration,
                tags,
                metadataJson,
                steps,
                null,
                children,
                false,
                ranOnVersion,
                currentAttempt == null ? endedAttemptId : null);
    }

    RunState tagged(List<String> added, Instant at) {
        LinkedHashSet<String> all = new LinkedHashSet<>(tags);
        all.addAll(added);
        return new RunState(
                runId,
                status,
                spec,
                createdAt,
                at,
                delayUntil,
                queuedAt,
                attemptCount,
                currentAttempt,
                startedAt,
                finishedAt,
                retryAt,
                outputJson,
                error,
                durationMs,
                new ArrayList<>(all),
                metadataJson,
                steps,
                pendingWait,
                children,
                resuming,
                ranOnVersion,
                endedAttemptId);
    }

    RunState withMetadata(String metadata, Instant at) {
        return new RunState(
                runId,
                status,
                spec,
                createdAt,
                at,
                delayUntil,
                queuedAt,
                attemptCount,
                currentAttempt,
                startedAt,
                finishedAt,
                retryAt,
                outputJson,
                error,
                durationMs,
                tags,
                metadata,
                steps,
                pendingWait,
                children,
                resuming,
                ranOnVersion,
                endedAttemptId);
    }
}
