package dev.baton.api.runs;

import java.util.List;

/**
 * A validated {@code POST /api/v1/tasks/{taskId}/trigger} body: what {@link TriggerBodyDecoder} keeps of
 * {@code {payload?, context?, options?}}.
 *
 * @param payloadJson the payload as plain JSON text, or null for none
 * @param payloadType how {@code payloadJson} is encoded; always {@code application/json} once decoded
 * @param tags distinct tags, in the order given
 * @param metadataJson the initial metadata (a JSON object's text), or null
 * @param idempotencyKey stored as given; deduplication by key is not implemented yet
 * @param maxAttempts overrides the task's retry policy when not null
 */
public record TriggerTaskBody(
    String payloadJson,
    String payloadType,
    List<String> tags,
    String metadataJson,
    String idempotencyKey,
    Integer maxAttempts,
    boolean test) {}
