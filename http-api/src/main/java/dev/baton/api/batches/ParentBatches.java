package dev.baton.api.batches;

import dev.baton.api.errors.ApiException;
import dev.baton.engine.batch.BatchService.Item;
import dev.baton.engine.run.RunRejectedException;
import dev.baton.engine.run.RunService;
import dev.baton.engine.run.TriggerRequest;
import dev.baton.engine.run.Wait;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code batchTriggerAndWait} from a trigger.dev task: a v3 batch created with {@code resumeParentOnCompletion} and
 * {@code parentRunId}. Its id is the one the parent's next wait gives its batch ({@link RunService#batchIdOf}), so
 * the task process matches the completed waitpoints to it; its items are held here, on the node the task's CLI talks
 * to, until all {@code runCount} are in; then the parent's attempt suspends for them and the parent's wait triggers
 * the children, exactly as the Java SDK's batch waits do. No BatchEntity exists for such a batch: the parent's wait
 * is its record. A batch whose items never come is forgotten after {@link #ABANDONED_AFTER}.
 */
final class ParentBatches {

    static final Duration ABANDONED_AFTER = Duration.ofMinutes(10);

    private record Pending(
            String environmentId,
            String parentRunId,
            String waitKey,
            int runCount,
            Instant createdAt,
            Map<Integer, TriggerRequest> items) {}

    /** How far a batch's items are: sealed once all are in and the parent waits for them. */
    record Added(String batchId, int accepted, boolean sealed, int received, int runCount) {}

    private final RunService runs;
    private final Clock clock;
    private final Map<String, Pending> pending = new ConcurrentHashMap<>();

    ParentBatches(RunService runs, Clock clock) {
        this.runs = runs;
        this.clock = clock;
    }

    /** Phase 1: the batch id, from the wait the parent (which must be executing) will suspend with. */
    CompletionStage<String> create(String environmentId, String parentRunId, int runCount) {
        Instant now = clock.instant();
        pending.values()
                .removeIf(batch -> batch.createdAt().plus(ABANDONED_AFTER).isBefore(now));
        return runs.get(environmentId, parentRunId).thenApply(found -> {
            if (found.isEmpty())
                throw new RunRejectedException(
                        RunRejectedException.Reason.UNKNOWN_RUN, "Run " + parentRunId + " not found");
            if (!found.get().isRunning() || found.get().currentAttempt() == null)
                throw ApiException.badRequest("parentRunId " + parentRunId + " is "
                        + found.get().status() + ": only an executing run can wait for a batch");
            String key = Wait.positionalKey(found.get());
            String batchId = RunService.batchIdOf(parentRunId, key);
            pending.put(batchId, new Pending(environmentId, parentRunId, key, runCount, now, new TreeMap<>()));
            return batchId;
        });
    }

    /** Empty when {@code batchId} is not a parent's batch of this environment. */
    Optional<CompletionStage<Added>> add(String environmentId, String batchId, List<Item> items) {
        Pending batch = pending.get(batchId);
        if (batch == null || !batch.environmentId().equals(environmentId)) return Optional.empty();
        List<TriggerRequest> children;
        int received;
        synchronized (batch) {
            for (Item item : items) {
                if (item.index() >= batch.runCount())
                    throw ApiException.unprocessable("Item index " + item.index() + " is out of range: the batch has "
                            + batch.runCount() + " items (indices 0 to " + (batch.runCount() - 1) + ")");
                batch.items().put(item.index(), item.request());
            }
            received = batch.items().size();
            children = received == batch.runCount() ? List.copyOf(batch.items().values()) : null;
        }
        if (children == null)
            return Optional.of(CompletableFuture.completedFuture(
                    new Added(batchId, items.size(), false, received, batch.runCount())));
        pending.remove(batchId, batch);
        CompletionStage<Added> sealed = runs.suspendCurrentAttempt(environmentId, batch.parentRunId(), parent -> {
                    if (!Wait.positionalKey(parent).equals(batch.waitKey()))
                        throw new RunRejectedException(
                                RunRejectedException.Reason.INVALID,
                                "Run " + batch.parentRunId() + " waited for something else since batch " + batchId
                                        + " was created");
                    return Wait.runs(batch.waitKey(), children, batchId);
                })
                .thenApply(wait -> new Added(batchId, items.size(), true, received, batch.runCount()));
        return Optional.of(sealed);
    }
}
