package dev.baton.engine.run;

import akka.actor.typed.RecipientRef;
import dev.baton.engine.dispatch.EnvironmentDispatcher;
import dev.baton.engine.task.TaskDefinition;
import java.util.Optional;
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
     * state; fails with {@link RunRejectedException} when it cannot exist.
     *
     * @param parentVersion the version the parent is locked to, or null: the child is locked to it too unless its
     *     request names a version or that version does not declare the child's task
     */
    CompletionStage<RunState> triggerChild(
            String environmentId, TriggerRequest request, String childRunId, RunLineage lineage, String parentVersion);

    /** The task's declaration in the environment; empty while no worker has declared it. */
    CompletionStage<Optional<TaskDefinition>> declaredTask(String environmentId, String taskId);

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
