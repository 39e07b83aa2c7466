package dev.baton.sdk.task;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.sdk.internal.json.Json;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * The wire shapes of the waits a {@link TaskContext} suspends its run on (the {@code wait} of the
 * worker protocol's {@code suspend} message, docs/worker-protocol.md).
 */
final class Waits {

    private Waits() {}

    /** {@code {type: "duration", until}}. */
    static JsonNode durationWait(Instant until) {
        return Json.mapper().createObjectNode().put("type", "duration").put("until", until.toString());
    }

    /** {@code {type: "token", tokenId}}. */
    static JsonNode tokenWait(String tokenId) {
        return Json.mapper().createObjectNode().put("type", "token").put("tokenId", tokenId);
    }

    /**
     * {@code {type: "runs", batch, items: [{task, payload?, options?}]}}.
     *
     * @throws IllegalArgumentException when a payload or metadata cannot be written as JSON, or metadata is not an
     * object
     */
    static JsonNode runsWait(boolean batch, List<ChildItem> items) {
        ObjectNode wait = Json.mapper().createObjectNode().put("type", "runs").put("batch", batch);
        ArrayNode wireItems = wait.putArray("items");
        for (ChildItem item : items) {
            ObjectNode wireItem = wireItems.addObject().put("task", item.taskId());
            if (item.payload() != null) {
                wireItem.set("payload", toJson(item.payload(), "payload of a " + item.taskId() + " child"));
            }
            ObjectNode options = childOptions(item.options());
            if (options != null) {
                wireItem.set("options", options);
            }
        }
        return wait;
    }

    private static ObjectNode childOptions(ChildOptions options) {
        if (options == null) {
            return null;
        }
        ObjectNode wire = Json.mapper().createObjectNode();
        if (options.queue() != null) {
            wire.put("queue", options.queue());
        }
        if (options.concurrencyKey() != null) {
            wire.put("concurrencyKey", options.concurrencyKey());
        }
        if (options.tags() != null) {
            ArrayNode tags = wire.putArray("tags");
            options.tags().forEach(tags::add);
        }
        if (options.maxAttempts() != null) {
            wire.put("maxAttempts", options.maxAttempts());
        }
        if (options.maxDuration() != null) {
            Duration d = options.maxDuration();
            long seconds = d.getSeconds() + (d.getNano() > 0 ? 1 : 0);
            wire.put("maxDuration", (int) Math.min(Integer.MAX_VALUE, seconds)); // the protocol's field is an int
        }
        if (options.metadata() != null) {
            JsonNode metadata = toJson(options.metadata(), "child metadata");
            if (!metadata.isObject()) {
                throw new IllegalArgumentException("child metadata must be an object (a Map, a record, …)");
            }
            wire.set("metadata", metadata);
        }
        return wire.isEmpty() ? null : wire;
    }

    private static JsonNode toJson(Object value, String what) {
        try {
            return Json.mapper().valueToTree(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(what + " cannot be written as JSON: " + e.getMessage(), e);
        }
    }
}
