package dev.baton.sdk.client;

/** Base of every exception {@link BatonClient} throws, so callers can catch them all at once. */
public class BatonException extends RuntimeException {

    public BatonException(String message) {
        super(message);
    }

    public BatonException(String message, Throwable cause) {
        super(message, cause);
    }
}
