package dev.baton.engine.task;

import dev.baton.engine.common.CborSerializable;

/**
 * A queue's limits as its tasks declare them.
 *
 * @param concurrencyLimit runs executing at once per concurrency key (the whole queue when runs name no key); null for
 * none
 * @param globalConcurrencyLimit runs executing at once across all keys of the queue; null for none
 * @param rateLimit starts per period, per concurrency key as {@code concurrencyLimit}; null for none
 */
public record QueueLimits(Integer concurrencyLimit, Integer globalConcurrencyLimit, RateLimit rateLimit)
        implements CborSerializable {
    public static final QueueLimits UNLIMITED = new QueueLimits(null, null, null);

    public QueueLimits(Integer concurrencyLimit, Integer globalConcurrencyLimit) {
        this(concurrencyLimit, globalConcurrencyLimit, null);
    }
}
