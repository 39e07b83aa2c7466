package dev.baton.engine.changes;

import akka.actor.typed.ActorSystem;
import dev.baton.engine.common.EnvironmentTopics;
import java.util.function.Consumer;

/**
 * The cluster-wide feed of run changes ({@link EnvironmentTopics}, one topic per environment): a run publishes on
 * the node that hosts it, and each node's realtime requests and dashboard streams listen on their own node.
 *
 * <p>Delivery is at most once: a listener must not depend on every notice. The realtime routes do not; they compare
 * what they read with the offset their client holds, and their held request ends at its deadline anyway, so a lost
 * notice delays an update by at most one hold.
 */
public final class RunChangeFeed {

    private final EnvironmentTopics<RunChanged> topics;

    public RunChangeFeed(ActorSystem<?> system) {
        this.topics = new EnvironmentTopics<>(system, RunChanged.class, "run-changes", RunChanged::environmentId);
    }

    public void publish(RunChanged change) {
        topics.publish(change);
    }

    /** A subscription to one environment's changes; {@link #close} ends it. */
    public interface Subscription extends AutoCloseable {
        @Override
        void close();
    }

    /** {@code listener} is called on an actor's thread: it must be quick and must not block. */
    public Subscription subscribe(String environmentId, Consumer<RunChanged> listener) {
        return topics.subscribe(environmentId, listener)::close;
    }

    /** How many environments this node relays now (tests). */
    int relayCount() {
        return topics.relayCount();
    }
}
