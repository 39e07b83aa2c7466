package dev.baton.sdk.task;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import dev.baton.sdk.internal.json.Json;
import java.util.Objects;

/**
 * How a child run started by {@link TaskContext#triggerAndWait} or
 * {@link TaskContext#batchTriggerAndWait} ended: its output when it completed, its error otherwise
 * (a failure after its last attempt, a cancel, a crash, a timeout, or a trigger the server refused).
 */
public final class ChildResult {

    private final String id;
    private final JsonNode output;
    private final TaskError error;

    /** @param output the child's output when it completed (null: JSON null); ignored when {@code error} is set */
    public ChildResult(String id, JsonNode output, TaskError error) {
        this.id = id;
        this.error = error;
        this.output = error != null ? null : output == null ? NullNode.getInstance() : output;
    }

    /** The child run's id ({@code run_…}). */
    public String id() {
        return id;
    }

    /** True when the child run completed. */
    public boolean ok() {
        return error == null;
    }

    /** The child's output as JSON ({@code NullNode} when it returned nothing); null when it did not complete. */
    public JsonNode output() {
        return output;
    }

    /**
     * The child's output decoded into {@code type} (null when it returned nothing).
     *
     * @throws IllegalStateException when the child did not complete (check {@link #ok()})
     * @throws IllegalArgumentException when the output does not fit the type
     */
    public <T> T outputAs(Class<T> type) {
        return Json.decode(requireOutput(), Json.mapper().constructType(type), "output of child run " + id);
    }

    /** Like {@link #outputAs(Class)}, for generic types such as {@code List<String>}. */
    public <T> T outputAs(TypeReference<T> type) {
        return Json.decode(requireOutput(), Json.mapper().constructType(type), "output of child run " + id);
    }

    /** Why the child did not complete; null when it did. */
    public TaskError error() {
        return error;
    }

    private JsonNode requireOutput() {
        if (error != null) {
            throw new IllegalStateException("child run " + id + " did not complete: "
                    + (error.name() == null ? "" : error.name() + ": ") + error.message());
        }
        return output;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof ChildResult that
                && Objects.equals(id, that.id)
                && Objects.equals(output, that.output)
                && Objects.equals(error, that.error);
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, output, error);
    }

    @Override
    public String toString() {
        return ok() ? "ChildResult[" + id + " ok " + output + "]" : "ChildResult[" + id + " failed " + error + "]";
    }
}
