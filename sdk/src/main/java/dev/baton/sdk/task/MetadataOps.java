package dev.baton.sdk.task;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * Applies metadata operations in memory, the way the server does; only for contexts that are not
 * attached to a worker (a handler called directly in a test).
 */
final class MetadataOps {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private MetadataOps() {}

    /** Metadata as a context holds it: an object, or a {@link MissingNode} when there is none. */
    public static JsonNode normalize(JsonNode metadata) {
        return metadata == null || metadata.isNull() || metadata.isMissingNode() ? MissingNode.getInstance() : metadata;
    }

    /** The metadata after the operations, as a new object; {@code metadata} is not changed. */
    public static ObjectNode apply(JsonNode metadata, List<MetadataOperation> operations) {
        ObjectNode result =
                metadata != null && metadata.isObject() ? ((ObjectNode) metadata).deepCopy() : NODES.objectNode();
        for (MetadataOperation operation : operations) {
            result = apply(result, operation);
        }
        return result;
    }

    private static ObjectNode apply(ObjectNode metadata, MetadataOperation operation) {
        if (operation.type() == MetadataOperation.Type.UPDATE) {
            return operation.value().deepCopy();
        }
        String key = operation.key();
        List<String> path = key.startsWith("$.") ? List.of(key.substring(2).split("\\.", -1)) : List.of(key);
        ObjectNode parent = metadata;
        for (String part : path.subList(0, path.size() - 1)) {
            JsonNode child = parent.get(part);
            if (child == null || !child.isObject()) {
                if (operation.type() == MetadataOperation.Type.DELETE
                        || operation.type() == MetadataOperation.Type.REMOVE) {
                    return metadata;
                }
                child = parent.putObject(part);
            }
            parent = (ObjectNode) child;
        }
        String field = path.get(path.size() - 1);
        JsonNode current = parent.get(field);
        JsonNode value = operation.value() == null ? NODES.nullNode() : operation.value();
        switch (operation.type()) {
            case SET -> parent.set(field, value);
            case DELETE -> parent.remove(field);
            case APPEND -> {
                ArrayNode array = current != null && current.isArray() ? (ArrayNode) current : NODES.arrayNode();
                if (current != null && !current.isNull() && !current.isArray()) {
                    array.add(current);
                }
                array.add(value);
                parent.set(field, array);
            }
            case REMOVE -> {
                if (current != null && current.isArray()) {
                    ArrayNode kept = NODES.arrayNode();
                    current.forEach(element -> {
                        if (!element.equals(value)) {
                            kept.add(element);
                        }
                    });
                    parent.set(field, kept);
                }
            }
            case INCREMENT -> {
                double base = current != null && current.isNumber() ? current.doubleValue() : 0;
                double sum = base
                        + (operation.value() == null ? 1 : operation.value().doubleValue());
                // whole numbers as the JSON the server answers with would read back: int, else long
                JsonNode result = sum != Math.rint(sum) || Math.abs(sum) >= 1e15
                        ? NODES.numberNode(sum)
                        : sum == (int) sum ? NODES.numberNode((int) sum) : NODES.numberNode((long) sum);
                parent.set(field, result);
            }
            default -> throw new IllegalStateException("unhandled " + operation.type());
        }
        return metadata;
    }
}
