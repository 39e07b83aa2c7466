package dev.baton.sdk.client;

/**
 * The server answered with an error status. The message is the server's {@code error} text;
 * subclasses name the statuses callers commonly handle.
 */
public class BatonApiException extends BatonException {

    private final int status;

    public BatonApiException(int status, String message) {
        super(message);
        this.status = status;
    }

    /** The HTTP status code. */
    public int status() {
        return status;
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + " (HTTP " + status + "): " + getMessage();
    }
}
