package dev.baton.api.runs;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.annotation.JsonUnwrapped;
import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.util.List;

/**
 * The runs API's response bodies, as Trigger.dev's SDK reads them. Null components are left out of
 * the JSON (never sent as {@code null}); see {@link RunTranslator} for how engine state fills them.
 */
public final class RunResponses {
    private RunResponses() {}

    /** {@code POST /api/v1/tasks/{taskId}/trigger}. */
    public record TriggerTaskResponse(String id, boolean isCached) {}

    /**
     * The run fields retrieve and list share (Trigger.dev's common run fields, §1.3.3), unwrapped into
     * both bodies. The booleans follow from the status, and {@code delayedUntil}/{@code expiredAt} are
     * shown only in the status they describe.
     */
    @JsonPropertyOrder({
        "id",
        "status",
        "taskIdentifier",
        "isQueued",
        "isExecuting",
        "isWaiting",
        "isCompleted",
        "isSuccess",
        "isFailed",
        "isCancelled",
        "isTest",
        "createdAt",
        "updatedAt",
        "startedAt",
        "finishedAt",
        "delayedUntil",
        "ttl",
        "expiredAt",
        "tags",
        "costInCents",
        "baseCostInCents",
        "durationMs"
    })
    public record CommonRunFields(
            String id,
            ApiRunStatus status,
            String taskIdentifier,
            @JsonProperty("isQueued") boolean isQueued,
            @JsonProperty("isExecuting") boolean isExecuting,
            @JsonProperty("isWaiting") boolean isWaiting,
            @JsonProperty("isCompleted") boolean isCompleted,
            @JsonProperty("isSuccess") boolean isSuccess,
            @JsonProperty("isFailed") boolean isFailed,
            @JsonProperty("isCancelled") boolean isCancelled,
            @JsonProperty("isTest") boolean isTest,
            String createdAt,
            String updatedAt,
            String startedAt,
            String finishedAt,
            String delayedUntil,
            String ttl,
            String expiredAt,
            List<String> tags,
            long costInCents,
            long baseCostInCents,
            long durationMs) {

        static CommonRunFields of(
                String id,
                ApiRunStatus status,
                String taskIdentifier,
                boolean test,
                String createdAt,
                String updatedAt,
                String startedAt,
                String finishedAt,
                String delayedUntil,
                String ttl,
                List<String> tags,
                long durationMs) {
            return new CommonRunFields(
                    id,
                    status,
                    taskIdentifier,
                    status.isQueued(),
                    status.isExecuting(),
                    status.isWaiting(),
                    status.isCompleted(),
                    status.isSuccess(),
                    status.isFailed(),
                    status.isCancelled(),
                    test,
                    createdAt,
                    updatedAt,
                    startedAt,
                    finishedAt,
                    status == ApiRunStatus.DELAYED ? delayedUntil : null,
                    ttl,
                    status == ApiRunStatus.EXPIRED ? finishedAt : null,
                    tags,
                    0,
                    0,
                    durationMs);
        }
    }

    /**
     * {@code GET /api/v3/runs/{runId}}: Trigger.dev's RetrieveRunResponse. {@code ttl} is a duration string
     * ({@code "1h"}, {@code "90s"}); {@code concurrencyKey} and {@code priority} (seconds) are Baton's
     * additions, which the SDK's schema strips.
     */
    @JsonPropertyOrder({
        "common",
        "depth",
        "triggerFunction",
        "batchId",
        "relatedRuns",
        "attemptCount",
        "payload",
        "output",
        "error",
        "metadata",
        "idempotencyKey",
        "concurrencyKey",
        "priority"
    })
    public record RetrieveRunResponse(
            @JsonUnwrapped CommonRunFields common,
            int depth,
            String triggerFunction,
            String batchId,
            RelatedRuns relatedRuns,
            int attemptCount,
            JsonNode payload,
            JsonNode output,
            SerializedError error,
            JsonNode metadata,
            String idempotencyKey,
            String concurrencyKey,
            BigDecimal priority,
            String version) {}

    /** The runs related to a retrieved one; {@code root} and {@code parent} are left out for a root run. */
    public record RelatedRuns(RelatedRun root, RelatedRun parent, List<RelatedRun> children) {}

    /** A related run: the common run fields, its depth, how it was triggered and its batch. */
    @JsonPropertyOrder({"common", "depth", "triggerFunction", "batchId"})
    public record RelatedRun(
            @JsonUnwrapped CommonRunFields common, int depth, String triggerFunction, String batchId) {}

    /**
     * {@code GET /api/v1/runs}: a page of runs, newest first. {@code pagination} is always there; its
     * {@code next} (older runs) and {@code previous} (newer runs) only when there are such runs.
     */
    public record ListRunsResponse(List<ListRunItem> data, Pagination pagination) {}

    public record Pagination(String next, String previous) {}

    /** Trigger.dev's ListRunResponseItem: the common run fields and the run's environment. */
    @JsonPropertyOrder({"common", "idempotencyKey", "version", "env"})
    public record ListRunItem(@JsonUnwrapped CommonRunFields common, String idempotencyKey, String version, Env env) {}

    /** A run's environment, as the list shows it: its id and its name (the environment's slug). */
    public record Env(String id, String name) {}

    /** {@code {"id"}}: cancel (the run), replay (the new run), idempotency-key reset (the key). */
    public record IdResponse(String id) {}

    /** {@code POST /api/v1/runs/{runId}/tags}. */
    public record MessageResponse(String message) {}

    /** {@code PUT /api/v1/runs/{runId}/metadata}: the run's metadata after the update. */
    public record MetadataResponse(JsonNode metadata) {}

    /** A run's error, flattened like Trigger.dev's {@code SerializedError}. */
    public record SerializedError(String message, String name, String stackTrace) {}

    /** {@code GET /api/v1/runs/{runId}/events} (Baton's own: the run's journal). */
    public record RunEventsResponse(List<RunEvent> data) {}

    /**
     * One journal entry: the event's type and its fields as plain JSON (user JSON inlined, instants as
     * ISO-8601). {@code timestamp} is when the journal wrote it, left out if the journal does not record it.
     */
    public record RunEvent(long sequenceNr, String type, String timestamp, JsonNode data) {}
}
