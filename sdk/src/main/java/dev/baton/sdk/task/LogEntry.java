package dev.baton.sdk.task;

import java.time.Instant;
import java.util.Map;

/**
 * One line a handler logged through {@link TaskLogger}, as {@link AttemptLink#log} gets it.
 *
 * @param message the message with its {@code {}} placeholders filled in
 * @param attributes the line's structured attributes, possibly empty, never null
 * @param error the exception logged with the line, or null
 */
public record LogEntry(
        Instant timestamp, LogLevel level, String message, Map<String, Object> attributes, Throwable error) {}
