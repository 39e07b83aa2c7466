package dev.baton.projections.listing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ListCursorTest {

    @Test
    void encodesEpochMicrosAndIdAsUrlSafeBase64WithoutPadding() {
        ListCursor cursor = new ListCursor(Instant.parse("2024-05-01T12:00:00.123456789Z"), "run_a?b");
        String expected = Base64.getUrlEncoder()
                .withoutPadding()
                .encodeToString("1714564800123456:run_a?b".getBytes(StandardCharsets.UTF_8));
        assertEquals(expected, cursor.encode(), "the wire format runs and tokens have always used");
        assertEquals("MTcxNDU2NDgwMDEyMzQ1NjpydW5fYT9i", cursor.encode());
    }

    @Test
    void decodesWhatItEncodedTruncatedToTheMicrosecond() {
        ListCursor cursor = new ListCursor(Instant.parse("2024-05-01T12:00:00.123456789Z"), "waitpoint_1:x");
        ListCursor decoded = ListCursor.decode(cursor.encode()).orElseThrow();
        assertEquals(new ListCursor(Instant.parse("2024-05-01T12:00:00.123456Z"), "waitpoint_1:x"), decoded);
        assertEquals(cursor, decoded);
    }

    @Test
    void decodesACursorHandedOutBeforeTheKit() {
        // A run cursor of the old RunCursor: "<micros>:<run id>".
        String old = encoded("-5000000:run_old");
        assertEquals(
                Optional.of(new ListCursor(Instant.parse("1969-12-31T23:59:55Z"), "run_old")), ListCursor.decode(old));
    }

    @Test
    void refusesWhatItDidNotEncode() {
        for (String text : new String[] {
            null,
            "",
            "not base64!",
            encoded("no-separator"),
            encoded(":id"),
            encoded("123:"),
            encoded("12x:id"),
            encoded("99999999999999999999:id"),
            encoded("-62135596800000001:id"),
            encoded("253402300800000000:id"),
            "A".repeat(1025)
        }) {
            assertTrue(ListCursor.decode(text).isEmpty(), "refused: " + text);
        }
    }

    @Test
    void acceptsTheEdgesOfTheStoredYears() {
        assertEquals(
                CreatedWindow.EARLIEST,
                ListCursor.decode(encoded("-62135596800000000:id"))
                        .orElseThrow()
                        .createdAt());
        assertEquals(
                CreatedWindow.LATEST,
                ListCursor.decode(encoded("253402300799000000:id"))
                        .orElseThrow()
                        .createdAt());
    }

    private static String encoded(String text) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }
}
