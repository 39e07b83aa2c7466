package dev.baton.engine.environment;

import java.time.Duration;

/**
 * What an environment overrides of the node's defaults: its concurrency limit, the rate at which it may trigger
 * (a token bucket: at most {@code burst} at once, {@code refill} more every {@code interval}, cluster-wide), and
 * whether its runs are paused (queued runs wait; running ones finish). A null field means the configured default.
 */
public record EnvironmentSettings(Integer concurrencyLimit, TriggerRateLimit triggerRateLimit, boolean paused) {

    public static final EnvironmentSettings DEFAULTS = new EnvironmentSettings(null, null, false);

    public record TriggerRateLimit(long burst, long refill, Duration interval) {}
}
