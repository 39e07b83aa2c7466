package dev.baton.sdk.client;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.sdk.internal.json.Json;
import java.time.Instant;
import java.util.List;

/**
 * A run as {@code GET /api/v3/runs/{id}} describes it (the Trigger.dev-compatible shape).
 *
 * @param status     null only if the server reported a status this SDK does not know
 * @param output     the handler's output, or null before completion (and when it returned nothing)
 * @param error      why the run failed, or null
 * @param metadata   the run's metadata, or null when it has none
 * @param durationMs execution time so far, summed over attempts
 * @param delayedUntil when a delayed run enters its queue, or null
 * @param expiredAt    when the run expired because its TTL passed before it started, or null
 * @param ttl          the run's time to live as triggered, e.g. {@code "10m"}, or null
 * @param version      the version of the task's workers the run is locked to (by its trigger, its parent, or the
 *                     worker that first ran it), or null while none was chosen
 */
public record Run(
        String id,
        RunStatus status,
        String taskIdentifier,
        boolean isQueued,
        boolean isExecuting,
        boolean isWaiting,
        boolean isCompleted,
        boolean isSuccess,
        boolean isFailed,
        boolean isCancelled,
        Instant createdAt,
        Instant updatedAt,
        Instant startedAt,
        Instant finishedAt,
        List<String> tags,
        int attemptCount,
        long durationMs,
        JsonNode payload,
        JsonNode output,
        RunError error,
        JsonNode metadata,
        String idempotencyKey,
        Instant delayedUntil,
        Instant expiredAt,
        String ttl,
        String version) {

    public Run {
        tags = tags == null ? List.of() : List.copyOf(tags);
    }

    /**
     * The output decoded into {@code type} (null when there is none).
     *
     * @throws IllegalArgumentException when the output does not fit the type
     */
    public <T> T outputAs(Class<T> type) {
        if (output == null || output.isNull()) {
            return null;
        }
        try {
            return Json.mapper().treeToValue(output, type);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(
                    "output of run " + id + " cannot be read as " + type.getSimpleName() + ": "
                            + e.getOriginalMessage(),
                    e);
        }
    }
}
