package dev.baton.sdk.client;

import java.util.concurrent.TimeoutException;

/**
 * {@link BatonClient#poll} gave up: the run did not finish in time. Unchecked, wrapping a
 * {@link TimeoutException}; carries the last state seen, so callers can report where it stood.
 */
public class BatonTimeoutException extends BatonException {

    private final transient Run lastSeen;

    public BatonTimeoutException(String message, Run lastSeen) {
        super(message, new TimeoutException(message));
        this.lastSeen = lastSeen;
    }

    /** The run as last retrieved before giving up. */
    public Run lastSeen() {
        return lastSeen;
    }
}
