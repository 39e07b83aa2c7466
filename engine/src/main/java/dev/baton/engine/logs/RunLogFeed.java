package dev.baton.engine.logs;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.Behavior;
import akka.actor.typed.Props;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.pubsub.Topic;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * The cluster-wide notices that a run's log lines were stored, one Akka pub-sub {@link Topic} per environment (as
 * {@code RunChangeFeed}): the node that stored them publishes, and each node relays an environment's notices to all
 * its local followers through one subscription. Delivery is at most once, so a follower also reads now and then
 * without a notice ({@code baton.logs.follow-interval}).
 */
public final class RunLogFeed {

    private final ActorSystem<?> system;
    private final ConcurrentMap<String, ActorRef<Topic.Command<RunLogsAppended>>> topics = new ConcurrentHashMap<>();
    private final ConcurrentMap<String, Set<Consumer<RunLogsAppended>>> listeners = new ConcurrentHashMap<>();
    private final AtomicInteger actorNames = new AtomicInteger();

    public RunLogFeed(ActorSystem<?> system) {
        this.system = system;
    }

    public void publish(RunLogsAppended appended) {
        topic(appended.environmentId()).tell(Topic.publish(appended));
    }

    /** A subscription to one environment's notices; {@link #close} ends it. */
    public interface Subscription extends AutoCloseable {
        @Override
        void close();
    }

    /** {@code listener} is called on an actor's thread: it must be quick and must not block. */
    public Subscription subscribe(String environmentId, Consumer<RunLogsAppended> listener) {
        Set<Consumer<RunLogsAppended>> local = listeners.computeIfAbsent(environmentId, id -> {
            Set<Consumer<RunLogsAppended>> set = new CopyOnWriteArraySet<>();
            ActorRef<RunLogsAppended> relay =
                    system.systemActorOf(relay(set), "run-logs-relay-" + actorNames.incrementAndGet(), Props.empty());
            topic(id).tell(Topic.subscribe(relay));
            return set;
        });
        local.add(listener);
        return () -> local.remove(listener);
    }

    private static Behavior<RunLogsAppended> relay(Set<Consumer<RunLogsAppended>> listeners) {
        return Behaviors.receiveMessage(appended -> {
            listeners.forEach(listener -> listener.accept(appended));
            return Behaviors.same();
        });
    }

    private ActorRef<Topic.Command<RunLogsAppended>> topic(String environmentId) {
        return topics.computeIfAbsent(
                environmentId,
                id -> system.systemActorOf(
                        Topic.create(RunLogsAppended.class, "run-logs-" + id),
                        "run-logs-topic-" + actorNames.incrementAndGet(),
                        Props.empty()));
    }
}
