package dev.baton.sdk.client;

/** A run's status, named as in Trigger.dev's API. */
public enum RunStatus {
    PENDING_VERSION(false),
    QUEUED(false),
    DEQUEUED(false),
    EXECUTING(false),
    WAITING(false),
    COMPLETED(true),
    CANCELED(true),
    FAILED(true),
    CRASHED(true),
    SYSTEM_FAILURE(true),
    DELAYED(false),
    EXPIRED(true),
    TIMED_OUT(true);

    private final boolean isFinal;

    RunStatus(boolean isFinal) {
        this.isFinal = isFinal;
    }

    /** Whether the run has ended and will not change status again. */
    public boolean isFinal() {
        return isFinal;
    }
}
