package dev.baton.sdk.client;

/**
 * The request got no answer: the server could not be reached, the connection broke, the request
 * timed out, or the calling thread was interrupted (its interrupt flag is then set again).
 */
public class BatonConnectionException extends BatonException {

    public BatonConnectionException(String message, Throwable cause) {
        super(message, cause);
    }
}
