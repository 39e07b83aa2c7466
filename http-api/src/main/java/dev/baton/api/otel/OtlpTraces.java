package dev.baton.api.otel;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.baton.api.errors.ApiException;
import dev.baton.projections.traces.SpanStore.ReportedSpan;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * An OTLP/HTTP trace export (protobuf or JSON; OTLP/JSON writes ids as hex, not protobuf's base64) read into the
 * spans Baton keeps. A span belongs to the run its {@code ctx.run.id} attribute names (the Trigger.dev SDK's; Baton's
 * {@code baton.run.id} too), on the span or its resource; a span without one, or with a malformed id, is rejected
 * and counted in the answer's {@code partialSuccess}, as OTLP asks.
 */
final class OtlpTraces {

    /** Attributes that name a span's run, in the order they are looked for. */
    static final List<String> RUN_ID_ATTRIBUTES = List.of("ctx.run.id", "baton.run.id");

    private static final Pattern TRACE_ID = Pattern.compile("[0-9a-f]{32}");
    private static final Pattern SPAN_ID = Pattern.compile("[0-9a-f]{16}");
    private static final int MAX_NAME = 1024;
    private static final int MAX_STATUS = 4096;

    /** The spans that belong to a run, and how many were rejected and why (the first reason). */
    record Parsed(List<ReportedSpan> spans, int rejected, String firstRejection) {}

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
            Map<String, String> resourceAttributes =
                    attributes(resource.getResource().getAttributesList());
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
                            attributes(span.getAttributesList()));
                }
            }
        }
        return collector.parsed();
    }

    static Parsed fromJson(JsonNode body) {
        if (!body.isObject()) throw ApiException.badRequest("Invalid OTLP JSON: expected an object with resourceSpans");
        Collector collector = new Collector();
        for (JsonNode resource : body.path("resourceSpans")) {
            Map<String, String> resourceAttributes =
                    jsonAttributes(resource.path("resource").path("attributes"));
            for (JsonNode scope : resource.path("scopeSpans")) {
                for (JsonNode span : scope.path("spans")) {
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
                            nanos(span.path("startTimeUnixNano")),
                            nanos(span.path("endTimeUnixNano")),
                            code.isNumber()
                                    ? code.asInt() == 2
                                    : code.asText("").equals("STATUS_CODE_ERROR"),
                            status.path("message").asText(""),
                            jsonAttributes(span.path("attributes")));
                }
            }
        }
        return collector.parsed();
    }

    private static final class Collector {
        private final List<ReportedSpan> spans = new ArrayList<>();
        private int rejected;
        private String firstRejection;

        void add(
                Map<String, String> resourceAttributes,
                String traceId,
                String spanId,
                String parentSpanId,
                String name,
                String kind,
                long startNanos,
                long endNanos,
                boolean error,
                String statusMessage,
                Map<String, String> attributes) {
            String runId = null;
            for (String key : RUN_ID_ATTRIBUTES) {
                if (runId == null) runId = attributes.getOrDefault(key, resourceAttributes.get(key));
            }
            String rejection = runId == null || runId.isBlank()
                    ? "a span has no " + String.join(" or ", RUN_ID_ATTRIBUTES) + " attribute"
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
                rejected++;
                if (firstRejection == null) firstRejection = rejection;
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
                    attributes));
        }

        Parsed parsed() {
            return new Parsed(spans, rejected, firstRejection);
        }
    }

    private static Map<String, String> attributes(List<KeyValue> list) {
        Map<String, String> attributes = new LinkedHashMap<>();
        for (KeyValue attribute : list) attributes.put(attribute.getKey(), text(attribute.getValue()));
        return attributes;
    }

    private static String text(AnyValue value) {
        return switch (value.getValueCase()) {
            case STRING_VALUE -> value.getStringValue();
            case BOOL_VALUE -> Boolean.toString(value.getBoolValue());
            case INT_VALUE -> Long.toString(value.getIntValue());
            case DOUBLE_VALUE -> Double.toString(value.getDoubleValue());
            case BYTES_VALUE -> hex(value.getBytesValue());
            case ARRAY_VALUE ->
                value.getArrayValue().getValuesList().stream()
                        .map(OtlpTraces::text)
                        .toList()
                        .toString();
            case KVLIST_VALUE ->
                attributes(value.getKvlistValue().getValuesList()).toString();
            default -> "";
        };
    }

    private static Map<String, String> jsonAttributes(JsonNode list) {
        Map<String, String> attributes = new LinkedHashMap<>();
        for (JsonNode attribute : list)
            attributes.put(attribute.path("key").asText(), jsonText(attribute.path("value")));
        return attributes;
    }

    private static String jsonText(JsonNode value) {
        if (value.has("stringValue")) return value.get("stringValue").asText();
        if (value.has("boolValue"))
            return Boolean.toString(value.get("boolValue").asBoolean());
        if (value.has("intValue")) return value.get("intValue").asText();
        if (value.has("doubleValue")) return value.get("doubleValue").asText();
        if (value.has("arrayValue")) {
            List<String> values = new ArrayList<>();
            for (JsonNode item : value.path("arrayValue").path("values")) values.add(jsonText(item));
            return values.toString();
        }
        if (value.has("kvlistValue"))
            return jsonAttributes(value.path("kvlistValue").path("values")).toString();
        if (value.has("bytesValue")) return value.get("bytesValue").asText();
        return "";
    }

    /** OTLP/JSON writes 64-bit times as decimal strings (numbers from some exporters). */
    private static long nanos(JsonNode value) {
        try {
            return value.isNumber() ? value.asLong() : Long.parseUnsignedLong(value.asText("0"));
        } catch (NumberFormatException e) {
            return 0;
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
