package dev.baton.engine.run;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * A validated request to start a run of a task; what the HTTP API hands to the engine. Null means
 * "not given": the task's declaration (queue, retry, maxDuration) or the engine's default applies.
 *
 * @param idempotencyKeyTtl how long {@code idempotencyKey} keeps returning the same run (default 30 days)
 */
public record TriggerRequest(
    String taskId,
    String payloadJson,
    String payloadType,
    List<String> tags,
    String metadataJson,
    String idempotencyKey,
    Integer maxAttempts,
    boolean test,
    String queue,
    String concurrencyKey,
    long priorityMs,
    Instant delayUntil,
    Duration ttl,
    Integer maxDurationSeconds,
    Duration idempotencyKeyTtl) {

  /** The common case: a payload and nothing else. */
  public static TriggerRequest of(String taskId, String payloadJson) {
    return new TriggerRequest(taskId, payloadJson, "application/json", List.of(), null, null, null, false, null, null,
        0, null, null, null, null);
  }

  public TriggerRequest {
    tags = tags == null ? List.of() : List.copyOf(tags);
  }
}
