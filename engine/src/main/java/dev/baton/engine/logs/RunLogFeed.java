package dev.baton.engine.logs;

import akka.actor.typed.ActorSystem;
import dev.baton.engine.common.EnvironmentTopics;
import java.util.function.Consumer;

/**
 * The cluster-wide notices that a run's log lines were stored ({@link EnvironmentTopics}, one topic per environment):
 * the node that stored them publishes, and each node relays an environment's notices to all its local followers.
 * Delivery is at most once, so a follower also reads now and then without a notice ({@code baton.logs.follow-interval}).
 */
public final class RunLogFeed {

    private final EnvironmentTopics<RunLogsAppended> topics;

    public RunLogFeed(ActorSystem<?> system) {
        this.topics =
                new EnvironmentTopics<>(system, RunLogsAppended.class, "run-logs", RunLogsAppended::environmentId);
    }

    public void publish(RunLogsAppended appended) {
        topics.publish(appended);
    }

    /** A subscription to one environment's notices; {@link #close} ends it. */
    public interface Subscription extends AutoCloseable {
        @Override
        void close();
    }

    /** {@code listener} is called on an actor's thread: it must be quick and must not block. */
    public Subscription subscribe(String environmentId, Consumer<RunLogsAppended> listener) {
        return topics.subscribe(environmentId, listener)::close;
    }
}
