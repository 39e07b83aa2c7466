package dev.baton.engine.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RateLimitTest {

    @Test
    void periodsAreDurationStrings() {
        assertEquals(new RateLimit(10, Duration.ofSeconds(1)), RateLimit.of(10, "1s"));
        assertEquals(new RateLimit(3, Duration.ofMinutes(90)), RateLimit.of(3, "1h30m"));
        assertEquals("90m", RateLimit.of(3, "1h30m").periodText());
        assertEquals("500ms", RateLimit.of(1, "500ms").periodText());
    }

    @Test
    void theIntervalRoundsUpSoLimitIntervalsNeverFallShortOfThePeriod() {
        assertEquals(Duration.ofMillis(100), RateLimit.of(10, "1s").interval());
        RateLimit thirds = RateLimit.of(3, "1s");
        assertEquals(Duration.ofNanos(333_333_334), thirds.interval());
        assertTrue(thirds.interval().multipliedBy(3).compareTo(Duration.ofSeconds(1)) >= 0);
    }

    @Test
    void outOfRangeValuesNameTheField() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> RateLimit.of(0, "1s"))
                .getMessage()
                .contains("rateLimit.limit"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> RateLimit.of(1, "soon"))
                .getMessage()
                .contains("rateLimit.period"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> RateLimit.of(1, "8d"))
                .getMessage()
                .contains("rateLimit.period"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new RateLimit(1, Duration.ZERO))
                .getMessage()
                .contains("rateLimit.period"));
    }
}
