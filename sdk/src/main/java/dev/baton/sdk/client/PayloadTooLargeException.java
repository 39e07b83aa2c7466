package dev.baton.sdk.client;

/** HTTP 413: the payload exceeds the server's size limit. */
public class PayloadTooLargeException extends BatonApiException {

    public PayloadTooLargeException(String message) {
        super(413, message);
    }
}
