package dev.baton.api.otel;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.api.errors.ApiException;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * What the OTLP receivers read alike from both encodings: attribute values as JSON values (protobuf's
 * {@code AnyValue}, and OTLP/JSON's, where 64-bit integers are decimal strings and bytes base64), times in unix
 * nanoseconds, and the run a record names.
 */
final class OtlpValues {

    /**
     * Attributes that name a record's run, in the order they are looked for: the Trigger.dev SDK's
     * ({@code SemanticInternalAttributes.RUN_ID}; SDK 4 writes its task context under the {@code $metadata.} prefix),
     * and Baton's own.
     */
    static final List<String> RUN_ID_ATTRIBUTES = List.of("ctx.run.id", "$metadata.ctx.run.id", "baton.run.id");

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private OtlpValues() {}

    /**
     * Hands each record of an OTLP/JSON export to {@code record} with its resource's attributes: the export is an
     * object of {@code resources} (say resourceLogs), each with {@code scopes} (scopeLogs) of {@code records}
     * (logRecords).
     */
    static void forEachJsonRecord(
            JsonNode export,
            String resources,
            String scopes,
            String records,
            BiConsumer<Map<String, JsonNode>, JsonNode> record) {
        if (!export.isObject())
            throw ApiException.badRequest("Invalid OTLP JSON: expected an object with " + resources);
        for (JsonNode resource : export.path(resources)) {
            Map<String, JsonNode> resourceAttributes =
                    jsonAttributes(resource.path("resource").path("attributes"));
            for (JsonNode scope : resource.path(scopes))
                for (JsonNode each : scope.path(records)) record.accept(resourceAttributes, each);
        }
    }

    /** The run the record's attributes name, else its resource's; null when neither does. */
    static String runId(Map<String, JsonNode> attributes, Map<String, JsonNode> resourceAttributes) {
        return first(RUN_ID_ATTRIBUTES, attributes, resourceAttributes);
    }

    /** The text of the first of {@code keys} the record's attributes hold, else its resource's; null for none. */
    static String first(List<String> keys, Map<String, JsonNode> attributes, Map<String, JsonNode> resourceAttributes) {
        for (String key : keys) {
            JsonNode value = attributes.get(key);
            if (value == null) value = resourceAttributes.get(key);
            if (value != null && !value.isNull() && !text(value).isBlank()) return text(value);
        }
        return null;
    }

    /** A value as text: a scalar as itself, an array or a map as its JSON. */
    static String text(JsonNode value) {
        return value.isValueNode() ? value.asText() : value.toString();
    }

    static Map<String, String> texts(Map<String, JsonNode> attributes) {
        Map<String, String> texts = new LinkedHashMap<>();
        attributes.forEach((key, value) -> texts.put(key, text(value)));
        return texts;
    }

    static Map<String, JsonNode> attributes(List<KeyValue> list) {
        Map<String, JsonNode> attributes = new LinkedHashMap<>();
        for (KeyValue attribute : list) attributes.put(attribute.getKey(), value(attribute.getValue()));
        return attributes;
    }

    static JsonNode value(AnyValue value) {
        return switch (value.getValueCase()) {
            case STRING_VALUE -> NODES.textNode(value.getStringValue());
            case BOOL_VALUE -> NODES.booleanNode(value.getBoolValue());
            case INT_VALUE -> NODES.numberNode(value.getIntValue());
            case DOUBLE_VALUE -> NODES.numberNode(value.getDoubleValue());
            case BYTES_VALUE ->
                NODES.textNode(
                        Base64.getEncoder().encodeToString(value.getBytesValue().toByteArray()));
            case ARRAY_VALUE -> {
                ArrayNode array = NODES.arrayNode();
                value.getArrayValue().getValuesList().forEach(item -> array.add(value(item)));
                yield array;
            }
            case KVLIST_VALUE -> object(attributes(value.getKvlistValue().getValuesList()));
            default -> NullNode.getInstance();
        };
    }

    static Map<String, JsonNode> jsonAttributes(JsonNode list) {
        Map<String, JsonNode> attributes = new LinkedHashMap<>();
        for (JsonNode attribute : list)
            attributes.put(attribute.path("key").asText(), jsonValue(attribute.path("value")));
        return attributes;
    }

    /** An OTLP/JSON {@code AnyValue}: {@code intValue} is a decimal string (a number from some exporters). */
    static JsonNode jsonValue(JsonNode value) {
        if (value.has("stringValue"))
            return NODES.textNode(value.get("stringValue").asText());
        if (value.has("boolValue"))
            return NODES.booleanNode(value.get("boolValue").asBoolean());
        if (value.has("intValue")) {
            JsonNode number = value.get("intValue");
            try {
                return number.isNumber() ? number : NODES.numberNode(Long.parseLong(number.asText()));
            } catch (NumberFormatException e) {
                return NODES.textNode(number.asText());
            }
        }
        if (value.has("doubleValue")) {
            JsonNode number = value.get("doubleValue");
            return number.isNumber() ? number : NODES.textNode(number.asText());
        }
        if (value.has("arrayValue")) {
            ArrayNode array = NODES.arrayNode();
            for (JsonNode item : value.path("arrayValue").path("values")) array.add(jsonValue(item));
            return array;
        }
        if (value.has("kvlistValue"))
            return object(jsonAttributes(value.path("kvlistValue").path("values")));
        if (value.has("bytesValue"))
            return NODES.textNode(value.get("bytesValue").asText());
        return NullNode.getInstance();
    }

    static ObjectNode object(Map<String, JsonNode> attributes) {
        ObjectNode object = NODES.objectNode();
        attributes.forEach(object::set);
        return object;
    }

    /** OTLP/JSON writes 64-bit times as decimal strings (numbers from some exporters); 0 when absent or malformed. */
    static long nanos(JsonNode value) {
        try {
            return value.isNumber() ? value.asLong() : Long.parseUnsignedLong(value.asText("0"));
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
