package dev.baton.engine.logs;

import java.time.Instant;
import java.util.Objects;

/**
 * One line a handler logged, as the worker sent it, for the attempt the gateway knows it belongs to.
 *
 * @param attributesJson a JSON object's text, or null for none
 * @param errorJson {@code {name?, message?, stackTrace?}} as JSON text, or null for none
 */
public record LogLine(
        String runId,
        String attemptId,
        int attemptNumber,
        Instant timestamp,
        LogLevel level,
        String message,
        String attributesJson,
        String errorJson) {

    public LogLine {
        Objects.requireNonNull(runId, "runId");
        Objects.requireNonNull(attemptId, "attemptId");
        Objects.requireNonNull(timestamp, "timestamp");
        Objects.requireNonNull(level, "level");
        message = message == null ? "" : message;
    }

    /** A line Baton writes itself into a run's log (a cap or a drop), at WARN, with a count as its attribute. */
    public static LogLine marker(
            String runId,
            String attemptId,
            int attemptNumber,
            Instant at,
            String message,
            String countName,
            long count) {
        return new LogLine(
                runId,
                attemptId,
                attemptNumber,
                at,
                LogLevel.WARN,
                message,
                "{\"baton.marker\":true,\"" + countName + "\":" + count + "}",
                null);
    }
}
