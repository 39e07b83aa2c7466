package dev.baton.engine.run;

import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import akka.actor.typed.RecipientRef;
import dev.baton.engine.dispatch.EnvironmentDispatcher;
import dev.baton.engine.task.TaskDefinition;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * A run's links for one-entity tests: one dispatcher probe, one probe that receives whatever the run
 * sends to any other run, child triggers the test completes by hand, and recorded token registrations.
 */
final class TestLinks implements RunLinks {

    record ChildTrigger(
            String environmentId,
            TriggerRequest request,
            String childRunId,
            RunLineage lineage,
            String parentVersion,
            CompletableFuture<RunState> answer) {}

    record TokenRegistration(String environmentId, String tokenId, String runId) {}

    private final ActorRef<EnvironmentDispatcher.Command> dispatcher;
    final TestProbe<RunEntity.Command> otherRuns;
    final Queue<ChildTrigger> childTriggers = new ConcurrentLinkedQueue<>();
    final Queue<TokenRegistration> tokenRegistrations = new ConcurrentLinkedQueue<>();
    final Queue<RunState> changes = new ConcurrentLinkedQueue<>();

    TestLinks(ActorRef<EnvironmentDispatcher.Command> dispatcher, TestProbe<RunEntity.Command> otherRuns) {
        this.dispatcher = dispatcher;
        this.otherRuns = otherRuns;
    }

    @Override
    public RecipientRef<EnvironmentDispatcher.Command> dispatcher(String environmentId) {
        return dispatcher;
    }

    @Override
    public RecipientRef<RunEntity.Command> run(String runId) {
        return otherRuns.ref();
    }

    @Override
    public CompletionStage<RunState> triggerChild(
            String environmentId, TriggerRequest request, String childRunId, RunLineage lineage, String parentVersion) {
        CompletableFuture<RunState> answer = new CompletableFuture<>();
        childTriggers.add(new ChildTrigger(environmentId, request, childRunId, lineage, parentVersion, answer));
        return answer;
    }

    /** The tasks the test declared, by id: what {@link #declaredTask} answers. */
    final Map<String, TaskDefinition> declaredTasks = new ConcurrentHashMap<>();

    @Override
    public CompletionStage<Optional<TaskDefinition>> declaredTask(String environmentId, String taskId) {
        return CompletableFuture.completedFuture(Optional.ofNullable(declaredTasks.get(taskId)));
    }

    @Override
    public void awaitToken(String environmentId, String tokenId, String runId) {
        tokenRegistrations.add(new TokenRegistration(environmentId, tokenId, runId));
    }

    @Override
    public void changed(RunState run) {
        changes.add(run);
    }
}
