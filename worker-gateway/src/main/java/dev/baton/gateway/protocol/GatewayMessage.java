package dev.baton.gateway.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;

/** Gateway → worker messages (docs/worker-protocol.md), as they are on the wire. */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, include = JsonTypeInfo.As.PROPERTY, property = "type")
@JsonSubTypes({
    @JsonSubTypes.Type(value = GatewayMessage.Welcome.class, name = "welcome"),
    @JsonSubTypes.Type(value = GatewayMessage.Execute.class, name = "execute"),
    @JsonSubTypes.Type(value = GatewayMessage.Rejected.class, name = "rejected"),
    @JsonSubTypes.Type(value = GatewayMessage.Cancel.class, name = "cancel"),
    @JsonSubTypes.Type(value = GatewayMessage.MetadataUpdated.class, name = "metadataUpdated"),
    @JsonSubTypes.Type(value = GatewayMessage.MetadataRejected.class, name = "metadataRejected"),
    @JsonSubTypes.Type(value = GatewayMessage.StepRecorded.class, name = "stepRecorded"),
    @JsonSubTypes.Type(value = GatewayMessage.Suspended.class, name = "suspended"),
    @JsonSubTypes.Type(value = GatewayMessage.SuspendRejected.class, name = "suspendRejected"),
    @JsonSubTypes.Type(value = GatewayMessage.Error.class, name = "error")
})
public sealed interface GatewayMessage {

    /** {@code logs} true: this gateway takes {@code logs} messages (a worker must not send them to one without). */
    record Welcome(String sessionId, String environmentId, long heartbeatIntervalMs, long leaseTimeoutMs, boolean logs)
            implements GatewayMessage {}

    /**
     * {@code payload} (and {@code payloadType}) are left out when the run has none, {@code steps} when
     * the run has no memoized results yet. {@code envVars} (the environment's variables, name → value) is
     * always there, empty when it has none. {@code traceparent} is the W3C trace context of the attempt's span.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Execute(
            String runId,
            String attemptId,
            int attemptNumber,
            String taskId,
            JsonNode payload,
            String payloadType,
            ExecutionContext context,
            Map<String, StepEntry> steps,
            Map<String, String> envVars,
            String traceparent)
            implements GatewayMessage {}

    /**
     * One memoized result in {@code execute.steps}: {@code {output}} (always present, JSON null included)
     * or {@code {error}}.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record StepEntry(JsonNode output, StepError error) {}

    /** {@code stackTrace} is left out when there is none. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record StepError(String name, String message, String stackTrace) {}

    record Rejected(String attemptId, String reason) implements GatewayMessage {}

    record Error(String message) implements GatewayMessage {}

    /** Stop working on this attempt (the run was canceled or exceeded its maxDuration); send nothing more about it. */
    record Cancel(String runId, String attemptId, String reason) implements GatewayMessage {}

    /** A {@code metadata} message was applied; {@code metadata} is the run's whole metadata afterwards. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record MetadataUpdated(String attemptId, String requestId, JsonNode metadata) implements GatewayMessage {}

    /** A {@code metadata} message was not applied (invalid operations, metadata too large); the attempt goes on. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record MetadataRejected(String attemptId, String requestId, String reason) implements GatewayMessage {}

    /** A {@code step} was memoized (or already had been: the first result stays). */
    record StepRecorded(String attemptId, String key) implements GatewayMessage {}

    /** A {@code suspend} was applied: the run waits, and the attempt is over for this worker; its slot is free. */
    record Suspended(String attemptId, String key) implements GatewayMessage {}

    /** A {@code suspend} was refused (invalid, or the key already has a result); the attempt goes on. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record SuspendRejected(String attemptId, String key, String reason) implements GatewayMessage {}

    record ExecutionContext(
            RunContext run,
            AttemptContext attempt,
            TaskContext task,
            QueueContext queue,
            EnvironmentContext environment) {}

    /**
     * {@code metadata}, {@code idempotencyKey} and {@code maxDuration} (seconds one attempt may execute)
     * are left out when the run has none.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record RunContext(
            String id,
            List<String> tags,
            String createdAt,
            @JsonProperty("isTest") boolean isTest,
            int maxAttempts,
            JsonNode metadata,
            String idempotencyKey,
            Integer maxDuration) {}

    record AttemptContext(String id, int number) {}

    record TaskContext(String id) {}

    record QueueContext(String name) {}

    record EnvironmentContext(String id, String slug) {}
}
