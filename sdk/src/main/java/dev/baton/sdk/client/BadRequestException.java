package dev.baton.sdk.client;

/** HTTP 400: the request was malformed, e.g. an invalid task id or option. */
public class BadRequestException extends BatonApiException {

    public BadRequestException(String message) {
        super(400, message);
    }
}
