package dev.baton.sdk.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import dev.baton.sdk.task.TaskError;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The memoized result of one durable call of a run (a step, a wait, child runs, a token), as the
 * gateway sends it in {@code execute.steps}.
 *
 * @param output the result as JSON ({@code NullNode} for none); null when {@code error} is set
 * @param error  the call's error, or null when it succeeded
 */
public record Memoized(JsonNode output, TaskError error) {

    public static Memoized success(JsonNode output) {
        return new Memoized(output == null ? NullNode.getInstance() : output, null);
    }

    public boolean ok() {
        return error == null;
    }

    /**
     * Reads {@code execute.steps}: an object of key → {@code {output}} or {@code {error: {name, message,
     * stackTrace?}}}. Absent means none; entries that are not objects are left out.
     */
    public static Map<String, Memoized> fromWire(JsonNode steps) {
        if (steps == null || !steps.isObject()) {
            return Map.of();
        }
        Map<String, Memoized> memoized = new LinkedHashMap<>();
        steps.fields().forEachRemaining(entry -> {
            JsonNode value = entry.getValue();
            if (!value.isObject()) {
                return;
            }
            JsonNode error = value.get("error");
            if (error != null && error.isObject()) {
                memoized.put(entry.getKey(), new Memoized(null, new TaskError(Json.text(error, "name"),
                        Json.text(error, "message"), Json.text(error, "stackTrace"))));
            } else {
                memoized.put(entry.getKey(), success(value.get("output")));
            }
        });
        return Collections.unmodifiableMap(memoized);
    }
}
