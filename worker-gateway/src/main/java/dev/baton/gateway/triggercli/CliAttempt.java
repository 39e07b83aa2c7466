package dev.baton.gateway.triggercli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.baton.engine.run.Wait;
import dev.baton.engine.worker.WorkerChannel;
import java.time.Instant;

/**
 * One attempt a CLI session holds, as the trigger.dev CLI sees it: a phase and a change counter. Every phase
 * change makes a new snapshot id ({@code snapshot_<attempt id>_<changes>}), so the CLI, which acts only on a
 * snapshot id it has not seen, notices each change, and the id is derived, not stored. A wait suspends Baton's
 * attempt while the CLI's task process stays alive: the engine's next lease of the run (same attempt number, a new
 * attempt id) continues this one, which then names the new attempt. Owned by one session actor.
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
        /** The run waits (no slot held); the task process waits for the completed waitpoints. */
        WAITING("EXECUTING_WITH_WAITPOINTS"),
        FINISHED("FINISHED");

        final String snapshotStatus;

        Phase(String snapshotStatus) {
            this.snapshotStatus = snapshotStatus;
        }
    }

    /** Baton's attempt the CLI's attempt is now: after a wait, the lease that resumed the run. */
    WorkerChannel.Execute execute;
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
    /** What the run waits for while {@link Phase#WAITING}; null otherwise. */
    private Wait waitingFor;
    /** The waitpoints the current snapshot hands the task process: set on a resume, until the next change. */
    private ArrayNode completedWaitpoints = CliWire.MAPPER.createArrayNode();

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
        completedWaitpoints = CliWire.MAPPER.createArrayNode();
        if (next != Phase.WAITING) waitingFor = null;
        changes++;
        changedAt = now;
        if (next == Phase.EXECUTING && startedAt == null) startedAt = now;
    }

    /** The run suspended with {@code wait}: the CLI sees EXECUTING_WITH_WAITPOINTS. */
    void waitFor(Wait wait, Instant now) {
        moveTo(Phase.WAITING, now);
        waitingFor = wait;
    }

    Wait waitingFor() {
        return waitingFor;
    }

    /** The engine leased the waiting run again as {@code next}: EXECUTING again, with the wait's waitpoints. */
    void resume(WorkerChannel.Execute next, ArrayNode waitpoints, Instant now) {
        execute = next;
        moveTo(Phase.EXECUTING, now);
        completedWaitpoints = waitpoints;
        lastSeen = now;
    }

    ArrayNode completedWaitpoints() {
        return completedWaitpoints;
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
            case WAITING -> "WAITING_TO_RESUME";
            case FINISHED -> "COMPLETED_SUCCESSFULLY";
        };
    }
}
