package dev.baton.api.errors;

import static akka.http.javadsl.server.Directives.complete;
import static akka.http.javadsl.server.Directives.extractRequest;

import akka.http.javadsl.model.ContentTypes;
import akka.http.javadsl.model.HttpEntity;
import akka.http.javadsl.model.HttpHeader;
import akka.http.javadsl.model.HttpResponse;
import akka.http.javadsl.model.StatusCode;
import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.model.headers.RawHeader;
import akka.http.javadsl.server.ExceptionHandler;
import akka.http.javadsl.server.RejectionHandler;
import akka.http.javadsl.server.Route;
import akka.http.scaladsl.model.EntityStreamException;
import akka.http.scaladsl.model.EntityStreamSizeException;
import dev.baton.api.json.Json;
import dev.baton.engine.common.Failures;
import dev.baton.engine.run.RunRejectedException;
import dev.baton.engine.run.TaskNotFoundException;
import dev.baton.engine.storage.StoreAvailability;
import dev.baton.engine.storage.StoreUnavailableException;
import dev.baton.engine.storage.WriteOutcomeUnknownException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every error the API sends is {@code {"error": "…"}}: the ones routes decide ({@link ApiException}),
 * engine failures, and akka-http's own rejections (unknown path, wrong method, unsupported media type…),
 * whose default text answers are rewrapped as JSON. Internal errors are logged and never leak.
 */
public final class ErrorHandling {

    private static final Logger log = LoggerFactory.getLogger(ErrorHandling.class);
    private static final List<HttpHeader> RUN_NOT_FOUND_HEADERS = List.of(RawHeader.create("x-should-retry", "false"));
    /** A cancel, reschedule, tags or metadata change whose write was sent and not confirmed. */
    public static final String CHANGE_OUTCOME_UNKNOWN = "The engine could not confirm in time whether the change was "
            + "stored: it may have been. Read the run to see before sending it again";

    public static final String OUTCOME_UNKNOWN = "The engine could not confirm in time whether the run was stored: it "
            + "may exist. Retry with the same idempotency key to reach it, or look for it before triggering again";

    /** The JSON error body, the only shape an error takes on the wire. */
    public record ErrorBody(String error) {}

    private ErrorHandling() {}

    public static HttpResponse errorResponse(StatusCode status, String message) {
        return Json.response(status, new ErrorBody(message));
    }

    public static HttpResponse errorResponse(StatusCode status, String message, List<HttpHeader> headers) {
        return Json.response(status, new ErrorBody(message), headers);
    }

    /**
     * An unknown run, or a run of another environment (the same answer, so ids cannot be probed). A final
     * answer (Trigger.dev says "retry"): a triggered run is readable at once.
     */
    public static HttpResponse runNotFound() {
        return errorResponse(StatusCodes.NOT_FOUND, "Run not found", RUN_NOT_FOUND_HEADERS);
    }

    public static Route error(StatusCode status, String message) {
        return complete(errorResponse(status, message));
    }

    public static RejectionHandler rejectionHandler() {
        return RejectionHandler.newBuilder()
                .handleNotFound(error(StatusCodes.NOT_FOUND, "Not found"))
                .build()
                .withFallback(RejectionHandler.defaultHandler())
                .mapRejectionResponse(ErrorHandling::asJsonError);
    }

    public static ExceptionHandler exceptionHandler() {
        return ExceptionHandler.newBuilder()
                .matchAny(thrown -> extractRequest(request -> {
                    try (var context = RequestLogContext.of(request)) {
                        return complete(responseFor(Failures.cause(thrown)));
                    }
                }))
                .build();
    }

    /** Maps a failure to its answer; anything unexpected is a logged 500 that names nothing internal. */
    static HttpResponse responseFor(Throwable failure) {
        if (failure instanceof ApiException api) {
            return errorResponse(api.status(), api.getMessage(), api.headers());
        }
        if (failure instanceof EntityStreamSizeException tooLarge) {
            return errorResponse(
                    StatusCodes.CONTENT_TOO_LARGE,
                    "Request body too large: the limit is " + tooLarge.limit() + " bytes");
        }
        if (failure instanceof EntityStreamException broken) {
            // The body ended before it was whole (the client closed the connection mid-body) or its chunked encoding
            // broke: the request is malformed, whatever route read it.
            return errorResponse(
                    StatusCodes.BAD_REQUEST,
                    "The request body did not arrive whole: " + broken.info().summary());
        }
        if (failure instanceof TaskNotFoundException) {
            return errorResponse(StatusCodes.NOT_FOUND, "Task not found");
        }
        if (failure instanceof RunRejectedException rejected) {
            return switch (rejected.reason()) {
                case UNKNOWN_RUN -> runNotFound();
                case NOT_DELAYED, TOO_MANY_TAGS, UNKNOWN_VERSION ->
                    errorResponse(StatusCodes.UNPROCESSABLE_CONTENT, rejected.getMessage());
                case METADATA_TOO_LARGE -> errorResponse(StatusCodes.CONTENT_TOO_LARGE, rejected.getMessage());
                case STALE_ATTEMPT -> errorResponse(StatusCodes.CONFLICT, rejected.getMessage());
                case INVALID -> errorResponse(StatusCodes.BAD_REQUEST, rejected.getMessage());
            };
        }
        // 503 promises that nothing was stored; 504 promises nothing (the run may exist).
        if (failure instanceof StoreUnavailableException unavailable) {
            return errorResponse(
                    StatusCodes.SERVICE_UNAVAILABLE,
                    unavailable.getMessage(),
                    List.of(RawHeader.create(
                            "retry-after",
                            String.valueOf(unavailable.retryAfter().toSeconds()))));
        }
        if (failure instanceof WriteOutcomeUnknownException unknown) {
            log.warn("answered 504: {}", unknown.getMessage());
            return errorResponse(
                    StatusCodes.GATEWAY_TIMEOUT,
                    unknown.subject() == WriteOutcomeUnknownException.Subject.CHANGE
                            ? CHANGE_OUTCOME_UNKNOWN
                            : OUTCOME_UNKNOWN);
        }
        if (StoreAvailability.isUnreachable(failure)) { // a read of Baton's tables, or an idempotent upload
            log.warn("the database is unreachable: {}", failure.getMessage());
            return errorResponse(
                    StatusCodes.SERVICE_UNAVAILABLE,
                    "The database is unreachable, please retry",
                    List.of(RawHeader.create("retry-after", "1")));
        }
        if (failure instanceof TimeoutException) { // akka's AskTimeoutException among them
            log.warn("engine did not answer in time: {}", failure.getMessage());
            return errorResponse(StatusCodes.SERVICE_UNAVAILABLE, "The engine did not answer in time, please retry");
        }
        log.error("request failed", failure);
        return errorResponse(StatusCodes.INTERNAL_SERVER_ERROR, "Something went wrong");
    }

    /** akka-http's default rejection answers are plain text: keep status and headers, wrap the text. */
    private static HttpResponse asJsonError(HttpResponse response) {
        if (response.entity().getContentType().equals(ContentTypes.APPLICATION_JSON)) return response;
        String message = response.entity() instanceof HttpEntity.Strict strict
                ? strict.getData().decodeString(StandardCharsets.UTF_8).strip()
                : "";
        if (message.isEmpty()) message = response.status().reason();
        return response.withEntity(ContentTypes.APPLICATION_JSON, Json.bytes(new ErrorBody(message)));
    }
}
