package dev.baton.sdk.task;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;

import java.util.List;
import java.util.Objects;

/**
 * What a handler knows about the attempt it is running. A record, so tests can build one to call
 * a handler directly.
 *
 * @param runId         the run this attempt belongs to ({@code run_…})
 * @param attemptId     this attempt ({@code att_…}); a retry gets a new one
 * @param attemptNumber 1 for the first attempt, 2 for the first retry, …
 * @param taskId        the task's id
 * @param tags          the run's tags, possibly empty
 * @param metadata      the run's metadata, or a {@link MissingNode} when it has none
 * @param environmentId the environment the run was triggered in
 * @param queueName     the queue the run waited in
 */
public record TaskContext(
        String runId,
        String attemptId,
        int attemptNumber,
        String taskId,
        List<String> tags,
        JsonNode metadata,
        String environmentId,
        String queueName) {

    public TaskContext {
        Objects.requireNonNull(runId, "runId");
        Objects.requireNonNull(attemptId, "attemptId");
        Objects.requireNonNull(taskId, "taskId");
        tags = tags == null ? List.of() : List.copyOf(tags);
        metadata = metadata == null || metadata.isNull() ? MissingNode.getInstance() : metadata;
    }
}
