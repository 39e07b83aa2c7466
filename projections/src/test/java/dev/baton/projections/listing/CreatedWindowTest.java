package dev.baton.projections.listing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class CreatedWindowTest {

    private static final Instant NOW = Instant.parse("2024-05-01T12:00:00Z");
    private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

    @Test
    void noFieldNoBound() {
        CreatedWindow none = new CreatedWindow(null, null, null);
        assertNull(none.lowerBound(CLOCK));
        assertNull(none.upperBound());
    }

    @Test
    void boundsAreClampedToTheStoredYears() {
        CreatedWindow far = new CreatedWindow(
                Instant.parse("-5000-01-01T00:00:00Z"), Instant.parse("+20000-01-01T00:00:00Z"), null);
        assertEquals(CreatedWindow.EARLIEST, far.lowerBound(CLOCK));
        assertEquals(CreatedWindow.LATEST, far.upperBound());
        CreatedWindow near = new CreatedWindow(NOW.minusSeconds(5), NOW, null);
        assertEquals(NOW.minusSeconds(5), near.lowerBound(CLOCK));
        assertEquals(NOW, near.upperBound());
    }

    @Test
    void withinCountsBackFromNowAndTheLaterLowerBoundWins() {
        assertEquals(
                NOW.minus(Duration.ofHours(2)), new CreatedWindow(null, null, Duration.ofHours(2)).lowerBound(CLOCK));
        assertEquals(
                NOW.minusSeconds(60),
                new CreatedWindow(NOW.minusSeconds(60), null, Duration.ofHours(2)).lowerBound(CLOCK),
                "from is later");
        assertEquals(
                NOW.minus(Duration.ofHours(2)),
                new CreatedWindow(NOW.minus(Duration.ofDays(1)), null, Duration.ofHours(2)).lowerBound(CLOCK),
                "within is later");
    }

    @Test
    void aWithinLongerThanTheStoredYearsStartsAtTheEarliest() {
        assertEquals(
                CreatedWindow.EARLIEST,
                new CreatedWindow(null, null, Duration.ofDays(365L * 1_000_000)).lowerBound(CLOCK));
    }

    @Test
    void theClockIsReadOnlyForWithin() {
        assertEquals(NOW, new CreatedWindow(NOW, null, null).lowerBound(null), "no clock needed");
    }
}
