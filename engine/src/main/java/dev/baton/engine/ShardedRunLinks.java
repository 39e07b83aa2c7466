package dev.baton.engine;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.RecipientRef;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import dev.baton.engine.changes.RunChangeFeed;
import dev.baton.engine.changes.RunChanged;
import dev.baton.engine.dispatch.EnvironmentDispatcher;
import dev.baton.engine.run.RunEntity;
import dev.baton.engine.run.RunLineage;
import dev.baton.engine.run.RunLinks;
import dev.baton.engine.run.RunService;
import dev.baton.engine.run.RunState;
import dev.baton.engine.run.TriggerRequest;
import dev.baton.engine.task.TaskCatalog;
import dev.baton.engine.task.TaskDefinition;
import dev.baton.engine.waitpoint.WaitpointTokens;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/** A run's links in a cluster: every other entity is reached through sharding. */
final class ShardedRunLinks implements RunLinks {

    private final ClusterSharding sharding;
    private final RunService runs;
    private final WaitpointTokens tokens;
    private final RunChangeFeed changes;
    private final Duration askTimeout;

    ShardedRunLinks(
            ActorSystem<?> system,
            RunService runs,
            WaitpointTokens tokens,
            RunChangeFeed changes,
            Duration askTimeout) {
        this.sharding = ClusterSharding.get(system);
        this.askTimeout = askTimeout;
        this.changes = changes;
        this.runs = runs;
        this.tokens = tokens;
    }

    @Override
    public RecipientRef<EnvironmentDispatcher.Command> dispatcher(String environmentId) {
        return sharding.entityRefFor(EnvironmentDispatcher.ENTITY_TYPE_KEY, environmentId);
    }

    @Override
    public RecipientRef<RunEntity.Command> run(String runId) {
        return sharding.entityRefFor(RunEntity.ENTITY_TYPE_KEY, runId);
    }

    @Override
    public CompletionStage<RunState> triggerChild(
            String environmentId, TriggerRequest request, String childRunId, RunLineage lineage, String parentVersion) {
        return runs.triggerWithId(environmentId, request, childRunId, lineage, parentVersion);
    }

    @Override
    public CompletionStage<Optional<TaskDefinition>> declaredTask(String environmentId, String taskId) {
        return sharding.entityRefFor(TaskCatalog.ENTITY_TYPE_KEY, environmentId)
                .<TaskCatalog.TaskLookup>ask(replyTo -> new TaskCatalog.LookUpTask(taskId, replyTo), askTimeout)
                .thenApply(lookup -> Optional.ofNullable(lookup.task()));
    }

    @Override
    public void awaitToken(String environmentId, String tokenId, String runId) {
        tokens.awaitToken(environmentId, tokenId, runId);
    }

    @Override
    public void changed(RunState run) {
        changes.publish(RunChanged.of(run));
    }
}
