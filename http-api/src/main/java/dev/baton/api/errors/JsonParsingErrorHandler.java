package dev.baton.api.errors;

import akka.event.LoggingAdapter;
import akka.http.ParsingErrorHandler;
import akka.http.javadsl.model.HttpResponse;
import akka.http.scaladsl.model.ErrorInfo;
import akka.http.scaladsl.model.StatusCode;
import akka.http.scaladsl.settings.ServerSettings;

/**
 * akka-http's answer to a request it cannot even parse into one (a request line with bytes that are no URI, a URI
 * or a header over its limits, a malformed header): {@code {"error": …}} like every other error of the API, where
 * akka-http's own handler answers plain text. These requests never reach the routes, so {@link ErrorHandling}
 * cannot wrap them. Set as {@code akka.http.server.parsing.error-handler}.
 */
public final class JsonParsingErrorHandler extends ParsingErrorHandler {

    @Override
    public HttpResponse handle(StatusCode status, ErrorInfo info, LoggingAdapter log, ServerSettings settings) {
        String message = info.withFallbackSummary(status.reason()).formatPretty();
        log.warning("Illegal request, responding with status '{}': {}", status, message);
        return ErrorHandling.errorResponse(status, message);
    }
}
