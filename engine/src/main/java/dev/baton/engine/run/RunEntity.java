package dev.baton.engine.run;

import akka.Done;
import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.Behavior;
import akka.actor.typed.PostStop;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.TimerScheduler;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import akka.cluster.sharding.typed.javadsl.Entity;
import akka.cluster.sharding.typed.javadsl.EntityTypeKey;
import akka.pattern.StatusReply;
import akka.persistence.typed.PersistenceId;
import akka.persistence.typed.RecoveryCompleted;
import akka.persistence.typed.SnapshotSelectionCriteria;
import akka.persistence.typed.javadsl.CommandHandlerWithReply;
import akka.persistence.typed.javadsl.EventHandler;
import akka.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import akka.persistence.typed.javadsl.Recovery;
import akka.persistence.typed.javadsl.ReplyEffect;
import akka.persistence.typed.javadsl.SignalHandler;
import dev.baton.engine.common.CborSerializable;
import dev.baton.engine.common.Ids;
import dev.baton.engine.dispatch.DispatchReply;
import dev.baton.engine.dispatch.EnvironmentDispatcher;
import dev.baton.engine.metrics.BatonMetrics;
import dev.baton.engine.metrics.RunMetrics;
import dev.baton.engine.run.RunLifecycle.Stage;
import dev.baton.engine.run.RunLifecycle.Transition;
import dev.baton.engine.run.RunState.Attempt;
import dev.baton.engine.run.RunTimers.DelayDue;
import dev.baton.engine.run.RunTimers.MaxDurationExceeded;
import dev.baton.engine.run.RunTimers.PassivateFinished;
import dev.baton.engine.run.RunTimers.PassivateIdle;
import dev.baton.engine.run.RunTimers.RetryDue;
import dev.baton.engine.run.RunTimers.TtlDue;
import dev.baton.engine.task.TaskDefinition;
import dev.baton.engine.worker.RunError;
import dev.baton.engine.worker.StepResult;
import dev.baton.engine.worker.WorkerChannel;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.random.RandomGenerator;

/**
 * One task run: the single writer of its own history. A run is triggered (maybe delayed), queued,
 * leased to one worker attempt at a time, and ends with exactly one terminal event
 * ({@link RunSucceeded}, {@link RunFailed}, {@link RunCanceled} or {@link RunExpired}). Every worker
 * message names its attempt; messages about any other attempt are rejected (fencing). Side effects
 * (queueing, timers, telling a parent) run only after the event that justifies them is persisted, and
 * are re-driven from {@link RecoveryCompleted} and {@link Wake}. The one exception is the lease: an
 * attempt is handed to a worker at once and journaled with its outcome (see {@link Lease}), which
 * costs at most a repeated execution after a crash, never a lost or doubled outcome. A run that is stopped
 * while a worker holds it (its shard moves to another node, or it is passivated) journals the attempt first
 * ({@link HandOff}), so that a graceful move costs nothing. Durable execution
 * adds memoized steps and waits (duration, token, child runs) that suspend the run without a slot.
 *
 * <p>Here: the records, the handlers, the event function. Beside: {@link RunLifecycle} (the dispatch table),
 * {@link RunWaits}, {@link RunTimers}, {@link RunExecution}, {@link Lease}, {@link RunAnnotations}.
 */
public final class RunEntity
        extends EventSourcedBehaviorWithEnforcedReplies<RunEntity.Command, RunEntity.Event, RunState> {

    public static final EntityTypeKey<Command> ENTITY_TYPE_KEY = EntityTypeKey.create(Command.class, "Run");

    // Rejection texts the API and the gateway map to their answers.
    public static final String STALE_ATTEMPT = "stale attempt";
    public static final String UNKNOWN_RUN = "unknown run";
    public static final String NOT_DELAYED = "only a DELAYED run can be rescheduled";
    public static final String DEBOUNCE_WINDOW_CLOSED = "the run may not be pushed back beyond its maxDelay";
    public static final String TOO_MANY_TAGS = "too many tags";
    public static final String METADATA_TOO_LARGE = "metadata too large";

    /** A run waits for at most this many child runs at once (Trigger.dev's batch limit). */
    public static final int MAX_CHILDREN = 1_000;
    /** Runs nest at most this deep: a task that triggers itself and waits must end somewhere. */
    public static final int MAX_DEPTH = 32;

    public static final String STEP_ALREADY_RESOLVED = "already resolved";
    public static final String INVALID_WAIT = "invalid wait";

    // ---------------------------------------------------------------- commands

    public sealed interface Command extends CborSerializable {}

    /** A command answered with a status reply: where it does not apply, it is answered with an error. */
    public sealed interface AnsweredCommand extends Command {
        ActorRef<? extends StatusReply<?>> replyTo();
    }

    /** From the worker, about one attempt: stale unless that attempt is the one a worker holds now. */
    public sealed interface AttemptCommand extends AnsweredCommand {
        String attemptId();
    }

    /** A timer or a notice from elsewhere: never answered, and ignored once what it is about has passed. */
    public sealed interface Notice extends Command
            permits WorkerLost, ChildFinished, TokenCompleted, TaskLookedUp, RunTimers.Due, RunWaits.ChildPending {}

    /** Create the run. Idempotent: a run that exists answers with its current state. */
    public record Trigger(RunSpec spec, ActorRef<StatusReply<RunState>> replyTo) implements AnsweredCommand {}

    /** Current state; {@link RunStatus#NEW} when no run exists under this id. */
    public record Get(ActorRef<RunState> replyTo) implements Command {}

    /**
     * From the dispatcher: lease the run to this worker session if the run is still queued.
     *
     * @param version the worker's version: an unlocked run is locked to it by the attempt's outcome
     */
    public record Dispatch(
            String sessionId,
            String workerId,
            ActorRef<WorkerChannel.Message> worker,
            ActorRef<DispatchReply> replyTo,
            String version)
            implements Command {

        public Dispatch(
                String sessionId,
                String workerId,
                ActorRef<WorkerChannel.Message> worker,
                ActorRef<DispatchReply> replyTo) {
            this(sessionId, workerId, worker, replyTo, null);
        }
    }

    /**
     * What the task catalog answered a PENDING_VERSION run asking for its task: the declaration, or null while no
     * worker has declared it (or the catalog did not answer).
     */
    public record TaskLookedUp(TaskDefinition task) implements Notice {}

    /** @param runningFor how long the handler had run when the worker said so; null when it did not say */
    public record StartAttempt(String attemptId, Duration runningFor, ActorRef<StatusReply<Done>> replyTo)
            implements AttemptCommand {}

    public record Heartbeat(String attemptId, ActorRef<StatusReply<Done>> replyTo) implements AttemptCommand {}

    /** @param ranFor how long the handler ran, as the worker measured it; null when it did not say */
    public record CompleteAttempt(
            String attemptId, String outputJson, Duration ranFor, ActorRef<StatusReply<Done>> replyTo)
            implements AttemptCommand {}

    /** @param ranFor how long the handler ran, as the worker measured it; null when it did not say */
    public record FailAttempt(
            String attemptId, RunError error, boolean retryable, Duration ranFor, ActorRef<StatusReply<Done>> replyTo)
            implements AttemptCommand {}

    /** From the gateway: the session that held this attempt is gone. */
    public record WorkerLost(String attemptId, String reason) implements Notice {}

    /**
     * Sent by the run to itself after each command that may change it: handled once that command's events are
     * persisted (commands wait while a persist is under way), it tells {@link RunLinks#changed} if the run
     * changed. Never sent by anyone else, so it is not in {@link RunLifecycle}'s table.
     */
    public record Announce() implements Command {}

    /**
     * From the sweeper: re-drive whatever the run waits for (its node may have crashed since). Answered once done
     * when {@code replyTo} is given: a sweep of a whole environment wakes its next runs only when the last ones
     * answered, so it never starts more of them than it woke at a time.
     */
    public record Wake(ActorRef<Done> replyTo) implements Command {
        public Wake() {
            this(null);
        }
    }

    /**
     * Sharding's stop message ({@link Entity#withStopMessage}): the run's shard moves to another node (a rebalance,
     * or this node leaving the cluster) or the run is passivated. A run a worker holds journals the attempt before it
     * stops, so the next incarnation holds the same attempt and takes its heartbeats and outcome rather than queueing
     * the run for a second execution.
     */
    public record HandOff() implements Command {}

    /** Cancel the run; a finished run stays as it is. Replies with the resulting state. */
    public record Cancel(ActorRef<StatusReply<RunState>> replyTo) implements AnsweredCommand {}

    /** Move a DELAYED run's start to {@code delayUntil}. */
    public record Reschedule(Instant delayUntil, ActorRef<StatusReply<RunState>> replyTo) implements AnsweredCommand {}

    /**
     * A debounced trigger with this run's key: move the DELAYED run's start to {@code delayUntil}, unless that is
     * more than {@code maxDelay} (null: no bound) after the run was triggered ({@link #DEBOUNCE_WINDOW_CLOSED}). In
     * trailing mode {@code latest} (else null) replaces what it gives. A run no longer DELAYED answers
     * {@link #NOT_DELAYED}: the trigger makes a new run.
     */
    public record PushBack(
            Instant delayUntil,
            Duration maxDelay,
            Debounce.TrailingFields latest,
            ActorRef<StatusReply<RunState>> replyTo)
            implements AnsweredCommand {}

    public record AddTags(List<String> tags, ActorRef<StatusReply<RunState>> replyTo) implements AnsweredCommand {}

    /** @param attemptId when a worker updates its own run: must be the current attempt; null from the API */
    public record UpdateMetadata(
            List<MetadataOperation> operations, String attemptId, ActorRef<StatusReply<RunState>> replyTo)
            implements AnsweredCommand {}

    /**
     * From the worker: an operation of the current attempt finished; its result is memoized for every later attempt.
     */
    public record CompleteStep(String attemptId, String key, StepResult result, ActorRef<StatusReply<Done>> replyTo)
            implements AttemptCommand {}

    /** From the worker: the current attempt stops until {@code wait} is resolved; its slots are freed meanwhile. */
    public record Suspend(String attemptId, Wait waitFor, ActorRef<StatusReply<Done>> replyTo)
            implements AttemptCommand {}

    /** From a child run this run may wait for: it finished. */
    public record ChildFinished(String waitKey, int index, String childRunId, StepResult result) implements Notice {}

    /** From a waitpoint token this run may wait for: it was completed or timed out. */
    public record TokenCompleted(String tokenId, StepResult result) implements Notice {}

    // ---------------------------------------------------------------- events (a contract: never rename)

    public sealed interface Event extends CborSerializable {
        /** When it happened. */
        Instant at();

        /**
         * The attempt this event ends or interrupts, which is journaled with it (see {@link Lease});
         * null for other events and for outcome events of journals from before attempts were written this way.
         */
        static Attempt outcomeAttempt(Event event) {
            if (event instanceof RunSucceeded e) return e.attempt();
            if (event instanceof AttemptFailed e) return e.attempt();
            if (event instanceof RunSuspended e) return e.attempt();
            if (event instanceof RunCanceled e) return e.attempt();
            return null;
        }
    }

    public record RunTriggered(String runId, RunSpec spec, Instant at) implements Event {}

    public record RunRescheduled(Instant delayUntil, Instant at) implements Event {}

    /**
     * A debounced trigger pushed the DELAYED run back to {@code delayUntil}; in trailing mode {@code latest} is what
     * it replaced (see {@link Debounce.TrailingFields}), in leading mode null.
     */
    public record RunDebounced(Instant delayUntil, Debounce.TrailingFields latest, Instant at) implements Event {}

    /**
     * A worker declared the task of the PENDING_VERSION run: the declaration completes its spec, and it is queued in
     * {@code queue} (the task's, unless the trigger named one).
     */
    public record RunTaskDeclared(TaskDefinition task, String queue, Instant at) implements Event {}

    /**
     * The run entered its queue: its delay or its retry backoff is over. {@code awaitingTask}: its task is not declared
     * yet, so it is PENDING_VERSION rather than QUEUED (false in journals from before versions, whose tasks were).
     */
    public record RunEnqueued(Instant at, boolean awaitingTask) implements Event {
        public RunEnqueued(Instant at) {
            this(at, false);
        }
    }

    /**
     * An attempt a worker holds when the run stops ({@link HandOff}); also in journals from before attempts were
     * journaled with their outcome.
     */
    public record AttemptLeased(Attempt attempt) implements Event {
        @Override
        public Instant at() {
            return attempt.leasedAt();
        }
    }

    /** The held attempt had started when the run stopped ({@link HandOff}); also in journals as AttemptLeased. */
    public record AttemptStarted(String attemptId, Instant at) implements Event {}

    /**
     * @param retryAt when the next attempt is queued, or null when this failure ends the run
     * @param attempt the attempt, written with its outcome (null in journals from before lazy attempts)
     */
    public record AttemptFailed(String attemptId, RunError error, Instant at, Instant retryAt, Attempt attempt)
            implements Event {}

    /** @param attempt the attempt, written with its outcome (null in journals from before lazy attempts) */
    public record RunSucceeded(String attemptId, String outputJson, Instant at, Attempt attempt) implements Event {}

    /** Terminal: FAILED, CRASHED, SYSTEM_FAILURE or TIMED_OUT. */
    public record RunFailed(RunError error, RunStatus status, Instant at) implements Event {}

    /** @param attempt the attempt a worker held when the run was canceled, or null */
    public record RunCanceled(Instant at, Attempt attempt) implements Event {}

    public record RunExpired(Instant at) implements Event {}

    public record TagsAdded(List<String> tags, Instant at) implements Event {}

    public record MetadataUpdated(String metadataJson, Instant at) implements Event {}

    public record StepCompleted(String attemptId, String key, StepResult result, Instant at) implements Event {}

    /** The attempt stopped to wait; the run is WAITING and holds no slot. {@code attempt}: as in RunSucceeded. */
    public record RunSuspended(String attemptId, Wait waitFor, Instant at, Attempt attempt) implements Event {}

    /** One child run of a wait for several finished; the wait goes on until all have. */
    public record WaitResolved(String key, int index, String childRunId, StepResult result, Instant at)
            implements Event {}

    /** The wait is over: its result is memoized under its key and the run is queued again. */
    public record RunResumed(String key, StepResult result, Instant at) implements Event {}

    // ---------------------------------------------------------------- wiring

    public static void init(ActorSystem<?> system, RunSettings settings, Clock clock, RunLinks links) {
        ClusterSharding.get(system)
                .init(Entity.of(
                                ENTITY_TYPE_KEY,
                                entityContext -> create(
                                        entityContext.getEntityId(),
                                        settings,
                                        clock,
                                        RandomGenerator.getDefault(),
                                        links,
                                        entityContext.getShard()))
                        .withStopMessage(HAND_OFF));
    }

    /** @param shard the run's shard, asked to passivate the run once it has finished; null (tests) for never */
    public static Behavior<Command> create(
            String runId,
            RunSettings settings,
            Clock clock,
            RandomGenerator random,
            RunLinks links,
            ActorRef<ClusterSharding.ShardCommand> shard) {
        return Behaviors.setup(context -> Behaviors.withTimers(
                timers -> new RunEntity(runId, context, timers, settings, clock, random, links, shard)));
    }

    public static PersistenceId persistenceId(String runId) {
        return PersistenceId.of(ENTITY_TYPE_KEY.name(), runId);
    }

    private final String runId;
    private final ActorContext<Command> context;
    private final RunTimers timers;
    private final RunWaits waits;
    private final RunSettings settings;
    private final Clock clock;
    private final RandomGenerator random;
    private final RunLinks links;
    private final ActorRef<ClusterSharding.ShardCommand> shard;
    private final RunExecution execution;
    private final RunMetrics metrics;

    private RunEntity(
            String runId,
            ActorContext<Command> context,
            TimerScheduler<Command> timers,
            RunSettings settings,
            Clock clock,
            RandomGenerator random,
            RunLinks links,
            ActorRef<ClusterSharding.ShardCommand> shard) {
        super(persistenceId(runId));
        this.runId = runId;
        this.context = context;
        this.timers = new RunTimers(timers, clock, settings, shard != null);
        this.waits = new RunWaits(runId, context, links, this.timers, clock, Effect(), this::redrive);
        this.settings = settings;
        this.clock = clock;
        this.random = random;
        this.links = links;
        this.shard = shard;
        this.metrics = BatonMetrics.get(context.getSystem()).runs();
        this.execution = new RunExecution(runId, links, this.timers, waits, metrics, this::lookUpTask);
    }

    @Override
    public RunState emptyState() {
        return RunState.empty(runId);
    }

    /**
     * Runs never snapshot (a run's journal is short): skipping the snapshot lookup saves a query on
     * every entity start, and every trigger starts one.
     */
    @Override
    public Recovery recovery() {
        return Recovery.withSnapshotSelectionCriteria(SnapshotSelectionCriteria.none());
    }

    @Override
    public Set<String> tagsFor(Event event) {
        return Set.of(settings.tagFor(runId));
    }

    // ---------------------------------------------------------------- command handlers, per state

    /**
     * Through {@link RunLifecycle}'s table: the handler of the command in the run's stage, else the common one.
     * Not Akka's handler builder: every trigger starts a run entity, and the builder would build (and keep) ~60
     * cases per entity, where the table is built once.
     */
    @Override
    public CommandHandlerWithReply<Command, Event, RunState> commandHandler() {
        return (state, command) -> {
            if (command instanceof Announce) return announce(state);
            Transition transition = RunLifecycle.transition(Stage.of(state, execution.leased()), command);
            if (CHECK_WRITES) handling = transition;
            ReplyEffect<Event, RunState> effect = transition.apply(this, state, command);
            // Reads and heartbeats change nothing a subscriber sees, and a run handed off is gone; all else may.
            if (!(command instanceof Get) && !(command instanceof Heartbeat) && !(command instanceof HandOff))
                context.getSelf().tell(ANNOUNCE);
            return effect;
        };
    }

    private static final Announce ANNOUNCE = new Announce();
    private static final HandOff HAND_OFF = new HandOff();

    /**
     * The version of the run a subscriber saw last: its last event's sequence number and its attempt's lease
     * and start, which are not journaled. Announced only when it moved, so a command that changed nothing
     * announces nothing.
     */
    private String announced;

    private ReplyEffect<Event, RunState> announce(RunState state) {
        String version = version(state);
        if (state.exists() && !version.equals(announced)) {
            announced = version;
            links.changed(execution.view(state));
        }
        return Effect().noReply();
    }

    private String version(RunState state) {
        Attempt held = execution.held();
        return lastSequenceNumber(context) + "/" + (held == null ? "-" : held.id() + "/" + held.startedAt());
    }

    private void recovered(RunState state) {
        announced = version(state);
        execution.recovered(state);
    }

    /** With assertions on (tests), each persisted event is checked against the table (see {@link RunLifecycle}). */
    private static final boolean CHECK_WRITES = RunEntity.class.desiredAssertionStatus();

    private Transition handling;

    RunWaits waits() {
        return waits;
    }

    RunExecution execution() {
        return execution;
    }

    RunSettings settings() {
        return settings;
    }

    Instant now() {
        return clock.instant();
    }

    // ---------------------------------------------------------------- what every stage answers alike

    /** Stops the run; see {@link #handOffAttempt} for a run a worker holds. */
    ReplyEffect<Event, RunState> stop(RunState state, HandOff cmd) {
        return Effect().stop().thenNoReply();
    }

    ReplyEffect<Event, RunState> passivate(RunState state, PassivateFinished cmd) {
        if (state.status().isFinal() && shard != null) shard.tell(new ClusterSharding.Passivate<>(context.getSelf()));
        return Effect().noReply();
    }

    /**
     * A run with nothing to do but wait for a time beyond {@link RunSettings#idlePassivation} leaves memory (sharding
     * starts it again from its journal on its next command). The check runs again here, as the state may have moved
     * on since the timer was armed. Nobody else has to remember the run meanwhile: the sweeper wakes it from the
     * run index wake-ahead before it is due. The index row may not hold that wake time yet (the projection runs
     * behind the journal), but the event that set the time is journaled before any timer is armed, and the
     * projection writes every journaled event into the row eventually. So with a projection less than
     * idle-passivation minus wake-ahead behind the run is woken in time, and with one further behind it is woken late,
     * as soon as its row is written, but never lost.
     */
    ReplyEffect<Event, RunState> passivateIdle(RunState state, PassivateIdle cmd) {
        if (shard != null && timers.beyondIdle(execution.idleUntil(state)))
            shard.tell(new ClusterSharding.Passivate<>(context.getSelf()));
        return Effect().noReply();
    }

    // ---------------------------------------------------------------- handlers of a stage

    ReplyEffect<Event, RunState> trigger(RunState state, Trigger cmd) {
        return Effect()
                .persist(new RunTriggered(runId, cmd.spec(), clock.instant()))
                .thenRun(triggered -> {
                    metrics.triggered(
                            triggered.spec().environmentId(), triggered.spec().taskId());
                    execution.redrive(triggered);
                })
                .thenReply(cmd.replyTo(), StatusReply::success);
    }

    ReplyEffect<Event, RunState> reschedule(RunState state, Reschedule cmd) {
        return Effect()
                .persist(new RunRescheduled(cmd.delayUntil(), clock.instant()))
                .thenRun(timers::delay)
                .thenReply(cmd.replyTo(), StatusReply::success);
    }

    ReplyEffect<Event, RunState> pushBack(RunState state, PushBack cmd) {
        if (cmd.maxDelay() != null && cmd.delayUntil().isAfter(state.createdAt().plus(cmd.maxDelay()))) {
            return error(cmd.replyTo(), DEBOUNCE_WINDOW_CLOSED);
        }
        return Effect()
                .persist(new RunDebounced(cmd.delayUntil(), cmd.latest(), clock.instant()))
                .thenRun(timers::delay)
                .thenReply(cmd.replyTo(), StatusReply::success);
    }

    ReplyEffect<Event, RunState> endDelay(RunState state, DelayDue cmd) {
        if (state.delayUntil().isAfter(clock.instant())) {
            timers.delay(state);
            return Effect().noReply();
        }
        return Effect()
                .persist(new RunEnqueued(clock.instant(), state.spec().pendingTask() != null))
                .thenRun(execution::redrive)
                .thenNoReply();
    }

    ReplyEffect<Event, RunState> expireIfDue(RunState state, TtlDue cmd) {
        Instant expiresAt = state.expiresAt();
        if (expiresAt == null) return Effect().noReply();
        if (expiresAt.isAfter(clock.instant())) {
            timers.ttl(state);
            return Effect().noReply();
        }
        return Effect()
                .persist(new RunExpired(clock.instant()))
                .thenRun(execution::leave)
                .thenNoReply();
    }

    /**
     * Hands the run to the worker: nothing is journaled until the attempt has an outcome (see {@link Lease}). A run
     * whose TTL has passed expires instead: the offer can overtake the TTL timer, e.g. when a run recovered after
     * a downtime enqueues itself and arms its overdue timer, and an idle worker's offer arrives first.
     */
    ReplyEffect<Event, RunState> lease(RunState state, Dispatch cmd) {
        Instant expiresAt = state.expiresAt();
        if (expiresAt != null && !expiresAt.isAfter(clock.instant())) {
            return Effect()
                    .persist(new RunExpired(clock.instant()))
                    .thenRun(execution::leave)
                    .thenReply(cmd.replyTo(), expired -> new DispatchReply(runId, cmd.sessionId(), false));
        }
        Attempt attempt = new Attempt(
                Ids.newId("att"),
                state.nextAttemptNumber(),
                cmd.sessionId(),
                cmd.workerId(),
                clock.instant(),
                null,
                cmd.version());
        execution.lease(new Lease(attempt, cmd.worker()), state);
        return Effect().reply(cmd.replyTo(), new DispatchReply(runId, cmd.sessionId(), true));
    }

    /**
     * Journals what this incarnation alone knows of the attempt a worker holds, then stops: the next incarnation (on
     * another node, or here after passivation) recovers the run leased to that attempt, so it fences no message of
     * the attempt and offers the run to no other worker. The run keeps its slot at the dispatcher meanwhile, which
     * the successor confirms on recovery ({@link RunExecution#redrive}). A persist that fails stops the run as
     * before: the attempt is lost, as after a crash.
     */
    ReplyEffect<Event, RunState> handOffAttempt(RunState state, HandOff cmd) {
        Attempt attempt = execution.held();
        List<Event> unjournaled = new ArrayList<>(2);
        if (!state.isCurrentAttempt(attempt.id())) unjournaled.add(new AttemptLeased(attempt));
        if (attempt.startedAt() != null && state.status() != RunStatus.EXECUTING)
            unjournaled.add(new AttemptStarted(attempt.id(), attempt.startedAt()));
        if (unjournaled.isEmpty()) {
            execution.handedOff();
            return Effect().stop().thenNoReply();
        }
        return Effect()
                .persist(unjournaled)
                .thenRun(handedOff -> execution.handedOff())
                .thenStop()
                .thenNoReply();
    }

    /**
     * A PENDING_VERSION run asks the catalog for its task (after recovery, on every wake): it may have been declared
     * while the run was not looking.
     */
    private void lookUpTask(RunState state) {
        timers.ttlUnlessArmed(state);
        RunSpec spec = state.spec();
        context.pipeToSelf(
                links.declaredTask(spec.environmentId(), spec.taskId()),
                (task, failure) -> new TaskLookedUp(failure == null ? task.orElse(null) : null));
    }

    /**
     * Declared: the run takes the declaration and is queued. Not yet: it asks its dispatcher to wake it when a worker
     * declaring the task reports (and the sweeper wakes it now and then, should that be lost).
     */
    ReplyEffect<Event, RunState> taskLookedUp(RunState state, TaskLookedUp cmd) {
        if (cmd.task() == null) {
            links.dispatcher(state.spec().environmentId())
                    .tell(new EnvironmentDispatcher.AwaitTask(
                            runId, state.spec().taskId()));
            return Effect().noReply();
        }
        return Effect()
                .persist(new RunTaskDeclared(
                        cmd.task(), state.spec().resolved(cmd.task()).queue(), clock.instant()))
                .thenRun(execution::redrive)
                .thenNoReply();
    }

    boolean isCurrent(String attemptId) {
        return execution.holds(attemptId);
    }

    /** The attempt a worker holds now, or null. */
    Attempt heldAttempt() {
        return execution.held();
    }

    ReplyEffect<Event, RunState> startAttempt(RunState state, StartAttempt cmd) {
        if (!isCurrent(cmd.attemptId())) return error(cmd.replyTo(), STALE_ATTEMPT);
        timers.lease(cmd.attemptId());
        execution.started(state, clock.instant(), cmd.runningFor());
        return Effect().reply(cmd.replyTo(), StatusReply.ack());
    }

    ReplyEffect<Event, RunState> heartbeat(RunState state, Heartbeat cmd) {
        if (!isCurrent(cmd.attemptId())) return error(cmd.replyTo(), STALE_ATTEMPT);
        timers.lease(cmd.attemptId());
        return Effect().reply(cmd.replyTo(), StatusReply.ack());
    }

    ReplyEffect<Event, RunState> completeAttempt(RunState state, CompleteAttempt cmd) {
        if (!isCurrent(cmd.attemptId())) return notHeld(state, cmd);
        Instant now = clock.instant();
        return Effect()
                .persist(new RunSucceeded(
                        cmd.attemptId(), cmd.outputJson(), now, execution.reported(state, now, cmd.ranFor())))
                .thenRun(execution::leave)
                .thenReply(cmd.replyTo(), done -> StatusReply.ack());
    }

    /**
     * Fails the current attempt. With attempts left (and a retryable error) the run waits out the
     * policy's backoff and is queued again; otherwise it ends with {@code finalStatus}.
     */
    ReplyEffect<Event, RunState> failAttempt(
            RunState state,
            String attemptId,
            RunError error,
            boolean retryable,
            RunStatus finalStatus,
            Duration ranFor,
            ActorRef<StatusReply<Done>> replyTo) {
        if (!isCurrent(attemptId)) {
            if (replyTo == null) return Effect().noReply();
            // the worker's failure sent again (see notHeld)
            return state.failedWith(attemptId, error)
                    ? Effect().reply(replyTo, StatusReply.ack())
                    : error(replyTo, STALE_ATTEMPT);
        }
        Instant now = clock.instant();
        // The worker's own failure report means the handler ran; a lost worker's attempt may never have started.
        Attempt attempt = replyTo != null ? execution.reported(state, now, ranFor) : execution.held();
        boolean retry = retryable && attempt.number() < state.maxAttempts();
        List<Event> events = retry
                ? List.of(new AttemptFailed(
                        attemptId,
                        error,
                        now,
                        now.plus(state.spec().retry().delayAfter(attempt.number(), random)),
                        attempt))
                : List.of(
                        new AttemptFailed(attemptId, error, now, null, attempt),
                        new RunFailed(error, finalStatus, now));
        var effect = Effect().persist(events).thenRun(failed -> {
            execution.leave(failed);
            if (failed.status() == RunStatus.RETRYING) timers.retry(failed);
        });
        return replyTo == null ? effect.thenNoReply() : effect.thenReply(replyTo, failed -> StatusReply.ack());
    }

    /** maxDuration is a hard limit: no retry, the run ends TIMED_OUT and the worker is told to stop. */
    ReplyEffect<Event, RunState> timeOut(RunState state, MaxDurationExceeded cmd) {
        if (!isCurrent(cmd.attemptId())) return Effect().noReply();
        Instant now = clock.instant();
        Attempt running = execution.held();
        if (running.startedAt() != null
                && running.startedAt()
                        .plusSeconds(state.spec().maxDurationSeconds())
                        .isAfter(now)) {
            timers.maxDuration(state, running);
            return Effect().noReply();
        }
        RunError error = new RunError(
                "MAX_DURATION_EXCEEDED",
                "Run exceeded its maxDuration of " + state.spec().maxDurationSeconds() + "s",
                null);
        Attempt attempt = running;
        return Effect()
                .persist(List.of(
                        new AttemptFailed(attempt.id(), error, now, null, attempt),
                        new RunFailed(error, RunStatus.TIMED_OUT, now)))
                .thenRun(timedOut -> {
                    execution.stopWorker("maxDuration exceeded");
                    execution.leave(timedOut);
                })
                .thenNoReply();
    }

    ReplyEffect<Event, RunState> cancel(RunState state, Cancel cmd) {
        Attempt attempt = execution.held();
        Wait waiting = state.pendingWait();
        return Effect()
                .persist(new RunCanceled(clock.instant(), attempt))
                .thenRun(canceled -> {
                    execution.stopWorker("run canceled");
                    if (waiting != null) waits.cancelUnfinishedChildren(waiting);
                    execution.leave(canceled);
                })
                .thenReply(cmd.replyTo(), StatusReply::success);
    }

    ReplyEffect<Event, RunState> requeue(RunState state, RetryDue cmd) {
        if (cmd.afterAttempt() != state.attemptCount()) return Effect().noReply();
        if (state.retryAt().isAfter(clock.instant())) {
            timers.retry(state);
            return Effect().noReply();
        }
        return Effect()
                .persist(new RunEnqueued(clock.instant()))
                .thenRun(execution::redrive)
                .thenNoReply();
    }

    ReplyEffect<Event, RunState> completeStep(RunState state, CompleteStep cmd) {
        if (!isCurrent(cmd.attemptId())) return error(cmd.replyTo(), STALE_ATTEMPT);
        timers.lease(cmd.attemptId());
        // A step reported twice (a retried message) keeps its first result.
        if (state.steps().containsKey(cmd.key())) return Effect().reply(cmd.replyTo(), StatusReply.ack());
        return Effect()
                .persist(new StepCompleted(cmd.attemptId(), cmd.key(), cmd.result(), clock.instant()))
                .thenReply(cmd.replyTo(), done -> StatusReply.ack());
    }

    /**
     * A worker's message about an attempt no worker holds: stale, unless it repeats the outcome the run already took
     * from that attempt. The gateway sends an outcome again when its ask got no answer (the run's shard moving between
     * nodes); the first may have been applied, so the repeat is answered as it was, and changes nothing.
     */
    ReplyEffect<Event, RunState> notHeld(RunState state, AttemptCommand cmd) {
        if (cmd instanceof CompleteAttempt complete && state.succeededWith(complete.attemptId(), complete.outputJson()))
            return Effect().reply(complete.replyTo(), StatusReply.ack());
        if (cmd instanceof FailAttempt fail && state.failedWith(fail.attemptId(), fail.error()))
            return Effect().reply(fail.replyTo(), StatusReply.ack());
        return error(cmd.replyTo(), STALE_ATTEMPT);
    }

    ReplyEffect<Event, RunState> error(ActorRef<? extends StatusReply<?>> replyTo, String message) {
        @SuppressWarnings("unchecked")
        ActorRef<StatusReply<Object>> ref = (ActorRef<StatusReply<Object>>) replyTo;
        return Effect().reply(ref, StatusReply.error(message));
    }

    // ---------------------------------------------------------------- side effects

    /** See {@link RunExecution#redrive}. */
    private void redrive(RunState state) {
        execution.redrive(state);
    }

    @Override
    public SignalHandler<RunState> signalHandler() {
        return newSignalHandlerBuilder()
                .onSignal(RecoveryCompleted.instance(), this::recovered)
                .onSignal(PostStop.instance(), execution::stopped)
                .build();
    }

    // ---------------------------------------------------------------- event handler (pure)

    /** Shared by every run (it needs nothing but the state and the event): entities start on every trigger. */
    private static final EventHandler<RunState, Event> EVENT_HANDLER = RunEntity::applyEvent;

    @Override
    public EventHandler<RunState, Event> eventHandler() {
        return CHECK_WRITES ? this::applyDeclaredEvent : EVENT_HANDLER;
    }

    private RunState applyDeclaredEvent(RunState state, Event event) {
        if (handling != null) handling.assertDeclares(event);
        return applyEvent(state, event);
    }

    private static RunState applyEvent(RunState state, Event event) {
        if (event instanceof RunTriggered e) return state.triggered(e.spec(), e.at());
        if (event instanceof RunRescheduled e) return state.rescheduled(e.delayUntil(), e.at());
        if (event instanceof RunDebounced e) return state.debounced(e.delayUntil(), e.latest(), e.at());
        if (event instanceof RunEnqueued e) return state.enqueued(e.at());
        if (event instanceof RunTaskDeclared e) return state.taskResolved(e.task(), e.at());
        if (event instanceof AttemptLeased e) return state.leased(e.attempt());
        if (event instanceof AttemptStarted e) return state.attemptStarted(e.at());
        if (event instanceof AttemptFailed e) {
            return state.attempted(e.attempt()).attemptFailed(e.error(), e.at(), e.retryAt());
        }
        if (event instanceof RunSucceeded e) return state.attempted(e.attempt()).succeeded(e.outputJson(), e.at());
        if (event instanceof RunFailed e) return state.ended(e.status(), e.error(), e.at());
        if (event instanceof RunCanceled e) return state.attempted(e.attempt()).ended(RunStatus.CANCELED, null, e.at());
        if (event instanceof RunExpired e) return state.ended(RunStatus.EXPIRED, null, e.at());
        if (event instanceof TagsAdded e) return state.tagged(e.tags(), e.at());
        if (event instanceof MetadataUpdated e) return state.withMetadata(e.metadataJson(), e.at());
        if (event instanceof StepCompleted e) return state.stepCompleted(e.key(), e.result(), e.at());
        if (event instanceof RunSuspended e) {
            return state.attempted(e.attempt())
                    .suspended(e.waitFor(), e.waitFor().childRunIds(state.runId()), e.at());
        }
        if (event instanceof WaitResolved e) return state.waitPartlyResolved(e.index(), e.result(), e.at());
        if (event instanceof RunResumed e) return state.resumed(e.result(), e.at());
        throw new IllegalArgumentException(
                "RunEntity has no event handler for " + event.getClass().getSimpleName());
    }
}
