package dev.baton.engine.bulk;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.ActorContext;
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
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;

/**
 * One bulk action: cancel or replay the runs a filter or a list of ids selects, in the background. It walks the
 * selection in pages; each page's run ids are persisted ({@link PageTaken}, with the cursor of the next page) before
 * any of them is touched, and each run's outcome ({@link RunProcessed}) as it arrives. So after a restart it resumes
 * with the runs of its page that have no outcome yet, then reads on from the recorded cursor: no run is taken twice.
 * Replays get an id derived from the action and the original run, so a replay repeated after a crash finds the run
 * it created. Being idle between messages, an action is driven again after recovery and on {@link Wake} (the bulk
 * action index's sweeper wakes every pending action).
 */
public final class BulkActionEntity
        extends EventSourcedBehaviorWithEnforcedReplies<
                BulkActionEntity.Command, BulkActionEntity.Event, BulkActionEntity.State> {

    public static final EntityTypeKey<Command> ENTITY_TYPE_KEY = EntityTypeKey.create(Command.class, "BulkAction");
    public static final String TAG = "bulk-action";

    static final String NOT_FOUND = "Bulk action not found";

    public enum Type {
        CANCEL,
        REPLAY
    }

    /** {@code NEW}: no action under this id; the others are Trigger.dev's statuses. */
    public enum Status {
        NEW,
        PENDING,
        COMPLETED,
        ABORTED
    }

    /** What the action selects: exactly one of {@code runIds} (in the given order, without repeats) and {@code filter}. */
    public record Selection(List<String> runIds, BulkRunFilter filter) implements CborSerializable {}

    /** What happened to one run. */
    public record Outcome(boolean success, String detail) {}

    /**
     * Cancels or replays one run of an action; never fails (a failure is an unsuccessful outcome). {@code resumedSince}
     * is set for a run an earlier incarnation may have processed without recording it (it was in the page at
     * recovery): a cancel then counts the run as its own when it was canceled since that time.
     */
    @FunctionalInterface
    public interface RunProcessor {
        CompletionStage<Outcome> process(
                Type type, String bulkActionId, String environmentId, String runId, Instant resumedSince);
    }

    // ---------------------------------------------------------------- commands

    public sealed interface Command extends CborSerializable {}

    /** Creates the action (a second Create answers the action as it is). */
    public record Create(
            String environmentId,
            String name,
            Type type,
            Selection selection,
            long total,
            String createdBy,
            ActorRef<State> replyTo)
            implements Command {}

    public record Get(ActorRef<State> replyTo) implements Command {}

    /** Stops a pending action: runs being processed finish and are counted, no further run is taken. */
    public record Abort(String environmentId, ActorRef<StatusReply<State>> replyTo) implements Command {}

    /** From the sweeper: go on with a pending action (its entity may have been passivated or its node lost). */
    public record Wake() implements Command {}

    private record PageRead(String cursor, BulkActionRuns.RunIdPage page, String failure) implements Command {}

    private record RunDone(String runId, Outcome outcome) implements Command {}

    private enum Finish implements Command {
        INSTANCE
    }

    // ---------------------------------------------------------------- events

    public sealed interface Event extends CborSerializable {}

    public record BulkActionCreated(
            String environmentId, String name, Type type, Selection selection, long total, String createdBy, Instant at)
            implements Event {}

    /** The next page's runs, in order; {@code nextCursor} null when this was the last page. */
    public record PageTaken(List<String> runIds, String nextCursor, Instant at) implements Event {}

    /** @param detail the replay's run id, or why the run was not canceled or replayed */
    public record RunProcessed(String runId, boolean success, String detail, Instant at) implements Event {}

    public record BulkActionCompleted(Instant at) implements Event {}

    public record BulkActionAborted(Instant at) implements Event {}

    // ---------------------------------------------------------------- state

    /**
     * @param cursor where the next page starts (null: at the beginning)
     * @param lastPageTaken the page in {@code page} is the selection's last
     * @param page the current page's runs without an outcome yet
     */
    public record State(
            String bulkActionId,
            String environmentId,
            String name,
            Type type,
            Selection selection,
            String createdBy,
            Status status,
            long total,
            long success,
            long failure,
            String cursor,
            boolean lastPageTaken,
            List<String> page,
            Instant createdAt,
            Instant completedAt)
            implements CborSerializable {

        static State empty(String bulkActionId) {
            return new State(
                    bulkActionId,
                    null,
                    null,
                    null,
                    null,
                    null,
                    Status.NEW,
                    0,
                    0,
                    0,
                    null,
                    false,
                    List.of(),
                    null,
                    null);
        }

        public boolean exists() {
            return status != Status.NEW;
        }

        public boolean belongsTo(String environment) {
            return exists() && environmentId.equals(environment);
        }

        State created(BulkActionCreated e) {
            return new State(
                    bulkActionId,
                    e.environmentId(),
                    e.name(),
                    e.type(),
                    e.selection(),
                    e.createdBy(),
                    Status.PENDING,
                    e.total(),
                    0,
                    0,
                    null,
                    false,
                    List.of(),
                    e.at(),
                    null);
        }

        State pageTaken(PageTaken e) {
            return new State(
                    bulkActionId,
                    environmentId,
                    name,
                    type,
                    selection,
                    createdBy,
                    status,
                    total,
                    success,
                    failure,
                    e.nextCursor(),
                    e.nextCursor() == null,
                    List.copyOf(e.runIds()),
                    createdAt,
                    completedAt);
        }

        State processed(RunProcessed e) {
            List<String> rest = new ArrayList<>(page);
            rest.remove(e.runId());
            return new State(
                    bulkActionId,
                    environmentId,
                    name,
                    type,
                    selection,
                    createdBy,
                    status,
                    total,
                    success + (e.success() ? 1 : 0),
                    failure + (e.success() ? 0 : 1),
                    cursor,
                    lastPageTaken,
                    List.copyOf(rest),
                    createdAt,
                    completedAt);
        }

        /**
         * Completed: the total becomes what was processed (runs may have come or gone since the count). Aborted: as in
         * Trigger.dev, the action has no completion time.
         */
        State ended(Status ending, Instant at) {
            boolean completed = ending == Status.COMPLETED;
            return new State(
                    bulkActionId,
                    environmentId,
                    name,
                    type,
                    selection,
                    createdBy,
                    ending,
                    completed ? success + failure : total,
                    success,
                    failure,
                    cursor,
                    lastPageTaken,
                    page,
                    createdAt,
                    completed ? at : null);
        }
    }

    // ---------------------------------------------------------------- wiring

    public static void init(
            ActorSystem<?> system,
            Clock clock,
            BulkActionSettings settings,
            BulkActionRuns runs,
            RunProcessor processor) {
        ClusterSharding.get(system)
                .init(Entity.of(
                        ENTITY_TYPE_KEY,
                        entityContext -> create(entityContext.getEntityId(), clock, settings, runs, processor)));
    }

    public static Behavior<Command> create(
            String bulkActionId,
            Clock clock,
            BulkActionSettings settings,
            BulkActionRuns runs,
            RunProcessor processor) {
        return Behaviors.withMdc(
                Command.class,
                Map.of("bulkAction", bulkActionId),
                Behaviors.setup(context -> Behaviors.withTimers(timers ->
                        new BulkActionEntity(bulkActionId, context, timers, clock, settings, runs, processor))));
    }

    public static PersistenceId persistenceId(String bulkActionId) {
        return PersistenceId.of(ENTITY_TYPE_KEY.name(), bulkActionId);
    }

    private final String bulkActionId;
    private final ActorContext<Command> context;
    private final TimerScheduler<Command> timers;
    private final Clock clock;
    private final BulkActionSettings settings;
    private final BulkActionRuns runs;
    private final RunProcessor processor;
    /** Runs being canceled or replayed by this incarnation; after a restart the page's rest is taken again. */
    private final Set<String> inFlight = new HashSet<>();
    /** A page read is on its way. */
    private boolean reading;
    /** The runs of the page at recovery: an earlier incarnation may have processed them without recording it. */
    private final Set<String> resumed = new HashSet<>();

    private BulkActionEntity(
            String bulkActionId,
            ActorContext<Command> context,
            TimerScheduler<Command> timers,
            Clock clock,
            BulkActionSettings settings,
            BulkActionRuns runs,
            RunProcessor processor) {
        super(persistenceId(bulkActionId));
        this.bulkActionId = bulkActionId;
        this.context = context;
        this.timers = timers;
        this.clock = clock;
        this.settings = settings;
        this.runs = runs;
        this.processor = processor;
    }

    @Override
    public State emptyState() {
        return State.empty(bulkActionId);
    }

    @Override
    public Set<String> tagsFor(Event event) {
        return Set.of(TAG);
    }

    // ---------------------------------------------------------------- command handlers, per state

    @Override
    public CommandHandlerWithReply<Command, Event, State> commandHandler() {
        CommandHandlerWithReplyBuilder<Command, Event, State> builder = newCommandHandlerWithReplyBuilder();

        builder.forState(state -> !state.exists())
                .onCommand(Create.class, this::create)
                .onCommand(Abort.class, (state, cmd) -> Effect().reply(cmd.replyTo(), StatusReply.error(NOT_FOUND)));

        builder.forState(state -> state.status() == Status.PENDING)
                .onCommand(Abort.class, this::abort)
                .onCommand(PageRead.class, this::pageRead)
                .onCommand(Finish.class, this::finish)
                .onCommand(
                        Wake.class,
                        (state, cmd) -> Effect().none().thenRun(this::drive).thenNoReply());

        builder.forState(state -> state.status() == Status.COMPLETED || state.status() == Status.ABORTED)
                .onCommand(
                        Abort.class,
                        (state, cmd) -> Effect()
                                .reply(
                                        cmd.replyTo(),
                                        StatusReply.error(
                                                state.belongsTo(cmd.environmentId())
                                                        ? "Bulk action already "
                                                                + state.status()
                                                                        .name()
                                                                        .toLowerCase()
                                                        : NOT_FOUND)));

        builder.forAnyState()
                .onCommand(Create.class, (state, cmd) -> Effect().reply(cmd.replyTo(), state))
                .onCommand(Get.class, (state, cmd) -> Effect().reply(cmd.replyTo(), state))
                .onCommand(RunDone.class, this::runDone)
                .onCommand(Wake.class, (state, cmd) -> Effect().noReply())
                .onCommand(PageRead.class, (state, cmd) -> Effect().noReply())
                .onCommand(Finish.class, (state, cmd) -> Effect().noReply());
        return builder.build();
    }

    private ReplyEffect<Event, State> create(State state, Create cmd) {
        return Effect()
                .persist(new BulkActionCreated(
                        cmd.environmentId(),
                        cmd.name(),
                        cmd.type(),
                        cmd.selection(),
                        cmd.total(),
                        cmd.createdBy(),
                        clock.instant()))
                .thenRun(this::drive)
                .thenReply(cmd.replyTo(), created -> created);
    }

    private ReplyEffect<Event, State> abort(State state, Abort cmd) {
        if (!state.belongsTo(cmd.environmentId())) return Effect().reply(cmd.replyTo(), StatusReply.error(NOT_FOUND));
        return Effect().persist(new BulkActionAborted(clock.instant())).thenReply(cmd.replyTo(), StatusReply::success);
    }

    private ReplyEffect<Event, State> pageRead(State state, PageRead cmd) {
        reading = false;
        boolean current = state.page().isEmpty() && !state.lastPageTaken() && sameCursor(cmd.cursor(), state.cursor());
        if (!current) return Effect().none().thenRun(this::drive).thenNoReply();
        if (cmd.failure() != null) {
            context.getLog()
                    .warn(
                            "Reading the runs of bulk action {} failed, retried in {}: {}",
                            bulkActionId,
                            settings.readRetry(),
                            cmd.failure());
            timers.startSingleTimer(new Wake(), settings.readRetry());
            return Effect().noReply();
        }
        return Effect()
                .persist(new PageTaken(cmd.page().runIds(), cmd.page().next(), clock.instant()))
                .thenRun(this::drive)
                .thenNoReply();
    }

    private ReplyEffect<Event, State> runDone(State state, RunDone cmd) {
        if (!state.page().contains(cmd.runId())) {
            inFlight.remove(cmd.runId());
            return Effect().noReply();
        }
        return Effect()
                .persist(new RunProcessed(
                        cmd.runId(), cmd.outcome().success(), cmd.outcome().detail(), clock.instant()))
                .thenRun(processed -> {
                    inFlight.remove(cmd.runId());
                    drive(processed);
                })
                .thenNoReply();
    }

    private ReplyEffect<Event, State> finish(State state, Finish cmd) {
        if (!state.page().isEmpty() || !state.lastPageTaken() || !inFlight.isEmpty())
            return Effect().noReply();
        return Effect().persist(new BulkActionCompleted(clock.instant())).thenNoReply();
    }

    private static boolean sameCursor(String a, String b) {
        return a == null ? b == null : a.equals(b);
    }

    // ---------------------------------------------------------------- driving (side effects, after persist)

    /** Starts the page's runs up to the concurrency, or reads the next page, or finishes the action. */
    private void drive(State state) {
        if (state.status() != Status.PENDING) return;
        if (!state.page().isEmpty()) {
            for (String runId : state.page()) {
                if (inFlight.size() >= settings.concurrency()) break;
                if (inFlight.add(runId)) start(state, runId);
            }
            return;
        }
        if (!inFlight.isEmpty()) return;
        if (state.lastPageTaken()) {
            context.getSelf().tell(Finish.INSTANCE);
        } else if (!reading) {
            reading = true;
            readPage(state);
        }
    }

    private void start(State state, String runId) {
        CompletionStage<Outcome> outcome;
        try {
            outcome = processor.process(
                    state.type(),
                    bulkActionId,
                    state.environmentId(),
                    runId,
                    resumed.contains(runId) ? state.createdAt() : null);
        } catch (RuntimeException e) {
            outcome = java.util.concurrent.CompletableFuture.completedFuture(new Outcome(false, e.getMessage()));
        }
        context.pipeToSelf(
                outcome,
                (done, failure) -> new RunDone(
                        runId, failure != null ? new Outcome(false, String.valueOf(failure.getMessage())) : done));
    }

    private void readPage(State state) {
        String cursor = state.cursor();
        Selection selection = state.selection();
        if (selection.runIds() != null) {
            int from = cursor == null ? 0 : Integer.parseInt(cursor);
            int to = Math.min(selection.runIds().size(), from + settings.pageSize());
            String next = to < selection.runIds().size() ? Integer.toString(to) : null;
            context.getSelf()
                    .tell(new PageRead(
                            cursor,
                            new BulkActionRuns.RunIdPage(selection.runIds().subList(from, to), next),
                            null));
            return;
        }
        CompletionStage<BulkActionRuns.RunIdPage> page;
        try {
            page = runs.page(state.environmentId(), selection.filter(), cursor, settings.pageSize());
        } catch (RuntimeException e) {
            page = java.util.concurrent.CompletableFuture.failedFuture(e);
        }
        context.pipeToSelf(
                page,
                (read, failure) ->
                        new PageRead(cursor, read, failure == null ? null : String.valueOf(failure.getMessage())));
    }

    @Override
    public SignalHandler<State> signalHandler() {
        return newSignalHandlerBuilder()
                .onSignal(RecoveryCompleted.instance(), state -> {
                    resumed.addAll(state.page());
                    drive(state);
                })
                .build();
    }

    // ---------------------------------------------------------------- event handler (pure)

    @Override
    public EventHandler<State, Event> eventHandler() {
        return newEventHandlerBuilder().forAnyState().onAnyEvent(BulkActionEntity::apply);
    }

    public static State apply(State state, Event event) {
        if (event instanceof BulkActionCreated e) return state.created(e);
        if (event instanceof PageTaken e) return state.pageTaken(e);
        if (event instanceof RunProcessed e) return state.processed(e);
        if (event instanceof BulkActionCompleted e) return state.ended(Status.COMPLETED, e.at());
        if (event instanceof BulkActionAborted e) return state.ended(Status.ABORTED, e.at());
        throw new IllegalArgumentException("unknown bulk action event " + event);
    }
}
