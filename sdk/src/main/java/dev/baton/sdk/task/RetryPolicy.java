package dev.baton.sdk.task;

/**
 * How the server retries a task whose attempt failed.
 *
 * <p>Before attempt n+1 the run waits {@code min(maxTimeoutInMs, minTimeoutInMs × factor^(n−1))},
 * multiplied by a random factor in [1, 2) when {@code randomize} is true. The field names match
 * Trigger.dev's {@code retry} options so configurations carry over unchanged.
 *
 * @param maxAttempts    attempts in total, including the first (at least 1)
 * @param factor         growth of the delay between consecutive attempts (at least 1)
 * @param minTimeoutInMs delay before the second attempt
 * @param maxTimeoutInMs upper bound of any delay
 * @param randomize      whether to spread delays so failed runs do not retry in lockstep
 */
public record RetryPolicy(int maxAttempts, double factor, long minTimeoutInMs, long maxTimeoutInMs, boolean randomize) {

    public RetryPolicy {
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be at least 1, was " + maxAttempts);
        }
        if (!(factor >= 1)) { // also rejects NaN
            throw new IllegalArgumentException("factor must be at least 1, was " + factor);
        }
        if (minTimeoutInMs < 0) {
            throw new IllegalArgumentException("minTimeoutInMs must not be negative, was " + minTimeoutInMs);
        }
        if (minTimeoutInMs > maxTimeoutInMs) {
            throw new IllegalArgumentException(
                    "minTimeoutInMs (" + minTimeoutInMs + ") must not exceed maxTimeoutInMs (" + maxTimeoutInMs + ")");
        }
    }

    /** The server's default: 3 attempts, delays from 1 s doubling up to 10 s, randomized. */
    public static RetryPolicy defaults() {
        return new RetryPolicy(3, 2, 1000, 10_000, true);
    }

    /** The default policy with a different number of attempts. */
    public static RetryPolicy attempts(int maxAttempts) {
        RetryPolicy defaults = defaults();
        return new RetryPolicy(
                maxAttempts, defaults.factor, defaults.minTimeoutInMs, defaults.maxTimeoutInMs, defaults.randomize);
    }
}
