package dev.baton.engine.trace;

import dev.baton.engine.common.CborSerializable;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;
import java.util.random.RandomGenerator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where a run sits in a W3C trace: the trace it belongs to and the span its own run span hangs under (the triggering
 * request's span, or the parent run's wait for it; null for the trace's root). Fixed at the trigger, in the run's
 * spec. Span ids below a run are derived from the run's ids ({@link #spanId}), so anyone reading its journal draws
 * the same trace and nothing else needs storing.
 */
public record TraceContext(String traceId, String parentSpanId) implements CborSerializable {

    private static final Pattern TRACEPARENT =
            Pattern.compile("([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}");
    private static final String ZERO_TRACE = "0".repeat(32);
    private static final String ZERO_SPAN = "0".repeat(16);

    /**
     * The context a {@code traceparent} header names; empty for an absent or invalid one, which W3C Trace Context says
     * to ignore (the run then starts a trace of its own) rather than refuse.
     */
    public static Optional<TraceContext> fromTraceparent(String header) {
        if (header == null) return Optional.empty();
        Matcher parts = TRACEPARENT.matcher(header.strip());
        if (!parts.matches() || parts.group(1).equals("ff")) return Optional.empty();
        if (parts.group(2).equals(ZERO_TRACE) || parts.group(3).equals(ZERO_SPAN)) return Optional.empty();
        return Optional.of(new TraceContext(parts.group(2), parts.group(3)));
    }

    /** A new trace with the run as its root. */
    public static TraceContext newTrace(RandomGenerator random) {
        String traceId;
        do {
            traceId = HexFormat.of().formatHex(longBytes(random.nextLong(), random.nextLong()));
        } while (traceId.equals(ZERO_TRACE));
        return new TraceContext(traceId, null);
    }

    /** The trace of a run triggered before runs carried one: derived from its id, a root. */
    public static TraceContext derived(String runId) {
        return new TraceContext(hash("trace/" + runId).substring(0, 32), null);
    }

    /** A child in this trace under {@code spanId}. */
    public TraceContext under(String spanId) {
        return new TraceContext(traceId, spanId);
    }

    /** The {@code traceparent} of a span of this trace (sampled). */
    public String traceparent(String spanId) {
        return "00-" + traceId + "-" + spanId + "-01";
    }

    /** The span of the whole run, from its trigger to its end. */
    public static String runSpanId(String runId) {
        return spanId(runId);
    }

    /** An attempt's span (attempt ids are unique across runs). */
    public static String attemptSpanId(String attemptId) {
        return spanId(attemptId);
    }

    /** The span of a run's wait (duration, token, child runs), under which child runs' spans hang. */
    public static String waitSpanId(String runId, String waitKey) {
        return spanId(runId, "wait", waitKey);
    }

    /** A span id derived from what identifies the span (a run id, an attempt id, a wait's key …); never all zeros. */
    public static String spanId(String... identity) {
        String id = hash(String.join("/", identity)).substring(0, 16);
        return id.equals(ZERO_SPAN) ? "0000000000000001" : id;
    }

    private static String hash(String text) {
        try {
            return HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] longBytes(long high, long low) {
        byte[] bytes = new byte[16];
        for (int i = 0; i < 8; i++) {
            bytes[i] = (byte) (high >>> (56 - 8 * i));
            bytes[8 + i] = (byte) (low >>> (56 - 8 * i));
        }
        return bytes;
    }
}
