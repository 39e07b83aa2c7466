package dev.baton.engine.run;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.engine.common.Failures;
import dev.baton.engine.worker.RunError;
import dev.baton.engine.worker.StepResult;

/** How finished child runs become the result of their parent's wait. */
final class ChildResults {

    private static final ObjectMapper JSON = new ObjectMapper();

    private ChildResults() {}

    /** A finished run's outcome as seen by its parent: its output, or its error. */
    static StepResult outcome(RunState child) {
        if (child.status() == RunStatus.COMPLETED) return StepResult.success(child.outputJson());
        RunError error = child.error() != null
                ? child.error()
                : new RunError(child.status().name(), "The child run ended " + child.status(), null);
        return StepResult.failure(error);
    }

    /** The error of a child that can never exist (unknown task, refused options); null when worth retrying. */
    static RunError refusal(Throwable failure) {
        Throwable cause = Failures.cause(failure);
        if (cause instanceof TaskNotFoundException || cause instanceof RunRejectedException) {
            return new RunError("TRIGGER_FAILED", cause.getMessage(), null);
        }
        return null;
    }

    /**
     * The result of a wait for runs: an array, in item order, of {@code {ok, id, output}} or
     * {@code {ok, id, error: {name, message, stackTrace}}}.
     */
    static StepResult combine(String parentRunId, Wait wait) {
        ArrayNode items = JSON.createArrayNode();
        for (int index = 0; index < wait.children().size(); index++) {
            StepResult result = wait.resolved().get(index);
            ObjectNode item = items.addObject();
            item.put("ok", result.ok());
            item.put("id", wait.childRunId(parentRunId, index));
            if (result.ok()) {
                item.set("output", parse(result.outputJson()));
            } else {
                ObjectNode error = item.putObject("error");
                error.put("name", result.error().name());
                error.put("message", result.error().message());
                if (result.error().stackTrace() != null)
                    error.put("stackTrace", result.error().stackTrace());
            }
        }
        return StepResult.success(items.toString());
    }

    private static JsonNode parse(String json) {
        if (json == null) return JSON.nullNode();
        try {
            return JSON.readTree(json);
        } catch (JsonProcessingException e) {
            // outputs are validated JSON when they are stored; keep anything else as text rather than lose it
            return JSON.getNodeFactory().textNode(json);
        }
    }
}
