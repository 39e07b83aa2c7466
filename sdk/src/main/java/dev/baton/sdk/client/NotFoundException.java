package dev.baton.sdk.client;

/** HTTP 404: no such run (or task, environment) in this environment. */
public class NotFoundException extends BatonApiException {

    public NotFoundException(String message) {
        super(404, message);
    }
}
