package dev.baton.api.otel;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.baton.api.errors.ApiException;
import dev.baton.projections.traces.SpanStore.ReportedSpan;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * An OTLP/HTTP trace export (protobuf or JSON; OTLP/JSON writes ids as hex, not protobuf's base64) read into the
 * spans Baton keeps. A span belongs to the run its run id attribute names ({@link OtlpValues#RUN_ID_ATTRIBUTES}:
 * Trigger.dev's {@code ctx.run.id}, Baton's {@code baton.run.id}), on the span or its resource; a span without one, or
 * with a malformed id, is rejected and counted in the answer's {@code partialSuccess}, as OTLP asks.
 */
final class OtlpTraces {

    private static final Pattern TRACE_ID = Pattern.compile("[0-9a-f]{32}");
    private static final Pattern SPAN_ID = Pattern.compile("[0-9a-f]{16}");
    private static final int MAX_NAME = 1024;
    private static final int MAX_STATUS = 4096;

    /** The spans that belong to a run, and those refused. */
    record Parsed(List<ReportedSpan> spans, OtlpRejections rejections) {}

    private OtlpTraces() {}

    static Parsed fromProtobuf(byte[] body) {
        ExportTraceServiceRequest request;
        try {
            request = ExportTraceServiceRequest.parseFrom(body);
        } catch (InvalidProtocolBufferException e) {
            throw ApiException.badRequest("Invalid OTLP protobuf: " + e.getMessage());
        }
        Collector collector = new Collector();
        for (ResourceSpans resource : request.getResourceSpansList()) {
            Map<String, JsonNode> resourceAttributes =
                    OtlpValues.attributes(resource.getResource().getAttributesList());
            for (ScopeSpans scope : resource.getScopeSpansList()) {
                for (Span span : scope.getSpansList()) {
                    collector.add(
                            resourceAttributes,
                            hex(span.getTraceId()),
                            hex(span.getSpanId()),
                            hex(span.getParentSpanId()),
                            span.getName(),
                            kind(span.getKind().name()),
                            span.getStartTimeUnixNano(),
                            span.getEndTimeUnixNano(),
                            span.getStatus().getCode() == Status.StatusCode.STATUS_CODE_ERROR,
                            span.getStatus().getMessage(),
                            OtlpValues.attributes(span.getAttributesList()));
                }
            }
        }
        return collector.parsed();
    }

    static Parsed fromJson(JsonNode body) {
        Collector collector = new Collector();
        OtlpValues.forEachJsonRecord(body, "resourceSpans", "scopeSpans", "spans", (resourceAttributes, span) -> {
            JsonNode kind = span.path("kind");
            JsonNode status = span.path("status");
            JsonNode code = status.path("code");
            collector.add(
                    resourceAttributes,
                    span.path("traceId").asText("").toLowerCase(Locale.ROOT),
                    span.path("spanId").asText("").toLowerCase(Locale.ROOT),
                    span.path("parentSpanId").asText("").toLowerCase(Locale.ROOT),
                    span.path("name").asText(""),
                    kind.isNumber() ? kindOf(kind.asInt()) : kind(kind.asText("SPAN_KIND_INTERNAL")),
                    OtlpValues.nanos(span.path("startTimeUnixNano")),
                    OtlpValues.nanos(span.path("endTimeUnixNano")),
                    code.isNumber() ? code.asInt() == 2 : code.asText("").equals("STATUS_CODE_ERROR"),
                    status.path("message").asText(""),
                    OtlpValues.jsonAttributes(span.path("attributes")));
        });
        return collector.parsed();
    }

    private static final class Collector {
        private final List<ReportedSpan> spans = new ArrayList<>();
        private final OtlpRejections rejections = new OtlpRejections();

        void add(
                Map<String, JsonNode> resourceAttributes,
                String traceId,
                String spanId,
                String parentSpanId,
                String name,
                String kind,
                long startNanos,
                long endNanos,
                boolean error,
                String statusMessage,
                Map<String, JsonNode> attributes) {
            String runId = OtlpValues.runId(attributes, resourceAttributes);
            String rejection = runId == null
                    ? "a span has no " + String.join(" or ", OtlpValues.RUN_ID_ATTRIBUTES) + " attribute"
                    : !TRACE_ID.matcher(traceId).matches() || traceId.equals("0".repeat(32))
                            ? "a span's traceId is not 32 hex digits"
                            : !SPAN_ID.matcher(spanId).matches() || spanId.equals("0".repeat(16))
                                    ? "a span's spanId is not 16 hex digits"
                                    : !parentSpanId.isEmpty()
                                                    && !SPAN_ID.matcher(parentSpanId)
                                                            .matches()
                                            ? "a span's parentSpanId is not 16 hex digits"
                                            : endNanos < startNanos || startNanos <= 0
                                                    ? "a span ends before it starts or has no start"
                                                    : null;
            if (rejection != null) {
                rejections.reject(rejection);
                return;
            }
            spans.add(new ReportedSpan(
                    runId,
                    traceId,
                    spanId,
                    parentSpanId.isEmpty() ? null : parentSpanId,
                    truncate(name, MAX_NAME),
                    kind,
                    startNanos,
                    endNanos,
                    error,
                    statusMessage.isEmpty() ? null : truncate(statusMessage, MAX_STATUS),
                    OtlpValues.texts(attributes)));
        }

        Parsed parsed() {
            return new Parsed(spans, rejections);
        }
    }

    private static String hex(ByteString bytes) {
        return HexFormat.of().formatHex(bytes.toByteArray());
    }

    private static String kind(String name) {
        return name.replaceFirst("^SPAN_KIND_", "").toLowerCase(Locale.ROOT).replace("unspecified", "internal");
    }

    private static String kindOf(int number) {
        return switch (number) {
            case 2 -> "server";
            case 3 -> "client";
            case 4 -> "producer";
            case 5 -> "consumer";
            default -> "internal";
        };
    }

    private static String truncate(String text, int max) {
        return text.length() <= max ? text : text.substring(0, max);
    }
}
