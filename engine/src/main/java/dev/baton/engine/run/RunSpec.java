package dev.baton.engine.run;

import dev.baton.engine.CborSerializable;
import java.util.List;

/**
 * Everything fixed when a run is triggered: what to run, with what, and under which policy.
 * Part of the {@code RunTriggered} event, so fields are only ever added (with defaults), never renamed.
 *
 * @param payloadJson the payload as JSON text, or null for none
 * @param metadataJson the initial metadata as a JSON object's text, or null
 * @param idempotencyKey the caller's idempotency key, or null
 */
public record RunSpec(
    String environmentId,
    String taskId,
    String queue,
    String payloadJson,
    String payloadType,
    List<String> tags,
    String metadataJson,
    String idempotencyKey,
    RetryPolicy retry,
    Integer maxDurationSeconds,
    boolean test)
    implements CborSerializable {

  public RunSpec {
    tags = tags == null ? List.of() : List.copyOf(tags);
  }
}
