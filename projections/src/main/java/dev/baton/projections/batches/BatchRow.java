package dev.baton.projections.batches;

import dev.baton.engine.batch.BatchEntity;
import dev.baton.engine.batch.BatchEntity.BatchCreated;
import dev.baton.engine.batch.BatchEntity.ItemsHeld;
import dev.baton.engine.batch.BatchEntity.ItemsRecorded;
import dev.baton.engine.batch.BatchEntity.RecordedItem;
import dev.baton.engine.batch.BatchStatus;
import dev.baton.projections.listing.ListCursor;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * One batch in {@code baton_batches}: what the batch list shows and filters on. Times are kept to the microsecond
 * (what PostgreSQL stores), so a row read back equals the row written.
 *
 * @param runsCreated items recorded with their run
 * @param itemErrors items recorded without a run
 * @param completedAt when the last item was recorded, else null
 * @param sequenceNr the batch's last event folded into the row: the fold skips any event up to it, so an event
 *     delivered again never counts its items twice
 */
public record BatchRow(
        String batchId,
        String environmentId,
        BatchStatus status,
        int runCount,
        int runsCreated,
        int itemErrors,
        String idempotencyKey,
        Instant createdAt,
        Instant updatedAt,
        Instant completedAt,
        long sequenceNr) {

    public BatchRow {
        createdAt = micros(createdAt);
        updatedAt = micros(updatedAt);
        completedAt = micros(completedAt);
    }

    /**
     * The row after the batch's event number {@code sequenceNr}. A {@link BatchCreated} starts the row; any other
     * event needs it, and returns null without one. The entity records each item index once, so the counts are
     * sums of the recorded items. Status as {@code BatchState} derives it.
     */
    public static BatchRow apply(BatchRow row, String batchId, long sequenceNr, BatchEntity.Event event) {
        if (row != null && sequenceNr <= row.sequenceNr()) return row;
        if (event instanceof BatchCreated e) {
            if (row != null) return row;
            return new BatchRow(
                    batchId,
                    e.environmentId(),
                    BatchStatus.PENDING,
                    e.runCount(),
                    0,
                    0,
                    e.idempotencyKey(),
                    e.at(),
                    e.at(),
                    null,
                    sequenceNr);
        }
        if (row == null) return null;
        if (event instanceof ItemsHeld e) {
            // A parent's batch: its items are in, their runs come once the parent waits for them (ItemsRecorded).
            return new BatchRow(
                    row.batchId,
                    row.environmentId,
                    BatchStatus.PROCESSING,
                    row.runCount,
                    row.runsCreated,
                    row.itemErrors,
                    row.idempotencyKey,
                    row.createdAt,
                    e.at(),
                    row.completedAt,
                    sequenceNr);
        }
        if (event instanceof ItemsRecorded e) {
            int created = row.runsCreated;
            int errors = row.itemErrors;
            for (RecordedItem item : e.items()) {
                if (item.runId() != null) created++;
                else errors++;
            }
            boolean sealed = created + errors >= row.runCount;
            BatchStatus status = sealed
                    ? (errors == 0 ? BatchStatus.COMPLETED : BatchStatus.PARTIAL_FAILED)
                    : (created + errors == 0 ? BatchStatus.PENDING : BatchStatus.PROCESSING);
            return new BatchRow(
                    row.batchId,
                    row.environmentId,
                    status,
                    row.runCount,
                    created,
                    errors,
                    row.idempotencyKey,
                    row.createdAt,
                    e.at(),
                    sealed && row.completedAt == null ? e.at() : row.completedAt,
                    sequenceNr);
        }
        return row;
    }

    /** The batch's position in the batch list. */
    public ListCursor cursor() {
        return new ListCursor(createdAt, batchId);
    }

    private static Instant micros(Instant instant) {
        return instant == null ? null : instant.truncatedTo(ChronoUnit.MICROS);
    }
}
