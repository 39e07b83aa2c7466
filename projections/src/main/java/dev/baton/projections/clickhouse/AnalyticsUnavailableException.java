package dev.baton.projections.clickhouse;

/** An analytics read that ClickHouse did not answer in time, or answered with an error. */
public final class AnalyticsUnavailableException extends RuntimeException {

    public AnalyticsUnavailableException(Throwable cause) {
        super("ClickHouse did not answer the analytics query: " + cause.getMessage(), cause);
    }
}
