package dev.baton.projections.internal;

import akka.actor.typed.ActorSystem;
import akka.cluster.sharding.typed.ShardedDaemonProcessSettings;
import akka.cluster.sharding.typed.javadsl.ShardedDaemonProcess;
import akka.projection.Projection;
import akka.projection.ProjectionBehavior;
import java.util.Optional;
import java.util.function.IntFunction;

/** How every projection runs: as a sharded daemon process, each instance on one node, moved when that node leaves. */
public final class ProjectionDaemons {

    private ProjectionDaemons() {}

    /** Starts {@code count} instances named {@code name}; instance {@code i} runs {@code projection.apply(i)}. */
    public static void start(ActorSystem<?> system, String name, int count, IntFunction<Projection<?>> projection) {
        ShardedDaemonProcess.get(system)
                .init(
                        ProjectionBehavior.Command.class,
                        name,
                        count,
                        index -> ProjectionBehavior.create(projection.apply(index)),
                        ShardedDaemonProcessSettings.create(system),
                        Optional.of(ProjectionBehavior.stopMessage()));
    }
}
