package dev.baton.sdk.internal;

/**
 * A run's payload does not fit the task's payload type. Retrying cannot help, so the worker
 * reports it as a non-retryable failure; this class's simple name is the error name users see.
 */
public final class PayloadDecodingException extends RuntimeException {

    public PayloadDecodingException(String message, Throwable cause) {
        super(message, cause);
    }
}
