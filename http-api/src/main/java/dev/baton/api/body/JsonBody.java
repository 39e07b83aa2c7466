package dev.baton.api.body;

import static akka.http.javadsl.server.Directives.extractMaterializer;
import static akka.http.javadsl.server.Directives.extractRequestEntity;
import static akka.http.javadsl.server.Directives.onSuccess;
import static akka.http.javadsl.server.Directives.reject;

import akka.http.javadsl.model.MediaTypes;
import akka.http.javadsl.server.Rejections;
import akka.http.javadsl.server.Route;
import akka.util.ByteString;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.api.errors.ApiException;
import dev.baton.api.json.Json;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Reads a request body as JSON, bounded: a declared Content-Length over the limit is refused with
 * 413 before a byte is read; a body without one (chunked) is cut off at the limit while it streams
 * in, also 413. Only then is it parsed; malformed JSON is a 400.
 */
public final class JsonBody {

    private final long maxBytes;
    private final Duration readTimeout;

    public JsonBody(long maxBytes, Duration readTimeout) {
        this.maxBytes = maxBytes;
        this.readTimeout = readTimeout;
    }

    public Route json(Function<JsonNode, Route> inner) {
        return body(false, inner);
    }

    /**
     * Like {@link #json}, but a request without a body (no or an empty entity, whatever its content type)
     * reaches {@code inner} with null instead of being refused.
     */
    public Route optionalJson(Function<JsonNode, Route> inner) {
        return body(true, inner);
    }

    /** For calls that take no body: whatever was sent is drained unread. */
    public static Route ignored(Supplier<Route> inner) {
        return extractRequestEntity(entity -> extractMaterializer(materializer -> {
            entity.discardBytes(materializer);
            return inner.get();
        }));
    }

    private Route body(boolean optional, Function<JsonNode, Route> inner) {
        return extractRequestEntity(entity -> {
            OptionalLong declared = entity.getContentLengthOption();
            if (declared.isPresent() && declared.getAsLong() > maxBytes) throw tooLarge();
            if (declared.isPresent() && declared.getAsLong() == 0) {
                if (optional) return inner.apply(null);
                throw invalid("the body is empty");
            }
            if (!entity.getContentType().mediaType().equals(MediaTypes.APPLICATION_JSON)) {
                return reject(Rejections.unsupportedRequestContentType(
                        List.of(MediaTypes.APPLICATION_JSON), Optional.of(entity.getContentType())));
            }
            return extractMaterializer(materializer -> onSuccess(
                    BoundedBody.read(entity, maxBytes, readTimeout, materializer, "request body", this::tooLarge),
                    bytes -> inner.apply(parse(bytes, optional))));
        });
    }

    private static JsonNode parse(ByteString bytes, boolean optional) {
        try {
            return Json.parse(bytes.toArray());
        } catch (Json.EmptyJsonException e) {
            if (optional) return null;
            throw invalid("the body is empty");
        } catch (JsonProcessingException e) {
            throw invalid(e.getOriginalMessage());
        } catch (IOException e) {
            throw invalid(e.getMessage());
        }
    }

    private ApiException tooLarge() {
        return ApiException.tooLarge("Request body too large: the limit is " + maxBytes + " bytes");
    }

    private static ApiException invalid(String reason) {
        return ApiException.badRequest("Invalid JSON body: " + reason);
    }
}
