package dev.baton.sdk.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import dev.baton.sdk.internal.json.Json;

/** Turns a run's JSON payload into the value a task handler expects. */
public final class Payloads {

    private Payloads() {}

    /**
     * Decodes {@code payload} (null or JSON null when the run has none) into {@code type}.
     * {@code Void} always yields null; {@code JsonNode} yields the JSON as is ({@code NullNode}
     * when absent); any other type yields null when the payload is absent.
     *
     * @throws PayloadDecodingException when the JSON does not fit the type
     */
    public static <P> P decode(JsonNode payload, Class<P> type) {
        boolean absent = payload == null || payload.isNull() || payload.isMissingNode();
        if (type == Void.class) {
            return null;
        }
        if (type == JsonNode.class) {
            return type.cast(absent ? NullNode.getInstance() : payload);
        }
        if (absent) {
            return null;
        }
        try {
            return Json.mapper().treeToValue(payload, type);
        } catch (JsonProcessingException | IllegalArgumentException e) {
            String reason = e instanceof JsonProcessingException jpe ? jpe.getOriginalMessage() : e.getMessage();
            throw new PayloadDecodingException(
                    "payload cannot be decoded as " + type.getSimpleName() + ": " + reason, e);
        }
    }
}
