package dev.baton.engine.batch;

import dev.baton.engine.batch.BatchEntity.BatchCreated;
import dev.baton.engine.batch.BatchEntity.HeldItem;
import dev.baton.engine.batch.BatchEntity.ItemsHeld;
import dev.baton.engine.batch.BatchEntity.ItemsRecorded;
import dev.baton.engine.batch.BatchEntity.ItemsStarted;
import dev.baton.engine.batch.BatchEntity.RecordedItem;
import dev.baton.engine.common.CborSerializable;
import dev.baton.engine.run.TriggerRequest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A batch's state, folded from its events by {@link BatchEntity}. Pure: every method returns a new state.
 *
 * @param idempotencyKey the batch's idempotency key as the caller gave it, or null
 * @param completedAt when the last item was recorded (the batch sealed), else null
 * @param runs the run of each item whose run was created, by item index
 * @param errors the items whose run could not be created (an unknown task…), in recording order
 * @param parentRunId the run that waits for the batch ({@code batchTriggerAndWait} from a trigger.dev task), or null
 * @param parentWaitKey the key of that run's wait for the batch, or null
 * @param held a parent's batch's items, by index, until every one is in and the parent waits for them; then its
 *     wait triggers them and they are recorded with their runs
 * @param started the items whose run someone began to create, recorded or not; empty once the batch is sealed
 */
public record BatchState(
        String batchId,
        String environmentId,
        int runCount,
        String idempotencyKey,
        Instant createdAt,
        Instant updatedAt,
        Instant completedAt,
        SortedMap<Integer, String> runs,
        List<ItemError> errors,
        String parentRunId,
        String parentWaitKey,
        SortedMap<Integer, TriggerRequest> held,
        SortedSet<Integer> started)
        implements CborSerializable {

    /** An item that got no run. */
    public record ItemError(int index, String taskIdentifier, String error) implements CborSerializable {}

    public BatchState {
        runs = runs == null ? Collections.emptySortedMap() : Collections.unmodifiableSortedMap(new TreeMap<>(runs));
        errors = errors == null ? List.of() : List.copyOf(errors);
        held = held == null ? Collections.emptySortedMap() : Collections.unmodifiableSortedMap(new TreeMap<>(held));
        started = started == null
                ? Collections.emptySortedSet()
                : Collections.unmodifiableSortedSet(new TreeSet<>(started));
    }

    static BatchState empty(String batchId) {
        return new BatchState(batchId, null, 0, null, null, null, null, null, null, null, null, null, null);
    }

    /** A batch a run waits for: its items are held until all are in, then become the parent's wait's children. */
    public boolean resumesParent() {
        return parentRunId != null;
    }

    /** Items in so far: recorded, or held for a parent. */
    public int receivedCount() {
        return recordedCount() + held.size();
    }

    /** Every item of a parent's batch is in, and not yet recorded: the parent is to wait for them. */
    public boolean awaitsParent() {
        return resumesParent() && recordedCount() == 0 && held.size() >= runCount;
    }

    public boolean exists() {
        return environmentId != null;
    }

    public boolean belongsTo(String environmentId) {
        return exists() && this.environmentId.equals(environmentId);
    }

    /** Items recorded so far, with a run or with an error. */
    public int recordedCount() {
        return runs.size() + errors.size();
    }

    /** Every one of the {@code runCount} items is recorded: nothing more will be accepted. */
    public boolean isSealed() {
        return exists() && recordedCount() >= runCount;
    }

    /** The indices of the items held for a parent or recorded. */
    public Set<Integer> receivedIndices() {
        Set<Integer> indices = recordedIndices();
        indices.addAll(held.keySet());
        return indices;
    }

    /** The indices of the items recorded so far (with a run or with an error). */
    public Set<Integer> recordedIndices() {
        Set<Integer> indices = new HashSet<>(runs.keySet());
        errors.forEach(error -> indices.add(error.index()));
        return indices;
    }

    /** The items' runs, in item order. */
    public List<String> runIds() {
        return new ArrayList<>(runs.values());
    }

    public BatchStatus status() {
        if (!exists()) return BatchStatus.NEW;
        if (isSealed()) return errors.isEmpty() ? BatchStatus.COMPLETED : BatchStatus.PARTIAL_FAILED;
        return recordedCount() == 0 && held.isEmpty() ? BatchStatus.PENDING : BatchStatus.PROCESSING;
    }

    BatchState created(BatchCreated event) {
        return new BatchState(
                batchId,
                event.environmentId(),
                event.runCount(),
                event.idempotencyKey(),
                event.at(),
                event.at(),
                null,
                null,
                null,
                event.parentRunId(),
                event.parentWaitKey(),
                null,
                null);
    }

    /** A parent's batch with these items held; {@link BatchEntity} holds each index once. */
    BatchState withHeld(ItemsHeld event) {
        SortedMap<Integer, TriggerRequest> newHeld = new TreeMap<>(held);
        for (HeldItem item : event.items()) newHeld.put(item.index(), item.request());
        return new BatchState(
                batchId,
                environmentId,
                runCount,
                idempotencyKey,
                createdAt,
                event.at(),
                completedAt,
                runs,
                errors,
                parentRunId,
                parentWaitKey,
                newHeld,
                started);
    }

    /** The batch with these items' runs begun; {@link BatchEntity} starts each index once. */
    BatchState withStarted(ItemsStarted event) {
        SortedSet<Integer> newStarted = new TreeSet<>(started);
        newStarted.addAll(event.indices());
        return new BatchState(
                batchId,
                environmentId,
                runCount,
                idempotencyKey,
                createdAt,
                // Not a change a reader sees (the batch list's rows ignore the event).
                updatedAt,
                completedAt,
                runs,
                errors,
                parentRunId,
                parentWaitKey,
                held,
                newStarted);
    }

    /** The batch with these items recorded; {@link BatchEntity} records each index once. */
    BatchState recorded(ItemsRecorded event) {
        SortedMap<Integer, String> newRuns = new TreeMap<>(runs);
        List<ItemError> newErrors = new ArrayList<>(errors);
        for (RecordedItem item : event.items()) {
            if (item.runId() != null) newRuns.put(item.index(), item.runId());
            else newErrors.add(new ItemError(item.index(), item.taskIdentifier(), item.error()));
        }
        boolean sealed = newRuns.size() + newErrors.size() >= runCount;
        return new BatchState(
                batchId,
                environmentId,
                runCount,
                idempotencyKey,
                createdAt,
                event.at(),
                sealed && completedAt == null ? event.at() : completedAt,
                newRuns,
                newErrors,
                parentRunId,
                parentWaitKey,
                // Recorded, a parent's items live on in its wait: the batch need not keep their payloads.
                sealed ? null : held,
                // Sealed, no item is created again: which ones were begun no longer matters.
                sealed ? null : started);
    }
}
