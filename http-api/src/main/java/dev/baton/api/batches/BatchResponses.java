package dev.baton.api.batches;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * The batch API's response bodies, as Trigger.dev's SDK reads them. Null components are left out of
 * the JSON (never sent as {@code null}).
 */
public final class BatchResponses {
    private BatchResponses() {}

    /** {@code POST /api/v3/batches} (phase 1). */
    public record CreateBatchResponse(
            String id,
            int runCount,
            @JsonProperty("isCached") boolean isCached,
            String idempotencyKey) {}

    /**
     * {@code POST /api/v3/batches/{id}/items} (phase 2). {@code enqueuedCount} and {@code expectedCount}
     * only when the batch is not sealed yet: how many of its items are in, out of how many.
     */
    public record BatchItemsResponse(
            String id,
            int itemsAccepted,
            int itemsDeduplicated,
            boolean sealed,
            Integer enqueuedCount,
            Integer expectedCount) {}

    /** {@code POST /api/v2/tasks/batch} (SDK 4.0–4.3.0). */
    public record BatchTriggerV3Response(String id, int runCount) {}

    /** {@code POST /api/v1/tasks/batch} (SDK 3.x). */
    public record BatchTriggerV2Response(
            String id, @JsonProperty("isCached") boolean isCached, String idempotencyKey, List<BatchRun> runs) {}

    public record BatchRun(
            String id,
            String taskIdentifier,
            @JsonProperty("isCached") boolean isCached) {}

    /** {@code GET /api/v2/batches/{id}}. */
    public record RetrieveBatchResponse(
            String id,
            String status,
            String idempotencyKey,
            String createdAt,
            String updatedAt,
            int runCount,
            List<String> runs,
            Processing processing) {}

    public record Processing(String completedAt, List<ItemError> errors) {}

    public record ItemError(int index, String taskIdentifier, String error) {}
}
