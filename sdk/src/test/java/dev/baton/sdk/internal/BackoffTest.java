package dev.baton.sdk.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class BackoffTest {

    @Test
    void growsWithinBoundsAndResets() {
        Backoff backoff = new Backoff(Duration.ofMillis(100), Duration.ofMillis(1000));
        assertEquals(100, backoff.next().toMillis());
        long second = backoff.next().toMillis();
        assertTrue(second >= 100 && second <= 200, "second delay " + second);
        for (int i = 0; i < 50; i++) {
            long delay = backoff.next().toMillis();
            assertTrue(delay >= 100 && delay <= 1000, "delay " + delay);
        }
        long late = backoff.next().toMillis();
        assertTrue(late >= 500, "late delays stay near the ceiling: " + late);
        backoff.reset();
        assertEquals(100, backoff.next().toMillis());
    }
}
