package dev.baton.api.otel;

import static akka.http.javadsl.server.Directives.complete;
import static akka.http.javadsl.server.Directives.concat;
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
import com.google.protobuf.MessageLite;
import dev.baton.api.auth.Authentication;
import dev.baton.api.body.BoundedBody;
import dev.baton.api.errors.ApiException;
import dev.baton.engine.Engine;
import dev.baton.engine.environment.Environment;
import dev.baton.engine.logs.RunLogs;
import dev.baton.projections.traces.SpanStore;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsPartialSuccess;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsPartialSuccess;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.ExportTracePartialSuccess;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

/**
 * The OTLP/HTTP receivers (docs/api.md "Traces" and "Run logs"): a worker in any language exports its handlers' spans
 * to {@code POST /otel/v1/traces} and their log records to {@code POST /otel/v1/logs}, with the environment's secret
 * key as bearer, in protobuf ({@code application/x-protobuf}) or JSON ({@code application/json}); they are stored
 * for the runs they name before the answer, and shown in those runs' traces and logs. {@code POST /otel/v1/metrics}
 * takes metrics exports (the trigger.dev CLI's task processes send them) but keeps none: every data point is
 * answered rejected, and counted in {@code baton.otel.metrics.data.points.dropped}. The answer is OTLP's, in the
 * request's encoding, with {@code partialSuccess} counting the records refused and why.
 */
public final class OtlpRoutes {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ContentType PROTOBUF = ContentTypes.create(MediaTypes.applicationBinary("x-protobuf", false));

    private final SpanStore spans;
    private final OtlpLogRuns logRuns;
    private final Authentication authentication;
    private final long maxBodyBytes;
    private final Duration bodyReadTimeout;
    private final Clock clock;
    private final Counter droppedDataPoints;

    public OtlpRoutes(
            SpanStore spans,
            Engine engine,
            RunLogs logs,
            Authentication authentication,
            long maxBodyBytes,
            Duration bodyReadTimeout,
            Clock clock,
            MeterRegistry meters) {
        this.spans = spans;
        this.logRuns = new OtlpLogRuns(engine, logs);
        this.authentication = authentication;
        this.maxBodyBytes = maxBodyBytes;
        this.bodyReadTimeout = bodyReadTimeout;
        this.clock = clock;
        this.droppedDataPoints = Counter.builder("baton.otel.metrics.data.points.dropped")
                .description("OTLP metric data points received on /otel/v1/metrics and dropped: Baton keeps no task"
                        + " metrics")
                .register(meters);
    }

    public Route routes() {
        return concat(
                receiver("traces", "rejectedSpans", this::storeSpans, OtlpRoutes::traceResponse),
                receiver("logs", "rejectedLogRecords", this::storeLogs, OtlpRoutes::logsResponse),
                receiver("metrics", "rejectedDataPoints", this::dropMetrics, OtlpRoutes::metricsResponse));
    }

    /** Stores an export's records of the caller's environment; completes once stored, with those refused. */
    private interface Export {
        CompletionStage<OtlpRejections> store(Environment environment, byte[] body, boolean protobuf);
    }

    private CompletionStage<OtlpRejections> storeSpans(Environment environment, byte[] body, boolean protobuf) {
        OtlpTraces.Parsed parsed = protobuf ? OtlpTraces.fromProtobuf(body) : OtlpTraces.fromJson(json(body));
        return spans.store(environment.id(), parsed.spans()).thenApply(stored -> parsed.rejections());
    }

    private CompletionStage<OtlpRejections> storeLogs(Environment environment, byte[] body, boolean protobuf) {
        OtlpLogs.Parsed parsed = protobuf
                ? OtlpLogs.fromProtobuf(body, clock.instant())
                : OtlpLogs.fromJson(json(body), clock.instant());
        return logRuns.store(environment.id(), parsed);
    }

    private CompletionStage<OtlpRejections> dropMetrics(Environment environment, byte[] body, boolean protobuf) {
        OtlpRejections dropped = protobuf ? OtlpMetrics.fromProtobuf(body) : OtlpMetrics.fromJson(json(body));
        droppedDataPoints.increment(dropped.count());
        return CompletableFuture.completedFuture(dropped);
    }

    /**
     * {@code POST /otel/v1/<signal>}: the key, the content type (415 for another), the bounded body (413 past
     * {@code baton.http.otel.max-body-size}), then OTLP's answer in the request's encoding.
     */
    private Route receiver(
            String signal,
            String rejectedField,
            Export export,
            Function<OtlpRejections, MessageLite> protobufResponse) {
        return path(
                segment("otel").slash("v1").slash(signal),
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
                                    .thenCompose(body -> export.store(environment, body.toArray(), protobuf))
                                    .thenApply(rejections -> protobuf
                                            ? HttpResponse.create()
                                                    .withEntity(HttpEntities.create(
                                                            PROTOBUF,
                                                            protobufResponse
                                                                    .apply(rejections)
                                                                    .toByteArray()))
                                            : jsonResponse(rejectedField, rejections));
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

    private static HttpResponse jsonResponse(String rejectedField, OtlpRejections rejections) {
        ObjectNode response = JSON.createObjectNode();
        if (rejections.count() > 0) {
            response.putObject("partialSuccess")
                    .put(rejectedField, rejections.count())
                    .put("errorMessage", rejections.firstReason());
        }
        return HttpResponse.create()
                .withEntity(HttpEntities.create(ContentTypes.APPLICATION_JSON, response.toString()));
    }

    private static MessageLite traceResponse(OtlpRejections rejections) {
        ExportTraceServiceResponse.Builder response = ExportTraceServiceResponse.newBuilder();
        if (rejections.count() > 0) {
            response.setPartialSuccess(ExportTracePartialSuccess.newBuilder()
                    .setRejectedSpans(rejections.count())
                    .setErrorMessage(rejections.firstReason()));
        }
        return response.build();
    }

    private static MessageLite metricsResponse(OtlpRejections rejections) {
        ExportMetricsServiceResponse.Builder response = ExportMetricsServiceResponse.newBuilder();
        if (rejections.count() > 0) {
            response.setPartialSuccess(ExportMetricsPartialSuccess.newBuilder()
                    .setRejectedDataPoints(rejections.count())
                    .setErrorMessage(rejections.firstReason()));
        }
        return response.build();
    }

    private static MessageLite logsResponse(OtlpRejections rejections) {
        ExportLogsServiceResponse.Builder response = ExportLogsServiceResponse.newBuilder();
        if (rejections.count() > 0) {
            response.setPartialSuccess(ExportLogsPartialSuccess.newBuilder()
                    .setRejectedLogRecords(rejections.count())
                    .setErrorMessage(rejections.firstReason()));
        }
        return response.build();
    }
}
