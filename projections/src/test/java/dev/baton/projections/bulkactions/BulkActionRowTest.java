package dev.baton.projections.bulkactions;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.baton.engine.bulk.BulkActionEntity.BulkActionAborted;
import dev.baton.engine.bulk.BulkActionEntity.BulkActionCompleted;
import dev.baton.engine.bulk.BulkActionEntity.BulkActionCreated;
import dev.baton.engine.bulk.BulkActionEntity.PageTaken;
import dev.baton.engine.bulk.BulkActionEntity.RunProcessed;
import dev.baton.engine.bulk.BulkActionEntity.Selection;
import dev.baton.engine.bulk.BulkActionEntity.Status;
import dev.baton.engine.bulk.BulkActionEntity.Type;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The bulk action index's fold: counts and status as the entity derives them, and no event counted twice. */
class BulkActionRowTest {

    private static final Instant CREATED = Instant.parse("2026-01-01T00:00:00Z");
    private static final Instant LATER = CREATED.plusSeconds(5);

    private static BulkActionRow created(String id) {
        return BulkActionRow.apply(
                null,
                id,
                1,
                new BulkActionCreated(
                        "env",
                        "nightly",
                        Type.CANCEL,
                        new Selection(List.of("run_a", "run_b", "run_c"), null),
                        3,
                        "api",
                        CREATED));
    }

    @Test
    void countsEachRunOnceAndCompletesWithWhatWasProcessed() {
        BulkActionRow row = created("bulk_1");
        assertEquals(Status.PENDING, row.status());
        assertEquals(3, row.total());
        row = BulkActionRow.apply(row, "bulk_1", 2, new PageTaken(List.of("run_a", "run_b"), "2", CREATED));
        RunProcessed success = new RunProcessed("run_a", true, null, CREATED);
        row = BulkActionRow.apply(row, "bulk_1", 3, success);
        assertSame(row, BulkActionRow.apply(row, "bulk_1", 3, success), "an event delivered again");
        row = BulkActionRow.apply(row, "bulk_1", 4, new RunProcessed("run_b", false, "run already finished", CREATED));
        assertEquals(1, row.success());
        assertEquals(1, row.failure());
        assertNull(row.completedAt());
        // A run vanished from the selection after the count: the total becomes what was processed.
        row = BulkActionRow.apply(row, "bulk_1", 5, new BulkActionCompleted(LATER));
        assertEquals(Status.COMPLETED, row.status());
        assertEquals(2, row.total());
        assertEquals(LATER, row.completedAt());
    }

    @Test
    void anAbortKeepsTheTotalAndAnEventWithoutARowIsSkipped() {
        BulkActionRow row = BulkActionRow.apply(created("bulk_2"), "bulk_2", 2, new BulkActionAborted(LATER));
        assertEquals(Status.ABORTED, row.status());
        assertEquals(3, row.total());
        assertNull(row.completedAt(), "an aborted action never completed");
        assertNull(BulkActionRow.apply(null, "bulk_3", 2, new BulkActionAborted(LATER)));
    }
}
