package dev.baton.sdk.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class RetryPolicyTest {

    @Test
    void defaultsMatchTheServerDefaults() {
        assertEquals(new RetryPolicy(3, 2, 1000, 10_000, true), RetryPolicy.defaults());
    }

    @Test
    void attemptsChangesOnlyTheAttempts() {
        assertEquals(new RetryPolicy(7, 2, 1000, 10_000, true), RetryPolicy.attempts(7));
    }

    @Test
    void acceptsTheBoundaries() {
        new RetryPolicy(1, 1, 0, 0, false);
    }

    @Test
    void rejectsInvalidValues() {
        assertThrows(IllegalArgumentException.class, () -> new RetryPolicy(0, 2, 1000, 10_000, true));
        assertThrows(IllegalArgumentException.class, () -> new RetryPolicy(3, 0.5, 1000, 10_000, true));
        assertThrows(IllegalArgumentException.class, () -> new RetryPolicy(3, Double.NaN, 1000, 10_000, true));
        assertThrows(IllegalArgumentException.class, () -> new RetryPolicy(3, 2, -1, 10_000, true));
        assertThrows(IllegalArgumentException.class, () -> new RetryPolicy(3, 2, 20_000, 10_000, true));
        assertThrows(IllegalArgumentException.class, () -> RetryPolicy.attempts(0));
    }
}
