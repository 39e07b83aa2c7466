package dev.baton.engine.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * What queues hold back, counted by the node hosting each environment's dispatcher (one in the cluster), tagged by
 * environment id and Baton's queue name.
 */
public final class QueueMetrics {

    private final MeterRegistry registry;

    QueueMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    /** A run next in line in its queue (or concurrency key) had to wait for the queue's rate limit; once per run. */
    public void rateLimited(String environmentId, String queue) {
        Counter.builder("baton.queue.rate.limited")
                .description("Runs whose start a queue's rate limit delayed")
                .tags("environment", environmentId, "queue", queue)
                .register(registry)
                .increment();
    }
}
