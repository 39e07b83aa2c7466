package dev.baton.engine.storage;

import java.time.Duration;

/**
 * Refused before anything was sent towards the journal, because its database is known to be unreachable
 * ({@link StoreAvailability}): nothing of the request was stored, and sending it again after {@code retryAfter}
 * is safe. The HTTP API answers 503 with Retry-After.
 */
public final class StoreUnavailableException extends RuntimeException {

    private final transient Duration retryAfter;

    public StoreUnavailableException(Duration retryAfter) {
        super("The database is unavailable; nothing was stored, please retry", null, false, false);
        this.retryAfter = retryAfter;
    }

    public Duration retryAfter() {
        return retryAfter;
    }
}
