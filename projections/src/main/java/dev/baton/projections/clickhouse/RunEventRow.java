package dev.baton.projections.clickhouse;

import dev.baton.engine.run.RunEntity;
import dev.baton.engine.run.RunState;
import dev.baton.engine.worker.RunError;
import java.util.List;

/**
 * One row of {@code run_events}: a journal event of a run with the run's facts after it. A wire shape,
 * separate from the journal's events (the only place they are translated to ClickHouse rows).
 * Deterministic: the same event always gives the same row, which makes re-inserting it harmless.
 *
 * @param attempt the attempt the event belongs to (1-based), or the run's attempt count for run events
 * @param attemptDurationMs on AttemptFailed and RunSucceeded: how long the ended attempt ran
 * @param durationMs the run's execution time so far (its attempts' running time added up), after the event
 * @param queueWaitMs on AttemptLeased: how long the run waited in its queue for this attempt
 */
public record RunEventRow(
        String envId,
        String runId,
        long seqNr,
        String eventType,
        long eventTimeMs,
        String taskId,
        String queue,
        String status,
        boolean isFinal,
        int attempt,
        String attemptId,
        String workerId,
        long attemptDurationMs,
        long durationMs,
        long queueWaitMs,
        String errorType,
        String errorMessage,
        List<String> tags,
        boolean test,
        long createdAtMs) {

    /** Columns of {@code run_events} in the order {@link ClickHouseStore} writes them. */
    public static final List<String> COLUMNS = List.of(
            "env_id",
            "run_id",
            "seq_nr",
            "event_type",
            "event_time",
            "event_time_ms",
            "task_id",
            "queue",
            "status",
            "is_final",
            "attempt",
            "attempt_id",
            "worker_id",
            "attempt_duration_ms",
            "duration_ms",
            "queue_wait_ms",
            "error_type",
            "error_message",
            "tags",
            "is_test",
            "created_at",
            "created_at_ms");

    public RunEventRow {
        tags = List.copyOf(tags);
    }

    /**
     * The row of {@code event} (number {@code after.seqNr()} of run {@code runId}), given the facts before and after
     * it.
     */
    public static RunEventRow of(
            String runId, RunFacts before, RunEntity.Event event, RunFacts after, int maxErrorMessageLength) {
        long at = RunFacts.eventTimeMs(event);
        int attempt = after.attemptCount();
        String attemptId = after.attemptId();
        String workerId = after.workerId();
        long attemptDuration = 0;
        long queueWait = 0;
        RunError error = null;
        if (event instanceof RunEntity.AttemptLeased e) {
            queueWait = before.queuedAtMs() == 0 ? 0 : Math.max(0, at - before.queuedAtMs());
            attempt = e.attempt().number();
        } else if (event instanceof RunEntity.AttemptFailed e) {
            attemptDuration = attemptRanMs(before, e.attempt(), at);
            queueWait = waitedInQueueMs(before, e.attempt());
            attemptId = e.attemptId();
            workerId = e.attempt() == null
                    ? before.workerId()
                    : nullToEmpty(e.attempt().workerId());
            error = e.error();
        } else if (event instanceof RunEntity.RunSucceeded e) {
            attemptDuration = attemptRanMs(before, e.attempt(), at);
            queueWait = waitedInQueueMs(before, e.attempt());
            attemptId = e.attemptId();
            workerId = e.attempt() == null
                    ? before.workerId()
                    : nullToEmpty(e.attempt().workerId());
        } else if (event instanceof RunEntity.RunFailed e) {
            error = e.error();
        }
        return new RunEventRow(
                after.envId(),
                runId,
                after.seqNr(),
                event.getClass().getSimpleName(),
                at,
                after.taskId(),
                after.queue(),
                after.status().name(),
                after.status().isFinal() && !before.status().isFinal(),
                attempt,
                attemptId,
                workerId,
                attemptDuration,
                after.durationMs(),
                queueWait,
                error == null ? "" : nullToEmpty(error.name()),
                error == null ? "" : truncate(nullToEmpty(error.message()), maxErrorMessageLength),
                after.tags(),
                after.test(),
                after.createdAtMs());
    }

    /** How long the attempt ran until {@code at}: from the attempt the event carries, else from the facts. */
    private static long attemptRanMs(RunFacts before, RunState.Attempt attempt, long at) {
        if (attempt == null) return before.runningMs(at);
        return attempt.startedAt() == null
                ? 0
                : Math.max(0, at - attempt.startedAt().toEpochMilli());
    }

    /** An attempt journaled with its outcome: how long the run waited in its queue before it was leased. */
    private static long waitedInQueueMs(RunFacts before, RunState.Attempt attempt) {
        if (attempt == null || before.queuedAtMs() == 0) return 0;
        return Math.max(0, attempt.leasedAt().toEpochMilli() - before.queuedAtMs());
    }

    static String nullToEmpty(String value) {
        return value == null ? "" : value;
    }

    static String truncate(String value, int maxLength) {
        return value.length() <= maxLength ? value : value.substring(0, maxLength);
    }
}
