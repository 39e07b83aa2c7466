package dev.baton.engine.run;

import akka.Done;
import akka.actor.typed.ActorSystem;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import akka.cluster.sharding.typed.javadsl.EntityRef;
import akka.pattern.StatusReply;
import akka.persistence.query.PersistenceQuery;
import akka.persistence.query.javadsl.CurrentEventsByPersistenceIdQuery;
import akka.stream.javadsl.Sink;
import dev.baton.engine.Ids;
import dev.baton.engine.task.TaskCatalog;
import dev.baton.engine.task.TaskDefinition;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** The engine's API for runs, used by the HTTP API (trigger, read) and the worker gateway (attempts). */
public final class RunService {

  private final ActorSystem<?> system;
  private final ClusterSharding sharding;
  private final Duration askTimeout;
  private final String readJournalPluginId;

  public RunService(ActorSystem<?> system, Duration askTimeout, String readJournalPluginId) {
    this.system = system;
    this.sharding = ClusterSharding.get(system);
    this.askTimeout = askTimeout;
    this.readJournalPluginId = readJournalPluginId;
  }

  /**
   * Creates a run. Completes only after {@code RunTriggered} is persisted (no lost trigger); fails
   * with {@link TaskNotFoundException} when no worker of the environment ever declared the task.
   */
  public CompletionStage<RunEntity.State> trigger(String environmentId, TriggerRequest request) {
    EntityRef<TaskCatalog.Command> catalog = sharding.entityRefFor(TaskCatalog.ENTITY_TYPE_KEY, environmentId);
    CompletionStage<StatusReply<TaskDefinition>> lookup =
        catalog.ask(replyTo -> new TaskCatalog.GetTask(request.taskId(), replyTo), askTimeout);
    return lookup.thenCompose(found -> {
      if (found.isError()) throw new TaskNotFoundException(request.taskId());
      TaskDefinition task = found.getValue();
      RetryPolicy retry = request.maxAttempts() == null ? task.retry() : task.retry().withMaxAttempts(request.maxAttempts());
      RunSpec spec = new RunSpec(environmentId, task.taskId(), task.queue(), request.payloadJson(),
          request.payloadType(), request.tags(), request.metadataJson(), request.idempotencyKey(), retry,
          task.maxDurationSeconds(), request.test());
      CompletionStage<StatusReply<RunEntity.State>> created = run(Ids.newId("run"))
          .ask(replyTo -> new RunEntity.Trigger(spec, replyTo), askTimeout);
      return created.thenApply(StatusReply::getValue);
    });
  }

  /** The run, if it exists in this environment (a run of another environment is as absent as an unknown id). */
  public CompletionStage<Optional<RunEntity.State>> get(String environmentId, String runId) {
    if (!looksLikeRunId(runId)) return CompletableFuture.completedFuture(Optional.empty());
    return run(runId).<RunEntity.State>ask(RunEntity.Get::new, askTimeout)
        .thenApply(state -> state.belongsTo(environmentId) ? Optional.of(state) : Optional.empty());
  }

  /** The run's journal, in order, read back from the event store. */
  public CompletionStage<Optional<List<RecordedEvent>>> history(String environmentId, String runId) {
    return get(environmentId, runId).thenCompose(found -> {
      if (found.isEmpty()) return CompletableFuture.completedFuture(Optional.empty());
      CurrentEventsByPersistenceIdQuery journal = PersistenceQuery.get(system)
          .getReadJournalFor(CurrentEventsByPersistenceIdQuery.class, readJournalPluginId);
      return journal.currentEventsByPersistenceId(RunEntity.persistenceId(runId).id(), 0, Long.MAX_VALUE)
          .map(envelope -> new RecordedEvent(envelope.sequenceNr(), Instant.ofEpochMilli(envelope.timestamp()),
              (RunEntity.Event) envelope.event()))
          .runWith(Sink.seq(), system)
          .thenApply(Optional::of);
    });
  }

  public CompletionStage<Done> startAttempt(String runId, String attemptId) {
    return attemptCommand(runId, attemptId, replyTo -> new RunEntity.StartAttempt(attemptId, replyTo));
  }

  public CompletionStage<Done> heartbeat(String runId, String attemptId) {
    return attemptCommand(runId, attemptId, replyTo -> new RunEntity.Heartbeat(attemptId, replyTo));
  }

  public CompletionStage<Done> complete(String runId, String attemptId, String outputJson) {
    return attemptCommand(runId, attemptId, replyTo -> new RunEntity.CompleteAttempt(attemptId, outputJson, replyTo));
  }

  public CompletionStage<Done> fail(String runId, String attemptId, RunError error, boolean retryable) {
    return attemptCommand(runId, attemptId,
        replyTo -> new RunEntity.FailAttempt(attemptId, error, retryable, replyTo));
  }

  /** The session holding the attempt is gone; fire and forget, the run decides. */
  public void workerLost(String runId, String attemptId, String reason) {
    run(runId).tell(new RunEntity.WorkerLost(attemptId, reason));
  }

  private CompletionStage<Done> attemptCommand(String runId, String attemptId,
      akka.japi.function.Function<akka.actor.typed.ActorRef<StatusReply<Done>>, RunEntity.Command> command) {
    if (!looksLikeRunId(runId)) {
      return CompletableFuture.failedFuture(new StaleAttemptException(runId, attemptId));
    }
    return run(runId).ask(command, askTimeout).thenApply(reply -> {
      if (reply.isError()) throw new StaleAttemptException(runId, attemptId);
      return Done.getInstance();
    });
  }

  private EntityRef<RunEntity.Command> run(String runId) {
    return sharding.entityRefFor(RunEntity.ENTITY_TYPE_KEY, runId);
  }

  /** Ids come from outside; anything that cannot be a run id must not start an entity. */
  private static boolean looksLikeRunId(String runId) {
    return runId != null && runId.matches("run_[0-9a-z]{1,64}");
  }
}
