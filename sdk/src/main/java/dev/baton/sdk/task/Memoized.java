package dev.baton.sdk.task;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import dev.baton.sdk.internal.json.Json;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The memoized result of one durable call of a run (a step, a wait, child runs, a token), as the
 * gateway sends it in {@code execute.steps}. Public because {@link AttemptLink} hands it to the
 * context; task code does not need it.
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
                memoized.put(
                        entry.getKey(),
                        new Memoized(
                                null,
                                new TaskError(
                                        Json.text(error, "name"),
                                        Json.text(error, "message"),
                                        Json.text(error, "stackTrace"))));
            } else {
                memoized.put(entry.getKey(), success(value.get("output")));
            }
        });
        return Collections.unmodifiableMap(memoized);
    }

    /** @throws NonDeterminismException unless this is a finished wait for a time ({@code {waitedUntil}}) */
    public void requireFinishedWait(String key) {
        if (!ok() || !output.has("waitedUntil")) {
            throw new NonDeterminismException(
                    key, "the run recorded something other than a finished wait there: " + describe());
        }
    }

    /**
     * The outcomes of a wait for {@code expected} child runs: an array, in item order, of
     * {@code {ok, id, output}} or {@code {ok, id, error: {name, message, stackTrace?}}}.
     *
     * @throws NonDeterminismException when this is not such an array, or of another length
     */
    public List<ChildResult> childResults(String key, int expected) {
        if (!ok() || !output.isArray()) {
            throw new NonDeterminismException(
                    key, "the run recorded something other than child runs there: " + describe());
        }
        if (output.size() != expected) {
            throw new NonDeterminismException(
                    key, "the run waited for " + output.size() + " child run(s) there, this call for " + expected);
        }
        List<ChildResult> children = new ArrayList<>(expected);
        for (JsonNode result : output) {
            String id = Json.text(result, "id");
            if (result.path("ok").asBoolean(false)) {
                children.add(new ChildResult(id, result.get("output"), null));
            } else {
                JsonNode error = result.path("error");
                children.add(new ChildResult(
                        id,
                        null,
                        new TaskError(
                                Json.text(error, "name"),
                                Json.text(error, "message"),
                                Json.text(error, "stackTrace"))));
            }
        }
        return List.copyOf(children);
    }

    /** A short description for error messages. */
    public String describe() {
        String text = ok() ? String.valueOf(output) : "error " + error.name() + ": " + error.message();
        return text.length() <= 200 ? text : text.substring(0, 200) + "…";
    }
}
