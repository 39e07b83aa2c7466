package dev.baton.engine.run;

import java.util.List;

/**
 * A validated request to start a run of a task; what the HTTP API hands to the engine.
 *
 * @param maxAttempts overrides the task's retry policy when not null
 */
public record TriggerRequest(
    String taskId,
    String payloadJson,
    String payloadType,
    List<String> tags,
    String metadataJson,
    String idempotencyKey,
    Integer maxAttempts,
    boolean test) {}
