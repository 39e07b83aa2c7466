package dev.baton.sdk.client;

/** HTTP 401: the secret key is missing or wrong. */
public class AuthenticationException extends BatonApiException {

    public AuthenticationException(String message) {
        super(401, message);
    }
}
