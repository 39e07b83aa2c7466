package dev.baton.api.runs;

import static dev.baton.api.runs.RunOptions.optionalString;
import static dev.baton.api.runs.RunOptions.present;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.api.HttpSettings;
import dev.baton.api.errors.ApiException;
import dev.baton.engine.run.TriggerRequest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * Validates a trigger body {@code {payload?, context?, options?}} against Trigger.dev's rules. A JSON
 * {@code null} counts as absent everywhere. Wrong types are 400s naming the field; an unreadable
 * {@code delay}, {@code ttl} or {@code idempotencyKeyTTL} and more than 10 tags are 422, oversized
 * metadata 413, as in Trigger.dev.
 *
 * <p>Honoured options: {@code payloadType}, {@code tags}, {@code metadata}, {@code maxAttempts},
 * {@code idempotencyKey} (+ {@code idempotencyKeyTTL}), {@code test}, {@code queue}, {@code concurrencyKey},
 * {@code priority}, {@code delay}, {@code ttl} and {@code maxDuration} (see {@link RunOptions}). Raw HTTP
 * callers may give the idempotency key and its TTL as {@code idempotency-key} / {@code idempotency-key-ttl}
 * headers; the body's values win. {@code context} and every other option Trigger.dev knows
 * ({@code machine}, {@code lockToVersion}, {@code idempotencyKeyOptions}, {@code payloadSize}, …) are
 * accepted and ignored, as are unknown fields.
 */
public final class TriggerBodyDecoder {

  private final RunOptions options;

  public TriggerBodyDecoder(HttpSettings settings) {
    this(settings, Clock.systemUTC());
  }

  public TriggerBodyDecoder(HttpSettings settings, Clock clock) {
    this.options = new RunOptions(settings, clock);
  }

  /** The trigger request for {@code taskId}, without idempotency headers. */
  public TriggerRequest decode(String taskId, JsonNode body) {
    return decode(taskId, body, null, null);
  }

  /**
   * The trigger request for {@code taskId}. Payloads are stored decoded, as plain JSON.
   *
   * @param headerKey the {@code idempotency-key} header, used when the body names no key
   * @param headerKeyTtl the {@code idempotency-key-ttl} header, used when the body names no TTL
   */
  public TriggerRequest decode(String taskId, JsonNode body, String headerKey, String headerKeyTtl) {
    if (!body.isObject()) throw ApiException.badRequest("The request body must be a JSON object");
    JsonNode given = present(body.get("options"));
    if (given != null && !given.isObject()) throw ApiException.badRequest("options must be a JSON object");

    String payloadType = optionalString(option(given, "payloadType"), "options.payloadType");
    if (payloadType == null) payloadType = PayloadDecoder.APPLICATION_JSON;
    // An uploaded packet stays a path here; StoredPayloads puts its content in before the engine is asked.
    boolean stored = PayloadDecoder.STORE.equals(payloadType);
    String payloadJson = stored
        ? PayloadDecoder.storePath(present(body.get("payload")))
        : PayloadDecoder.decode(body.get("payload"), payloadType);
    Integer maxAttempts = options.maxAttempts(option(given, "maxAttempts"), "options.maxAttempts");
    boolean test = test(option(given, "test"));

    String idempotencyKey = optionalString(option(given, "idempotencyKey"), "options.idempotencyKey");
    String keyField = "options.idempotencyKey";
    if (idempotencyKey == null && headerKey != null) {
      idempotencyKey = headerKey;
      keyField = "idempotency-key header";
    }
    idempotencyKey = options.idempotencyKey(idempotencyKey, keyField);
    String keyTtlText = optionalString(option(given, "idempotencyKeyTTL"), "options.idempotencyKeyTTL");
    String keyTtlField = "options.idempotencyKeyTTL";
    if (keyTtlText == null && headerKeyTtl != null) {
      keyTtlText = headerKeyTtl;
      keyTtlField = "idempotency-key-ttl header";
    }
    Duration idempotencyKeyTtl = RunOptions.idempotencyKeyTtl(keyTtlText, keyTtlField);

    List<String> tags = options.tags(option(given, "tags"), "options.tags");
    String metadataJson = options.metadata(option(given, "metadata"), "options.metadata");
    String queue = options.queue(option(given, "queue"), "options.queue");
    String concurrencyKey = options.concurrencyKey(option(given, "concurrencyKey"), "options.concurrencyKey");
    Long priorityMs = options.priorityMs(option(given, "priority"), "options.priority");
    Instant delayUntil = options.delayUntil(option(given, "delay"), "options.delay");
    Duration ttl = options.ttl(option(given, "ttl"), "options.ttl");
    Integer maxDurationSeconds = options.maxDurationSeconds(option(given, "maxDuration"), "options.maxDuration");

    return TriggerRequest.builder(taskId)
        .payload(payloadJson, stored ? PayloadDecoder.STORE : PayloadDecoder.APPLICATION_JSON)
        .tags(tags).metadata(metadataJson)
        .idempotencyKey(idempotencyKey, idempotencyKey == null ? null : idempotencyKeyTtl)
        .maxAttempts(maxAttempts).test(test).queue(queue).concurrencyKey(concurrencyKey)
        .priorityMs(priorityMs == null ? 0 : priorityMs).delayUntil(delayUntil).ttl(ttl)
        .maxDurationSeconds(maxDurationSeconds).build();
  }

  private static boolean test(JsonNode value) {
    if (present(value) == null) return false;
    if (!value.isBoolean()) throw ApiException.badRequest("options.test must be a boolean");
    return value.booleanValue();
  }

  private static JsonNode option(JsonNode options, String name) {
    return options == null ? null : present(options.get(name));
  }
}
