package dev.baton.sdk.task;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import dev.baton.sdk.internal.json.Json;
import java.util.Locale;
import java.util.Objects;

/**
 * One change to a run's metadata, as in Trigger.dev's {@code metadata.set/del/append/remove/increment/replace}.
 * A {@code key} is a top-level field name, or a path into nested objects written {@code $.a.b}.
 * Build them with the static factories; {@link TaskContext#updateMetadata(MetadataOperation...)}
 * applies several at once.
 *
 * @param type  what to do
 * @param key   the field (null only for {@link Type#UPDATE}, which replaces the whole metadata)
 * @param value the operand as JSON (null when the operation takes none)
 */
public record MetadataOperation(Type type, String key, JsonNode value) {

    public enum Type {
        /** Replace the whole metadata with {@code value} (an object). */
        UPDATE,
        /** Set {@code key} to {@code value}. */
        SET,
        /** Remove {@code key}. */
        DELETE,
        /**
         * Append {@code value} to the array at {@code key} (creating it; a non-array value becomes its first element).
         */
        APPEND,
        /** Remove every element equal to {@code value} from the array at {@code key}. */
        REMOVE,
        /** Add {@code value} (a number, default 1) to the number at {@code key} (missing counts as 0). */
        INCREMENT;

        /** The protocol's name: lowercase. */
        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public MetadataOperation {
        Objects.requireNonNull(type, "type");
        if (type != Type.UPDATE && (key == null || key.isBlank())) {
            throw new IllegalArgumentException(type.wireName() + " needs a key");
        }
        if (type == Type.UPDATE && (value == null || !value.isObject())) {
            throw new IllegalArgumentException("replace needs an object (a Map, a record, …)");
        }
        if (type == Type.INCREMENT && value != null && !value.isNumber()) {
            throw new IllegalArgumentException("increment needs a number");
        }
    }

    public static MetadataOperation set(String key, Object value) {
        return new MetadataOperation(Type.SET, key, toJson(value));
    }

    public static MetadataOperation delete(String key) {
        return new MetadataOperation(Type.DELETE, key, null);
    }

    public static MetadataOperation append(String key, Object value) {
        return new MetadataOperation(Type.APPEND, key, toJson(value));
    }

    public static MetadataOperation remove(String key, Object value) {
        return new MetadataOperation(Type.REMOVE, key, toJson(value));
    }

    public static MetadataOperation increment(String key, Number by) {
        return new MetadataOperation(Type.INCREMENT, key, toJson(Objects.requireNonNull(by, "by")));
    }

    /** Replaces the whole metadata with {@code metadata}, which must serialize to a JSON object. */
    public static MetadataOperation replace(Object metadata) {
        return new MetadataOperation(Type.UPDATE, null, toJson(metadata));
    }

    private static JsonNode toJson(Object value) {
        if (value == null) {
            return NullNode.getInstance();
        }
        try {
            return Json.mapper().valueToTree(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("metadata value cannot be written as JSON: " + e.getMessage(), e);
        }
    }
}
