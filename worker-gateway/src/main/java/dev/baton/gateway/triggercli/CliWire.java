package dev.baton.gateway.triggercli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.engine.common.Ids;
import dev.baton.engine.environment.Environment;
import dev.baton.engine.run.RunState;
import dev.baton.engine.run.RunStatus;
import dev.baton.engine.run.Wait;
import dev.baton.engine.worker.RunError;
import dev.baton.engine.worker.StepResult;
import dev.baton.engine.worker.WorkerChannel;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * The trigger.dev CLI's reply shapes, as {@code @trigger.dev/core@4.8.3}'s zod schemas require them (DequeuedMessage,
 * StartRunAttemptResult, RunExecutionData, CompleteRunAttemptResult, TaskRunExecution): one missing field and the
 * CLI drops the run with only a debug line, so every field the schemas require is always written.
 */
final class CliWire {

    static final String SUPER_JSON = "application/super+json";

    static final ObjectMapper MAPPER = new ObjectMapper();

    /** Where the runs execute, as the CLI's task context shows it: dev runs on the developer's machine. */
    private static final String MACHINE = "small-1x";

    private CliWire() {}

    /** What the executions of one environment share: the ids and names the task context shows. */
    record Context(
            Environment environment,
            String environmentType,
            String organizationId,
            String organizationName,
            String projectName) {}

    static ObjectNode error(String message) {
        return MAPPER.createObjectNode().put("error", message);
    }

    static ObjectNode dequeued(CliAttempt attempt, Context context, String workerVersion, Instant now) {
        WorkerChannel.Execute execute = attempt.execute;
        ObjectNode message = MAPPER.createObjectNode().put("version", "1");
        message.set("snapshot", snapshot(attempt.snapshotId(), attempt.phase().snapshotStatus, attempt.changedAt()));
        message.put("dequeuedAt", now.toString());
        message.set("completedWaitpoints", MAPPER.createArrayNode());
        message.set(
                "backgroundWorker",
                MAPPER.createObjectNode()
                        .put("id", attempt.workerId)
                        .put("friendlyId", attempt.workerId)
                        .put("version", workerVersion));
        message.set("deployment", MAPPER.createObjectNode());
        ObjectNode run = message.putObject("run")
                .put("id", execute.runId())
                .put("friendlyId", execute.runId())
                .put("isTest", execute.test())
                .put("attemptNumber", execute.attemptNumber())
                .put("masterQueue", context.environment().id());
        run.set("machine", machine());
        run.set("traceContext", traceContext(execute));
        message.putObject("environment").put("id", context.environment().id()).put("type", context.environmentType());
        message.putObject("organization").put("id", context.organizationId());
        message.putObject("project").put("id", context.environment().projectId());
        return message;
    }

    /** {@code attempts/start}: StartRunAttemptResult plus the task process's environment variables. */
    /** @param scheduled the task is a {@code schedules.task}: its payload's dates are revived ({@link #scheduled}) */
    static ObjectNode started(
            CliAttempt attempt,
            Context context,
            String filePath,
            String exportName,
            boolean scheduled,
            Map<String, String> envVars) {
        WorkerChannel.Execute execute = attempt.execute;
        ObjectNode result = executionResult(attempt);
        ObjectNode execution = result.putObject("execution");
        execution
                .putObject("attempt")
                .put("number", execute.attemptNumber())
                .put("startedAt", attempt.startedAt().toString());
        ObjectNode run = execution
                .putObject("run")
                .put("id", execute.runId())
                .put("payload", execute.payloadJson() == null ? "" : execute.payloadJson())
                .put("payloadType", "application/json");
        if (scheduled && execute.payloadJson() != null) {
            run.put("payload", scheduled(execute.payloadJson())).put("payloadType", SUPER_JSON);
        }
        run.put("isTest", execute.test())
                .put("createdAt", (execute.createdAt() == null ? attempt.startedAt() : execute.createdAt()).toString())
                .put("startedAt", attempt.startedAt().toString())
                .put("maxAttempts", execute.maxAttempts());
        ArrayNode tags = run.putArray("tags");
        if (execute.tags() != null) execute.tags().forEach(tags::add);
        if (execute.idempotencyKey() != null) run.put("idempotencyKey", execute.idempotencyKey());
        if (execute.maxDurationSeconds() != null) run.put("maxDuration", execute.maxDurationSeconds());
        JsonNode metadata = parse(execute.metadataJson());
        if (metadata != null && metadata.isObject()) run.set("metadata", metadata);
        run.set("traceContext", traceContext(execute));
        ObjectNode task =
                execution.putObject("task").put("id", execute.taskId()).put("filePath", filePath);
        if (exportName != null) task.put("exportName", exportName);
        execution.putObject("queue").put("id", execute.queue()).put("name", execute.queue());
        execution
                .putObject("environment")
                .put("id", context.environment().id())
                .put("slug", context.environment().slug())
                .put("type", context.environmentType());
        execution
                .putObject("organization")
                .put("id", context.organizationId())
                .put("slug", context.organizationId())
                .put("name", context.organizationName());
        execution
                .putObject("project")
                .put("id", context.environment().projectId())
                .put("ref", context.environment().projectRef())
                .put("slug", context.environment().projectRef())
                .put("name", context.projectName());
        execution.set("machine", machine());
        ObjectNode variables = result.putObject("envVars");
        envVars.forEach(variables::put);
        return result;
    }

    /**
     * A scheduled run's payload as Trigger.dev hands it to a {@code schedules.task}: a SuperJSON document whose
     * {@code timestamp}, {@code lastTimestamp} and {@code upcoming} entries the task receives as {@code Date}s (the
     * SDK's ScheduledTaskPayload), where Baton stores them as ISO strings. Other fields, and a payload that is not an
     * object (a manual trigger of the task), pass as they are.
     */
    static String scheduled(String payloadJson) {
        JsonNode payload = parse(payloadJson);
        ObjectNode document = MAPPER.createObjectNode();
        document.set("json", payload == null ? MAPPER.nullNode() : payload);
        ObjectNode dates = MAPPER.createObjectNode();
        if (payload != null && payload.isObject()) {
            for (String field : List.of("timestamp", "lastTimestamp")) {
                if (isInstant(payload.get(field))) dates.putArray(field).add("Date");
            }
            JsonNode upcoming = payload.path("upcoming");
            for (int i = 0; i < upcoming.size(); i++) {
                if (isInstant(upcoming.get(i))) dates.putArray("upcoming." + i).add("Date");
            }
        }
        if (!dates.isEmpty()) document.putObject("meta").set("values", dates);
        return document.toString();
    }

    private static boolean isInstant(JsonNode value) {
        if (value == null || !value.isTextual()) return false;
        try {
            Instant.parse(value.asText());
            return true;
        } catch (java.time.format.DateTimeParseException e) {
            return false;
        }
    }

    /** {@code attempts/complete}: CompleteRunAttemptResult wrapped in {@code result}. */
    static ObjectNode completed(CliAttempt attempt, String attemptStatus) {
        ObjectNode result = executionResult(attempt).put("attemptStatus", attemptStatus);
        return (ObjectNode) MAPPER.createObjectNode().set("result", result);
    }

    /** {@code snapshots/latest} of an attempt the session holds: RunExecutionData wrapped in {@code execution}. */
    static ObjectNode latest(CliAttempt attempt) {
        ObjectNode execution = executionResult(attempt).put("version", "1");
        execution.set("completedWaitpoints", attempt.completedWaitpoints());
        return (ObjectNode) MAPPER.createObjectNode().set("execution", execution);
    }

    /**
     * The friendly id of a duration wait's waitpoint: derived from the run and the wait's key, so it is never stored
     * and the resume names the waitpoint the SDK waits for.
     */
    static String durationWaitpointId(String runId, String waitKey) {
        return Ids.derived("waitpoint", runId + "/" + waitKey);
    }

    /**
     * A resolved wait as the CompletedWaitpoints the task process matches to its waits: a duration's DATETIME
     * waitpoint and a token's MANUAL one by friendly id, a child run's RUN waitpoint by the child's id, a batch
     * item's by the batch id and its index. Outputs are JSON text; a failure's output is a TaskRunError (a token's
     * timeout has the message the SDK's WaitpointTimeoutError shows).
     */
    static ArrayNode completedWaitpoints(String runId, Wait wait, StepResult result, Instant completedAt) {
        ArrayNode waitpoints = MAPPER.createArrayNode();
        switch (wait.kind()) {
            case DURATION -> {
                String id = durationWaitpointId(runId, wait.key());
                waitpoints
                        .addObject()
                        .put("id", id)
                        .put("friendlyId", id)
                        .put("type", "DATETIME")
                        .put("completedAt", completedAt.toString())
                        .put("completedAfter", wait.until().toString())
                        .put("outputIsError", false);
            }
            case TOKEN -> {
                ObjectNode waitpoint = waitpoints
                        .addObject()
                        .put("id", wait.tokenId())
                        .put("friendlyId", wait.tokenId())
                        .put("type", "MANUAL")
                        .put("completedAt", completedAt.toString());
                output(waitpoint, result.ok() ? result.outputJson() : taskRunError(result.error()), !result.ok());
            }
            case RUNS -> {
                JsonNode items = parse(result.outputJson());
                for (int index = 0; items != null && index < items.size(); index++) {
                    JsonNode item = items.get(index);
                    String childId = item.path("id").asText();
                    ObjectNode waitpoint = waitpoints
                            .addObject()
                            .put("id", Ids.derived("waitpoint", childId))
                            .put("friendlyId", Ids.derived("waitpoint", childId))
                            .put("type", "RUN")
                            .put("completedAt", completedAt.toString());
                    ObjectNode child = waitpoint
                            .putObject("completedByTaskRun")
                            .put("id", childId)
                            .put("friendlyId", childId);
                    if (wait.batchId() != null) {
                        waitpoint.put("index", index);
                        child.putObject("batch").put("id", wait.batchId()).put("friendlyId", wait.batchId());
                    }
                    boolean ok = item.path("ok").asBoolean(false);
                    String output = ok
                            ? (item.has("output") ? item.get("output").toString() : null)
                            : taskRunError(item.path("error"));
                    output(waitpoint, output, !ok);
                }
            }
        }
        return waitpoints;
    }

    private static void output(ObjectNode waitpoint, String json, boolean isError) {
        if (json != null) waitpoint.put("output", json).put("outputType", "application/json");
        waitpoint.put("outputIsError", isError);
    }

    /** An engine error as Trigger.dev's TaskRunError (BUILT_IN_ERROR), which the SDK rebuilds into an Error. */
    private static String taskRunError(RunError error) {
        ObjectNode json = MAPPER.createObjectNode()
                .put("type", "BUILT_IN_ERROR")
                .put("name", error.name())
                .put("message", error.message());
        json.put("stackTrace", error.stackTrace() == null ? "" : error.stackTrace());
        return json.toString();
    }

    private static String taskRunError(JsonNode error) {
        return taskRunError(new RunError(
                error.path("name").asText("Error"),
                error.path("message").asText(""),
                error.path("stackTrace").asText(null)));
    }

    /**
     * {@code snapshots/latest} of a run no session holds (its attempt ended here before, or it runs nowhere yet):
     * FINISHED once final, else QUEUED; the id is derived from the run's status and attempt count.
     */
    static ObjectNode latest(RunState run) {
        String status = run.status().isFinal() ? "FINISHED" : "QUEUED";
        ObjectNode execution = MAPPER.createObjectNode().put("version", "1");
        execution.set(
                "snapshot",
                snapshot(
                        "snapshot_" + run.runId() + "_" + run.status().name().toLowerCase() + "_" + run.attemptCount(),
                        status,
                        run.lastChangedAt()));
        execution.set("run", runMetadata(run.runId(), runStatus(run.status()), run.attemptCount()));
        execution.set("completedWaitpoints", MAPPER.createArrayNode());
        return (ObjectNode) MAPPER.createObjectNode().set("execution", execution);
    }

    /** Trigger.dev's TaskRunStatus for an engine status. */
    static String runStatus(RunStatus status) {
        return switch (status) {
            case NEW, QUEUED -> "PENDING";
            case PENDING_VERSION -> "PENDING_VERSION";
            case DELAYED -> "DELAYED";
            case DEQUEUED -> "DEQUEUED";
            case EXECUTING -> "EXECUTING";
            case RETRYING -> "RETRYING_AFTER_FAILURE";
            case WAITING -> "WAITING_TO_RESUME";
            case COMPLETED -> "COMPLETED_SUCCESSFULLY";
            case FAILED -> "COMPLETED_WITH_ERRORS";
            case CRASHED -> "CRASHED";
            case SYSTEM_FAILURE -> "SYSTEM_FAILURE";
            case CANCELED -> "CANCELED";
            case EXPIRED -> "EXPIRED";
            case TIMED_OUT -> "TIMED_OUT";
        };
    }

    private static ObjectNode executionResult(CliAttempt attempt) {
        ObjectNode result = MAPPER.createObjectNode();
        result.set("snapshot", snapshot(attempt.snapshotId(), attempt.phase().snapshotStatus, attempt.changedAt()));
        result.set("run", runMetadata(attempt.execute.runId(), attempt.runStatus(), attempt.execute.attemptNumber()));
        return result;
    }

    private static ObjectNode snapshot(String id, String status, Instant createdAt) {
        return MAPPER.createObjectNode()
                .put("id", id)
                .put("friendlyId", id)
                .put("executionStatus", status)
                .put("description", "baton: " + status.toLowerCase().replace('_', ' '))
                .put("createdAt", createdAt.toString());
    }

    private static ObjectNode runMetadata(String runId, String status, int attemptNumber) {
        return MAPPER.createObjectNode()
                .put("id", runId)
                .put("friendlyId", runId)
                .put("status", status)
                .put("attemptNumber", attemptNumber);
    }

    private static ObjectNode machine() {
        return MAPPER.createObjectNode()
                .put("name", MACHINE)
                .put("cpu", 0.5)
                .put("memory", 0.5)
                .put("centsPerMs", 0);
    }

    private static ObjectNode traceContext(WorkerChannel.Execute execute) {
        ObjectNode trace = MAPPER.createObjectNode();
        if (execute.traceparent() != null) trace.put("traceparent", execute.traceparent());
        return trace;
    }

    private static JsonNode parse(String json) {
        if (json == null || json.isBlank()) return null;
        try {
            return MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("the engine holds JSON text that does not parse", e);
        }
    }
}
