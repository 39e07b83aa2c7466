package dev.baton.engine.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {

    private final RandomGenerator random = RandomGenerator.of("L64X128MixRandom");

    @Test
    void backoffGrowsByTheFactorAndIsCappedWithoutJitter() {
        RetryPolicy policy = new RetryPolicy(6, 2, 1_000, 5_000, false);
        assertEquals(Duration.ofMillis(1_000), policy.delayAfter(1, random));
        assertEquals(Duration.ofMillis(2_000), policy.delayAfter(2, random));
        assertEquals(Duration.ofMillis(4_000), policy.delayAfter(3, random));
        assertEquals(Duration.ofMillis(5_000), policy.delayAfter(4, random));
    }

    @Test
    void jitterStaysBetweenOneAndTwiceTheBaseAndUnderTheCap() {
        RetryPolicy policy = new RetryPolicy(3, 2, 1_000, 3_000, true);
        for (int i = 0; i < 1_000; i++) {
            long first = policy.delayAfter(1, random).toMillis();
            assertTrue(first >= 1_000 && first <= 2_000, "first delay " + first); // rounded to the millisecond
            long second = policy.delayAfter(2, random).toMillis();
            assertTrue(second >= 2_000 && second <= 3_000, "second delay " + second);
        }
    }

    @Test
    void invalidPoliciesAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new RetryPolicy(0, 2, 0, 0, false));
        assertThrows(IllegalArgumentException.class, () -> new RetryPolicy(1, 0.5, 0, 0, false));
        assertThrows(IllegalArgumentException.class, () -> new RetryPolicy(1, 2, 10, 5, false));
    }
}
