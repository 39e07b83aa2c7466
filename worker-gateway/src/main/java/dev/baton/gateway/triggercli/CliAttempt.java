package dev.baton.gateway.triggercli;

import dev.baton.engine.worker.WorkerChannel;
import java.time.Instant;

/**
 * One attempt a CLI session holds, as the trigger.dev CLI sees it: a phase and a change counter. Every phase
 * change makes a new snapshot id ({@code snapshot_<attempt id>_<changes>}), so the CLI, which acts only on a
 * snapshot id it has not seen, notices each change, and the id is derived, not stored. Owned by one session actor.
 */
final class CliAttempt {

    /** The attempt's phase, and the Trigger.dev snapshot status the CLI is shown for it. */
    enum Phase {
        /** Held in a slot until the CLI's next dequeue takes it; the CLI has not seen it. */
        READY("QUEUED"),
        /** Handed to the CLI by a dequeue; it has not called attempts/start yet. */
        DEQUEUED("PENDING_EXECUTING"),
        EXECUTING("EXECUTING"),
        /** The run was canceled (or timed out) while the CLI held it: the CLI kills its process. */
        PENDING_CANCEL("PENDING_CANCEL"),
        /** The attempt failed and the engine queued another one: the CLI drops the run until it is dequeued again. */
        RETRY_QUEUED("QUEUED"),
        FINISHED("FINISHED");

        final String snapshotStatus;

        Phase(String snapshotStatus) {
            this.snapshotStatus = snapshotStatus;
        }
    }

    final WorkerChannel.Execute execute;
    /** The background worker the attempt was handed out under: the CLI runs it with that worker's build. */
    final String workerId;

    private Phase phase = Phase.READY;
    private int changes;
    private Instant changedAt;
    /** When the CLI called attempts/start; null before. */
    private Instant startedAt;
    /** The run's status as Trigger.dev names it, once the attempt is over. */
    private String finalRunStatus;
    /** When the CLI last called about the run (dequeue, start, snapshot poll, heartbeat). */
    private Instant lastSeen;

    CliAttempt(WorkerChannel.Execute execute, String workerId, Instant now) {
        this.execute = execute;
        this.workerId = workerId;
        this.changedAt = now;
    }

    Phase phase() {
        return phase;
    }

    void moveTo(Phase next, Instant now) {
        if (next == phase) return;
        phase = next;
        changes++;
        changedAt = now;
        if (next == Phase.EXECUTING && startedAt == null) startedAt = now;
    }

    void finish(Phase last, String runStatus, Instant now) {
        finalRunStatus = runStatus;
        moveTo(last, now);
    }

    String snapshotId() {
        return snapshotId(execute.attemptId(), changes);
    }

    static String snapshotId(String attemptId, int changes) {
        return "snapshot_" + attemptId + "_" + changes;
    }

    /** True when the snapshot id names some state of this attempt (the CLI may still hold an older one). */
    boolean owns(String snapshotId) {
        return snapshotId.startsWith("snapshot_" + execute.attemptId() + "_");
    }

    Instant changedAt() {
        return changedAt;
    }

    void seen(Instant now) {
        lastSeen = now;
    }

    Instant lastSeen() {
        return lastSeen == null ? changedAt : lastSeen;
    }

    Instant startedAt() {
        return startedAt;
    }

    /** The run's Trigger.dev status while the CLI holds the attempt. */
    String runStatus() {
        if (finalRunStatus != null) return finalRunStatus;
        return switch (phase) {
            case READY, DEQUEUED -> "DEQUEUED";
            case EXECUTING -> "EXECUTING";
            case PENDING_CANCEL -> "CANCELED";
            case RETRY_QUEUED -> "RETRYING_AFTER_FAILURE";
            case FINISHED -> "COMPLETED_SUCCESSFULLY";
        };
    }
}
