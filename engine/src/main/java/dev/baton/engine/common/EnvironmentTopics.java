package dev.baton.engine.common;

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
import java.util.function.Function;

/**
 * Cluster-wide notices of one kind, one Akka pub-sub {@link Topic} per environment: a node publishes where the notice
 * arises, and each node relays an environment's notices to all its local listeners through one subscription, so a
 * thousand listeners cost one. An environment's relay is made for its first listener and stopped (and unsubscribed)
 * with its last. Delivery is at most once (a topic new on a node learns of the other nodes' subscribers through the
 * receptionist, a moment later): a listener must not depend on every notice.
 */
public final class EnvironmentTopics<T> {

    /** A listener's subscription; {@link #close} ends it. */
    public interface Subscription extends AutoCloseable {
        @Override
        void close();
    }

    private final ActorSystem<?> system;
    private final Class<T> type;
    private final String name;
    private final Function<T, String> environmentOf;
    private final ConcurrentMap<String, ActorRef<Topic.Command<T>>> topics = new ConcurrentHashMap<>();
    private final ConcurrentMap<String, Relay<T>> relays = new ConcurrentHashMap<>();
    private final AtomicInteger actorNames = new AtomicInteger();

    /** One environment's relay on this node and the listeners it serves. */
    private record Relay<T>(ActorRef<Object> actor, Set<Consumer<T>> listeners) {}

    private enum StopRelay {
        INSTANCE
    }

    /** @param name names the topics ({@code <name>-<environment id>}) and this node's actors */
    public EnvironmentTopics(ActorSystem<?> system, Class<T> type, String name, Function<T, String> environmentOf) {
        this.system = system;
        this.type = type;
        this.name = name;
        this.environmentOf = environmentOf;
    }

    public void publish(T notice) {
        topic(environmentOf.apply(notice)).tell(Topic.publish(notice));
    }

    /** {@code listener} is called on an actor's thread: it must be quick and must not block. */
    public Subscription subscribe(String environmentId, Consumer<T> listener) {
        relays.compute(environmentId, (id, relay) -> {
            Relay<T> live = relay != null ? relay : newRelay(id);
            live.listeners().add(listener);
            return live;
        });
        return () -> relays.computeIfPresent(environmentId, (id, relay) -> {
            relay.listeners().remove(listener);
            if (!relay.listeners().isEmpty()) return relay;
            topic(id).tell(Topic.unsubscribe(relay.actor().narrow()));
            relay.actor().tell(StopRelay.INSTANCE);
            return null;
        });
    }

    /** How many environments this node relays now. */
    public int relayCount() {
        return relays.size();
    }

    private Relay<T> newRelay(String environmentId) {
        Set<Consumer<T>> listeners = new CopyOnWriteArraySet<>();
        ActorRef<Object> actor = system.systemActorOf(
                relay(type, listeners), name + "-relay-" + actorNames.incrementAndGet(), Props.empty());
        topic(environmentId).tell(Topic.subscribe(actor.narrow()));
        return new Relay<>(actor, listeners);
    }

    private static <T> Behavior<Object> relay(Class<T> type, Set<Consumer<T>> listeners) {
        return Behaviors.receiveMessage(message -> {
            if (type.isInstance(message)) {
                T notice = type.cast(message);
                listeners.forEach(listener -> listener.accept(notice));
                return Behaviors.same();
            }
            return Behaviors.stopped();
        });
    }

    private ActorRef<Topic.Command<T>> topic(String environmentId) {
        return topics.computeIfAbsent(
                environmentId,
                id -> system.systemActorOf(
                        Topic.create(type, name + "-" + id),
                        name + "-topic-" + actorNames.incrementAndGet(),
                        Props.empty()));
    }
}
