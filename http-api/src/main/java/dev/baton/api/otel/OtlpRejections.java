package dev.baton.api.otel;

/**
 * The records of one export a receiver refused: how many, and the first reason, for the answer's
 * {@code partialSuccess} (OTLP asks for a count and a message, not one reason per record).
 */
final class OtlpRejections {

    private long count;
    private String firstReason;

    void reject(String reason) {
        reject(1, reason);
    }

    /** {@code records} refused for one reason (none: nothing changes). */
    void reject(long records, String reason) {
        if (records <= 0) return;
        count += records;
        if (firstReason == null) firstReason = reason;
    }

    long count() {
        return count;
    }

    /** The first reason, or "" when nothing was refused. */
    String firstReason() {
        return firstReason == null ? "" : firstReason;
    }
}
