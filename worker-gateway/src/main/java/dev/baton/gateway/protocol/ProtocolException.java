package dev.baton.gateway.protocol;

/** The worker broke the protocol; the message goes back to it in an {@code error} before the socket closes. */
public final class ProtocolException extends Exception {
    public ProtocolException(String message) {
        super(message);
    }
}
