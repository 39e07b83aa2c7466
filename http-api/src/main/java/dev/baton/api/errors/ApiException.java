package dev.baton.api.errors;

import akka.http.javadsl.model.HttpHeader;
import akka.http.javadsl.model.StatusCode;
import akka.http.javadsl.model.StatusCodes;
import java.util.List;

/**
 * A request the API refuses with a 4xx (or a 5xx it decided on). Thrown from routes and decoders;
 * {@link ErrorHandling} turns it into {@code {"error": message}} with its status and headers.
 */
public final class ApiException extends RuntimeException {

    private final transient StatusCode status;
    private final transient List<HttpHeader> headers;

    public ApiException(StatusCode status, String message) {
        this(status, message, List.of());
    }

    public ApiException(StatusCode status, String message, List<HttpHeader> headers) {
        super(message, null, false, false);
        this.status = status;
        this.headers = List.copyOf(headers);
    }

    public static ApiException badRequest(String message) {
        return new ApiException(StatusCodes.BAD_REQUEST, message);
    }

    public static ApiException tooLarge(String message) {
        return new ApiException(StatusCodes.CONTENT_TOO_LARGE, message);
    }

    public static ApiException unprocessable(String message) {
        return new ApiException(StatusCodes.UNPROCESSABLE_CONTENT, message);
    }

    public StatusCode status() {
        return status;
    }

    public List<HttpHeader> headers() {
        return headers;
    }
}
