package dev.baton.api.otel;

import static akka.http.javadsl.server.Directives.complete;
import static akka.http.javadsl.server.Directives.extractMaterializer;
import static akka.http.javadsl.server.Directives.extractRequestEntity;
import static akka.http.javadsl.server.Directives.onSuccess;
import static akka.http.javadsl.server.Directives.path;
import static akka.http.javadsl.server.Directives.post;
import static akka.http.javadsl.server.PathMatchers.segment;

import akka.http.javadsl.model.ContentType;
import akka.http.javadsl.model.ContentTypes;
import akka.http.javadsl.model.HttpEntities;
import akka.http.javadsl.model.HttpResponse;
import akka.http.javadsl.model.MediaTypes;
import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.server.Route;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.api.auth.Authentication;
import dev.baton.api.body.BoundedBody;
import dev.baton.api.errors.ApiException;
import dev.baton.projections.traces.SpanStore;
import io.opentelemetry.proto.collector.trace.v1.ExportTracePartialSuccess;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletionStage;

/**
 * The OTLP/HTTP trace receiver, {@code POST /otel/v1/traces} (docs/api.md "Traces"): a worker in any language exports
 * its handlers' spans here, with the environment's secret key as bearer, in protobuf
 * ({@code application/x-protobuf}) or JSON ({@code application/json}); they are stored for the runs they name and
 * shown in those runs' traces. The answer is OTLP's, in the request's encoding, with {@code partialSuccess} counting
 * the spans refused and why.
 */
public final class OtlpRoutes {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ContentType PROTOBUF = ContentTypes.create(MediaTypes.applicationBinary("x-protobuf", false));

    private final SpanStore spans;
    private final Authentication authentication;
    private final long maxBodyBytes;
    private final Duration bodyReadTimeout;

    public OtlpRoutes(SpanStore spans, Authentication authentication, long maxBodyBytes, Duration bodyReadTimeout) {
        this.spans = spans;
        this.authentication = authentication;
        this.maxBodyBytes = maxBodyBytes;
        this.bodyReadTimeout = bodyReadTimeout;
    }

    public Route routes() {
        return path(
                segment("otel").slash("v1").slash("traces"),
                () -> post(() -> authentication.authenticated(environment ->
                        extractMaterializer(materializer -> extractRequestEntity(entity -> {
                            String mediaType =
                                    entity.getContentType().mediaType().toString();
                            boolean protobuf = mediaType.equals("application/x-protobuf");
                            if (!protobuf && !mediaType.equals("application/json")) {
                                throw new ApiException(
                                        StatusCodes.UNSUPPORTED_MEDIA_TYPE,
                                        "OTLP/HTTP takes application/x-protobuf or application/json, not " + mediaType);
                            }
                            CompletionStage<HttpResponse> answer = BoundedBody.read(
                                            entity,
                                            maxBodyBytes,
                                            bodyReadTimeout,
                                            materializer,
                                            "OTLP export",
                                            () -> ApiException.tooLarge(
                                                    "An OTLP export may hold at most " + maxBodyBytes + " bytes"))
                                    .thenCompose(body -> {
                                        OtlpTraces.Parsed parsed = protobuf
                                                ? OtlpTraces.fromProtobuf(body.toArray())
                                                : OtlpTraces.fromJson(json(body.toArray()));
                                        return spans.store(environment.id(), parsed.spans())
                                                .thenApply(stored -> answer(parsed, protobuf));
                                    });
                            return onSuccess(answer, response -> complete(response));
                        })))));
    }

    private static JsonNode json(byte[] body) {
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            throw ApiException.badRequest("Invalid OTLP JSON: " + e.getMessage());
        }
    }

    private static HttpResponse answer(OtlpTraces.Parsed parsed, boolean protobuf) {
        if (protobuf) {
            ExportTraceServiceResponse.Builder response = ExportTraceServiceResponse.newBuilder();
            if (parsed.rejected() > 0) {
                response.setPartialSuccess(ExportTracePartialSuccess.newBuilder()
                        .setRejectedSpans(parsed.rejected())
                        .setErrorMessage(parsed.firstRejection()));
            }
            return HttpResponse.create()
                    .withEntity(HttpEntities.create(PROTOBUF, response.build().toByteArray()));
        }
        ObjectNode response = JSON.createObjectNode();
        if (parsed.rejected() > 0) {
            response.putObject("partialSuccess")
                    .put("rejectedSpans", parsed.rejected())
                    .put("errorMessage", parsed.firstRejection());
        }
        return HttpResponse.create()
                .withEntity(HttpEntities.create(ContentTypes.APPLICATION_JSON, response.toString()));
    }
}
