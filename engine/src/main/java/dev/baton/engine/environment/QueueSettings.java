package dev.baton.engine.environment;

import dev.baton.engine.common.CborSerializable;
import dev.baton.engine.task.RateLimit;
import java.time.Instant;

/**
 * What an environment overrides of one queue: whether it is paused (nothing new starts from it; what runs finishes),
 * a concurrency limit and a rate limit in place of those its tasks declared (per concurrency key, as the declared
 * ones).
 *
 * @param concurrencyLimit the override, or null for the declared limit
 * @param concurrencyLimitOverriddenAt when the override was set; null without one
 * @param rateLimit the rate-limit override, or null for the declared one
 * @param rateLimitOverriddenAt when the rate-limit override was set; null without one
 */
public record QueueSettings(
        boolean paused,
        Integer concurrencyLimit,
        Instant concurrencyLimitOverriddenAt,
        RateLimit rateLimit,
        Instant rateLimitOverriddenAt)
        implements CborSerializable {

    public static final QueueSettings DEFAULTS = new QueueSettings(false, null, null, null, null);

    public QueueSettings(boolean paused, Integer concurrencyLimit, Instant concurrencyLimitOverriddenAt) {
        this(paused, concurrencyLimit, concurrencyLimitOverriddenAt, null, null);
    }

    public QueueSettings withPaused(boolean paused) {
        return new QueueSettings(
                paused, concurrencyLimit, concurrencyLimitOverriddenAt, rateLimit, rateLimitOverriddenAt);
    }

    public QueueSettings withConcurrencyLimit(Integer limit, Instant at) {
        return new QueueSettings(paused, limit, limit == null ? null : at, rateLimit, rateLimitOverriddenAt);
    }

    public QueueSettings withRateLimit(RateLimit limit, Instant at) {
        return new QueueSettings(
                paused, concurrencyLimit, concurrencyLimitOverriddenAt, limit, limit == null ? null : at);
    }

    public boolean isDefault() {
        return !paused && concurrencyLimit == null && rateLimit == null;
    }
}
