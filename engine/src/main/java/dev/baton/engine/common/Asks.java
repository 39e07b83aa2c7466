package dev.baton.engine.common;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import scala.concurrent.Future;
import scala.jdk.javaapi.FutureConverters;

/**
 * An ask's answer as a plain {@link CompletableFuture}. Akka's Java API hands back Scala's converted
 * future, which runs every stage added to it ({@code thenApply}, {@code thenCompose}, …) as an async task
 * on the common pool: a thread hop, often a thread wake-up, per stage, several per trigger. The plain future
 * is completed where the answer arrives, and its stages run right there; they must stay short and never block.
 */
public final class Asks {

    private Asks() {}

    public static <T> CompletableFuture<T> direct(CompletionStage<T> answer) {
        Future<T> answered = FutureConverters.asScala(answer);
        CompletableFuture<T> plain = new CompletableFuture<>();
        answered.onComplete(
                result -> {
                    if (result.isSuccess()) {
                        plain.complete(result.get());
                    } else {
                        plain.completeExceptionally(result.failed().get());
                    }
                    return null;
                },
                scala.concurrent.ExecutionContext.parasitic$.MODULE$);
        return plain;
    }
}
