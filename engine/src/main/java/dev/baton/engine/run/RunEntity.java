package dev.baton.engine.run;

import akka.Done;
import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.Behavior;
import akka.actor.typed.RecipientRef;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.TimerScheduler;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import akka.cluster.sharding.typed.javadsl.Entity;
import akka.cluster.sharding.typed.javadsl.EntityTypeKey;
import akka.pattern.StatusReply;
import akka.persistence.typed.PersistenceId;
import akka.persistence.typed.RecoveryCompleted;
import akka.persistence.typed.javadsl.CommandHandlerWithReply;
import akka.persistence.typed.javadsl.CommandHandlerWithReplyBuilder;
import akka.persistence.typed.javadsl.EventHandler;
import akka.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import akka.persistence.typed.javadsl.ReplyEffect;
import akka.persistence.typed.javadsl.SignalHandler;
import dev.baton.engine.CborSerializable;
import dev.baton.engine.Ids;
import dev.baton.engine.dispatch.EnvironmentDispatcher;
import dev.baton.engine.dispatch.WorkerChannel;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.random.RandomGenerator;

/**
 * One task run: the single writer of its own history. A run is triggered, queued, leased to one
 * worker attempt at a time, and ends with exactly one terminal event ({@link RunSucceeded} or
 * {@link RunFailed}). Every worker message names its attempt; messages about any other attempt are
 * rejected (fencing). Side effects (queueing, dispatch, timers) run only after the event that
 * justifies them is persisted, and are re-driven from {@link RecoveryCompleted}.
 */
public final class RunEntity
    extends EventSourcedBehaviorWithEnforcedReplies<RunEntity.Command, RunEntity.Event, RunEntity.State> {

  public static final EntityTypeKey<Command> ENTITY_TYPE_KEY = EntityTypeKey.create(Command.class, "Run");

  private static final String LEASE_TIMER = "lease";
  private static final String RETRY_TIMER = "retry";

  // ---------------------------------------------------------------- commands

  public sealed interface Command extends CborSerializable {}

  /** Create the run. Idempotent: a run that exists answers with its current state. */
  public record Trigger(RunSpec spec, ActorRef<StatusReply<State>> replyTo) implements Command {}

  /** Current state; {@link RunStatus#NEW} when no run exists under this id. */
  public record Get(ActorRef<State> replyTo) implements Command {}

  /** From the dispatcher: lease the run to this worker session if the run is still queued. */
  public record Dispatch(
      String sessionId, String workerId, ActorRef<WorkerChannel.Message> worker, ActorRef<DispatchReply> replyTo)
      implements Command {}

  public record StartAttempt(String attemptId, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  public record Heartbeat(String attemptId, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  public record CompleteAttempt(String attemptId, String outputJson, ActorRef<StatusReply<Done>> replyTo)
      implements Command {}

  public record FailAttempt(String attemptId, RunError error, boolean retryable, ActorRef<StatusReply<Done>> replyTo)
      implements Command {}

  /** From the gateway: the session that held this attempt is gone. */
  public record WorkerLost(String attemptId, String reason) implements Command {}

  private record LeaseExpired(String attemptId) implements Command {}

  private record RetryDue(int afterAttempt) implements Command {}

  /** Answer to {@link Dispatch}: whether the run accepted the lease. */
  public record DispatchReply(String runId, String sessionId, boolean accepted) implements CborSerializable {}

  // ---------------------------------------------------------------- events (a contract: never rename)

  public sealed interface Event extends CborSerializable {}

  public record RunTriggered(String runId, RunSpec spec, Instant at) implements Event {}

  public record AttemptLeased(Attempt attempt) implements Event {}

  public record AttemptStarted(String attemptId, Instant at) implements Event {}

  /** @param retryAt when the next attempt is queued, or null when this failure ends the run */
  public record AttemptFailed(String attemptId, RunError error, Instant at, Instant retryAt) implements Event {}

  public record RunEnqueued(Instant at) implements Event {}

  public record RunSucceeded(String attemptId, String outputJson, Instant at) implements Event {}

  public record RunFailed(RunError error, RunStatus status, Instant at) implements Event {}

  // ---------------------------------------------------------------- state

  public record Attempt(String id, int number, String sessionId, String workerId, Instant leasedAt, Instant startedAt)
      implements CborSerializable {
    Attempt started(Instant at) {
      return new Attempt(id, number, sessionId, workerId, leasedAt, at);
    }

    long runningMillis(Instant end) {
      return startedAt == null ? 0 : Math.max(0, Duration.between(startedAt, end).toMillis());
    }
  }

  public record State(
      String runId,
      RunStatus status,
      RunSpec spec,
      Instant createdAt,
      Instant updatedAt,
      int attemptCount,
      Attempt currentAttempt,
      Instant startedAt,
      Instant finishedAt,
      Instant retryAt,
      String outputJson,
      RunError error,
      long durationMs)
      implements CborSerializable {

    static State empty(String runId) {
      return new State(runId, RunStatus.NEW, null, null, null, 0, null, null, null, null, null, null, 0);
    }

    public boolean exists() {
      return status != RunStatus.NEW;
    }

    public boolean belongsTo(String environmentId) {
      return exists() && spec.environmentId().equals(environmentId);
    }

    boolean isCurrentAttempt(String attemptId) {
      return currentAttempt != null && currentAttempt.id().equals(attemptId);
    }

    int maxAttempts() {
      return spec.retry().maxAttempts();
    }

    State with(RunStatus newStatus, Instant at) {
      return new State(runId, newStatus, spec, createdAt, at, attemptCount, currentAttempt, startedAt, finishedAt,
          retryAt, outputJson, error, durationMs);
    }

    State triggered(RunSpec runSpec, Instant at) {
      return new State(runId, RunStatus.QUEUED, runSpec, at, at, 0, null, null, null, null, null, null, 0);
    }

    State leased(Attempt attempt) {
      return new State(runId, RunStatus.DEQUEUED, spec, createdAt, attempt.leasedAt(), attempt.number(), attempt,
          startedAt, finishedAt, null, outputJson, error, durationMs);
    }

    State attemptStarted(Instant at) {
      return new State(runId, RunStatus.EXECUTING, spec, createdAt, at, attemptCount, currentAttempt.started(at),
          startedAt == null ? at : startedAt, finishedAt, retryAt, outputJson, error, durationMs);
    }

    State attemptFailed(RunError attemptError, Instant at, Instant nextRetryAt) {
      RunStatus next = nextRetryAt == null ? status : RunStatus.RETRYING;
      return new State(runId, next, spec, createdAt, at, attemptCount, null, startedAt, finishedAt, nextRetryAt,
          outputJson, attemptError, durationMs + currentAttempt.runningMillis(at));
    }

    State succeeded(String output, Instant at) {
      return new State(runId, RunStatus.COMPLETED, spec, createdAt, at, attemptCount, null, startedAt, at, null,
          output, null, durationMs + currentAttempt.runningMillis(at));
    }

    State failed(RunError runError, RunStatus finalStatus, Instant at) {
      return new State(runId, finalStatus, spec, createdAt, at, attemptCount, null, startedAt, at, null, null,
          runError, durationMs);
    }
  }

  // ---------------------------------------------------------------- wiring

  public static void init(ActorSystem<?> system, RunSettings settings, Clock clock) {
    ClusterSharding sharding = ClusterSharding.get(system);
    Function<String, RecipientRef<EnvironmentDispatcher.Command>> dispatchers =
        environmentId -> sharding.entityRefFor(EnvironmentDispatcher.ENTITY_TYPE_KEY, environmentId);
    sharding.init(Entity.of(ENTITY_TYPE_KEY, entityContext ->
        create(entityContext.getEntityId(), settings, clock, RandomGenerator.getDefault(), dispatchers)));
  }

  /** @param dispatchers the dispatcher of an environment, by environment id (queued runs are handed to it) */
  public static Behavior<Command> create(String runId, RunSettings settings, Clock clock, RandomGenerator random,
      Function<String, RecipientRef<EnvironmentDispatcher.Command>> dispatchers) {
    return Behaviors.setup(context -> Behaviors.withTimers(
        timers -> new RunEntity(runId, timers, settings, clock, random, dispatchers)));
  }

  public static PersistenceId persistenceId(String runId) {
    return PersistenceId.of(ENTITY_TYPE_KEY.name(), runId);
  }

  private final String runId;
  private final TimerScheduler<Command> timers;
  private final RunSettings settings;
  private final Clock clock;
  private final RandomGenerator random;
  private final Function<String, RecipientRef<EnvironmentDispatcher.Command>> dispatchers;

  private RunEntity(String runId, TimerScheduler<Command> timers, RunSettings settings, Clock clock,
      RandomGenerator random, Function<String, RecipientRef<EnvironmentDispatcher.Command>> dispatchers) {
    super(persistenceId(runId));
    this.runId = runId;
    this.timers = timers;
    this.settings = settings;
    this.clock = clock;
    this.random = random;
    this.dispatchers = dispatchers;
  }

  @Override
  public State emptyState() {
    return State.empty(runId);
  }

  @Override
  public Set<String> tagsFor(Event event) {
    return Set.of(settings.tagFor(runId));
  }

  // ---------------------------------------------------------------- command handlers, per state

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    CommandHandlerWithReplyBuilder<Command, Event, State> builder = newCommandHandlerWithReplyBuilder();

    builder.forState(state -> state.status() == RunStatus.NEW)
        .onCommand(Trigger.class, this::trigger)
        .onCommand(Get.class, (state, cmd) -> Effect().reply(cmd.replyTo(), state))
        .onCommand(Dispatch.class, this::declineDispatch)
        .onCommand(StartAttempt.class, (state, cmd) -> unknownRun(cmd.replyTo()))
        .onCommand(Heartbeat.class, (state, cmd) -> unknownRun(cmd.replyTo()))
        .onCommand(CompleteAttempt.class, (state, cmd) -> unknownRun(cmd.replyTo()))
        .onCommand(FailAttempt.class, (state, cmd) -> unknownRun(cmd.replyTo()))
        .onCommand(WorkerLost.class, (state, cmd) -> Effect().noReply())
        .onCommand(LeaseExpired.class, (state, cmd) -> Effect().noReply())
        .onCommand(RetryDue.class, (state, cmd) -> Effect().noReply());

    builder.forState(state -> state.status() == RunStatus.QUEUED)
        .onCommand(Dispatch.class, this::lease);

    builder.forState(state -> state.status() == RunStatus.DEQUEUED || state.status() == RunStatus.EXECUTING)
        .onCommand(StartAttempt.class, this::startAttempt)
        .onCommand(Heartbeat.class, this::heartbeat)
        .onCommand(CompleteAttempt.class, this::completeAttempt)
        .onCommand(FailAttempt.class, (state, cmd) -> failAttempt(state, cmd.attemptId(), cmd.error(),
            cmd.retryable(), RunStatus.FAILED, cmd.replyTo()))
        .onCommand(WorkerLost.class, (state, cmd) -> failAttempt(state, cmd.attemptId(),
            RunError.workerLost(cmd.reason()), true, RunStatus.CRASHED, null))
        .onCommand(LeaseExpired.class, (state, cmd) -> failAttempt(state, cmd.attemptId(),
            RunError.workerLost("lease expired: no heartbeat within " + settings.leaseTimeout().toSeconds() + "s"),
            true, RunStatus.CRASHED, null));

    builder.forState(state -> state.status() == RunStatus.RETRYING)
        .onCommand(RetryDue.class, this::requeue);

    // Whatever a state did not handle above: the same answer in every state.
    builder.forAnyState()
        .onCommand(Trigger.class, (state, cmd) -> Effect().reply(cmd.replyTo(), StatusReply.success(state)))
        .onCommand(Get.class, (state, cmd) -> Effect().reply(cmd.replyTo(), state))
        .onCommand(Dispatch.class, this::declineDispatch)
        .onCommand(StartAttempt.class, (state, cmd) -> staleAttempt(cmd.replyTo()))
        .onCommand(Heartbeat.class, (state, cmd) -> staleAttempt(cmd.replyTo()))
        .onCommand(CompleteAttempt.class, (state, cmd) -> staleAttempt(cmd.replyTo()))
        .onCommand(FailAttempt.class, (state, cmd) -> staleAttempt(cmd.replyTo()))
        .onCommand(WorkerLost.class, (state, cmd) -> Effect().noReply())
        .onCommand(LeaseExpired.class, (state, cmd) -> Effect().noReply())
        .onCommand(RetryDue.class, (state, cmd) -> Effect().noReply());

    return builder.build();
  }

  private ReplyEffect<Event, State> trigger(State state, Trigger cmd) {
    return Effect().persist(new RunTriggered(runId, cmd.spec(), clock.instant()))
        .thenRun(this::enqueue)
        .thenReply(cmd.replyTo(), StatusReply::success);
  }

  private ReplyEffect<Event, State> lease(State state, Dispatch cmd) {
    Attempt attempt = new Attempt(Ids.newId("att"), state.attemptCount() + 1, cmd.sessionId(), cmd.workerId(),
        clock.instant(), null);
    return Effect().persist(new AttemptLeased(attempt))
        .thenRun(leased -> {
          cmd.worker().tell(execute(leased));
          armLease(attempt.id());
        })
        .thenReply(cmd.replyTo(), leased -> new DispatchReply(runId, cmd.sessionId(), true));
  }

  private ReplyEffect<Event, State> declineDispatch(State state, Dispatch cmd) {
    return Effect().reply(cmd.replyTo(), new DispatchReply(runId, cmd.sessionId(), false));
  }

  private ReplyEffect<Event, State> startAttempt(State state, StartAttempt cmd) {
    if (!state.isCurrentAttempt(cmd.attemptId())) return staleAttempt(cmd.replyTo());
    if (state.status() == RunStatus.EXECUTING) {
      armLease(cmd.attemptId());
      return Effect().reply(cmd.replyTo(), StatusReply.ack());
    }
    return Effect().persist(new AttemptStarted(cmd.attemptId(), clock.instant()))
        .thenRun(started -> armLease(cmd.attemptId()))
        .thenReply(cmd.replyTo(), started -> StatusReply.ack());
  }

  private ReplyEffect<Event, State> heartbeat(State state, Heartbeat cmd) {
    if (!state.isCurrentAttempt(cmd.attemptId())) return staleAttempt(cmd.replyTo());
    armLease(cmd.attemptId());
    return Effect().reply(cmd.replyTo(), StatusReply.ack());
  }

  private ReplyEffect<Event, State> completeAttempt(State state, CompleteAttempt cmd) {
    if (!state.isCurrentAttempt(cmd.attemptId())) return staleAttempt(cmd.replyTo());
    return Effect().persist(new RunSucceeded(cmd.attemptId(), cmd.outputJson(), clock.instant()))
        .thenRun(done -> timers.cancel(LEASE_TIMER))
        .thenReply(cmd.replyTo(), done -> StatusReply.ack());
  }

  /**
   * Fails the current attempt. With attempts left (and a retryable error) the run waits out the
   * policy's backoff and is queued again; otherwise it ends with {@code finalStatus}.
   */
  private ReplyEffect<Event, State> failAttempt(State state, String attemptId, RunError error, boolean retryable,
      RunStatus finalStatus, ActorRef<StatusReply<Done>> replyTo) {
    if (!state.isCurrentAttempt(attemptId)) {
      return replyTo == null ? Effect().noReply() : staleAttempt(replyTo);
    }
    Instant now = clock.instant();
    int attempt = state.currentAttempt().number();
    boolean retry = retryable && attempt < state.maxAttempts();
    List<Event> events = retry
        ? List.of(new AttemptFailed(attemptId, error, now, now.plus(state.spec().retry().delayAfter(attempt, random))))
        : List.of(new AttemptFailed(attemptId, error, now, null), new RunFailed(error, finalStatus, now));
    var effect = Effect().persist(events).thenRun(failed -> {
      timers.cancel(LEASE_TIMER);
      if (failed.status() == RunStatus.RETRYING) armRetry(failed);
    });
    return replyTo == null ? effect.thenNoReply() : effect.thenReply(replyTo, failed -> StatusReply.ack());
  }

  private ReplyEffect<Event, State> requeue(State state, RetryDue cmd) {
    if (cmd.afterAttempt() != state.attemptCount()) return Effect().noReply();
    return Effect().persist(new RunEnqueued(clock.instant())).thenRun(this::enqueue).thenNoReply();
  }

  private ReplyEffect<Event, State> unknownRun(ActorRef<StatusReply<Done>> replyTo) {
    return Effect().reply(replyTo, StatusReply.error("unknown run " + runId));
  }

  private ReplyEffect<Event, State> staleAttempt(ActorRef<StatusReply<Done>> replyTo) {
    return Effect().reply(replyTo, StatusReply.error(STALE_ATTEMPT));
  }

  /** The rejection text for fenced worker messages; the gateway matches on it. */
  public static final String STALE_ATTEMPT = "stale attempt";

  // ---------------------------------------------------------------- side effects

  private void enqueue(State state) {
    dispatchers.apply(state.spec().environmentId())
        .tell(new EnvironmentDispatcher.Enqueue(runId, state.spec().taskId(), state.spec().queue()));
  }

  private WorkerChannel.Execute execute(State state) {
    RunSpec spec = state.spec();
    Attempt attempt = state.currentAttempt();
    return new WorkerChannel.Execute(runId, attempt.id(), attempt.number(), spec.taskId(), spec.queue(),
        spec.environmentId(), spec.payloadJson(), spec.payloadType(), spec.tags(), spec.metadataJson(),
        spec.idempotencyKey(), spec.retry().maxAttempts(), state.createdAt(), spec.test());
  }

  private void armLease(String attemptId) {
    timers.startSingleTimer(LEASE_TIMER, new LeaseExpired(attemptId), settings.leaseTimeout());
  }

  private void armRetry(State state) {
    Duration delay = Duration.between(clock.instant(), state.retryAt());
    timers.startSingleTimer(RETRY_TIMER, new RetryDue(state.attemptCount()), delay.isNegative() ? Duration.ZERO : delay);
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), this::redriveAfterRecovery)
        .build();
  }

  /** Timers and queue positions live in memory: re-arm what the recovered state is waiting for. */
  private void redriveAfterRecovery(State state) {
    switch (state.status()) {
      case QUEUED -> enqueue(state);
      case DEQUEUED, EXECUTING -> armLease(state.currentAttempt().id());
      case RETRYING -> armRetry(state);
      default -> { }
    }
  }

  // ---------------------------------------------------------------- event handler (pure)

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(RunTriggered.class, (state, e) -> state.triggered(e.spec(), e.at()))
        .onEvent(AttemptLeased.class, (state, e) -> state.leased(e.attempt()))
        .onEvent(AttemptStarted.class, (state, e) -> state.attemptStarted(e.at()))
        .onEvent(AttemptFailed.class, (state, e) -> state.attemptFailed(e.error(), e.at(), e.retryAt()))
        .onEvent(RunEnqueued.class, (state, e) -> state.with(RunStatus.QUEUED, e.at()))
        .onEvent(RunSucceeded.class, (state, e) -> state.succeeded(e.outputJson(), e.at()))
        .onEvent(RunFailed.class, (state, e) -> state.failed(e.error(), e.status(), e.at()))
        .build();
  }
}
