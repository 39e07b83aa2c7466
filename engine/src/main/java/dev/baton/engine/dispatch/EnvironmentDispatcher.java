package dev.baton.engine.dispatch;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;
import akka.actor.typed.receptionist.Receptionist;
import akka.cluster.sharding.typed.ClusterShardingSettings;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import akka.cluster.sharding.typed.javadsl.Entity;
import akka.cluster.sharding.typed.javadsl.EntityTypeKey;
import dev.baton.engine.CborSerializable;
import dev.baton.engine.run.RunEntity;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Matches an environment's queued runs with free worker slots. Dispatch is demand-driven: a run is
 * offered only to a session that reported a free slot, and the run entity decides (by persisting
 * the lease) whether the offer still stands. This actor keeps no durable state: the runs re-enqueue
 * themselves when they recover, and worker sessions re-report when asked through the receptionist.
 */
public final class EnvironmentDispatcher extends AbstractBehavior<EnvironmentDispatcher.Command> {

  public static final EntityTypeKey<Command> ENTITY_TYPE_KEY =
      EntityTypeKey.create(Command.class, "EnvironmentDispatcher");

  public sealed interface Command extends CborSerializable {}

  /** A run is waiting for a worker. Duplicates (recovery plus a live enqueue) are ignored. */
  public record Enqueue(String runId, String taskId, String queue) implements Command {}

  /**
   * A worker session's view of itself. {@code executesReceived} counts every Execute the session has
   * seen, so offers still in flight towards it are not counted as free slots twice.
   */
  public record WorkerReport(String sessionId, String workerId, ActorRef<WorkerChannel.Message> worker,
      Set<String> taskIds, int freeSlots, long executesReceived) implements Command {}

  public record WorkerLeft(String sessionId) implements Command {}

  private record WorkerTerminated(String sessionId) implements Command {}

  private record DispatchAnswered(RunEntity.DispatchReply reply) implements Command {}

  private record WorkersListed(Receptionist.Listing listing) implements Command {}

  public static void init(ActorSystem<?> system) {
    // Passivating would drop the queue held in memory, so dispatchers stay up while the node does.
    ClusterShardingSettings settings = ClusterShardingSettings.create(system).withNoPassivationStrategy();
    ClusterSharding.get(system).init(Entity.of(ENTITY_TYPE_KEY, ctx -> create(ctx.getEntityId()))
        .withSettings(settings));
  }

  public static Behavior<Command> create(String environmentId) {
    return Behaviors.setup(context -> new EnvironmentDispatcher(context, environmentId));
  }

  /** What the dispatcher knows of one connected worker session. */
  private static final class WorkerView {
    final String sessionId;
    String workerId;
    ActorRef<WorkerChannel.Message> worker;
    Set<String> taskIds = Set.of();
    int reportedFree;
    long reportedReceived;
    long offered;

    WorkerView(String sessionId, long alreadyReceived) {
      this.sessionId = sessionId;
      this.offered = alreadyReceived;
    }

    int available() {
      return (int) (reportedFree - (offered - reportedReceived));
    }
  }

  private record QueuedRun(String runId, String queue) {}

  private final String environmentId;
  private final ClusterSharding sharding;
  private final ActorRef<RunEntity.DispatchReply> dispatchReplies;
  private final Map<String, ArrayDeque<QueuedRun>> pendingByTask = new LinkedHashMap<>();
  private final Set<String> pendingRunIds = new HashSet<>();
  private final Map<String, WorkerView> workers = new LinkedHashMap<>();
  private int rotation;

  private EnvironmentDispatcher(ActorContext<Command> context, String environmentId) {
    super(context);
    this.environmentId = environmentId;
    this.sharding = ClusterSharding.get(context.getSystem());
    this.dispatchReplies = context.messageAdapter(RunEntity.DispatchReply.class, DispatchAnswered::new);
    ActorRef<Receptionist.Listing> listings = context.messageAdapter(Receptionist.Listing.class, WorkersListed::new);
    context.getSystem().receptionist().tell(Receptionist.find(WorkerChannel.SERVICE_KEY, listings));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Enqueue.class, this::onEnqueue)
        .onMessage(WorkerReport.class, this::onWorkerReport)
        .onMessage(WorkerLeft.class, msg -> removeWorker(msg.sessionId()))
        .onMessage(WorkerTerminated.class, msg -> removeWorker(msg.sessionId()))
        .onMessage(DispatchAnswered.class, this::onDispatchAnswered)
        .onMessage(WorkersListed.class, this::onWorkersListed)
        .build();
  }

  private Behavior<Command> onEnqueue(Enqueue msg) {
    if (pendingRunIds.add(msg.runId())) {
      pendingByTask.computeIfAbsent(msg.taskId(), t -> new ArrayDeque<>()).add(new QueuedRun(msg.runId(), msg.queue()));
      dispatch();
    }
    return this;
  }

  private Behavior<Command> onWorkerReport(WorkerReport msg) {
    WorkerView view = workers.get(msg.sessionId());
    if (view == null) {
      view = new WorkerView(msg.sessionId(), msg.executesReceived());
      workers.put(msg.sessionId(), view);
      getContext().watchWith(msg.worker(), new WorkerTerminated(msg.sessionId()));
    }
    view.workerId = msg.workerId();
    view.worker = msg.worker();
    view.taskIds = msg.taskIds();
    view.reportedFree = msg.freeSlots();
    view.reportedReceived = msg.executesReceived();
    dispatch();
    return this;
  }

  private Behavior<Command> removeWorker(String sessionId) {
    WorkerView removed = workers.remove(sessionId);
    if (removed != null) getContext().unwatch(removed.worker);
    return this;
  }

  private Behavior<Command> onDispatchAnswered(DispatchAnswered msg) {
    if (!msg.reply().accepted()) {
      // The run was no longer queued (a duplicate entry, or it moved on): the slot is free again.
      WorkerView view = workers.get(msg.reply().sessionId());
      if (view != null) {
        view.offered--;
        dispatch();
      }
    }
    return this;
  }

  private Behavior<Command> onWorkersListed(WorkersListed msg) {
    for (ActorRef<WorkerChannel.Message> session : msg.listing().getServiceInstances(WorkerChannel.SERVICE_KEY)) {
      session.tell(new WorkerChannel.Resync(environmentId));
    }
    return this;
  }

  /** Offer queued runs, task by task in rotation, to sessions with free slots, also in rotation. */
  private void dispatch() {
    boolean progress = true;
    while (progress && !pendingRunIds.isEmpty() && !workers.isEmpty()) {
      progress = false;
      List<String> tasks = new ArrayList<>(pendingByTask.keySet());
      for (String taskId : tasks) {
        ArrayDeque<QueuedRun> queue = pendingByTask.get(taskId);
        WorkerView worker = freeWorkerFor(taskId);
        if (worker == null) continue;
        QueuedRun run = queue.poll();
        if (queue.isEmpty()) pendingByTask.remove(taskId);
        pendingRunIds.remove(run.runId());
        worker.offered++;
        sharding.entityRefFor(RunEntity.ENTITY_TYPE_KEY, run.runId())
            .tell(new RunEntity.Dispatch(worker.sessionId, worker.workerId, worker.worker, dispatchReplies));
        progress = true;
      }
    }
  }

  private WorkerView freeWorkerFor(String taskId) {
    List<WorkerView> candidates = new ArrayList<>(workers.values());
    for (int i = 0; i < candidates.size(); i++) {
      WorkerView view = candidates.get(Math.floorMod(rotation + i, candidates.size()));
      if (view.available() > 0 && view.taskIds.contains(taskId)) {
        rotation = Math.floorMod(rotation + i + 1, candidates.size());
        return view;
      }
    }
    return null;
  }
}
