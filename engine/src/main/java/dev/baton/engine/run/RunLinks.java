package dev.baton.engine.run;

import akka.actor.typed.RecipientRef;
import dev.baton.engine.dispatch.EnvironmentDispatcher;
import java.util.concurrent.CompletionStage;

/**
 * A run's ways out to the rest of the engine: its environment's dispatcher, other runs (its parent,
 * its children) and the waitpoint tokens it waits for. Sharding outside tests, probes in them.
 */
public interface RunLinks {

    RecipientRef<EnvironmentDispatcher.Command> dispatcher(String environmentId);

    RecipientRef<RunEntity.Command> run(String runId);

    /**
     * Creates the child run under {@code childRunId}, or finds it when it exists, and completes with its
     * state; fails with {@link TaskNotFoundException} or {@link RunRejectedException} when it cannot exist.
     */
    CompletionStage<RunState> triggerChild(
            String environmentId, TriggerRequest request, String childRunId, RunLineage lineage);

    /**
     * Registers {@code runId} as waiting for the token. The token answers with
     * {@link RunEntity.TokenCompleted} when it is completed or times out (at once when it already is).
     * Safe to repeat.
     */
    void awaitToken(String environmentId, String tokenId, String runId);

    /**
     * The run as callers see it changed: its events are persisted, or a worker took or started it. Tells the
     * realtime subscribers of its environment.
     */
    void changed(RunState run);
}
