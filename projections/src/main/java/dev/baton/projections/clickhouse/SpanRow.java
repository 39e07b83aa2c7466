package dev.baton.projections.clickhouse;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.projections.traces.RunTrace;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One row of {@code spans}: a span Baton drew from a run's journal ({@link #SOURCE_RUN}) or one a worker reported
 * ({@link #SOURCE_WORKER}). Deterministic for a given span, so a span written again collapses on merge.
 *
 * @param parentSpanId empty for a trace's root
 * @param attributesJson the span's attributes as a JSON object of strings
 */
public record SpanRow(
        String envId,
        String runId,
        String traceId,
        String spanId,
        String parentSpanId,
        String name,
        String kind,
        String source,
        long startUs,
        long endUs,
        boolean error,
        String statusMessage,
        String attributesJson) {

    public static final String SOURCE_RUN = "run";
    public static final String SOURCE_WORKER = "worker";

    /** Columns of {@code spans} in the order {@link #writeTo} writes them. */
    public static final List<String> COLUMNS = List.of(
            "env_id",
            "run_id",
            "trace_id",
            "span_id",
            "parent_span_id",
            "name",
            "kind",
            "source",
            "start_time",
            "start_time_us",
            "end_time",
            "end_time_us",
            "duration_us",
            "is_error",
            "status_message",
            "attributes");

    private static final ObjectMapper JSON = new ObjectMapper();
    /** The last microsecond a DateTime column holds (2106-02-07): later times, from a confused clock, are cut. */
    static final long MAX_DATE_TIME_US = 0xFFFF_FFFFL * 1_000_000L;

    /** A span drawn from the journal of run {@code runId}, which must have ended. */
    public static SpanRow drawn(String envId, String runId, RunTrace.Span span) {
        Map<String, String> attributes = new LinkedHashMap<>();
        attributes.put("baton.run.id", runId);
        attributes.putAll(span.attributes());
        return new SpanRow(
                envId,
                runId,
                span.traceId(),
                span.spanId(),
                RunEventRow.nullToEmpty(span.parentSpanId()),
                span.name(),
                "internal",
                SOURCE_RUN,
                micros(span.start()),
                micros(span.end()),
                span.error(),
                RunEventRow.nullToEmpty(span.statusMessage()),
                json(attributes));
    }

    /** Unix microseconds, within what a DateTime column holds. */
    static long micros(Instant instant) {
        return clampMicros(
                Math.addExact(Math.multiplyExact(instant.getEpochSecond(), 1_000_000L), instant.getNano() / 1000));
    }

    static long clampMicros(long micros) {
        return Math.max(0, Math.min(micros, MAX_DATE_TIME_US));
    }

    static String json(Map<String, String> attributes) {
        try {
            return JSON.writeValueAsString(attributes);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("span attributes", e);
        }
    }

    void writeTo(RowBinary out) {
        out.string(envId)
                .string(runId)
                .string(traceId)
                .string(spanId)
                .string(parentSpanId)
                .string(name)
                .string(kind)
                .string(source)
                .dateTime(startUs / 1000)
                .uint64(startUs)
                .dateTime(endUs / 1000)
                .uint64(endUs)
                .uint64(Math.max(0, endUs - startUs))
                .uint8(error)
                .string(statusMessage)
                .string(attributesJson);
    }
}
