package dev.baton.api.listing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.baton.api.config.HttpSettings;
import dev.baton.api.errors.ApiException;
import dev.baton.projections.listing.ListCursor;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ListParamsTest {

    private static final HttpSettings SETTINGS = new HttpSettings(
            1024,
            Duration.ofSeconds(1),
            1024,
            1024,
            10,
            128,
            2048,
            1024,
            128,
            Duration.ofDays(1),
            Duration.ofDays(1),
            25,
            100,
            3);

    private static ListParams params(Map<String, List<String>> query, ListParams.Single single) {
        return new ListParams(query, SETTINGS, single);
    }

    @Test
    void listsSplitAtCommasAndRepeatsAddUpToTheLimit() {
        ListParams params = params(Map.of("filter[tag]", List.of("a, b", "", "c")), ListParams.Single.AS_SENT);
        assertEquals(Set.of("a", "b", "c"), params.list("filter[tag]"));
        assertNull(params.list("filter[queue]"), "absent: no filter");
        ApiException tooMany = assertThrows(
                ApiException.class,
                () -> params(Map.of("filter[tag]", List.of("a,b,c,d")), ListParams.Single.AS_SENT)
                        .list("filter[tag]"));
        assertEquals("Invalid query parameter filter[tag]: expected at most 3 values", tooMany.getMessage());
    }

    @Test
    void aSingleValueIsSplitForRunsAndTakenAsSentForTokens() {
        Map<String, List<String>> query =
                Map.of("filter[idempotencyKey]", List.of("a,b"), "filter[batch]", List.of(" x "));
        assertEquals("a,b", params(query, ListParams.Single.AS_SENT).single("filter[idempotencyKey]"));
        assertEquals(" x ", params(query, ListParams.Single.AS_SENT).single("filter[batch]"));
        assertEquals("x", params(query, ListParams.Single.SPLIT_AT_COMMAS).single("filter[batch]"));
        ApiException two = assertThrows(
                ApiException.class,
                () -> params(query, ListParams.Single.SPLIT_AT_COMMAS).single("filter[idempotencyKey]"));
        assertEquals("Invalid query parameter filter[idempotencyKey]: expected a single value", two.getMessage());
    }

    @Test
    void datesAreEpochMillisOrIsoAndToIncludesItsMillisecond() {
        ListParams params = params(
                Map.of(ListParams.FROM, List.of("1714564800000"), ListParams.TO, List.of("2024-05-01T12:00:00Z")),
                ListParams.Single.SPLIT_AT_COMMAS);
        assertEquals(Instant.parse("2024-05-01T12:00:00Z"), params.date(ListParams.FROM, false));
        assertEquals(Instant.parse("2024-05-01T12:00:00.001Z"), params.date(ListParams.TO, true));
        ApiException bad = assertThrows(
                ApiException.class,
                () -> params(Map.of(ListParams.FROM, List.of("yesterday")), ListParams.Single.SPLIT_AT_COMMAS)
                        .date(ListParams.FROM, false));
        assertEquals(
                "Invalid query parameter filter[createdAt][from]: expected epoch milliseconds or an ISO-8601 date",
                bad.getMessage());
    }

    @Test
    void pageSizeDefaultsAndStaysWithinTheMaximum() {
        assertEquals(25, params(Map.of(), ListParams.Single.AS_SENT).pageSize());
        assertEquals(
                100,
                params(Map.of(ListParams.PAGE_SIZE, List.of("100")), ListParams.Single.AS_SENT)
                        .pageSize());
        for (String size : List.of("0", "101", "-1", "1.5", "9999999999")) {
            ApiException refused = assertThrows(
                    ApiException.class,
                    () -> params(Map.of(ListParams.PAGE_SIZE, List.of(size)), ListParams.Single.AS_SENT)
                            .pageSize(),
                    size);
            assertEquals("Invalid query parameter page[size]: expected an integer from 1 to 100", refused.getMessage());
        }
    }

    @Test
    void cursorsAreTheOnesAPageHandedOut() {
        ListCursor cursor = new ListCursor(Instant.parse("2024-05-01T12:00:00Z"), "run_1");
        assertEquals(
                cursor,
                params(Map.of(ListParams.AFTER, List.of(cursor.encode())), ListParams.Single.AS_SENT)
                        .cursor(ListParams.AFTER));
        ApiException forged = assertThrows(
                ApiException.class,
                () -> params(Map.of(ListParams.BEFORE, List.of("abc")), ListParams.Single.AS_SENT)
                        .cursor(ListParams.BEFORE));
        assertEquals(
                "Invalid query parameter page[before]: expected a cursor from a previous page's pagination",
                forged.getMessage());
    }

    @Test
    void periodIsADuration() {
        assertEquals(
                Duration.ofHours(2),
                params(Map.of(ListParams.PERIOD, List.of("2h")), ListParams.Single.SPLIT_AT_COMMAS)
                        .period());
        ApiException bad = assertThrows(
                ApiException.class,
                () -> params(Map.of(ListParams.PERIOD, List.of("soon")), ListParams.Single.SPLIT_AT_COMMAS)
                        .period());
        assertEquals(
                "Invalid query parameter filter[createdAt][period]: expected a duration such as 30m, 2h, 1d or 1w",
                bad.getMessage());
    }
}
