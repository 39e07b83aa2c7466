package dev.baton.projections.clickhouse;

import java.time.Instant;

/**
 * Where the shipper stands in a table it follows: the time and key of the last row ClickHouse acknowledged. Rows
 * are read in (time, key) order, so the rows after it are exactly those with a later time, or the same time and a
 * greater key.
 */
public record ShippingOffset(Instant time, String key) {

    /** Before every row. */
    public static final ShippingOffset START = new ShippingOffset(Instant.EPOCH, "");
}
