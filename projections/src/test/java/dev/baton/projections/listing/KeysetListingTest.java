package dev.baton.projections.listing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.baton.projections.internal.Jdbc;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The listing's SQL, and its pages on a small H2 table: items 0 to 9, one a second, odd ones marked. */
class KeysetListingTest {

    private static final Instant T0 = Instant.parse("2024-05-01T12:00:00Z");
    private static final Clock CLOCK = Clock.fixed(T0.plusSeconds(100), ZoneOffset.UTC);

    private record Item(String id, Instant createdAt) {
        ListCursor cursor() {
            return new ListCursor(createdAt, id);
        }
    }

    private static final KeysetListing<Item> LISTING = new KeysetListing<>(
            "items i",
            "i.created_at",
            "i.item_id",
            "item_id, created_at",
            result -> new Item(result.getString("item_id"), Jdbc.instant(result, "created_at")),
            Item::cursor);

    private Connection connection;

    @BeforeEach
    void createItems() throws Exception {
        connection = DriverManager.getConnection("jdbc:h2:mem:keyset-listing-" + System.nanoTime());
        try (Statement create = connection.createStatement()) {
            create.execute("CREATE TABLE items (item_id VARCHAR(20) PRIMARY KEY, created_at TIMESTAMP WITH TIME ZONE,"
                    + " marked BOOLEAN)");
        }
        try (PreparedStatement insert = connection.prepareStatement("INSERT INTO items VALUES (?, ?, ?)")) {
            for (int i = 0; i < 10; i++) {
                insert.setString(1, "item_" + i);
                Jdbc.setInstant(insert, 2, T0.plusSeconds(i));
                insert.setBoolean(3, i % 2 == 1);
                insert.executeUpdate();
            }
        }
    }

    @AfterEach
    void close() throws Exception {
        connection.close();
    }

    @Test
    void buildsTheWindowAndTheKeysetBoundAfterTheCallersConditions() {
        SqlWhere where = new SqlWhere().and("i.marked = ?", true).in("i.item_id", List.of("a", "b"));
        LISTING.created(where, new CreatedWindow(T0, T0.plusSeconds(5), Duration.ofSeconds(97)), CLOCK);
        LISTING.past(where, new ListCursor(T0.plusSeconds(4), "item_4"), false);
        assertEquals(
                "i.marked = ? AND i.item_id IN (?, ?) AND i.created_at >= ? AND i.created_at < ?"
                        + " AND (i.created_at, i.item_id) < (?, ?)",
                where.text());
        assertEquals(
                List.of(true, "a", "b", T0.plusSeconds(3), T0.plusSeconds(5), T0.plusSeconds(4), "item_4"),
                where.parameters());
        assertEquals(
                "(i.created_at, i.item_id) > (?, ?)",
                LISTING.past(new SqlWhere(), new ListCursor(T0, "x"), true).text());
        assertEquals("", LISTING.past(new SqlWhere(), null, true).text(), "no cursor, no bound");
        assertEquals(
                "",
                LISTING.created(new SqlWhere(), new CreatedWindow(null, null, null), CLOCK)
                        .text());
    }

    @Test
    void pagesForwardsNewestFirstWithCursorsOnlyWhereMoreRowsLie() throws Exception {
        Page<Item> first = page(new PageRequest(4, null, null), false);
        assertEquals(List.of("item_9", "item_8", "item_7", "item_6"), ids(first));
        assertEquals(new ListCursor(T0.plusSeconds(6), "item_6"), first.next());
        assertNull(first.previous(), "nothing newer than the newest page");
        Page<Item> second = page(new PageRequest(4, first.next(), null), false);
        assertEquals(List.of("item_5", "item_4", "item_3", "item_2"), ids(second));
        assertEquals(new ListCursor(T0.plusSeconds(5), "item_5"), second.previous());
        Page<Item> last = page(new PageRequest(4, second.next(), null), false);
        assertEquals(List.of("item_1", "item_0"), ids(last));
        assertNull(last.next(), "nothing older than the last page");
    }

    @Test
    void pagesBackwardsFromACursor() throws Exception {
        Page<Item> back = page(new PageRequest(3, null, new ListCursor(T0.plusSeconds(2), "item_2")), false);
        assertEquals(List.of("item_5", "item_4", "item_3"), ids(back), "the newer page just before the cursor");
        assertEquals(new ListCursor(T0.plusSeconds(3), "item_3"), back.next());
        assertEquals(new ListCursor(T0.plusSeconds(5), "item_5"), back.previous());
        Page<Item> top = page(new PageRequest(3, null, back.previous()), false);
        assertEquals(List.of("item_8", "item_7", "item_6"), ids(top));
        assertEquals(new ListCursor(T0.plusSeconds(8), "item_8"), top.previous(), "item_9 is still newer");
    }

    @Test
    void filtersAndKnowsWhenTheCursorsOwnRowNoLongerMatches() throws Exception {
        Page<Item> marked = page(new PageRequest(2, null, null), true);
        assertEquals(List.of("item_9", "item_7"), ids(marked));
        // item_6 is not marked: from its position there are still marked rows on both sides.
        Page<Item> around = page(new PageRequest(2, new ListCursor(T0.plusSeconds(6), "item_6"), null), true);
        assertEquals(List.of("item_5", "item_3"), ids(around));
        assertEquals(new ListCursor(T0.plusSeconds(5), "item_5"), around.previous());
        assertEquals(new ListCursor(T0.plusSeconds(3), "item_3"), around.next());
        Page<Item> none = page(new PageRequest(2, new ListCursor(T0, "item_0"), null), true);
        assertEquals(List.of(), none.rows());
        assertNull(none.next());
        assertNull(none.previous(), "an empty page has no cursors");
    }

    @Test
    void aPageRequestTakesOneCursorAndAtLeastOneRow() {
        ListCursor cursor = new ListCursor(T0, "x");
        assertThrows(IllegalArgumentException.class, () -> new PageRequest(0, null, null));
        assertThrows(IllegalArgumentException.class, () -> new PageRequest(1, cursor, cursor));
    }

    private Page<Item> page(PageRequest request, boolean markedOnly) throws Exception {
        return LISTING.page(
                connection,
                (from, newer) -> {
                    SqlWhere where = new SqlWhere().and("i.item_id LIKE ?", "item_%");
                    if (markedOnly) where.and("i.marked = ?", true);
                    return LISTING.past(where, from, newer);
                },
                request);
    }

    private static List<String> ids(Page<Item> rows) {
        List<String> ids = new ArrayList<>();
        rows.rows().forEach(item -> ids.add(item.id()));
        return ids;
    }
}
