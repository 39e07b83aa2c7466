package dev.baton.engine.task;

import dev.baton.engine.common.CborSerializable;
import java.time.Duration;
import java.util.random.RandomGenerator;

/**
 * A task's retry policy, with Trigger.dev's fields and backoff formula:
 * {@code min(maxTimeoutInMs, minTimeoutInMs * factor^(attempt-1))}, times a random factor in [1, 2)
 * when {@code randomize}, capped again at {@code maxTimeoutInMs}.
 */
public record RetryPolicy(int maxAttempts, double factor, long minTimeoutInMs, long maxTimeoutInMs, boolean randomize)
        implements CborSerializable {

    public static final RetryPolicy DEFAULT = new RetryPolicy(3, 2.0, 1_000, 10_000, true);

    public RetryPolicy {
        if (maxAttempts < 1) throw new IllegalArgumentException("maxAttempts must be at least 1");
        if (factor < 1) throw new IllegalArgumentException("factor must be at least 1");
        if (minTimeoutInMs < 0 || maxTimeoutInMs < minTimeoutInMs)
            throw new IllegalArgumentException("need 0 <= minTimeoutInMs <= maxTimeoutInMs");
    }

    public RetryPolicy withMaxAttempts(int attempts) {
        return new RetryPolicy(attempts, factor, minTimeoutInMs, maxTimeoutInMs, randomize);
    }

    /** Delay before the attempt after {@code failedAttempt} (1-based). */
    public Duration delayAfter(int failedAttempt, RandomGenerator random) {
        double base = Math.min(maxTimeoutInMs, minTimeoutInMs * Math.pow(factor, failedAttempt - 1));
        double jitter = randomize ? 1 + random.nextDouble() : 1;
        return Duration.ofMillis(Math.round(Math.min(maxTimeoutInMs, base * jitter)));
    }
}
