package dev.baton.projections.clickhouse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;

/**
 * One row of {@code run_logs}: a line of {@code baton_run_logs} as it is stored there, plus its run's task. The same
 * line always gives the same row (its {@code seq} is its identity), so a line shipped again collapses on merge.
 *
 * @param level the level's name: TRACE, DEBUG, INFO, WARN or ERROR
 * @param attributesJson the line's attributes as the worker sent them (a JSON object), or empty
 * @param errorJson the line's error as stored ({@code {name?, message?, stackTrace?}}), or empty
 */
public record LogLineRow(
        String envId,
        String runId,
        long seq,
        String taskId,
        String attemptId,
        int attemptNumber,
        long loggedAtMs,
        long storedAtMs,
        String level,
        String message,
        String attributesJson,
        String errorType,
        String errorMessage,
        String errorJson) {

    /** Columns of {@code run_logs} in the order {@link #writeTo} writes them. */
    public static final List<String> COLUMNS = List.of(
            "env_id",
            "run_id",
            "seq",
            "task_id",
            "attempt_id",
            "attempt_number",
            "logged_at",
            "logged_at_ms",
            "stored_at",
            "stored_at_ms",
            "level",
            "message",
            "attributes",
            "error_type",
            "error_message",
            "error");

    private static final ObjectMapper JSON = new ObjectMapper();

    public LogLineRow {
        // The worker's clock dates a line: keep it within what a DateTime column holds.
        loggedAtMs = Math.max(0, Math.min(loggedAtMs, SpanRow.MAX_DATE_TIME_US / 1000));
        taskId = RunEventRow.nullToEmpty(taskId);
        attributesJson = RunEventRow.nullToEmpty(attributesJson);
        errorJson = RunEventRow.nullToEmpty(errorJson);
    }

    /** The row of a stored line, with the error's name and message read out of its JSON (empty when it has none). */
    public static LogLineRow of(
            String envId,
            String runId,
            long seq,
            String taskId,
            String attemptId,
            int attemptNumber,
            long loggedAtMs,
            long storedAtMs,
            String level,
            String message,
            String attributesJson,
            String errorJson) {
        String errorType = "";
        String errorMessage = "";
        if (errorJson != null && !errorJson.isBlank()) {
            try {
                JsonNode error = JSON.readTree(errorJson);
                errorType = error.path("name").asText("");
                errorMessage = error.path("message").asText("");
            } catch (Exception e) {
                // Stored as the worker sent it: the raw text stays in the error column.
            }
        }
        return new LogLineRow(
                envId,
                runId,
                seq,
                taskId,
                attemptId,
                attemptNumber,
                loggedAtMs,
                storedAtMs,
                level,
                message,
                attributesJson,
                errorType,
                errorMessage,
                errorJson);
    }

    void writeTo(RowBinary out) {
        out.string(envId)
                .string(runId)
                .uint64(seq)
                .string(taskId)
                .string(attemptId)
                .uint32(attemptNumber)
                .dateTime(loggedAtMs)
                .uint64(loggedAtMs)
                .dateTime(storedAtMs)
                .uint64(storedAtMs)
                .string(level)
                .string(message)
                .string(attributesJson)
                .string(errorType)
                .string(errorMessage)
                .string(errorJson);
    }
}
