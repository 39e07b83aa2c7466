package dev.baton.gateway.protocol;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.engine.logs.LogLevel;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * Worker → gateway messages (docs/worker-protocol.md), as they are on the wire. Optional fields
 * are boxed so that "absent" stays distinguishable from a value; {@link WorkerProtocol} turns them
 * into engine types and applies the defaults.
 */
public sealed interface WorkerMessage {

    /**
     * Must be the first message of a connection. {@code version} names the worker's task set (optional: the gateway
     * names it by a hash of the declarations).
     */
    record Hello(String workerId, String sdk, Integer slots, List<TaskDeclaration> tasks, String version)
            implements WorkerMessage {}

    /** A message about one attempt the gateway sent with {@code execute}. */
    sealed interface AboutAttempt extends WorkerMessage {
        String attemptId();
    }

    /** {@code runningForMs}: how long the handler had run when the worker sent this (optional, at least 0). */
    record Started(String attemptId, Long runningForMs) implements AboutAttempt, Timed {}

    record Heartbeat(String attemptId) implements AboutAttempt {}

    /** {@code output} is any JSON value; JSON null and an absent field both mean "no output". */
    record Completed(String attemptId, JsonNode output, Long runningForMs) implements AboutAttempt, Timed {}

    /** {@code retryable} absent means true. */
    record Failed(String attemptId, ErrorBody error, Boolean retryable, Long runningForMs)
            implements AboutAttempt, Timed {}

    /**
     * A message that may say how long the handler has run ({@code runningForMs}): the attempt's start is dated from
     * it, not from when a message arrived (the Java SDK sends {@code started} only after a handler ran a moment).
     */
    interface Timed {
        Long runningForMs();

        /** The handler's running time so far, or null when the worker did not say. */
        default Duration runningFor() {
            return runningForMs() == null ? null : Duration.ofMillis(runningForMs());
        }
    }

    record ErrorBody(String message, String name, String stackTrace) {}

    /**
     * Operations on the run's metadata, applied together. {@code operations} stays raw JSON here so a
     * malformed list is answered {@code metadataRejected} rather than closing the socket; {@code requestId}
     * is optional and echoed in the answer.
     */
    record Metadata(String attemptId, String requestId, JsonNode operations) implements AboutAttempt {}

    /** A step of the attempt finished: its result is memoized under {@code key}; an absent output means null. */
    record Step(String attemptId, String key, JsonNode output) implements AboutAttempt {}

    /**
     * The attempt stops until the wait (wire field {@code wait}) is resolved. {@code key} and the wait stay raw JSON
     * here
     * so that a malformed suspension is answered {@code suspendRejected} rather than closing the socket.
     */
    record Suspend(
            String attemptId,
            JsonNode key,
            @JsonProperty("wait") JsonNode waitSpec) implements AboutAttempt {}

    /**
     * Lines the worker's handlers logged, for one or more attempts, validated by {@link WorkerProtocol#decode}. Not
     * about one attempt: a line about an attempt the session does not know is dropped, not rejected.
     */
    record Logs(List<LogEntry> lines) implements WorkerMessage {}

    /**
     * One line of a {@code logs} message.
     *
     * @param attributesJson a JSON object's text, or null
     * @param errorJson {@code {name?, message?, stackTrace?}} as JSON text, or null
     */
    record LogEntry(
            String attemptId,
            Instant timestamp,
            LogLevel level,
            String message,
            String attributesJson,
            String errorJson) {}

    record TaskDeclaration(String id, QueueDeclaration queue, RetryDeclaration retry, Integer maxDurationSeconds) {}

    /**
     * {@code globalConcurrencyLimit} is Baton's extension: a cap across all concurrency keys of the queue; so is
     * {@code rateLimit}: starts per period, per concurrency key.
     */
    record QueueDeclaration(
            String name, Integer concurrencyLimit, Integer globalConcurrencyLimit, RateLimitDeclaration rateLimit) {}

    /** {@code period} is a duration string: {@code "1s"}, {@code "1m"}, {@code "1h30m"}, {@code "500ms"}. */
    record RateLimitDeclaration(Integer limit, String period) {}

    /** Each absent field takes its default from the protocol (the engine's {@code RetryPolicy.DEFAULT}). */
    record RetryDeclaration(
            Integer maxAttempts, Double factor, Long minTimeoutInMs, Long maxTimeoutInMs, Boolean randomize) {}
}
