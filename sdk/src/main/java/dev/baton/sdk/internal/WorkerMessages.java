package dev.baton.sdk.internal;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.node.NullNode;
import dev.baton.sdk.internal.json.Json;
import dev.baton.sdk.task.MetadataOperation;
import dev.baton.sdk.task.RetryPolicy;
import dev.baton.sdk.task.Task;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;

/**
 * The worker protocol's messages (docs/worker-protocol.md), as the wire shapes they are. Each is
 * one JSON object with a {@code type} field, sent in one text frame.
 */
public final class WorkerMessages {

    /** Keeps one failure's report bounded: a deep recursion's trace would otherwise be megabytes. */
    private static final int MAX_STACK_TRACE_CHARS = 16_000;

    private static final ObjectWriter OUTBOUND_WRITER = Json.mapper().writerFor(Outbound.class);

    /** The gateway's default limit on one message ({@code baton.gateway.max-message-size}), in characters. */
    public static final int MAX_MESSAGE_CHARS = 192 * 1024;

    private WorkerMessages() {}

    // ---- worker → gateway ----

    @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, include = JsonTypeInfo.As.PROPERTY, property = "type")
    @JsonSubTypes({
        @JsonSubTypes.Type(value = Hello.class, name = "hello"),
        @JsonSubTypes.Type(value = Started.class, name = "started"),
        @JsonSubTypes.Type(value = Heartbeat.class, name = "heartbeat"),
        @JsonSubTypes.Type(value = Completed.class, name = "completed"),
        @JsonSubTypes.Type(value = Failed.class, name = "failed"),
        @JsonSubTypes.Type(value = Metadata.class, name = "metadata"),
        @JsonSubTypes.Type(value = Step.class, name = "step"),
        @JsonSubTypes.Type(value = Suspend.class, name = "suspend"),
        @JsonSubTypes.Type(value = Logs.class, name = "logs")
    })
    public sealed interface Outbound {}

    /** @param version the version of the worker's task set (its build's, or a hash of its declarations) */
    public record Hello(String workerId, String sdk, int slots, List<TaskDeclaration> tasks, String version)
            implements Outbound {}

    /** @param runningForMs how long the handler had run when this was sent (the gateway dates the start by it) */
    public record Started(
            String attemptId,
            @JsonInclude(JsonInclude.Include.NON_NULL) Long runningForMs) implements Outbound {}

    public record Heartbeat(String attemptId) implements Outbound {}

    /** {@code output} is always written, as JSON null when the handler returned nothing. */
    /** @param runningForMs how long the handler ran; null when unknown */
    public record Completed(
            String attemptId,
            JsonNode output,
            @JsonInclude(JsonInclude.Include.NON_NULL) Long runningForMs) implements Outbound {
        public Completed {
            output = output == null ? NullNode.getInstance() : output;
        }
    }

    /** @param runningForMs how long the handler ran; null when it never began */
    public record Failed(
            String attemptId,
            ErrorBody error,
            boolean retryable,
            @JsonInclude(JsonInclude.Include.NON_NULL) Long runningForMs)
            implements Outbound {}

    /** Lines handlers logged, of any of the session's attempts; not answered. */
    public record Logs(List<LogLine> lines) implements Outbound {}

    /** One line of {@link Logs}; {@code timestamp} is ISO-8601 in UTC, {@code level} lowercase. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record LogLine(
            String attemptId, String timestamp, String level, String message, JsonNode attributes, ErrorBody error) {}

    /** Operations on the run's metadata, applied together; the answer echoes {@code requestId}. */
    public record Metadata(String attemptId, String requestId, List<OperationBody> operations) implements Outbound {

        public static Metadata of(String attemptId, String requestId, List<MetadataOperation> operations) {
            return new Metadata(
                    attemptId,
                    requestId,
                    operations.stream()
                            .map(op -> new OperationBody(op.type().wireName(), op.key(), op.value()))
                            .toList());
        }
    }

    /** A step's result, to be memoized under {@code key}; {@code output} is always written (JSON null for none). */
    public record Step(String attemptId, String key, JsonNode output) implements Outbound {
        public Step {
            output = output == null ? NullNode.getInstance() : output;
        }
    }

    /**
     * Suspends the run until the wait (built by the task package's {@code TaskContext}) is over; the
     * wire field is {@code wait}.
     */
    public record Suspend(
            String attemptId,
            String key,
            @JsonProperty("wait") JsonNode waitSpec) implements Outbound {}

    /** {@code type} is lowercase; {@code key} is absent for update, {@code value} for delete. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record OperationBody(String type, String key, JsonNode value) {}

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record ErrorBody(String message, String name, String stackTrace) {

        /** Describes a thrown exception: its message, its class's simple name, its stack trace. */
        public static ErrorBody of(Throwable error) {
            String message = error.getMessage() != null
                    ? error.getMessage()
                    : error.getClass().getName();
            String name = error.getClass().getSimpleName().isEmpty()
                    ? error.getClass().getName()
                    : error.getClass().getSimpleName();
            StringWriter writer = new StringWriter();
            error.printStackTrace(new PrintWriter(writer));
            String trace = writer.toString();
            String stackTrace = trace.length() > MAX_STACK_TRACE_CHARS
                    ? trace.substring(0, MAX_STACK_TRACE_CHARS) + "\n\t… (truncated)"
                    : trace;
            return new ErrorBody(message, name, stackTrace);
        }
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record TaskDeclaration(String id, QueueDeclaration queue, RetryDeclaration retry, Long maxDurationSeconds) {

        public static TaskDeclaration of(Task<?, ?> task) {
            RateLimitDeclaration rateLimit = task.rateLimit()
                    .map(limit -> new RateLimitDeclaration(limit.limit(), limit.periodText()))
                    .orElse(null);
            // A rate limit on the task's own queue goes in a queue without a name (the server's task/<id>).
            QueueDeclaration queue = task.queueName().isEmpty() && rateLimit == null
                    ? null
                    : new QueueDeclaration(
                            task.queueName().orElse(null),
                            task.concurrencyLimit().isPresent()
                                    ? task.concurrencyLimit().getAsInt()
                                    : null,
                            task.globalConcurrencyLimit().isPresent()
                                    ? task.globalConcurrencyLimit().getAsInt()
                                    : null,
                            rateLimit);
            Long maxDurationSeconds = task.maxDuration()
                    .map(d -> d.getSeconds() + (d.getNano() > 0 ? 1 : 0))
                    .orElse(null);
            return new TaskDeclaration(task.id(), queue, RetryDeclaration.of(task.retry()), maxDurationSeconds);
        }
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record QueueDeclaration(
            String name, Integer concurrencyLimit, Integer globalConcurrencyLimit, RateLimitDeclaration rateLimit) {}

    /** {@code period}: a duration string the server reads ({@code "90s"}, {@code "500ms"}). */
    public record RateLimitDeclaration(int limit, String period) {}

    public record RetryDeclaration(
            int maxAttempts, double factor, long minTimeoutInMs, long maxTimeoutInMs, boolean randomize) {
        static RetryDeclaration of(RetryPolicy policy) {
            return new RetryDeclaration(
                    policy.maxAttempts(),
                    policy.factor(),
                    policy.minTimeoutInMs(),
                    policy.maxTimeoutInMs(),
                    policy.randomize());
        }
    }

    // ---- gateway → worker ----

    public sealed interface Inbound {}

    /** {@code logs}: the gateway takes {@code logs} messages; false (absent) from a node older than them. */
    public record Welcome(
            String sessionId, String environmentId, long heartbeatIntervalMs, long leaseTimeoutMs, boolean logs)
            implements Inbound {}

    /**
     * {@code payload} is null when the run has none; {@code context} is kept as JSON (see the protocol
     * doc); {@code steps} holds the run's memoized results (see {@link Memoized#fromWire}), null when none;
     * {@code envVars} the environment's variables (name → string value), null from a gateway that sends none;
     * {@code traceparent} the attempt span's W3C trace context, null from a gateway that sends none.
     */
    public record Execute(
            String runId,
            String attemptId,
            int attemptNumber,
            String taskId,
            JsonNode payload,
            String payloadType,
            JsonNode context,
            JsonNode steps,
            JsonNode envVars,
            String traceparent)
            implements Inbound {}

    public record Rejected(String attemptId, String reason) implements Inbound {}

    public record GatewayError(String message) implements Inbound {}

    /** Stop the attempt (run canceled, maxDuration exceeded) and send nothing more about it. */
    public record Cancel(String runId, String attemptId, String reason) implements Inbound {}

    /** A metadata message was applied; {@code metadata} is the run's whole metadata now. */
    public record MetadataUpdated(String attemptId, String requestId, JsonNode metadata) implements Inbound {}

    /** A metadata message was refused; nothing was applied and the attempt goes on. */
    public record MetadataRejected(String attemptId, String requestId, String reason) implements Inbound {}

    /** A step's result was memoized. */
    public record StepRecorded(String attemptId, String key) implements Inbound {}

    /** The run is suspended on the wait: the attempt is over for this worker, its slot free. */
    public record Suspended(String attemptId, String key) implements Inbound {}

    /** A suspension was refused; the attempt goes on. */
    public record SuspendRejected(String attemptId, String key, String reason) implements Inbound {}

    /** A message type this SDK does not know; ignored, so the gateway can add types. */
    public record Unknown(String type) implements Inbound {}

    public static String encode(Outbound message) {
        try {
            return OUTBOUND_WRITER.writeValueAsString(message);
        } catch (JsonProcessingException e) {
            // only our own records go through here, and they always serialize
            throw new IllegalStateException(
                    "cannot encode " + message.getClass().getSimpleName(), e);
        }
    }

    /**
     * Reads one message from the gateway.
     *
     * @throws IllegalArgumentException when the text is not a JSON object with a {@code type}
     */
    public static Inbound decode(String text) {
        try {
            JsonNode json = Json.mapper().readTree(text);
            String type = json == null ? null : Json.text(json, "type");
            if (type == null) {
                throw new IllegalArgumentException("message without a type: " + abbreviate(text));
            }
            return switch (type) {
                case "welcome" -> Json.mapper().treeToValue(json, Welcome.class);
                case "execute" -> Json.mapper().treeToValue(json, Execute.class);
                case "rejected" -> Json.mapper().treeToValue(json, Rejected.class);
                case "error" -> Json.mapper().treeToValue(json, GatewayError.class);
                case "cancel" -> Json.mapper().treeToValue(json, Cancel.class);
                case "metadataUpdated" -> Json.mapper().treeToValue(json, MetadataUpdated.class);
                case "metadataRejected" -> Json.mapper().treeToValue(json, MetadataRejected.class);
                case "stepRecorded" -> Json.mapper().treeToValue(json, StepRecorded.class);
                case "suspended" -> Json.mapper().treeToValue(json, Suspended.class);
                case "suspendRejected" -> Json.mapper().treeToValue(json, SuspendRejected.class);
                default -> new Unknown(type);
            };
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("malformed message: " + e.getOriginalMessage(), e);
        }
    }

    private static String abbreviate(String text) {
        return text.length() <= 200 ? text : text.substring(0, 200) + "…";
    }
}
