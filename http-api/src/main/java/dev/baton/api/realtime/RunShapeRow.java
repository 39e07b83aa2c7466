package dev.baton.api.realtime;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.api.json.Json;
import dev.baton.engine.common.Durations;
import dev.baton.engine.run.RunState;
import dev.baton.engine.run.RunStatus;
import dev.baton.engine.worker.RunError;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A run as a row of Trigger.dev's {@code TaskRun} table, the way its Electric sync service sends it: every value a
 * string or null (booleans {@code t}/{@code f}, timestamps ISO without a zone, arrays as Postgres literals, the
 * error as JSON text), statuses as the database names them. The SDK parses the values by {@link #SCHEMA}.
 */
final class RunShapeRow {

    private record Column(String name, String type, int dims) {}

    private static final List<Column> COLUMNS = List.of(
            new Column("id", "text", 0),
            new Column("taskIdentifier", "text", 0),
            new Column("friendlyId", "text", 0),
            new Column("status", "text", 0),
            new Column("createdAt", "timestamp", 0),
            new Column("updatedAt", "timestamp", 0),
            new Column("startedAt", "timestamp", 0),
            new Column("delayUntil", "timestamp", 0),
            new Column("queuedAt", "timestamp", 0),
            new Column("expiredAt", "timestamp", 0),
            new Column("completedAt", "timestamp", 0),
            new Column("number", "int4", 0),
            new Column("isTest", "bool", 0),
            new Column("usageDurationMs", "int4", 0),
            new Column("costInCents", "float8", 0),
            new Column("baseCostInCents", "float8", 0),
            new Column("ttl", "text", 0),
            new Column("payload", "text", 0),
            new Column("payloadType", "text", 0),
            new Column("metadata", "text", 0),
            new Column("metadataType", "text", 0),
            new Column("output", "text", 0),
            new Column("outputType", "text", 0),
            new Column("runTags", "text", 1),
            new Column("error", "jsonb", 0),
            new Column("realtimeStreams", "text", 1));

    static final Set<String> COLUMN_NAMES = COLUMNS.stream().map(Column::name).collect(Collectors.toUnmodifiableSet());

    /** What identifies and orders a run for the SDK; Trigger.dev refuses to skip them too. */
    static final Set<String> REQUIRED = Set.of("id", "taskIdentifier", "friendlyId", "status", "createdAt");

    private static final String JSON = "application/json";
    private static final DateTimeFormatter TIMESTAMP =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS").withZone(ZoneOffset.UTC);

    private RunShapeRow() {}

    /** The {@code electric-schema} header of a shape without the skipped columns. */
    static String schema(Set<String> skipped) {
        ObjectNode schema = Json.mapper().createObjectNode();
        for (Column column : COLUMNS) {
            if (skipped.contains(column.name())) continue;
            ObjectNode type = schema.putObject(column.name()).put("type", column.type());
            if (column.dims() > 0) type.put("dims", column.dims());
        }
        return Json.write(schema);
    }

    /** The message key Electric gives a row of the TaskRun table. */
    static String key(RunState run) {
        return "\"public\".\"TaskRun\"/\"" + run.runId() + "\"";
    }

    static Map<String, String> values(RunState run, Set<String> skipped) {
        RunStatus status = run.status();
        boolean completed = status == RunStatus.COMPLETED;
        Map<String, String> row = new LinkedHashMap<>();
        row.put("id", run.runId());
        row.put("taskIdentifier", run.spec().taskId());
        row.put("friendlyId", run.runId());
        row.put("status", databaseStatus(status));
        row.put("createdAt", timestamp(run.createdAt()));
        row.put("updatedAt", timestamp(run.lastChangedAt()));
        row.put("startedAt", timestamp(run.startedAt()));
        row.put("delayUntil", timestamp(run.delayUntil()));
        row.put("queuedAt", timestamp(run.queuedAt()));
        row.put("expiredAt", status == RunStatus.EXPIRED ? timestamp(run.finishedAt()) : null);
        row.put("completedAt", status.isFinal() ? timestamp(run.finishedAt()) : null);
        // Baton does not number a task's runs, and bills nothing.
        row.put("number", "0");
        row.put("isTest", run.spec().test() ? "t" : "f");
        row.put("usageDurationMs", Long.toString(run.durationMs()));
        row.put("costInCents", "0");
        row.put("baseCostInCents", "0");
        row.put(
                "ttl",
                run.spec().ttl() == null ? null : Durations.format(run.spec().ttl()));
        String payload = run.spec().payloadJson();
        row.put("payload", payload);
        row.put("payloadType", payload == null ? null : JSON);
        row.put("metadata", run.metadataJson());
        row.put("metadataType", run.metadataJson() == null ? null : JSON);
        String output = completed ? run.outputJson() : null;
        row.put("output", output);
        row.put("outputType", output == null ? null : JSON);
        row.put("runTags", textArray(run.tags()));
        row.put("error", status.isFinal() && !completed ? error(run) : null);
        row.put("realtimeStreams", "{}");
        row.keySet().removeAll(skipped);
        return row;
    }

    /** Trigger.dev's TaskRunStatus, which the SDK maps back to the API's statuses. */
    static String databaseStatus(RunStatus status) {
        return switch (status) {
            case NEW -> throw new IllegalArgumentException("a run in status NEW does not exist");
            case QUEUED -> "PENDING";
            case RETRYING -> "RETRYING_AFTER_FAILURE";
            case WAITING -> "WAITING_TO_RESUME";
            case COMPLETED -> "COMPLETED_SUCCESSFULLY";
            case FAILED -> "COMPLETED_WITH_ERRORS";
            default -> status.name();
        };
    }

    private static String timestamp(Instant instant) {
        return instant == null ? null : TIMESTAMP.format(instant);
    }

    private static String textArray(List<String> values) {
        return values.stream()
                .map(value -> '"' + value.replace("\\", "\\\\").replace("\"", "\\\"") + '"')
                .collect(Collectors.joining(",", "{", "}"));
    }

    /** Trigger.dev's BUILT_IN_ERROR; a run that expired has no error of its own, so it says why it ended. */
    private static String error(RunState run) {
        RunError error = run.error();
        String name = error == null || error.name() == null ? "Error" : error.name();
        String message =
                error == null ? "Run ended " + run.status().name() : error.message() != null ? error.message() : name;
        ObjectNode node = Json.mapper()
                .createObjectNode()
                .put("type", "BUILT_IN_ERROR")
                .put("name", name)
                .put("message", message)
                .put("stackTrace", error == null || error.stackTrace() == null ? "" : error.stackTrace());
        return Json.write(node);
    }
}
