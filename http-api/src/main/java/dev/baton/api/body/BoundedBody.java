package dev.baton.api.body;

import static akka.http.javadsl.server.Directives.extractMaterializer;
import static akka.http.javadsl.server.Directives.extractRequestEntity;
import static akka.http.javadsl.server.Directives.mapRouteResultWith;

import akka.http.javadsl.model.HttpEntity;
import akka.http.javadsl.model.RequestEntity;
import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.server.Complete;
import akka.http.javadsl.server.Route;
import akka.http.javadsl.server.RouteResult;
import akka.http.scaladsl.model.EntityStreamSizeException;
import akka.stream.Materializer;
import akka.stream.javadsl.Sink;
import akka.util.ByteString;
import dev.baton.api.errors.ApiException;
import dev.baton.engine.common.Failures;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * A request body read whole, at most {@code maxBytes}: past the limit the read fails with {@code tooLarge} (413),
 * and a body that does not arrive within the timeout with a 408. A body that arrived whole (nearly every one) is
 * taken as it is: reading it as a stream would materialize a stream per request.
 */
public final class BoundedBody {

    private BoundedBody() {}

    /** @param what names the body in the timeout's message ("The request body did not arrive within 10s") */
    public static CompletionStage<ByteString> read(
            RequestEntity entity,
            long maxBytes,
            Duration timeout,
            Materializer materializer,
            String what,
            Supplier<ApiException> tooLarge) {
        if (entity instanceof HttpEntity.Strict strict) {
            return strict.getData().size() > maxBytes
                    ? CompletableFuture.failedFuture(new CompletionException(tooLarge.get()))
                    : CompletableFuture.completedFuture(strict.getData());
        }
        return entity.withSizeLimit(maxBytes)
                .toStrict(timeout.toMillis(), maxBytes, materializer)
                .handle((strict, failure) -> {
                    if (failure == null) return strict.getData();
                    Throwable cause = Failures.cause(failure);
                    if (cause instanceof EntityStreamSizeException) throw tooLarge.get();
                    if (cause instanceof TimeoutException) {
                        throw new ApiException(
                                StatusCodes.REQUEST_TIMEOUT,
                                "The " + what + " did not arrive within " + timeout.toSeconds() + "s");
                    }
                    throw failure instanceof CompletionException completion
                            ? completion
                            : new CompletionException(failure);
                });
    }

    /**
     * {@code inner}, except that a body it refused as too large from its Content-Length (a 413 before reading it)
     * is read and dropped first, up to {@code drainLimit} bytes within {@code timeout}: akka-http closes the
     * connection after an answer that comes before the body, and many clients (the JDK's among them) still
     * sending it then see the connection reset instead of the 413. Bodies that arrived whole cost nothing here.
     */
    public static Route drainedWhenRefused(Route inner, long drainLimit, Duration timeout) {
        return extractRequestEntity(entity -> {
            OptionalLong declared = entity.getContentLengthOption();
            if (entity.isStrict() || declared.isEmpty() || declared.getAsLong() > drainLimit) return inner;
            return extractMaterializer(materializer -> mapRouteResultWith(
                    result -> {
                        if (!(result instanceof Complete complete)
                                || complete.getResponse().status().intValue()
                                        != StatusCodes.PAYLOAD_TOO_LARGE.intValue()) {
                            return CompletableFuture.completedFuture(result);
                        }
                        // Whatever happens to the drain (the body stops coming, or was read after all), the answer
                        // stays the 413.
                        return entity.getDataBytes()
                                .completionTimeout(timeout)
                                .runWith(Sink.ignore(), materializer)
                                .handle((drained, failure) -> (RouteResult) complete);
                    },
                    () -> inner));
        });
    }
}
