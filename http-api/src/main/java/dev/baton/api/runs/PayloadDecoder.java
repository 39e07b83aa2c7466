package dev.baton.api.runs;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.api.errors.ApiException;
import dev.baton.api.json.Json;
import java.util.Set;

/**
 * Turns a trigger's {@code payload} into plain JSON text, following how the Trigger.dev SDK encodes it
 * ({@code options.payloadType}):
 * <ul>
 *   <li>absent or {@code null} → no payload;</li>
 *   <li>any non-string JSON value → kept as is;</li>
 *   <li>a string with {@code application/json} (the default) → must be JSON text, which is kept;</li>
 *   <li>a string with {@code application/super+json} → a SuperJSON document; its {@code json} part is
 *       kept and its {@code meta} (Date, Map, BigInt… revival hints) dropped, as Trigger.dev's
 *       {@code parsePacketAsJson} does for API readers;</li>
 *   <li>a string with {@code text/plain} → kept as a JSON string.</li>
 * </ul>
 * Any other payloadType (notably {@code application/store}, a payload offloaded to object storage) is
 * refused with 400 for now.
 */
final class PayloadDecoder {

  static final String APPLICATION_JSON = "application/json";
  static final String SUPER_JSON = "application/super+json";
  static final String TEXT_PLAIN = "text/plain";
  private static final Set<String> SUPPORTED = Set.of(APPLICATION_JSON, SUPER_JSON, TEXT_PLAIN);

  private PayloadDecoder() {}

  /** Null when the run has no payload. */
  static String decode(JsonNode payload, String payloadType) {
    if (!SUPPORTED.contains(payloadType)) {
      throw ApiException.badRequest("payloadType " + payloadType + " is not supported");
    }
    if (payload == null || payload.isNull()) return null;
    if (!payload.isTextual()) return Json.write(payload);
    String text = payload.textValue();
    return switch (payloadType) {
      case TEXT_PLAIN -> Json.write(Json.mapper().getNodeFactory().textNode(text));
      case SUPER_JSON -> superJson(text);
      default -> plainJson(parse(text, "payload is not valid JSON (payloadType " + APPLICATION_JSON + ")"));
    };
  }

  private static String superJson(String text) {
    JsonNode document = parse(text, "payload is not a valid SuperJSON document");
    if (!document.isObject()) {
      throw ApiException.badRequest("payload is not a valid SuperJSON document: expected a JSON object");
    }
    // SuperJSON leaves `json` out when the value was undefined.
    return plainJson(document.get("json"));
  }

  private static String plainJson(JsonNode value) {
    return value == null || value.isNull() ? null : Json.write(value);
  }

  private static JsonNode parse(String text, String problem) {
    try {
      return Json.parse(text);
    } catch (JsonProcessingException e) {
      throw ApiException.badRequest(problem + ": " + e.getOriginalMessage());
    }
  }
}
