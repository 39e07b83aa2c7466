package dev.baton.api.otel;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.baton.api.errors.ApiException;
import dev.baton.engine.logs.LogLevel;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.opentelemetry.proto.logs.v1.SeverityNumber;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * An OTLP/HTTP log export (protobuf or JSON) read into log lines for Baton's run logs. A record belongs to the run
 * its run id attribute names ({@link OtlpValues#RUN_ID_ATTRIBUTES}), on the record or its resource, and to the
 * attempt its {@code ctx.attempt.id} and {@code ctx.attempt.number} name (Trigger.dev's
 * {@code SemanticInternalAttributes}, which its SDK's log processor sets on every record; {@code baton.attempt.*}
 * too). A record without a run, or with a malformed attempt number, is rejected here; whether the run is the
 * caller's and which attempt it means is {@link OtlpLogRuns}'s to decide.
 */
final class OtlpLogs {

    static final List<String> ATTEMPT_ID_ATTRIBUTES =
            List.of("ctx.attempt.id", "$metadata.ctx.attempt.id", "baton.attempt.id");
    static final List<String> ATTEMPT_NUMBER_ATTRIBUTES =
            List.of("ctx.attempt.number", "$metadata.ctx.attempt.number", "baton.attempt.number");
    /**
     * Attributes not kept with a line: the run and attempt it was attributed to (the line says them), and the rest of
     * the Trigger.dev task context every record repeats ({@code ctx.*}, the run already holds it).
     */
    private static final List<String> CONTEXT_PREFIXES = List.of("ctx.", "$metadata.ctx.");

    private static final String EXCEPTION_TYPE = "exception.type";
    private static final String EXCEPTION_MESSAGE = "exception.message";
    private static final String EXCEPTION_STACKTRACE = "exception.stacktrace";

    /**
     * A record as the worker sent it, before its run is checked.
     *
     * @param attemptId null when the record names none
     * @param attemptNumber null when the record names none
     * @param attributesJson a JSON object's text, or null for none
     * @param errorJson {@code {name?, message?, stackTrace?}} as JSON text, or null for none
     */
    record ReportedLog(
            String runId,
            String attemptId,
            Integer attemptNumber,
            Instant timestamp,
            LogLevel level,
            String message,
            String attributesJson,
            String errorJson) {}

    /** The records that name a run, in the export's order, and those refused. */
    record Parsed(List<ReportedLog> logs, OtlpRejections rejections) {}

    private OtlpLogs() {}

    /** @param receivedAt the time of a record that has neither {@code timeUnixNano} nor {@code observedTimeUnixNano} */
    static Parsed fromProtobuf(byte[] body, Instant receivedAt) {
        ExportLogsServiceRequest request;
        try {
            request = ExportLogsServiceRequest.parseFrom(body);
        } catch (InvalidProtocolBufferException e) {
            throw ApiException.badRequest("Invalid OTLP protobuf: " + e.getMessage());
        }
        Collector collector = new Collector(receivedAt);
        for (ResourceLogs resource : request.getResourceLogsList()) {
            Map<String, JsonNode> resourceAttributes =
                    OtlpValues.attributes(resource.getResource().getAttributesList());
            for (ScopeLogs scope : resource.getScopeLogsList()) {
                for (LogRecord record : scope.getLogRecordsList()) {
                    AnyValue recordBody = record.getBody();
                    collector.add(
                            resourceAttributes,
                            record.getTimeUnixNano(),
                            record.getObservedTimeUnixNano(),
                            record.getSeverityNumberValue(),
                            record.getSeverityText(),
                            recordBody.getValueCase() == AnyValue.ValueCase.STRING_VALUE
                                    ? recordBody.getStringValue()
                                    : OtlpValues.text(OtlpValues.value(recordBody)),
                            OtlpValues.attributes(record.getAttributesList()));
                }
            }
        }
        return collector.parsed();
    }

    static Parsed fromJson(JsonNode body, Instant receivedAt) {
        Collector collector = new Collector(receivedAt);
        OtlpValues.forEachJsonRecord(body, "resourceLogs", "scopeLogs", "logRecords", (resourceAttributes, record) -> {
            JsonNode recordBody = record.path("body");
            collector.add(
                    resourceAttributes,
                    OtlpValues.nanos(record.path("timeUnixNano")),
                    OtlpValues.nanos(record.path("observedTimeUnixNano")),
                    severityNumber(record.path("severityNumber")),
                    record.path("severityText").asText(""),
                    recordBody.has("stringValue")
                            ? recordBody.get("stringValue").asText()
                            : OtlpValues.text(OtlpValues.jsonValue(recordBody)),
                    OtlpValues.jsonAttributes(record.path("attributes")));
        });
        return collector.parsed();
    }

    /** OTLP/JSON writes an enum as its number, or (some exporters) its name. */
    private static int severityNumber(JsonNode value) {
        if (value.isNumber()) return value.asInt();
        try {
            return SeverityNumber.valueOf(value.asText("")).getNumber();
        } catch (IllegalArgumentException e) {
            return 0;
        }
    }

    /**
     * OTLP's severity numbers in bands of four (TRACE 1–4, DEBUG 5–8, INFO 9–12, WARN 13–16, ERROR 17–20, FATAL
     * 21–24, which Baton keeps as ERROR); a record without one is read from its severity text, else INFO.
     */
    static LogLevel level(int severityNumber, String severityText) {
        if (severityNumber >= 1 && severityNumber <= 24) {
            return switch ((severityNumber - 1) / 4) {
                case 0 -> LogLevel.TRACE;
                case 1 -> LogLevel.DEBUG;
                case 2 -> LogLevel.INFO;
                case 3 -> LogLevel.WARN;
                default -> LogLevel.ERROR;
            };
        }
        return switch (severityText.toLowerCase(Locale.ROOT)) {
            case "trace" -> LogLevel.TRACE;
            case "debug" -> LogLevel.DEBUG;
            case "warn", "warning" -> LogLevel.WARN;
            case "error", "fatal", "critical" -> LogLevel.ERROR;
            default -> LogLevel.INFO;
        };
    }

    private static final class Collector {
        private final Instant receivedAt;
        private final List<ReportedLog> logs = new ArrayList<>();
        private final OtlpRejections rejections = new OtlpRejections();

        Collector(Instant receivedAt) {
            this.receivedAt = receivedAt;
        }

        void add(
                Map<String, JsonNode> resourceAttributes,
                long timeNanos,
                long observedNanos,
                int severityNumber,
                String severityText,
                String message,
                Map<String, JsonNode> attributes) {
            String runId = OtlpValues.runId(attributes, resourceAttributes);
            if (runId == null) {
                rejections.reject(
                        "a log record has no " + String.join(" or ", OtlpValues.RUN_ID_ATTRIBUTES) + " attribute");
                return;
            }
            Integer attemptNumber = null;
            String number = OtlpValues.first(ATTEMPT_NUMBER_ATTRIBUTES, attributes, resourceAttributes);
            if (number != null) {
                if (!number.matches("^\\d{1,9}$") || Integer.parseInt(number) < 1) {
                    rejections.reject("a log record's ctx.attempt.number is not an attempt number: " + number);
                    return;
                }
                attemptNumber = Integer.parseInt(number);
            }
            long nanos = timeNanos > 0 ? timeNanos : observedNanos;
            logs.add(new ReportedLog(
                    runId,
                    OtlpValues.first(ATTEMPT_ID_ATTRIBUTES, attributes, resourceAttributes),
                    attemptNumber,
                    nanos > 0 ? Instant.ofEpochSecond(0, nanos) : receivedAt,
                    level(severityNumber, severityText),
                    message,
                    attributesJson(attributes),
                    errorJson(attributes)));
        }

        Parsed parsed() {
            return new Parsed(logs, rejections);
        }
    }

    /** The attributes but the context ones and those {@link #errorJson} holds; null when none are left. */
    private static String attributesJson(Map<String, JsonNode> attributes) {
        Map<String, JsonNode> kept = new LinkedHashMap<>();
        attributes.forEach((key, value) -> {
            boolean context = CONTEXT_PREFIXES.stream().anyMatch(key::startsWith);
            boolean exception =
                    key.equals(EXCEPTION_TYPE) || key.equals(EXCEPTION_MESSAGE) || key.equals(EXCEPTION_STACKTRACE);
            if (!context && !exception && !OtlpValues.RUN_ID_ATTRIBUTES.contains(key)) kept.put(key, value);
        });
        return kept.isEmpty() ? null : OtlpValues.object(kept).toString();
    }

    /** OpenTelemetry's exception attributes as Baton's error: {@code {name, message, stackTrace}}. */
    private static String errorJson(Map<String, JsonNode> attributes) {
        ObjectNode error = JsonNodeFactory.instance.objectNode();
        putText(error, "name", attributes.get(EXCEPTION_TYPE));
        putText(error, "message", attributes.get(EXCEPTION_MESSAGE));
        putText(error, "stackTrace", attributes.get(EXCEPTION_STACKTRACE));
        return error.isEmpty() ? null : error.toString();
    }

    private static void putText(ObjectNode error, String field, JsonNode value) {
        if (value != null && !value.isNull()) error.put(field, OtlpValues.text(value));
    }
}
