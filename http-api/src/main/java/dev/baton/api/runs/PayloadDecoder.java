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
 * {@code application/store} (a payload the SDK uploaded as a packet first) is a packet path here, which
 * {@link StoredPayloads} replaces by the packet's content, decoded by the packet's own content type. Any
 * other payloadType is refused with 400.
 */
final class PayloadDecoder {

    static final String APPLICATION_JSON = "application/json";
    static final String SUPER_JSON = "application/super+json";
    static final String TEXT_PLAIN = "text/plain";
    static final String STORE = "application/store";
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

    /** The packet path of an {@code application/store} payload: a non-empty string. */
    static String storePath(JsonNode payload) {
        if (payload == null || !payload.isTextual() || payload.textValue().isEmpty()) {
            throw ApiException.badRequest(
                    "payload must be the packet path (a non-empty string) with payloadType " + STORE);
        }
        return payload.textValue();
    }

    /** A stored packet's text, decoded by its content type ({@code text/plain} for any type Baton does not read). */
    static String decodePacket(String text, String contentType) {
        String type = SUPPORTED.contains(contentType) ? contentType : TEXT_PLAIN;
        return decode(Json.mapper().getNodeFactory().textNode(text), type);
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
