package dev.baton.engine.changes;

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
 * The cluster-wide feed of run changes, one Akka pub-sub {@link Topic} per environment: a run publishes on the
 * node that hosts it, and each node's realtime requests listen on their own node, through one relay per
 * environment that the node's listeners share, so a thousand held requests cost one topic subscription.
 *
 * <p>Delivery is at most once (a topic on a node that has just started learns of the other nodes' subscribers
 * through the receptionist, a moment later): a listener must not depend on every notice. The realtime routes do
 * not; they compare what they read with the offset their client holds, and their held request ends at its
 * deadline anyway, so a lost notice delays an update by at most one hold.
 */
public final class RunChangeFeed {

    private final ActorSystem<?> system;
    private final ConcurrentMap<String, ActorRef<Topic.Command<RunChanged>>> topics = new ConcurrentHashMap<>();
    private final ConcurrentMap<String, Relay> relays = new ConcurrentHashMap<>();
    private final AtomicInteger actorNames = new AtomicInteger();

    /** One environment's relay on this node and the listeners it serves. */
    private record Relay(ActorRef<Object> actor, Set<Consumer<RunChanged>> listeners) {}

    private enum StopRelay {
        INSTANCE
    }

    public RunChangeFeed(ActorSystem<?> system) {
        this.system = system;
    }

    public void publish(RunChanged change) {
        topic(change.environmentId()).tell(Topic.publish(change));
    }

    /** A subscription to one environment's changes; {@link #close} ends it. */
    public interface Subscription extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * {@code listener} is called on an actor's thread: it must be quick and must not block. The environment's relay
     * is made for its first listener and stopped (and unsubscribed) with its last, so environments nobody follows
     * any more cost this node nothing but their topic.
     */
    public Subscription subscribe(String environmentId, Consumer<RunChanged> listener) {
        relays.compute(environmentId, (id, relay) -> {
            Relay live = relay != null ? relay : newRelay(id);
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

    private Relay newRelay(String environmentId) {
        Set<Consumer<RunChanged>> listeners = new CopyOnWriteArraySet<>();
        ActorRef<Object> actor = system.systemActorOf(
                relay(listeners), "run-changes-relay-" + actorNames.incrementAndGet(), Props.empty());
        topic(environmentId).tell(Topic.subscribe(actor.narrow()));
        return new Relay(actor, listeners);
    }

    private static Behavior<Object> relay(Set<Consumer<RunChanged>> listeners) {
        return Behaviors.receiveMessage(message -> {
            if (message instanceof RunChanged change) {
                listeners.forEach(listener -> listener.accept(change));
                return Behaviors.same();
            }
            return Behaviors.stopped();
        });
    }

    /** How many environments this node relays now (tests). */
    int relayCount() {
        return relays.size();
    }

    private ActorRef<Topic.Command<RunChanged>> topic(String environmentId) {
        return topics.computeIfAbsent(
                environmentId,
                id -> system.systemActorOf(
                        Topic.create(RunChanged.class, "run-changes-" + id),
                        "run-changes-topic-" + actorNames.incrementAndGet(),
                        Props.empty()));
    }
}
