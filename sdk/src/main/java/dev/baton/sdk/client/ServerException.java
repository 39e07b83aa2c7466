package dev.baton.sdk.client;

/** HTTP 5xx: the server failed; the request may succeed when retried. */
public class ServerException extends BatonApiException {

    public ServerException(int status, String message) {
        super(status, message);
    }
}
