package dev.baton.api.otel;

/**
 * The records of one export a receiver refused: how many, and the first reason, for the answer's
 * {@code partialSuccess} (OTLP asks for a count and a message, not one reason per record).
 */
final class OtlpRejections {

    private int count;
    private String firstReason;

    void reject(String reason) {
        count++;
        if (firstReason == null) firstReason = reason;
    }

    int count() {
        return count;
    }

    /** The first reason, or "" when nothing was refused. */
    String firstReason() {
        return firstReason == null ? "" : firstReason;
    }
}
