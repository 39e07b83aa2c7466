package dev.baton.engine.storage;

/**
 * A run's creation was sent to its entity, but no answer said whether it was stored (the ask timed out, or the
 * journal failed mid-write): the run may exist. Unlike {@link StoreUnavailableException} this promises nothing;
 * sending the request again with the same idempotency key reaches the same run if it does. The HTTP API answers
 * 504 (as gRPC's DEADLINE_EXCEEDED beside UNAVAILABLE, and Temporal's "timeout" outcome).
 */
public final class WriteOutcomeUnknownException extends RuntimeException {

    /** @param what what may or may not have been stored, e.g. "run run_…" (logged, not shown to callers) */
    public WriteOutcomeUnknownException(String what, Throwable cause) {
        super(what + ": not confirmed stored (" + cause + ")", cause);
    }
}
