package dev.baton.engine.batch;

import akka.actor.typed.ActorSystem;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import akka.cluster.sharding.typed.javadsl.EntityRef;
import akka.pattern.StatusReply;
import akka.stream.javadsl.Sink;
import akka.stream.javadsl.Source;
import dev.baton.engine.batch.BatchEntity.HeldItem;
import dev.baton.engine.batch.BatchEntity.RecordedItem;
import dev.baton.engine.common.Failures;
import dev.baton.engine.common.Ids;
import dev.baton.engine.idempotency.IdempotencyKeyEntity;
import dev.baton.engine.idempotency.IdempotencyKeyEntity.Claimed;
import dev.baton.engine.idempotency.IdempotencyKeyEntity.Kind;
import dev.baton.engine.run.RunLineage;
import dev.baton.engine.run.RunRejectedException;
import dev.baton.engine.run.RunService;
import dev.baton.engine.run.RunState;
import dev.baton.engine.run.TaskNotFoundException;
import dev.baton.engine.run.TriggerRequest;
import dev.baton.engine.run.Wait;
import dev.baton.engine.storage.StoreAvailability;
import dev.baton.engine.storage.StoreUnavailableException;
import dev.baton.engine.storage.WriteOutcomeUnknownException;
import dev.baton.engine.task.TaskDefinition;
import dev.baton.engine.worker.WorkerChannel;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine's API for batch triggers, used by the HTTP API. A batch is created with its item count
 * (optionally under an idempotency key: the same key gives the same batch), then its items are added,
 * in one call or several, each item at most once by index. An item's run is created under an id
 * derived from the batch id and the index, so creating it again reaches the same run; the batch
 * records the item only after its run exists, and a resent item is answered as deduplicated without
 * touching its run.
 *
 * <p>A batch a run waits for ({@code batchTriggerAndWait} from a trigger.dev task, {@link #createForParent}) is
 * created under the id the parent's next wait derives ({@link RunService#batchIdOf}); its items are held by the batch
 * until all are in, then the parent suspends for them and its wait triggers them ({@link #resumeParent}).
 */
public final class BatchService {

    private static final Logger log = LoggerFactory.getLogger(BatchService.class);

    /** Batch keys live beside run keys in {@link IdempotencyKeyEntity}, under a scope no task id can have. */
    static final String KEY_SCOPE = "#batch";

    private static final int MAX_ERROR_TASK_LENGTH = 200;

    /** @param cached true when the idempotency key returned an existing batch */
    public record Created(BatchState batch, boolean cached) {}

    /** One item to add: its index in the batch and the run to create for it. */
    public record Item(int index, TriggerRequest request) {}

    /**
     * What adding items did.
     *
     * @param accepted items recorded by this call (with their run, or with an error)
     * @param deduplicated items recorded before (by an earlier or a concurrent call); nothing was done for them
     * @param unavailable items whose run could not be confirmed now (the engine did not answer in time, or the
     *     database went down meanwhile); their runs may exist. They are not recorded, so sending them again retries
     *     them, reaching the same runs
     */
    public record ItemsAdded(BatchState batch, int accepted, int deduplicated, int unavailable) {}

    private final ActorSystem<?> system;
    private final ClusterSharding sharding;
    private final RunService runs;
    private final Clock clock;
    private final Duration askTimeout;
    private final BatchSettings settings;
    private final StoreAvailability store;

    public BatchService(
            ActorSystem<?> system, RunService runs, Clock clock, Duration askTimeout, BatchSettings settings) {
        this.system = system;
        this.sharding = ClusterSharding.get(system);
        this.runs = runs;
        this.clock = clock;
        this.askTimeout = askTimeout;
        this.settings = settings;
        this.store = StoreAvailability.get(system);
    }

    public int maxRunCount() {
        return settings.maxRunCount();
    }

    /** The run id of the batch's item {@code index}: the same every time. */
    public static String itemRunId(String batchId, int index) {
        return Ids.derived("run", batchId + "/" + index);
    }

    // ---------------------------------------------------------------- creating a batch

    /**
     * Creates a batch of {@code runCount} items (1 to {@link #maxRunCount()}). With an idempotency key,
     * every create with the key gets the same batch (cached) until the key expires; a request key makes a
     * retried request return its first answer. Completes once the batch is persisted.
     */
    public CompletionStage<Created> create(
            String environmentId, int runCount, String idempotencyKey, String requestKey) {
        if (runCount < 1 || runCount > settings.maxRunCount()) {
            throw new IllegalArgumentException("runCount must be between 1 and " + settings.maxRunCount());
        }
        StoreUnavailableException refusal = store.refusal();
        if (refusal != null) return CompletableFuture.failedFuture(refusal);
        String candidate = Ids.newId("batch");
        if (requestKey == null) return createWithKey(environmentId, runCount, idempotencyKey, candidate);
        Instant requestKeyExpiry = clock.instant().plus(settings.requestKeyTtl());
        return claim(environmentId, Kind.REQUEST, requestKey, candidate, null, requestKeyExpiry)
                .thenCompose(claimed -> !claimed.isNew()
                        // A retried request answers like the first one; creating the claimed id finishes a create cut
                        // short.
                        ? createBatch(claimed.runId(), environmentId, runCount, idempotencyKey)
                                .thenApply(batch -> new Created(batch, false))
                        : createWithKey(environmentId, runCount, idempotencyKey, candidate)
                                .thenCompose(
                                        created -> created.batch().batchId().equals(candidate)
                                                ? CompletableFuture.completedFuture(created)
                                                : claim(
                                                                environmentId,
                                                                Kind.REQUEST,
                                                                requestKey,
                                                                created.batch().batchId(),
                                                                candidate,
                                                                requestKeyExpiry)
                                                        .thenApply(remembered -> created)));
    }

    private CompletionStage<Created> createWithKey(
            String environmentId, int runCount, String idempotencyKey, String candidate) {
        if (idempotencyKey == null) {
            return createBatch(candidate, environmentId, runCount, null).thenApply(batch -> new Created(batch, false));
        }
        return claim(
                        environmentId,
                        Kind.RUN,
                        idempotencyKey,
                        candidate,
                        null,
                        clock.instant().plus(settings.keyTtl()))
                .thenCompose(claimed -> createBatch(claimed.runId(), environmentId, runCount, idempotencyKey)
                        .thenApply(batch -> new Created(batch, !claimed.isNew())));
    }

    /**
     * Creates the batch {@code parentRunId} will wait for ({@code batchTriggerAndWait} from a trigger.dev task):
     * its id is the one the parent's next wait derives, so a create sent again finds the same batch and the task
     * process matches the completed waitpoints to it. Fails with {@link RunRejectedException} when the run is
     * unknown or cannot wait (it executes no attempt, or not in a trigger.dev CLI). Completes once persisted.
     */
    public CompletionStage<BatchState> createForParent(String environmentId, String parentRunId, int runCount) {
        if (runCount < 1 || runCount > settings.maxRunCount()) {
            throw new IllegalArgumentException("runCount must be between 1 and " + settings.maxRunCount());
        }
        StoreUnavailableException refusal = store.refusal();
        if (refusal != null) return CompletableFuture.failedFuture(refusal);
        return runs.get(environmentId, parentRunId).thenCompose(found -> {
            if (found.isEmpty())
                throw new RunRejectedException(
                        RunRejectedException.Reason.UNKNOWN_RUN, "Run " + parentRunId + " not found");
            RunState parent = found.get();
            if (!parent.isRunning() || parent.currentAttempt() == null)
                throw new RunRejectedException(
                        RunRejectedException.Reason.INVALID,
                        "parentRunId " + parentRunId + " is " + parent.status()
                                + ": only an executing run can wait for a batch");
            if (!WorkerChannel.keepsProcessAcrossWaits(parent.currentAttempt().sessionId()))
                throw new RunRejectedException(
                        RunRejectedException.Reason.INVALID,
                        "Run " + parentRunId + " is not executed by a trigger.dev CLI: its worker waits for its own"
                                + " children (parentRunId with resumeParentOnCompletion)");
            String key = Wait.positionalKey(parent);
            String batchId = RunService.batchIdOf(parentRunId, key);
            return store.endedByOutage(
                            batch(batchId)
                                    .<StatusReply<BatchState>>ask(
                                            replyTo -> new BatchEntity.Create(
                                                    environmentId, runCount, null, parentRunId, key, replyTo),
                                            askTimeout),
                            store::unavailable)
                    .thenApply(reply -> {
                        if (reply.isError())
                            throw new IllegalArgumentException(reply.getError().getMessage());
                        return reply.getValue();
                    });
        });
    }

    private CompletionStage<Claimed> claim(
            String environmentId, Kind kind, String key, String candidate, String replacing, Instant expiresAt) {
        String entityId = IdempotencyKeyEntity.entityId(environmentId, KEY_SCOPE, kind, key);
        return store.endedByOutage(
                sharding.entityRefFor(IdempotencyKeyEntity.ENTITY_TYPE_KEY, entityId)
                        .ask(
                                replyTo -> new IdempotencyKeyEntity.Claim(candidate, replacing, expiresAt, replyTo),
                                askTimeout),
                store::unavailable);
    }

    private CompletionStage<BatchState> createBatch(
            String batchId, String environmentId, int runCount, String idempotencyKey) {
        // A batch holds no run until its items are added: ended by an outage, nothing the caller answers for is stored.
        return store.endedByOutage(
                        batch(batchId)
                                .<StatusReply<BatchState>>ask(
                                        replyTo -> new BatchEntity.Create(
                                                environmentId, runCount, idempotencyKey, replyTo),
                                        askTimeout),
                        store::unavailable)
                .thenApply(reply -> {
                    if (reply.isError())
                        throw new IllegalArgumentException(reply.getError().getMessage());
                    return reply.getValue();
                });
    }

    // ---------------------------------------------------------------- reading

    /** The batch, if it exists in this environment (a batch of another environment is as absent as an unknown id). */
    public CompletionStage<Optional<BatchState>> get(String environmentId, String batchId) {
        if (!looksLikeBatchId(batchId)) return CompletableFuture.completedFuture(Optional.empty());
        return store.endedByOutage(batch(batchId).<BatchState>ask(BatchEntity.Get::new, askTimeout), store::unavailable)
                .thenApply(state -> state.belongsTo(environmentId) ? Optional.of(state) : Optional.empty());
    }

    // ---------------------------------------------------------------- adding items

    /**
     * Adds items to the batch: creates the run of every item not recorded yet (at most
     * {@code create-parallelism} at once) and records them, many per event, once their runs exist. An item
     * whose task is unknown is recorded with its error. Empty when there is no such batch in the
     * environment. Every index must be below the batch's {@code runCount} (checked by the caller first).
     */
    public CompletionStage<Optional<ItemsAdded>> addItems(String environmentId, String batchId, List<Item> items) {
        // Refused before any item's run is created: the answer can then promise that none was.
        StoreUnavailableException refusal = store.refusal();
        if (refusal != null) return CompletableFuture.failedFuture(refusal);
        return get(environmentId, batchId)
                .thenCompose(found -> found.isEmpty()
                        ? CompletableFuture.completedFuture(Optional.empty())
                        : addItems(found.get(), items).thenApply(Optional::of));
    }

    /**
     * The old single-call batch ({@code POST /api/v2/tasks/batch}, {@code /api/v1/tasks/batch}): creates the
     * batch and adds {@code requests} as its items 0…n-1. A cached batch (idempotency key) is returned as it
     * is, its items untouched.
     */
    public CompletionStage<Created> createWithItems(
            String environmentId, List<TriggerRequest> requests, String idempotencyKey, String requestKey) {
        return create(environmentId, requests.size(), idempotencyKey, requestKey)
                .thenCompose(created -> {
                    if (created.cached()) return CompletableFuture.completedFuture(created);
                    List<Item> items = new ArrayList<>();
                    for (int i = 0;
                            i < Math.min(requests.size(), created.batch().runCount());
                            i++) {
                        items.add(new Item(i, requests.get(i)));
                    }
                    return addItems(created.batch(), items).thenApply(added -> {
                        if (added.unavailable() > 0) {
                            throw new CompletionException(new WriteOutcomeUnknownException(
                                    added.unavailable() + " runs of batch "
                                            + added.batch().batchId(),
                                    new TimeoutException("the engine did not answer in time")));
                        }
                        return new Created(added.batch(), false);
                    });
                });
    }

    private CompletionStage<ItemsAdded> addItems(BatchState batch, List<Item> items) {
        if (batch.resumesParent()) return holdItems(batch, items);
        Set<Integer> seen = new HashSet<>(batch.recordedIndices());
        List<Item> fresh = new ArrayList<>();
        for (Item item : items) {
            if (item.index() < 0 || item.index() >= batch.runCount()) {
                throw new IllegalArgumentException(
                        "item index " + item.index() + " is not below runCount " + batch.runCount());
            }
            if (seen.add(item.index())) fresh.add(item);
        }
        ItemsAdded start = new ItemsAdded(batch, 0, items.size() - fresh.size(), 0);
        if (fresh.isEmpty()) return CompletableFuture.completedFuture(start);
        String batchId = batch.batchId();
        return startItems(batchId, fresh)
                .thenCompose(firstTime -> Source.from(fresh)
                        .mapAsyncUnordered(
                                settings.createParallelism(),
                                item -> createRun(
                                        batch.environmentId(), batchId, item, firstTime.contains(item.index())))
                        .grouped(settings.recordChunkSize())
                        .mapAsync(1, outcomes -> record(batchId, outcomes))
                        .runWith(Sink.fold(start, BatchService::sum), system))
                .handle((added, failure) -> {
                    // Item runs may exist by now: a failure (recording them, most likely) must not read as "nothing
                    // stored".
                    if (failure == null) return added;
                    throw new WriteOutcomeUnknownException("runs of batch " + batchId, Failures.cause(failure));
                });
    }

    /**
     * The indices of {@code items} whose runs nobody began to create before: the batch notes them first, so no later
     * call (a retry after a crash or a timeout, a concurrent duplicate) gets them again, and their runs are created
     * without asking the journal whether they exist. Without an answer, none is: creating a run that way only
     * costs that query.
     */
    private CompletionStage<Set<Integer>> startItems(String batchId, List<Item> items) {
        List<Integer> indices = items.stream()
                .filter(item -> hasPossibleTaskId(item.request()))
                .map(Item::index)
                .toList();
        if (indices.isEmpty()) return CompletableFuture.completedFuture(Set.of());
        return store.endedByOutage(
                        batch(batchId)
                                .<StatusReply<BatchEntity.Started>>ask(
                                        replyTo -> new BatchEntity.StartItems(indices, replyTo), askTimeout),
                        store::unavailable)
                .<Set<Integer>>thenApply(reply ->
                        reply.isSuccess() ? new HashSet<>(reply.getValue().firstTime()) : Set.of())
                .exceptionally(failure -> Set.of());
    }

    private static boolean hasPossibleTaskId(TriggerRequest request) {
        return request.taskId() != null
                && TaskDefinition.ID_PATTERN.matcher(request.taskId()).matches();
    }

    // ---------------------------------------------------------------- a parent's batch

    /** A parent's batch keeps its items until all are in; the last one makes the parent wait for them. */
    private CompletionStage<ItemsAdded> holdItems(BatchState batch, List<Item> items) {
        String batchId = batch.batchId();
        List<HeldItem> held = items.stream()
                .map(item -> new HeldItem(item.index(), item.request()))
                .toList();
        return store.endedByOutage(
                        batch(batchId)
                                .<StatusReply<BatchEntity.Recorded>>ask(
                                        replyTo -> new BatchEntity.HoldItems(held, replyTo), askTimeout),
                        () -> new WriteOutcomeUnknownException("items of batch " + batchId, store.unavailable()))
                .thenCompose(reply -> {
                    if (reply.isError())
                        throw new IllegalArgumentException(reply.getError().getMessage());
                    BatchEntity.Recorded recorded = reply.getValue();
                    CompletionStage<BatchState> after = recorded.batch().awaitsParent()
                            ? resumeParent(recorded.batch())
                            : CompletableFuture.completedFuture(recorded.batch());
                    return after.thenApply(state -> {
                        String refused = parentRefusal(state);
                        if (refused != null)
                            throw new RunRejectedException(RunRejectedException.Reason.INVALID, refused);
                        return new ItemsAdded(state, recorded.recorded(), recorded.deduplicated(), 0);
                    });
                });
    }

    /** Why the parent of this sealed batch could not wait for it, or null. */
    private static String parentRefusal(BatchState batch) {
        if (!batch.resumesParent() || !batch.isSealed() || !batch.runs().isEmpty()) return null;
        return batch.errors().isEmpty() ? null : batch.errors().get(0).error();
    }

    /**
     * The batch's parent suspends for its held items, and the batch records them with the runs the parent's wait
     * triggers, or, when the parent can never wait for them (it finished, or waits or waited for something else),
     * with why. Idempotent: the batch's items call and its recovery may both drive it. Fails, recording nothing, when
     * the engine did not answer, or when the parent may still wait for the batch later (it executes no attempt now:
     * its next attempt, asking for the same batch, finds the items held); a resent items call, or the batch's next
     * recovery, drives it again.
     */
    public CompletionStage<BatchState> resumeParent(BatchState batch) {
        String batchId = batch.batchId();
        String parentRunId = batch.parentRunId();
        String key = batch.parentWaitKey();
        List<TriggerRequest> children = List.copyOf(batch.held().values());
        return runs.waitForBatch(batch.environmentId(), parentRunId, key, batchId, children)
                .handle((wait, failure) -> failure == null ? null : Failures.cause(failure))
                .thenCompose(failure -> {
                    List<RecordedItem> items = new ArrayList<>();
                    if (failure == null) {
                        batch.held()
                                .forEach((index, request) -> items.add(RecordedItem.created(
                                        index, request.taskId(), Wait.childRunId(parentRunId, key, index))));
                        return recordAll(batchId, items);
                    }
                    if (!(failure instanceof RunRejectedException refused))
                        throw WriteOutcomeUnknownException.ofChange(
                                "the wait of run " + parentRunId + " for batch " + batchId, failure);
                    return runs.get(batch.environmentId(), parentRunId).thenCompose(parent -> {
                        if (parent.isPresent() && mayWaitLater(parent.get(), key)) throw refused;
                        batch.held()
                                .forEach((index, request) ->
                                        items.add(RecordedItem.failed(index, request.taskId(), refused.getMessage())));
                        return recordAll(batchId, items);
                    });
                });
    }

    /** The run executes no attempt now, but its next one would ask for the wait under {@code key}. */
    private static boolean mayWaitLater(RunState run, String key) {
        return !run.status().isFinal()
                && run.pendingWait() == null
                && Wait.positionalKey(run).equals(key);
    }

    private CompletionStage<BatchState> recordAll(String batchId, List<RecordedItem> items) {
        return recordItems(batchId, items).thenApply(BatchEntity.Recorded::batch);
    }

    /** Stores the items' outcomes in the batch (each index once). */
    private CompletionStage<BatchEntity.Recorded> recordItems(String batchId, List<RecordedItem> items) {
        return store.endedByOutage(
                        batch(batchId)
                                .<StatusReply<BatchEntity.Recorded>>ask(
                                        replyTo -> new BatchEntity.RecordItems(items, replyTo), askTimeout),
                        () -> new WriteOutcomeUnknownException("runs of batch " + batchId, store.unavailable()))
                .thenApply(reply -> {
                    if (reply.isError())
                        throw new IllegalStateException(
                                "batch " + batchId + ": " + reply.getError().getMessage());
                    return reply.getValue();
                });
    }

    /** {@link #resumeParent} for a batch that recovered with its items held: nobody waits for the answer. */
    public void resumeParentAfterRecovery(BatchState batch) {
        resumeParent(batch).whenComplete((resumed, failure) -> {
            if (failure != null)
                log.warn(
                        "batch {}: its parent {} does not wait for it yet, the next items call or recovery retries: {}",
                        batch.batchId(),
                        batch.parentRunId(),
                        Failures.cause(failure).toString());
        });
    }

    /**
     * The item's run, created or found; an empty outcome when the engine did not answer (try again later).
     *
     * @param firstTime nobody began to create the item's run before ({@link #startItems})
     */
    private CompletionStage<Optional<RecordedItem>> createRun(
            String environmentId, String batchId, Item item, boolean firstTime) {
        String taskId = item.request().taskId();
        if (!hasPossibleTaskId(item.request())) {
            // No worker can have declared such a task: no lookup needed.
            return CompletableFuture.completedFuture(Optional.of(RecordedItem.failed(
                    item.index(),
                    shortened(taskId),
                    new TaskNotFoundException(String.valueOf(shortened(taskId))).getMessage())));
        }
        CompletionStage<RunState> created;
        try {
            String runId = itemRunId(batchId, item.index());
            RunLineage lineage = RunLineage.ofBatch(batchId, item.index());
            created = firstTime
                    ? runs.triggerFirstWithId(environmentId, item.request(), runId, lineage)
                    : runs.triggerWithId(environmentId, item.request(), runId, lineage);
        } catch (RuntimeException e) {
            created = CompletableFuture.failedFuture(e);
        }
        return created.handle((run, failure) -> {
            if (failure == null) return Optional.of(RecordedItem.created(item.index(), taskId, run.runId()));
            Throwable cause = Failures.cause(failure);
            if (cause instanceof TaskNotFoundException || cause instanceof RunRejectedException) {
                return Optional.of(RecordedItem.failed(item.index(), taskId, cause.getMessage()));
            }
            log.warn(
                    "batch {} item {}: run not created, a resent item retries it: {}",
                    batchId,
                    item.index(),
                    cause.toString());
            return Optional.empty();
        });
    }

    private CompletionStage<ItemsAdded> record(String batchId, List<Optional<RecordedItem>> outcomes) {
        List<RecordedItem> items = outcomes.stream().flatMap(Optional::stream).toList();
        int unavailable = outcomes.size() - items.size();
        if (items.isEmpty()) return CompletableFuture.completedFuture(new ItemsAdded(null, 0, 0, unavailable));
        return recordItems(batchId, items)
                .thenApply(recorded ->
                        new ItemsAdded(recorded.batch(), recorded.recorded(), recorded.deduplicated(), unavailable));
    }

    private static ItemsAdded sum(ItemsAdded total, ItemsAdded chunk) {
        BatchState latest = chunk.batch() == null
                ? total.batch()
                : chunk.batch().recordedCount() >= total.batch().recordedCount() ? chunk.batch() : total.batch();
        return new ItemsAdded(
                latest,
                total.accepted() + chunk.accepted(),
                total.deduplicated() + chunk.deduplicated(),
                total.unavailable() + chunk.unavailable());
    }

    private EntityRef<BatchEntity.Command> batch(String batchId) {
        return sharding.entityRefFor(BatchEntity.ENTITY_TYPE_KEY, batchId);
    }

    /** Ids come from outside; anything that cannot be a batch id must not start an entity. */
    public static boolean looksLikeBatchId(String batchId) {
        return batchId != null && batchId.matches("batch_[0-9a-z]{1,64}");
    }

    private static String shortened(String taskId) {
        return taskId == null || taskId.length() <= MAX_ERROR_TASK_LENGTH
                ? taskId
                : taskId.substring(0, MAX_ERROR_TASK_LENGTH) + "…";
    }
}
