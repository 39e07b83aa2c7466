package dev.baton.engine.run;

/** A worker message named an attempt that is not the run's current one; it was not applied. */
public final class StaleAttemptException extends RuntimeException {
    public StaleAttemptException(String runId, String attemptId) {
        super("stale attempt for run " + runId + ": " + attemptId);
    }
}
