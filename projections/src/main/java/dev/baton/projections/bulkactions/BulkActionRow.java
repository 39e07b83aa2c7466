package dev.baton.projections.bulkactions;

import dev.baton.engine.bulk.BulkActionEntity;
import dev.baton.engine.bulk.BulkActionEntity.BulkActionAborted;
import dev.baton.engine.bulk.BulkActionEntity.BulkActionCompleted;
import dev.baton.engine.bulk.BulkActionEntity.BulkActionCreated;
import dev.baton.engine.bulk.BulkActionEntity.RunProcessed;
import dev.baton.engine.bulk.BulkActionEntity.Status;
import dev.baton.engine.bulk.BulkActionEntity.Type;
import dev.baton.projections.listing.ListCursor;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * One bulk action in {@code baton_bulk_actions}: what the list shows. Times are kept to the microsecond (what
 * PostgreSQL stores), so a row read back equals the row written.
 *
 * @param sequenceNr the action's last event folded into the row: the fold skips any event up to it, so an event
 *     delivered again never counts a run twice
 */
public record BulkActionRow(
        String bulkActionId,
        String environmentId,
        String name,
        Type type,
        Status status,
        long total,
        long success,
        long failure,
        Instant createdAt,
        Instant completedAt,
        long sequenceNr) {

    public BulkActionRow {
        createdAt = micros(createdAt);
        completedAt = micros(completedAt);
    }

    /**
     * The row after the action's event number {@code sequenceNr}, as the entity's state derives it: a
     * {@link BulkActionCreated} starts the row; any other event needs it, and returns null without one.
     */
    public static BulkActionRow apply(
            BulkActionRow row, String bulkActionId, long sequenceNr, BulkActionEntity.Event event) {
        if (row != null && sequenceNr <= row.sequenceNr()) return row;
        if (event instanceof BulkActionCreated e) {
            if (row != null) return row;
            return new BulkActionRow(
                    bulkActionId,
                    e.environmentId(),
                    e.name(),
                    e.type(),
                    Status.PENDING,
                    e.total(),
                    0,
                    0,
                    e.at(),
                    null,
                    sequenceNr);
        }
        if (row == null) return null;
        if (event instanceof RunProcessed e) {
            return new BulkActionRow(
                    row.bulkActionId,
                    row.environmentId,
                    row.name,
                    row.type,
                    row.status,
                    row.total,
                    row.success + (e.success() ? 1 : 0),
                    row.failure + (e.success() ? 0 : 1),
                    row.createdAt,
                    row.completedAt,
                    sequenceNr);
        }
        if (event instanceof BulkActionCompleted e) {
            return new BulkActionRow(
                    row.bulkActionId,
                    row.environmentId,
                    row.name,
                    row.type,
                    Status.COMPLETED,
                    row.success + row.failure,
                    row.success,
                    row.failure,
                    row.createdAt,
                    e.at(),
                    sequenceNr);
        }
        if (event instanceof BulkActionAborted) {
            // As in Trigger.dev, an aborted action has no completion time.
            return new BulkActionRow(
                    row.bulkActionId,
                    row.environmentId,
                    row.name,
                    row.type,
                    Status.ABORTED,
                    row.total,
                    row.success,
                    row.failure,
                    row.createdAt,
                    null,
                    sequenceNr);
        }
        return new BulkActionRow(
                row.bulkActionId,
                row.environmentId,
                row.name,
                row.type,
                row.status,
                row.total,
                row.success,
                row.failure,
                row.createdAt,
                row.completedAt,
                sequenceNr);
    }

    /** The action's position in the list. */
    public ListCursor cursor() {
        return new ListCursor(createdAt, bulkActionId);
    }

    private static Instant micros(Instant instant) {
        return instant == null ? null : instant.truncatedTo(ChronoUnit.MICROS);
    }
}
