package dev.baton.engine.dispatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.engine.task.RateLimit;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The GCRA's arithmetic on instants a test chooses. */
class StartRateLimiterTest {

    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    private static final RateLimit FIVE_PER_SECOND = RateLimit.of(5, "1s");

    private static Instant at(long millis) {
        return T0.plusMillis(millis);
    }

    @Test
    void aNewLimiterWaitsOneIntervalAfterItStarted() {
        StartRateLimiter<String> limiter = new StartRateLimiter<>(T0, Duration.ZERO);
        assertFalse(limiter.mayStart("k", FIVE_PER_SECOND, at(199)), "a predecessor may have started one at T0");
        assertTrue(limiter.mayStart("k", FIVE_PER_SECOND, at(200)));
        assertEquals(at(200), limiter.nextStart("k", FIVE_PER_SECOND));
    }

    @Test
    void startsAreOneIntervalApartAndUnusedTimeDoesNotBuildABurst() {
        StartRateLimiter<String> limiter = new StartRateLimiter<>(T0, Duration.ZERO);
        limiter.started("k", "r1", at(200));
        assertFalse(limiter.mayStart("k", FIVE_PER_SECOND, at(399)));
        assertEquals(at(400), limiter.nextStart("k", FIVE_PER_SECOND));
        limiter.started("k", "r2", at(400));
        // Quiet for ten seconds: still only one may start, then the next one interval later.
        assertTrue(limiter.mayStart("k", FIVE_PER_SECOND, at(10_400)));
        limiter.started("k", "r3", at(10_400));
        assertFalse(limiter.mayStart("k", FIVE_PER_SECOND, at(10_599)));
    }

    @Test
    void everyWindowOfThePeriodHoldsAtMostTheLimitWhenStartingAsSoonAsAllowed() {
        RateLimit threePerSecond = RateLimit.of(3, "1s");
        StartRateLimiter<String> limiter = new StartRateLimiter<>(T0, Duration.ZERO);
        List<Instant> starts = new ArrayList<>();
        Instant now = T0;
        while (starts.size() < 30) {
            if (limiter.mayStart("k", threePerSecond, now)) {
                limiter.started("k", "r" + starts.size(), now);
                starts.add(now);
            }
            now = now.plusNanos(1_000_000);
        }
        for (int i = 0; i + 3 < starts.size(); i++) {
            assertTrue(
                    Duration.between(starts.get(i), starts.get(i + 3)).compareTo(Duration.ofSeconds(1)) >= 0,
                    "4 starts span at least the period: " + starts.subList(i, i + 4));
        }
    }

    @Test
    void keysHaveTheirOwnBudget() {
        StartRateLimiter<String> limiter = new StartRateLimiter<>(T0, Duration.ZERO);
        limiter.started("a", "r1", at(200));
        assertFalse(limiter.mayStart("a", FIVE_PER_SECOND, at(200)));
        assertTrue(limiter.mayStart("b", FIVE_PER_SECOND, at(200)));
    }

    @Test
    void aChangedLimitAppliesToTheNextStart() {
        StartRateLimiter<String> limiter = new StartRateLimiter<>(T0, Duration.ZERO);
        limiter.started("k", "r1", at(1000));
        assertEquals(at(1200), limiter.nextStart("k", FIVE_PER_SECOND));
        assertEquals(at(2000), limiter.nextStart("k", RateLimit.of(1, "1s")));
    }

    @Test
    void aRefundGivesTheBudgetBackOnlyWhileNoOtherRunStartedSince() {
        StartRateLimiter<String> limiter = new StartRateLimiter<>(T0, Duration.ZERO);
        limiter.started("k", "r1", at(200));
        limiter.started("k", "r2", at(400));
        limiter.refund("k", "r2");
        assertEquals(at(400), limiter.nextStart("k", FIVE_PER_SECOND), "back to r1's start");
        limiter.refund("k", "r1");
        assertEquals(at(400), limiter.nextStart("k", FIVE_PER_SECOND), "r1 is not the last start any more");

        limiter.started("j", "r3", at(600));
        limiter.refund("j", "r3");
        assertEquals(at(200), limiter.nextStart("j", FIVE_PER_SECOND), "as if never started: the start-up guard");
    }

    @Test
    void keysThatMayStartAnywayAreForgotten() {
        StartRateLimiter<String> limiter = new StartRateLimiter<>(T0, Duration.ZERO);
        limiter.started("idle", "r1", at(200));
        limiter.started("busy", "r2", at(900));
        limiter.started("unlimited", "r3", at(900));
        limiter.forgetIdle(at(1000), key -> key.equals("unlimited") ? null : FIVE_PER_SECOND);
        assertEquals(1, limiter.size());
        assertFalse(limiter.mayStart("busy", FIVE_PER_SECOND, at(1000)));
        assertTrue(limiter.mayStart("idle", FIVE_PER_SECOND, at(1000)));
    }

    @Test
    void anAllowanceLengthensThePeriodTheStartsAreSpreadOver() {
        StartRateLimiter<String> limiter = new StartRateLimiter<>(T0, Duration.ofMillis(50));
        assertEquals(at(210), limiter.nextStart("k", FIVE_PER_SECOND), "(1000 + 50) / 5");
        limiter.started("k", "r1", at(210));
        assertEquals(at(420), limiter.nextStart("k", FIVE_PER_SECOND));
    }
}
