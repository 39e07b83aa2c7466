package dev.baton.sdk.internal;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Exponential backoff with jitter for reconnects: the ceiling doubles from {@code min} up to
 * {@code max} per consecutive failure, and each delay is drawn from the upper half of it, so a
 * fleet of workers cut off together does not reconnect in lockstep. Not thread-safe.
 */
public final class Backoff {

    private final long minMs;
    private final long maxMs;
    private int failures;

    public Backoff(Duration min, Duration max) {
        if (min.isNegative() || min.compareTo(max) > 0) {
            throw new IllegalArgumentException("backoff needs 0 <= min <= max, got " + min + " and " + max);
        }
        this.minMs = min.toMillis();
        this.maxMs = max.toMillis();
    }

    /** The delay before the next try; each call counts one more failure. */
    public Duration next() {
        long ceiling = minMs;
        for (int i = 0; i < failures && ceiling < maxMs; i++) {
            ceiling = Math.max(1, ceiling * 2);
        }
        ceiling = Math.min(ceiling, maxMs);
        failures++;
        long floor = Math.max(minMs, ceiling / 2);
        long delay = floor >= ceiling ? ceiling : ThreadLocalRandom.current().nextLong(floor, ceiling + 1);
        return Duration.ofMillis(delay);
    }

    /** Called after a success, so the next failure waits only {@code min} again. */
    public void reset() {
        failures = 0;
    }
}
