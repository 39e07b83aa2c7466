package dev.baton.sdk.client;

/** HTTP 422: the request was well-formed but cannot be carried out. */
public class UnprocessableEntityException extends BatonApiException {

    public UnprocessableEntityException(String message) {
        super(422, message);
    }
}
