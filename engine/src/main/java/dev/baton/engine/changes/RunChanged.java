package dev.baton.engine.changes;

import dev.baton.engine.common.CborSerializable;
import dev.baton.engine.run.RunState;
import dev.baton.engine.run.RunStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * A notice that a run changed: enough for a realtime subscriber to tell whether the run belongs to what it
 * watches (the run, one of its tags, its batch), and, in {@code summary}, for a list of runs to show the run's new
 * row without reading it. A subscriber that needs more (payload, output) reads the run itself, so a notice stays
 * small and a lost one costs only a delay (see {@link RunChangeFeed}).
 *
 * @param batchId the batch that created the run, or null
 * @param updatedAt when the run last changed, as its realtime row shows it
 * @param summary the run's list fields as of this change, or null from a publisher that has none
 */
public record RunChanged(
        String environmentId, String runId, List<String> tags, String batchId, Instant updatedAt, Summary summary)
        implements CborSerializable {

    public RunChanged {
        tags = tags == null ? List.of() : List.copyOf(tags);
    }

    public RunChanged(String environmentId, String runId, List<String> tags, String batchId, Instant updatedAt) {
        this(environmentId, runId, tags, batchId, updatedAt, null);
    }

    /** The notice of a run's current state, with its summary. */
    public static RunChanged of(RunState run) {
        return new RunChanged(
                run.spec().environmentId(),
                run.runId(),
                run.tags(),
                run.lineage().batchId(),
                run.lastChangedAt(),
                Summary.of(run));
    }

    /**
     * What a run list shows of a run and filters on: a few hundred bytes, whatever the payload's size.
     *
     * @param durationMs time spent executing in finished attempts
     * @param attemptStartedAt when the running attempt started, while one runs (its time is not in durationMs yet)
     */
    public record Summary(
            RunStatus status,
            String taskId,
            String queue,
            boolean test,
            Instant createdAt,
            Instant startedAt,
            Instant finishedAt,
            Instant delayUntil,
            long durationMs,
            Duration ttl,
            int attemptCount,
            String idempotencyKey,
            Instant attemptStartedAt,
            String version)
            implements CborSerializable {

        /** A summary without a version (none chosen yet). */
        public Summary(
                RunStatus status,
                String taskId,
                String queue,
                boolean test,
                Instant createdAt,
                Instant startedAt,
                Instant finishedAt,
                Instant delayUntil,
                long durationMs,
                Duration ttl,
                int attemptCount,
                String idempotencyKey,
                Instant attemptStartedAt) {
            this(
                    status,
                    taskId,
                    queue,
                    test,
                    createdAt,
                    startedAt,
                    finishedAt,
                    delayUntil,
                    durationMs,
                    ttl,
                    attemptCount,
                    idempotencyKey,
                    attemptStartedAt,
                    null);
        }

        static Summary of(RunState run) {
            return new Summary(
                    run.status(),
                    run.spec().taskId(),
                    run.spec().queue(),
                    run.spec().test(),
                    run.createdAt(),
                    run.startedAt(),
                    run.finishedAt(),
                    run.delayUntil(),
                    run.durationMs(),
                    run.spec().ttl(),
                    run.attemptCount(),
                    run.spec().idempotencyKey(),
                    run.status() == RunStatus.EXECUTING && run.currentAttempt() != null
                            ? run.currentAttempt().startedAt()
                            : null,
                    run.version());
        }
    }
}
