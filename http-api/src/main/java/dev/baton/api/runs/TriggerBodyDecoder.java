package dev.baton.api.runs;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.api.HttpSettings;
import dev.baton.api.errors.ApiException;
import dev.baton.api.json.Json;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import dev.baton.engine.run.TriggerRequest;
import java.util.List;
import java.util.Set;

/**
 * Validates a trigger body {@code {payload?, context?, options?}} against Trigger.dev's rules. A JSON
 * {@code null} counts as absent everywhere. Wrong types are 400s naming the field; too many tags is 422
 * and oversized metadata 413, as in Trigger.dev.
 *
 * <p>Honoured options: {@code payloadType}, {@code tags}, {@code metadata}, {@code maxAttempts},
 * {@code idempotencyKey} and {@code test}. The idempotency key is only stored with the run for now:
 * a second trigger with the same key still creates a new run. {@code context} and every other option
 * Trigger.dev knows ({@code queue}, {@code concurrencyKey}, {@code delay}, {@code ttl}, {@code priority},
 * {@code machine}, {@code maxDuration}, {@code lockToVersion}, {@code idempotencyKeyTTL},
 * {@code idempotencyKeyOptions}, {@code payloadSize}…) are accepted and ignored, as are unknown fields.
 */
public final class TriggerBodyDecoder {

  private final HttpSettings settings;

  public TriggerBodyDecoder(HttpSettings settings) {
    this.settings = settings;
  }

  /**
   * The trigger request for {@code taskId}. Payloads are stored decoded, as plain JSON; the
   * idempotency key is stored as given (deduplication by key is not implemented yet).
   */
  public TriggerRequest decode(String taskId, JsonNode body) {
    if (!body.isObject()) throw ApiException.badRequest("The request body must be a JSON object");
    JsonNode options = present(body.get("options"));
    if (options != null && !options.isObject()) throw ApiException.badRequest("options must be a JSON object");

    String payloadType = optionalString(options, "payloadType");
    if (payloadType == null) payloadType = PayloadDecoder.APPLICATION_JSON;
    String payloadJson = PayloadDecoder.decode(body.get("payload"), payloadType);
    Integer maxAttempts = maxAttempts(option(options, "maxAttempts"));
    boolean test = test(option(options, "test"));
    String idempotencyKey = idempotencyKey(options);
    List<String> tags = tags(option(options, "tags"));
    String metadataJson = metadata(option(options, "metadata"));
    return new TriggerRequest(taskId, payloadJson, PayloadDecoder.APPLICATION_JSON, tags, metadataJson,
        idempotencyKey, maxAttempts, test);
  }

  private static Integer maxAttempts(JsonNode value) {
    if (value == null) return null;
    if (!value.isNumber() || !value.canConvertToExactIntegral() || !value.canConvertToInt() || value.intValue() < 1) {
      throw ApiException.badRequest("options.maxAttempts must be an integer of at least 1");
    }
    return value.intValue();
  }

  private static boolean test(JsonNode value) {
    if (value == null) return false;
    if (!value.isBoolean()) throw ApiException.badRequest("options.test must be a boolean");
    return value.booleanValue();
  }

  private String idempotencyKey(JsonNode options) {
    String key = optionalString(options, "idempotencyKey");
    if (key != null && key.length() > settings.maxIdempotencyKeyLength()) {
      throw ApiException.badRequest(
          "options.idempotencyKey must be at most " + settings.maxIdempotencyKeyLength() + " characters");
    }
    return key;
  }

  private List<String> tags(JsonNode value) {
    if (value == null) return List.of();
    List<String> given = new ArrayList<>();
    if (value.isTextual()) {
      given.add(checkTag(value.textValue(), "options.tags"));
    } else if (value.isArray()) {
      for (int i = 0; i < value.size(); i++) {
        JsonNode tag = value.get(i);
        if (!tag.isTextual()) throw ApiException.badRequest("options.tags[" + i + "] must be a string");
        given.add(checkTag(tag.textValue(), "options.tags[" + i + "]"));
      }
    } else {
      throw ApiException.badRequest("options.tags must be a string or an array of strings");
    }
    Set<String> distinct = new LinkedHashSet<>(given);
    if (distinct.size() > settings.maxTags()) {
      throw ApiException.unprocessable(
          "Runs can have at most " + settings.maxTags() + " tags, got " + distinct.size());
    }
    return List.copyOf(distinct);
  }

  private String checkTag(String tag, String field) {
    if (tag.length() > settings.maxTagLength()) {
      throw ApiException.badRequest(field + " must be at most " + settings.maxTagLength() + " characters");
    }
    return tag;
  }

  private String metadata(JsonNode value) {
    if (value == null) return null;
    if (!value.isObject()) throw ApiException.badRequest("options.metadata must be a JSON object");
    String json = Json.write(value);
    long size = json.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
    if (size > settings.maxMetadataSize()) {
      throw ApiException.tooLarge("options.metadata is too large: " + size + " bytes, the limit is "
          + settings.maxMetadataSize() + " bytes");
    }
    return json;
  }

  private static String optionalString(JsonNode options, String name) {
    JsonNode value = option(options, name);
    if (value == null) return null;
    if (!value.isTextual()) throw ApiException.badRequest("options." + name + " must be a string");
    return value.textValue();
  }

  private static JsonNode option(JsonNode options, String name) {
    return options == null ? null : present(options.get(name));
  }

  private static JsonNode present(JsonNode value) {
    return value == null || value.isNull() || value.isMissingNode() ? null : value;
  }
}
