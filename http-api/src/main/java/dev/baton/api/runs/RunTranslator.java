package dev.baton.api.runs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.api.json.Json;
import dev.baton.api.runs.RunResponses.RetrieveRunResponse;
import dev.baton.api.runs.RunResponses.RunEvent;
import dev.baton.api.runs.RunResponses.RunEventsResponse;
import dev.baton.api.runs.RunResponses.SerializedError;
import dev.baton.engine.run.RecordedEvent;
import dev.baton.engine.run.RunEntity;
import dev.baton.engine.run.RunError;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The one place where wire shapes and engine classes meet, in both directions. */
public final class RunTranslator {

  private static final String JSON_TEXT_SUFFIX = "Json";

  private RunTranslator() {}

  public static RetrieveRunResponse toRetrieveResponse(RunEntity.State run) {
    ApiRunStatus status = ApiRunStatus.of(run.status());
    var spec = run.spec();
    return new RetrieveRunResponse(
        run.runId(),
        status,
        spec.taskId(),
        status.isQueued(),
        status.isExecuting(),
        status.isWaiting(),
        status.isCompleted(),
        status.isSuccess(),
        status.isFailed(),
        status.isCancelled(),
        spec.test(),
        Json.timestamp(run.createdAt()),
        Json.timestamp(run.updatedAt()),
        Json.timestamp(run.startedAt()),
        Json.timestamp(run.finishedAt()),
        spec.tags(),
        0,
        0,
        run.durationMs(),
        0,
        "trigger",
        Map.of(),
        run.attemptCount(),
        Json.readStored(spec.payloadJson()),
        status.isSuccess() ? Json.readStored(run.outputJson()) : null,
        status.isFailed() ? toWire(run.error()) : null,
        Json.readStored(spec.metadataJson()),
        spec.idempotencyKey());
  }

  public static RunEventsResponse toEventsResponse(List<RecordedEvent> history) {
    List<RunEvent> events = new ArrayList<>(history.size());
    for (RecordedEvent recorded : history) {
      events.add(new RunEvent(recorded.sequenceNr(), recorded.event().getClass().getSimpleName(),
          journalTimestamp(recorded.timestamp()), eventData(recorded.event())));
    }
    return new RunEventsResponse(events);
  }

  /** When the journal wrote the event; omitted when the journal keeps no write time (the test journal). */
  private static String journalTimestamp(Instant timestamp) {
    return timestamp == null || Instant.EPOCH.equals(timestamp) ? null : Json.timestamp(timestamp);
  }

  private static SerializedError toWire(RunError error) {
    if (error == null) return null;
    String message = error.message() != null ? error.message() : error.name() != null ? error.name() : "";
    return new SerializedError(message, error.name(), error.stackTrace());
  }

  /**
   * An event's fields as plain JSON. The engine keeps user JSON (payload, metadata, output) as text in
   * fields named {@code …Json}; those are inlined as JSON values under the name without the suffix.
   */
  static JsonNode eventData(RunEntity.Event event) {
    return inlineJsonText(Json.mapper().valueToTree(event));
  }

  private static JsonNode inlineJsonText(JsonNode node) {
    if (node instanceof ObjectNode object) {
      ObjectNode inlined = Json.mapper().createObjectNode();
      object.fields().forEachRemaining(field -> {
        String name = field.getKey();
        JsonNode value = field.getValue();
        if (name.endsWith(JSON_TEXT_SUFFIX) && name.length() > JSON_TEXT_SUFFIX.length() && value.isTextual()) {
          JsonNode parsed = Json.readStored(value.textValue());
          if (parsed != null) inlined.set(name.substring(0, name.length() - JSON_TEXT_SUFFIX.length()), parsed);
        } else {
          inlined.set(name, inlineJsonText(value));
        }
      });
      return inlined;
    }
    if (node instanceof ArrayNode array) {
      ArrayNode inlined = Json.mapper().createArrayNode();
      array.forEach(item -> inlined.add(inlineJsonText(item)));
      return inlined;
    }
    return node;
  }
}
