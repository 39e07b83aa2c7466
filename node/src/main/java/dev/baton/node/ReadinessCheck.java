package dev.baton.node;

import akka.actor.ActorSystem;
import akka.actor.typed.javadsl.Adapter;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/** Akka Management's {@code /ready} asks the node's {@link Readiness} (akka.management.health-checks). */
public final class ReadinessCheck implements Supplier<CompletionStage<Boolean>> {

    private final akka.actor.typed.ActorSystem<?> system;

    public ReadinessCheck(ActorSystem system) {
        this.system = Adapter.toTyped(system);
    }

    @Override
    public CompletionStage<Boolean> get() {
        return Readiness.of(system)
                .map(readiness -> readiness.failing().thenApply(failing -> failing.isEmpty()))
                .orElse(CompletableFuture.completedFuture(false));
    }
}
