package dev.baton.engine.environment;

import dev.baton.engine.common.CborSerializable;
import java.time.Instant;

/**
 * What an environment overrides of one queue: whether it is paused (nothing new starts from it; what runs finishes)
 * and a concurrency limit in place of the one its tasks declared (per concurrency key, as the declared one).
 *
 * @param concurrencyLimit the override, or null for the declared limit
 * @param concurrencyLimitOverriddenAt when the override was set; null without one
 */
public record QueueSettings(boolean paused, Integer concurrencyLimit, Instant concurrencyLimitOverriddenAt)
        implements CborSerializable {

    public static final QueueSettings DEFAULTS = new QueueSettings(false, null, null);

    public QueueSettings withPaused(boolean paused) {
        return new QueueSettings(paused, concurrencyLimit, concurrencyLimitOverriddenAt);
    }

    public QueueSettings withConcurrencyLimit(Integer limit, Instant at) {
        return new QueueSettings(paused, limit, limit == null ? null : at);
    }

    public boolean isDefault() {
        return !paused && concurrencyLimit == null;
    }
}
