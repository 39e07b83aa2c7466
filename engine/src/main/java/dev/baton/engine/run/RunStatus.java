package dev.baton.engine.run;

/**
 * Engine-side run status. The HTTP API maps these onto Trigger.dev's v2 status enum; {@link #NEW}
 * means no run exists under this id, and {@link #RETRYING} (backoff between attempts) is shown as
 * EXECUTING, as Trigger.dev does.
 */
public enum RunStatus {
    NEW,
    PENDING_VERSION,
    DELAYED,
    QUEUED,
    DEQUEUED,
    EXECUTING,
    RETRYING,
    WAITING,
    COMPLETED,
    FAILED,
    CRASHED,
    SYSTEM_FAILURE,
    CANCELED,
    EXPIRED,
    TIMED_OUT;

    public boolean isFinal() {
        return switch (this) {
            case COMPLETED, FAILED, CRASHED, SYSTEM_FAILURE, CANCELED, EXPIRED, TIMED_OUT -> true;
            default -> false;
        };
    }
}
