package dev.baton.engine.run;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.engine.common.CborSerializable;
import java.util.List;
import java.util.Set;

/**
 * One of Trigger.dev's run-metadata operations. {@code key} may be a JSON path ({@code $.a.b});
 * {@code valueJson} is the operand as JSON text.
 */
public record MetadataOperation(Type type, String key, String valueJson) implements CborSerializable {

    public enum Type {
        UPDATE,
        SET,
        DELETE,
        APPEND,
        REMOVE,
        INCREMENT
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> FORBIDDEN_KEYS = Set.of("__proto__", "constructor", "prototype");

    public MetadataOperation {
        if (type == null) throw new IllegalArgumentException("metadata operation without type");
        if (type != Type.UPDATE) {
            if (key == null || key.isBlank()) throw new IllegalArgumentException(type + " needs a key");
            for (String part : path(key)) {
                if (part.isEmpty() || FORBIDDEN_KEYS.contains(part)) {
                    throw new IllegalArgumentException("invalid metadata key: " + key);
                }
            }
        }
        JsonNode value = parse(valueJson);
        if (type == Type.UPDATE && (value == null || !value.isObject())) {
            throw new IllegalArgumentException("update needs an object value");
        }
        if (type == Type.INCREMENT && value != null && !value.isNumber()) {
            throw new IllegalArgumentException("increment needs a number value");
        }
    }

    /**
     * Applies the operations in order to the metadata (a JSON object's text, or null) and returns the result's text.
     */
    public static String applyAll(String metadataJson, List<MetadataOperation> operations) {
        JsonNode parsed = parse(metadataJson);
        ObjectNode metadata =
                parsed != null && parsed.isObject() ? (ObjectNode) parsed : JsonNodeFactory.instance.objectNode();
        for (MetadataOperation operation : operations) {
            metadata = operation.applyTo(metadata);
        }
        return metadata.toString();
    }

    private ObjectNode applyTo(ObjectNode metadata) {
        JsonNode value = parse(valueJson);
        if (type == Type.UPDATE) return (ObjectNode) value.deepCopy();
        List<String> path = path(key);
        ObjectNode parent = metadata;
        for (String part : path.subList(0, path.size() - 1)) {
            JsonNode child = parent.get(part);
            if (child == null || !child.isObject()) {
                if (type == Type.DELETE || type == Type.REMOVE) return metadata;
                child = parent.putObject(part);
            }
            parent = (ObjectNode) child;
        }
        String field = path.get(path.size() - 1);
        JsonNode current = parent.get(field);
        switch (type) {
            case SET -> parent.set(field, value == null ? JsonNodeFactory.instance.nullNode() : value);
            case DELETE -> parent.remove(field);
            case APPEND -> {
                ArrayNode array;
                if (current == null || current.isNull()) {
                    array = JsonNodeFactory.instance.arrayNode();
                } else if (current.isArray()) {
                    array = (ArrayNode) current;
                } else {
                    array = JsonNodeFactory.instance.arrayNode().add(current);
                }
                array.add(value == null ? JsonNodeFactory.instance.nullNode() : value);
                parent.set(field, array);
            }
            case REMOVE -> {
                if (current != null && current.isArray()) {
                    ArrayNode kept = JsonNodeFactory.instance.arrayNode();
                    current.forEach(element -> {
                        if (!element.equals(value)) kept.add(element);
                    });
                    parent.set(field, kept);
                }
            }
            case INCREMENT -> {
                double base = current != null && current.isNumber() ? current.doubleValue() : 0;
                double sum = base + (value == null ? 1 : value.doubleValue());
                parent.set(
                        field,
                        sum == Math.rint(sum) && Math.abs(sum) < 1e15
                                ? JsonNodeFactory.instance.numberNode((long) sum)
                                : JsonNodeFactory.instance.numberNode(sum));
            }
            default -> throw new IllegalStateException("unhandled " + type);
        }
        return metadata;
    }

    private static List<String> path(String key) {
        return key.startsWith("$.") ? List.of(key.substring(2).split("\\.", -1)) : List.of(key);
    }

    private static JsonNode parse(String json) {
        if (json == null) return null;
        try {
            return JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("invalid JSON value: " + e.getOriginalMessage());
        }
    }
}
