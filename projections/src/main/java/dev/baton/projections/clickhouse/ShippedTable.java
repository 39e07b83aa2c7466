package dev.baton.projections.clickhouse;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;

/** A table of Baton's database that {@link ClickHouseShipper} copies to ClickHouse, in (time, key) order. */
interface ShippedTable<R> {

    /** Rows read in order, and the offset just past the last of them (exact: the time as the database holds it). */
    record Batch<R>(List<R> rows, ShippingOffset last) {}

    /** Names the table's offset in {@code baton_clickhouse_shipping}. */
    String feed();

    /** At most {@code limit} rows after {@code after} and stored before {@code before}, in (time, key) order. */
    Batch<R> rowsAfter(Connection connection, ShippingOffset after, Instant before, int limit) throws SQLException;

    /** Writes the rows to ClickHouse, returning once it acknowledged them; blocking. */
    void insert(ClickHouseStore store, List<R> rows);
}
