package dev.baton.node;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.Behaviors;
import com.typesafe.config.ConfigFactory;

/**
 * Starts a Baton node. Which configuration layer applies is chosen by the launcher
 * ({@code -Dconfig.resource=dev.conf} for {@code baton dev}, the default application.conf for
 * {@code baton server}); everything else is wired in {@link BatonNode#start}.
 */
public final class Main {
    private Main() {}

    /**
     * Akka's Java {@code ask} answers with a future that runs every continuation on the common pool.
     * With the JDK's default parallelism on a 2-core machine (1), {@code CompletableFuture} starts a
     * new thread for each of them instead — thousands per second under load. A few pool threads fix
     * it; set before anything touches the common pool, and only when the operator did not choose.
     */
    static final String COMMON_POOL_PARALLELISM = "java.util.concurrent.ForkJoinPool.common.parallelism";

    public static void main(String[] args) {
        if (System.getProperty(COMMON_POOL_PARALLELISM) == null) {
            System.setProperty(
                    COMMON_POOL_PARALLELISM,
                    String.valueOf(Math.max(4, Runtime.getRuntime().availableProcessors())));
        }
        ActorSystem<Void> system = ActorSystem.create(
                Behaviors.empty(), "baton", ClusterFormation.withContactPoints(ConfigFactory.load()));
        try {
            BatonNode.start(system);
        } catch (RuntimeException e) {
            system.log().error("Baton node failed to start: {}", e.getMessage(), e);
            system.terminate();
            System.exit(1);
        }
    }
}
