package dev.baton.projections.batches;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.baton.engine.batch.BatchEntity.BatchCreated;
import dev.baton.engine.batch.BatchEntity.HeldItem;
import dev.baton.engine.batch.BatchEntity.ItemsHeld;
import dev.baton.engine.batch.BatchEntity.ItemsRecorded;
import dev.baton.engine.batch.BatchEntity.RecordedItem;
import dev.baton.engine.batch.BatchStatus;
import dev.baton.engine.run.TriggerRequest;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The batch index's fold: counts and status as the batch entity derives them, and no event counted twice. */
class BatchRowTest {

    private static final Instant CREATED = Instant.parse("2026-01-01T00:00:00Z");
    private static final Instant FIRST = CREATED.plusSeconds(1);
    private static final Instant LAST = CREATED.plusSeconds(2);

    @Test
    void foldsItemsIntoCountsAndStatusAndSkipsEventsItHolds() {
        BatchRow created = BatchRow.apply(null, "batch_1", 1, new BatchCreated("batch_1", "env", 3, "key", CREATED));
        assertEquals(BatchStatus.PENDING, created.status());
        assertEquals(3, created.runCount());
        assertEquals("key", created.idempotencyKey());

        ItemsRecorded first = new ItemsRecorded(
                List.of(RecordedItem.created(0, "t", "run_0"), RecordedItem.created(1, "t", "run_1")), FIRST);
        BatchRow processing = BatchRow.apply(created, "batch_1", 2, first);
        assertEquals(BatchStatus.PROCESSING, processing.status());
        assertEquals(2, processing.runsCreated());
        assertNull(processing.completedAt());
        assertSame(processing, BatchRow.apply(processing, "batch_1", 2, first), "an event delivered again");

        BatchRow sealed = BatchRow.apply(
                processing,
                "batch_1",
                3,
                new ItemsRecorded(List.of(RecordedItem.failed(2, "unknown", "Task not found")), LAST));
        assertEquals(BatchStatus.PARTIAL_FAILED, sealed.status());
        assertEquals(2, sealed.runsCreated());
        assertEquals(1, sealed.itemErrors());
        assertEquals(LAST, sealed.completedAt());
        assertEquals(LAST, sealed.updatedAt());
        assertSame(sealed, BatchRow.apply(sealed, "batch_1", 1, new BatchCreated("batch_1", "env", 3, null, LAST)));
    }

    @Test
    void allItemsWithRunsCompleteTheBatchAndItemsWithoutARowAreSkipped() {
        BatchRow created = BatchRow.apply(null, "batch_2", 1, new BatchCreated("batch_2", "env", 1, null, CREATED));
        BatchRow done = BatchRow.apply(
                created, "batch_2", 2, new ItemsRecorded(List.of(RecordedItem.created(0, "t", "run_0")), FIRST));
        assertEquals(BatchStatus.COMPLETED, done.status());
        assertNull(BatchRow.apply(
                null, "batch_3", 2, new ItemsRecorded(List.of(RecordedItem.created(0, "t", "run_0")), FIRST)));
    }

    @Test
    void aParentsBatchIsProcessingWhileItsItemsAreHeldAndCompletesWithItsRuns() {
        BatchRow created = BatchRow.apply(
                null, "batch_4", 1, new BatchCreated("batch_4", "env", 1, null, CREATED, "run_parent", "wait-0"));
        BatchRow held = BatchRow.apply(
                created,
                "batch_4",
                2,
                new ItemsHeld(List.of(new HeldItem(0, TriggerRequest.of("child", "{}"))), FIRST));
        assertEquals(BatchStatus.PROCESSING, held.status());
        assertEquals(0, held.runsCreated());
        assertEquals(FIRST, held.updatedAt());
        BatchRow done = BatchRow.apply(
                held, "batch_4", 3, new ItemsRecorded(List.of(RecordedItem.created(0, "child", "run_0")), LAST));
        assertEquals(BatchStatus.COMPLETED, done.status());
        assertEquals(LAST, done.completedAt());
    }
}
