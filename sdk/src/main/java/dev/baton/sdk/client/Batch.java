package dev.baton.sdk.client;

import java.time.Instant;
import java.util.List;

/**
 * A batch as {@code GET /api/v2/batches/{id}} describes it.
 *
 * @param status         {@code PENDING} (no item in yet), {@code PROCESSING} (some items in),
 *                       {@code COMPLETED} (every item has its run) or {@code PARTIAL_FAILED} (some items got
 *                       no run; {@code errors} says why)
 * @param idempotencyKey the batch's idempotency key, or null
 * @param completedAt    when the last item was in, or null
 * @param runIds         the items' runs, in item order (items that failed have none)
 * @param errors         the items that got no run
 */
public record Batch(
        String id,
        String status,
        String idempotencyKey,
        Instant createdAt,
        Instant updatedAt,
        Instant completedAt,
        int runCount,
        List<String> runIds,
        List<ItemError> errors) {

    public Batch {
        runIds = List.copyOf(runIds);
        errors = List.copyOf(errors);
    }

    /** An item of the batch that got no run, e.g. because its task is unknown. */
    public record ItemError(int index, String taskIdentifier, String error) {}

    /** Every item is in: {@code COMPLETED} or {@code PARTIAL_FAILED}. */
    public boolean isComplete() {
        return "COMPLETED".equals(status) || "PARTIAL_FAILED".equals(status);
    }
}
