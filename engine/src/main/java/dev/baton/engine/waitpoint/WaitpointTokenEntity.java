package dev.baton.engine.waitpoint;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.Behavior;
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
import dev.baton.engine.common.CborSerializable;
import dev.baton.engine.common.DeadlineTimers;
import dev.baton.engine.worker.RunError;
import dev.baton.engine.worker.StepResult;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * One waitpoint token (Trigger.dev's {@code wait.createToken}): WAITING until it is completed with data
 * (by the API or its callback URL) or its timeout passes, then COMPLETED or TIMED_OUT for good. Runs that
 * wait for it register as waiters ({@link AwaitToken}, safe to repeat) and are told the outcome through
 * {@link Waiters} once it is persisted — at once when the token is already final.
 *
 * <p>The timeout is an Akka timer, re-armed on recovery; a token whose node died (or that passivated)
 * is woken by the token sweeper, which reads the pending timeouts from the token index ({@link Wake}).
 */
public final class WaitpointTokenEntity
        extends EventSourcedBehaviorWithEnforcedReplies<
                WaitpointTokenEntity.Command, WaitpointTokenEntity.Event, WaitpointTokenEntity.State> {

    public static final EntityTypeKey<Command> ENTITY_TYPE_KEY = EntityTypeKey.create(Command.class, "WaitpointToken");

    /** The journal tag of every token event (the token index projection reads it). */
    public static final String TAG = "waitpoint";

    public static final String NOT_FOUND = "waitpoint token not found";
    public static final String INVALID_CALLBACK = "invalid callback hash";
    /** The error a run waiting for a token gets when it times out (Trigger.dev's code). */
    public static final String TIMEOUT_ERROR = "TRIGGER_WAITPOINT_TIMEOUT";
    /** The error a run gets for a token that does not exist (or belongs to another environment). */
    public static final String TOKEN_NOT_FOUND = "TOKEN_NOT_FOUND";

    private static final String TIMEOUT_TIMER = "timeout";
    /** Akka's scheduler refuses delays beyond ~248 days: long timeouts are armed in steps. */

    /** Tells a run that a token it may wait for is final; {@code RunService#tokenCompleted} in a node. */
    @FunctionalInterface
    public interface Waiters {
        void tell(String runId, String tokenId, StepResult result);
    }

    public enum Status {
        NEW,
        WAITING,
        COMPLETED,
        TIMED_OUT;

        public boolean isFinal() {
            return this == COMPLETED || this == TIMED_OUT;
        }
    }

    // ---------------------------------------------------------------- commands

    public sealed interface Command extends CborSerializable {}

    /** Create the token. Idempotent: an existing token answers with its state, whatever {@code spec} says. */
    public record Create(TokenSpec spec, ActorRef<StatusReply<State>> replyTo) implements Command {}

    /** Current state; {@link Status#NEW} when no token exists under this id. */
    public record Get(ActorRef<State> replyTo) implements Command {}

    /**
     * Complete with {@code outputJson} (JSON text, or null for no data). A final token stays as it is and
     * answers with its state; a token of another environment is {@link #NOT_FOUND}.
     */
    public record Complete(String environmentId, String outputJson, ActorRef<StatusReply<State>> replyTo)
            implements Command {}

    /** Complete through the callback URL: {@code callbackHash} must be the token's ({@link #INVALID_CALLBACK}). */
    public record CompleteByCallback(String callbackHash, String outputJson, ActorRef<StatusReply<State>> replyTo)
            implements Command {}

    /** A run waits for this token: it is told the outcome when there is one. Fire and forget, safe to repeat. */
    public record AwaitToken(String environmentId, String runId) implements Command {}

    /** From the sweeper: the timeout may have passed while no timer was armed (crash, passivation). */
    public record Wake() implements Command {}

    private record TimeoutDue() implements Command {}

    // ---------------------------------------------------------------- events (a contract: never rename)

    public sealed interface Event extends CborSerializable {}

    public record TokenCreated(String tokenId, TokenSpec spec, Instant at) implements Event {}

    public record WaiterAdded(String runId, Instant at) implements Event {}

    /** @param outputJson the data as JSON text, or null when completed without data */
    public record TokenCompleted(String outputJson, Instant at) implements Event {}

    public record TokenTimedOut(Instant at) implements Event {}

    // ---------------------------------------------------------------- state

    /**
     * @param completedAt when it was completed or timed out
     * @param outputJson the completion's data (JSON text), null for none and for a timeout
     * @param waiters the runs registered as waiting for it, in order
     */
    public record State(
            String tokenId,
            Status status,
            TokenSpec spec,
            Instant createdAt,
            Instant completedAt,
            String outputJson,
            List<String> waiters)
            implements CborSerializable {

        public State {
            waiters = waiters == null ? List.of() : List.copyOf(waiters);
        }

        static State empty(String tokenId) {
            return new State(tokenId, Status.NEW, null, null, null, null, List.of());
        }

        public boolean exists() {
            return status != Status.NEW;
        }

        public boolean belongsTo(String environmentId) {
            return exists() && spec.environmentId().equals(environmentId);
        }

        /** What a waiting run resumes with: the data, or the timeout error. Only for a final token. */
        public StepResult result() {
            if (status == Status.TIMED_OUT) {
                return StepResult.failure(
                        new RunError(TIMEOUT_ERROR, "Waitpoint timed out at " + spec.timeoutAt(), null));
            }
            return StepResult.success(outputJson);
        }

        boolean timeoutPassed(Instant now) {
            return spec.timeoutAt() != null && !spec.timeoutAt().isAfter(now);
        }

        State created(String id, TokenSpec created, Instant at) {
            return new State(id, Status.WAITING, created, at, null, null, List.of());
        }

        State withWaiter(String runId) {
            List<String> next = new ArrayList<>(waiters);
            next.add(runId);
            return new State(tokenId, status, spec, createdAt, completedAt, outputJson, next);
        }

        State ended(Status end, String output, Instant at) {
            return new State(tokenId, end, spec, createdAt, at, output, waiters);
        }
    }

    // ---------------------------------------------------------------- wiring

    public static void init(ActorSystem<?> system, Clock clock, Waiters waiters) {
        ClusterSharding.get(system)
                .init(Entity.of(ENTITY_TYPE_KEY, context -> create(context.getEntityId(), clock, waiters)));
    }

    public static Behavior<Command> create(String tokenId, Clock clock, Waiters waiters) {
        return Behaviors.withTimers(timers -> new WaitpointTokenEntity(tokenId, timers, clock, waiters));
    }

    public static PersistenceId persistenceId(String tokenId) {
        return PersistenceId.of(ENTITY_TYPE_KEY.name(), tokenId);
    }

    private final String tokenId;
    private final TimerScheduler<Command> timers;
    private final Clock clock;
    private final Waiters waiters;

    private WaitpointTokenEntity(String tokenId, TimerScheduler<Command> timers, Clock clock, Waiters waiters) {
        super(persistenceId(tokenId));
        this.tokenId = tokenId;
        this.timers = timers;
        this.clock = clock;
        this.waiters = waiters;
    }

    @Override
    public State emptyState() {
        return State.empty(tokenId);
    }

    @Override
    public Set<String> tagsFor(Event event) {
        return Set.of(TAG);
    }

    // ---------------------------------------------------------------- command handlers, per state

    @Override
    public CommandHandlerWithReply<Command, Event, State> commandHandler() {
        CommandHandlerWithReplyBuilder<Command, Event, State> builder = newCommandHandlerWithReplyBuilder();

        builder.forState(state -> state.status() == Status.NEW)
                .onCommand(Create.class, this::create)
                .onCommand(Complete.class, (state, cmd) -> Effect().reply(cmd.replyTo(), StatusReply.error(NOT_FOUND)))
                .onCommand(
                        CompleteByCallback.class,
                        (state, cmd) -> Effect().reply(cmd.replyTo(), StatusReply.error(NOT_FOUND)))
                .onCommand(AwaitToken.class, (state, cmd) -> notFound(cmd));

        builder.forState(state -> state.status() == Status.WAITING)
                .onCommand(
                        Complete.class,
                        (state, cmd) -> state.belongsTo(cmd.environmentId())
                                ? complete(cmd.outputJson(), cmd.replyTo())
                                : Effect().reply(cmd.replyTo(), StatusReply.error(NOT_FOUND)))
                .onCommand(
                        CompleteByCallback.class,
                        (state, cmd) -> hashMatches(state, cmd.callbackHash())
                                ? complete(cmd.outputJson(), cmd.replyTo())
                                : Effect().reply(cmd.replyTo(), StatusReply.error(INVALID_CALLBACK)))
                .onCommand(AwaitToken.class, this::addWaiter)
                .onCommand(TimeoutDue.class, (state, cmd) -> timeOutIfDue(state))
                .onCommand(Wake.class, (state, cmd) -> timeOutIfDue(state));

        builder.forState(state -> state.status().isFinal())
                .onCommand(
                        Complete.class,
                        (state, cmd) -> Effect()
                                .reply(
                                        cmd.replyTo(),
                                        state.belongsTo(cmd.environmentId())
                                                ? StatusReply.success(state)
                                                : StatusReply.error(NOT_FOUND)))
                .onCommand(
                        CompleteByCallback.class,
                        (state, cmd) -> Effect()
                                .reply(
                                        cmd.replyTo(),
                                        hashMatches(state, cmd.callbackHash())
                                                ? StatusReply.success(state)
                                                : StatusReply.error(INVALID_CALLBACK)))
                .onCommand(AwaitToken.class, (state, cmd) -> {
                    if (!state.belongsTo(cmd.environmentId())) return notFound(cmd);
                    waiters.tell(cmd.runId(), tokenId, state.result());
                    return Effect().noReply();
                });

        builder.forAnyState()
                .onCommand(Create.class, (state, cmd) -> Effect().reply(cmd.replyTo(), StatusReply.success(state)))
                .onCommand(Get.class, (state, cmd) -> Effect().reply(cmd.replyTo(), state))
                .onCommand(Wake.class, (state, cmd) -> Effect().noReply())
                .onCommand(TimeoutDue.class, (state, cmd) -> Effect().noReply());

        return builder.build();
    }

    private ReplyEffect<Event, State> create(State state, Create cmd) {
        return Effect()
                .persist(new TokenCreated(tokenId, cmd.spec(), clock.instant()))
                .thenRun(this::armTimeout)
                .thenReply(cmd.replyTo(), StatusReply::success);
    }

    private ReplyEffect<Event, State> complete(String outputJson, ActorRef<StatusReply<State>> replyTo) {
        return Effect()
                .persist(new TokenCompleted(outputJson, clock.instant()))
                .thenRun(this::ended)
                .thenReply(replyTo, StatusReply::success);
    }

    private ReplyEffect<Event, State> addWaiter(State state, AwaitToken cmd) {
        if (!state.belongsTo(cmd.environmentId())) return notFound(cmd);
        if (state.waiters().contains(cmd.runId())) return Effect().noReply();
        return Effect().persist(new WaiterAdded(cmd.runId(), clock.instant())).thenNoReply();
    }

    private ReplyEffect<Event, State> timeOutIfDue(State state) {
        if (!state.timeoutPassed(clock.instant())) {
            armTimeout(state);
            return Effect().noReply();
        }
        return Effect()
                .persist(new TokenTimedOut(clock.instant()))
                .thenRun(this::ended)
                .thenNoReply();
    }

    private ReplyEffect<Event, State> notFound(AwaitToken cmd) {
        waiters.tell(
                cmd.runId(),
                tokenId,
                StepResult.failure(new RunError(TOKEN_NOT_FOUND, "Waitpoint token " + tokenId + " not found", null)));
        return Effect().noReply();
    }

    /** Constant time, so the hash cannot be guessed a character at a time. */
    private static boolean hashMatches(State state, String given) {
        return given != null
                && MessageDigest.isEqual(
                        state.spec().callbackHash().getBytes(StandardCharsets.UTF_8),
                        given.getBytes(StandardCharsets.UTF_8));
    }

    // ---------------------------------------------------------------- side effects

    /** The token is final: every waiter learns the outcome. */
    private void ended(State state) {
        timers.cancel(TIMEOUT_TIMER);
        StepResult result = state.result();
        state.waiters().forEach(runId -> waiters.tell(runId, tokenId, result));
    }

    private void armTimeout(State state) {
        if (state.status() != Status.WAITING || state.spec().timeoutAt() == null) return;
        DeadlineTimers.arm(
                timers, TIMEOUT_TIMER, new TimeoutDue(), clock, state.spec().timeoutAt());
    }

    /**
     * After recovery: a waiting token arms its timeout again; a final one tells its waiters again (one may
     * have missed it when the node died right after the persist; a run that no longer waits ignores it).
     */
    private void redrive(State state) {
        if (state.status() == Status.WAITING) armTimeout(state);
        if (state.status().isFinal()) ended(state);
    }

    @Override
    public SignalHandler<State> signalHandler() {
        return newSignalHandlerBuilder()
                .onSignal(RecoveryCompleted.instance(), this::redrive)
                .build();
    }

    // ---------------------------------------------------------------- event handler (pure)

    @Override
    public EventHandler<State, Event> eventHandler() {
        return newEventHandlerBuilder()
                .forAnyState()
                .onEvent(TokenCreated.class, (state, e) -> state.created(e.tokenId(), e.spec(), e.at()))
                .onEvent(WaiterAdded.class, (state, e) -> state.withWaiter(e.runId()))
                .onEvent(TokenCompleted.class, (state, e) -> state.ended(Status.COMPLETED, e.outputJson(), e.at()))
                .onEvent(TokenTimedOut.class, (state, e) -> state.ended(Status.TIMED_OUT, null, e.at()))
                .build();
    }
}
