package dev.baton.engine.metrics;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.Extension;
import akka.actor.typed.ExtensionId;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;

/**
 * The node's meters (docs/operations.md "Metrics"): every part of the engine records into this one registry, and the
 * node adds the registry that exposes them (Prometheus, on the management port). Until one is added the meters
 * record into nothing, so engine tests and embedded uses pay next to nothing for them.
 */
public final class BatonMetrics implements Extension {

    private static final Id ID = new Id();

    private final CompositeMeterRegistry registry = new CompositeMeterRegistry();
    private final RunMetrics runs = new RunMetrics(registry);
    private final QueueMetrics queues = new QueueMetrics(registry);

    public static BatonMetrics get(ActorSystem<?> system) {
        return ID.apply(system);
    }

    /** Where to record, and where the node adds its exposing registry ({@link CompositeMeterRegistry#add}). */
    public CompositeMeterRegistry registry() {
        return registry;
    }

    public RunMetrics runs() {
        return runs;
    }

    public QueueMetrics queues() {
        return queues;
    }

    private static final class Id extends ExtensionId<BatonMetrics> {
        @Override
        public BatonMetrics createExtension(ActorSystem<?> system) {
            return new BatonMetrics();
        }
    }
}
