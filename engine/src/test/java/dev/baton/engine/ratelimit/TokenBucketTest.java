package dev.baton.engine.ratelimit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.engine.environment.EnvironmentSettings.TriggerRateLimit;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The bucket's arithmetic: whole tokens out, continuous refill, give-backs and limit changes. */
class TokenBucketTest {

    private static final long T0 = 1_000_000L;
    private static final TriggerRateLimit FIVE_PLUS_ONE_A_SECOND = new TriggerRateLimit(5, 1, Duration.ofSeconds(1));

    @Test
    void startsFullAndGrantsAtMostWhatItHas() {
        TokenBucket bucket = new TokenBucket(FIVE_PLUS_ONE_A_SECOND, T0);
        assertTrue(bucket.full(T0));
        assertEquals(T0, bucket.resetAtMillis(T0), "a full bucket resets now");
        assertEquals(3, bucket.take(3, T0));
        assertEquals(2, bucket.remaining(T0));
        assertEquals(2, bucket.take(3, T0), "only what is left");
        assertEquals(0, bucket.take(1, T0));
        assertEquals(T0 + 1_000, bucket.resetAtMillis(T0), "the next token in a second");
    }

    @Test
    void refillsContinuouslyUpToTheBurst() {
        TokenBucket bucket = new TokenBucket(FIVE_PLUS_ONE_A_SECOND, T0);
        bucket.take(5, T0);
        assertEquals(0, bucket.take(1, T0 + 999), "0.999 of a token is none");
        assertEquals(T0 + 1_000, bucket.resetAtMillis(T0 + 999));
        assertEquals(1, bucket.take(5, T0 + 1_000));
        assertEquals(T0 + 2_000, bucket.resetAtMillis(T0 + 1_000));
        assertEquals(5, bucket.take(10, T0 + 3_600_000), "never beyond the burst");
        // A clock that steps back does not take tokens away or add any.
        assertEquals(0, bucket.take(1, T0));
    }

    @Test
    void tokensGivenBackAreThereAgainUpToTheBurst() {
        TokenBucket bucket = new TokenBucket(FIVE_PLUS_ONE_A_SECOND, T0);
        bucket.take(4, T0);
        bucket.giveBack(3, T0);
        assertEquals(4, bucket.remaining(T0));
        bucket.giveBack(100, T0);
        assertEquals(5, bucket.remaining(T0));
        assertTrue(bucket.full(T0));
    }

    @Test
    void aLowerLimitTakesEffectAtOnceAndAHigherOneGivesNoFreshBurst() {
        TokenBucket bucket = new TokenBucket(FIVE_PLUS_ONE_A_SECOND, T0);
        bucket.limit(new TriggerRateLimit(2, 1, Duration.ofMinutes(1)), T0);
        assertEquals(2, bucket.remaining(T0));
        assertEquals(2, bucket.take(5, T0));
        assertEquals(T0 + 60_000, bucket.resetAtMillis(T0));

        bucket.limit(new TriggerRateLimit(100, 10, Duration.ofSeconds(1)), T0 + 30_000);
        assertEquals(0, bucket.remaining(T0 + 30_000), "half a token from the old rate");
        assertEquals(5, bucket.remaining(T0 + 30_500), "then the new rate");
        assertFalse(bucket.full(T0 + 30_500));
    }

    @Test
    void refusesALimitThatCannotDriveIt() {
        assertThrows(
                IllegalArgumentException.class,
                () -> new TokenBucket(new TriggerRateLimit(0, 1, Duration.ofSeconds(1)), T0));
        assertThrows(
                IllegalArgumentException.class, () -> new TokenBucket(new TriggerRateLimit(1, 1, Duration.ZERO), T0));
        assertFalse(TokenBucket.usable(null));
    }
}
