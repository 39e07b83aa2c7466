package dev.baton.engine.storage;

/**
 * A write was sent to its entity, but no answer said whether it was stored (the ask timed out, or the journal failed
 * mid-write): a run's creation may have happened, or a change to a run (cancel, reschedule, tags, metadata) may have
 * been applied. Unlike {@link StoreUnavailableException} this promises nothing; a trigger sent again with the same
 * idempotency key reaches the same run if it exists. The HTTP API answers 504 (as gRPC's DEADLINE_EXCEEDED beside
 * UNAVAILABLE, and Temporal's "timeout" outcome).
 */
public final class WriteOutcomeUnknownException extends RuntimeException {

    /** What may have been stored: callers are told how to find out differently. */
    public enum Subject {
        NEW_RUN,
        CHANGE
    }

    private final Subject subject;

    /** @param what what may or may not have been stored, e.g. "run run_…" (logged, not shown to callers) */
    public WriteOutcomeUnknownException(String what, Throwable cause) {
        this(Subject.NEW_RUN, what, cause);
    }

    private WriteOutcomeUnknownException(Subject subject, String what, Throwable cause) {
        super(what + ": not confirmed stored (" + cause + ")", cause);
        this.subject = subject;
    }

    /** A change to an existing run that may or may not have been applied. */
    public static WriteOutcomeUnknownException ofChange(String what, Throwable cause) {
        return new WriteOutcomeUnknownException(Subject.CHANGE, what, cause);
    }

    public Subject subject() {
        return subject;
    }
}
