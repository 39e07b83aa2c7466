package dev.baton.engine.batch;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
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
import dev.baton.engine.run.TriggerRequest;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.ToIntFunction;

/**
 * One batch trigger: how many items it has, and what became of each item so far. Items are
 * recorded by index, each once: an index already recorded is deduplicated, so a resent item stream
 * changes nothing. An item is recorded only after its run exists (or its run was refused), by
 * {@link BatchService}, many items per event. Once all {@code runCount} items are recorded the batch
 * is sealed and COMPLETED (PARTIAL_FAILED when some items got no run).
 *
 * <p>A batch a run waits for ({@code batchTriggerAndWait} from a trigger.dev task) names the parent and the key of
 * its wait. Its items are held ({@link HoldItems}), each index once, until all are in; then the parent suspends for
 * them, its wait triggers them as it does the Java SDK's child runs, and the items are recorded with those runs. A
 * batch recovered with every item held but not recorded (a crash between the two) drives the parent's wait again:
 * that step is idempotent ({@link BatchService#resumeParent}).
 */
public final class BatchEntity
        extends EventSourcedBehaviorWithEnforcedReplies<BatchEntity.Command, BatchEntity.Event, BatchState> {

    public static final EntityTypeKey<Command> ENTITY_TYPE_KEY = EntityTypeKey.create(Command.class, "Batch");

    /** The journal tag of every batch event: the batch index projection reads by it. */
    public static final String TAG = "batch";

    public static final String UNKNOWN_BATCH = "unknown batch";
    public static final String INDEX_OUT_OF_RANGE = "item index out of range";

    // ---------------------------------------------------------------- commands

    public sealed interface Command extends CborSerializable {}

    /**
     * Create the batch. Idempotent: a batch that exists answers with its current state.
     *
     * @param parentRunId the run that waits for the batch, or null
     * @param parentWaitKey the key of that run's wait, or null
     */
    public record Create(
            String environmentId,
            int runCount,
            String idempotencyKey,
            String parentRunId,
            String parentWaitKey,
            ActorRef<StatusReply<BatchState>> replyTo)
            implements Command {

        public Create(
                String environmentId, int runCount, String idempotencyKey, ActorRef<StatusReply<BatchState>> replyTo) {
            this(environmentId, runCount, idempotencyKey, null, null, replyTo);
        }
    }

    /** Current state; {@link BatchStatus#NEW} when no batch exists under this id. */
    public record Get(ActorRef<BatchState> replyTo) implements Command {}

    /** Record what became of these items; indices already recorded are deduplicated. */
    public record RecordItems(List<RecordedItem> items, ActorRef<StatusReply<Recorded>> replyTo) implements Command {}

    /**
     * Note that runs of these items are about to be created. Answers the indices no one began before (neither started
     * nor recorded): their runs cannot exist yet, so they may be created without asking the journal whether they do
     * ({@link BatchService}). Persisted before the answer, so a crash or a concurrent call never gets the same index
     * again.
     */
    public record StartItems(List<Integer> indices, ActorRef<StatusReply<Started>> replyTo) implements Command {}

    /** Answer to {@link StartItems}: the indices started for the first time by it. */
    public record Started(List<Integer> firstTime) implements CborSerializable {}

    /** Hold items of a parent's batch until all are in; indices already held or recorded are deduplicated. */
    public record HoldItems(List<HeldItem> items, ActorRef<StatusReply<Recorded>> replyTo) implements Command {}

    /**
     * Answer to {@link RecordItems} and {@link HoldItems}.
     *
     * @param recorded how many of the items were recorded now
     * @param deduplicated how many had been recorded before
     */
    public record Recorded(int recorded, int deduplicated, BatchState batch) implements CborSerializable {}

    // ---------------------------------------------------------------- events (a contract: never rename)

    public sealed interface Event extends CborSerializable {}

    /** Batches created before parents could wait for them read with a null parent. */
    public record BatchCreated(
            String batchId,
            String environmentId,
            int runCount,
            String idempotencyKey,
            Instant at,
            String parentRunId,
            String parentWaitKey)
            implements Event {

        public BatchCreated(String batchId, String environmentId, int runCount, String idempotencyKey, Instant at) {
            this(batchId, environmentId, runCount, idempotencyKey, at, null, null);
        }
    }

    public record ItemsRecorded(List<RecordedItem> items, Instant at) implements Event {}

    /** Runs of these items were about to be created (they may or may not exist now). */
    public record ItemsStarted(List<Integer> indices, Instant at) implements Event {}

    /** Items of a parent's batch, held until the parent waits for them. */
    public record ItemsHeld(List<HeldItem> items, Instant at) implements Event {}

    /** One item of a parent's batch: the run its wait will trigger for it. */
    public record HeldItem(int index, TriggerRequest request) implements CborSerializable {}

    /**
     * What became of one item: its run ({@code runId}), or why it has none ({@code error}).
     *
     * @param runId the item's run, or null when it could not be created
     * @param error why the item has no run, or null
     */
    public record RecordedItem(int index, String taskIdentifier, String runId, String error)
            implements CborSerializable {

        public static RecordedItem created(int index, String taskIdentifier, String runId) {
            return new RecordedItem(index, taskIdentifier, runId, null);
        }

        public static RecordedItem failed(int index, String taskIdentifier, String error) {
            return new RecordedItem(index, taskIdentifier, null, error);
        }
    }

    // ---------------------------------------------------------------- wiring

    /** @param resumeParent makes a parent wait for its batch, whose items are all held; safe to repeat */
    public static void init(ActorSystem<?> system, Clock clock, Consumer<BatchState> resumeParent) {
        ClusterSharding.get(system)
                .init(Entity.of(
                        ENTITY_TYPE_KEY,
                        entityContext -> new BatchEntity(entityContext.getEntityId(), clock, resumeParent)));
    }

    public static PersistenceId persistenceId(String batchId) {
        return PersistenceId.of(ENTITY_TYPE_KEY.name(), batchId);
    }

    private final String batchId;
    private final Clock clock;
    private final Consumer<BatchState> resumeParent;

    public BatchEntity(String batchId, Clock clock, Consumer<BatchState> resumeParent) {
        super(persistenceId(batchId));
        this.batchId = batchId;
        this.clock = clock;
        this.resumeParent = resumeParent;
    }

    @Override
    public BatchState emptyState() {
        return BatchState.empty(batchId);
    }

    // Batches written before their events were tagged are not in the batch index (GET /api/v1/batches).
    @Override
    public Set<String> tagsFor(Event event) {
        return Set.of(TAG);
    }

    // ---------------------------------------------------------------- command handlers, per state

    @Override
    public CommandHandlerWithReply<Command, Event, BatchState> commandHandler() {
        CommandHandlerWithReplyBuilder<Command, Event, BatchState> builder = newCommandHandlerWithReplyBuilder();

        builder.forState(state -> !state.exists())
                .onCommand(Create.class, this::create)
                .onCommand(
                        RecordItems.class,
                        (state, cmd) -> Effect().reply(cmd.replyTo(), StatusReply.error(UNKNOWN_BATCH)))
                .onCommand(
                        HoldItems.class,
                        (state, cmd) -> Effect().reply(cmd.replyTo(), StatusReply.error(UNKNOWN_BATCH)))
                .onCommand(
                        StartItems.class,
                        (state, cmd) -> Effect().reply(cmd.replyTo(), StatusReply.error(UNKNOWN_BATCH)));

        builder.forState(BatchState::exists)
                .onCommand(Create.class, (state, cmd) -> Effect().reply(cmd.replyTo(), StatusReply.success(state)))
                .onCommand(RecordItems.class, this::record)
                .onCommand(StartItems.class, this::start)
                .onCommand(HoldItems.class, this::hold);

        builder.forAnyState().onCommand(Get.class, (state, cmd) -> Effect().reply(cmd.replyTo(), state));

        return builder.build();
    }

    private ReplyEffect<Event, BatchState> create(BatchState state, Create cmd) {
        if (cmd.runCount() < 1) {
            return Effect().reply(cmd.replyTo(), StatusReply.error("runCount must be at least 1"));
        }
        return Effect()
                .persist(new BatchCreated(
                        batchId,
                        cmd.environmentId(),
                        cmd.runCount(),
                        cmd.idempotencyKey(),
                        clock.instant(),
                        cmd.parentRunId(),
                        cmd.parentWaitKey()))
                .thenReply(cmd.replyTo(), StatusReply::success);
    }

    private ReplyEffect<Event, BatchState> record(BatchState state, RecordItems cmd) {
        return storeOnce(
                state,
                cmd.items(),
                RecordedItem::index,
                state.recordedIndices(),
                fresh -> new ItemsRecorded(fresh, clock.instant()),
                cmd.replyTo());
    }

    private ReplyEffect<Event, BatchState> start(BatchState state, StartItems cmd) {
        Set<Integer> begun = state.recordedIndices();
        begun.addAll(state.started());
        List<Integer> firstTime = new ArrayList<>();
        for (int index : cmd.indices()) {
            if (index >= 0 && index < state.runCount() && begun.add(index)) firstTime.add(index);
        }
        if (firstTime.isEmpty()) return Effect().reply(cmd.replyTo(), StatusReply.success(new Started(List.of())));
        return Effect()
                .persist(new ItemsStarted(firstTime, clock.instant()))
                .thenReply(cmd.replyTo(), after -> StatusReply.success(new Started(firstTime)));
    }

    private ReplyEffect<Event, BatchState> hold(BatchState state, HoldItems cmd) {
        if (!state.resumesParent()) {
            return Effect()
                    .reply(cmd.replyTo(), StatusReply.error("batch " + batchId + " has no parent to hold items for"));
        }
        return storeOnce(
                state,
                cmd.items(),
                HeldItem::index,
                state.receivedIndices(),
                fresh -> new ItemsHeld(fresh, clock.instant()),
                cmd.replyTo());
    }

    /** Persists the items whose index {@code seen} does not hold yet (a resent stream is deduplicated by index). */
    private <T> ReplyEffect<Event, BatchState> storeOnce(
            BatchState state,
            List<T> items,
            ToIntFunction<T> index,
            Set<Integer> seen,
            Function<List<T>, Event> event,
            ActorRef<StatusReply<Recorded>> replyTo) {
        List<T> fresh = new ArrayList<>();
        for (T item : items) {
            int i = index.applyAsInt(item);
            if (i < 0 || i >= state.runCount()) {
                return Effect()
                        .reply(
                                replyTo,
                                StatusReply.error(INDEX_OUT_OF_RANGE + ": " + i + " (the batch has " + state.runCount()
                                        + " items)"));
            }
            if (seen.add(i)) fresh.add(item);
        }
        int deduplicated = items.size() - fresh.size();
        if (fresh.isEmpty()) return Effect().reply(replyTo, StatusReply.success(new Recorded(0, deduplicated, state)));
        return Effect()
                .persist(event.apply(fresh))
                .thenReply(replyTo, after -> StatusReply.success(new Recorded(fresh.size(), deduplicated, after)));
    }

    // ---------------------------------------------------------------- recovery

    /** A crash may have come between the last item held and the parent's wait: drive it again. */
    @Override
    public SignalHandler<BatchState> signalHandler() {
        return newSignalHandlerBuilder()
                .onSignal(RecoveryCompleted.instance(), state -> {
                    if (state.awaitsParent()) resumeParent.accept(state);
                })
                .build();
    }

    // ---------------------------------------------------------------- event handler (pure)

    @Override
    public EventHandler<BatchState, Event> eventHandler() {
        return newEventHandlerBuilder()
                .forAnyState()
                .onEvent(BatchCreated.class, BatchState::created)
                .onEvent(ItemsRecorded.class, BatchState::recorded)
                .onEvent(ItemsHeld.class, BatchState::withHeld)
                .onEvent(ItemsStarted.class, BatchState::withStarted)
                .build();
    }
}
