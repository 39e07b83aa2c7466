package dev.baton.gateway.triggercli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.engine.run.MetadataOperation;
import dev.baton.engine.worker.RunError;
import dev.baton.gateway.protocol.WorkerProtocol;
import java.time.Duration;
import java.util.List;

/**
 * An {@code attempts/complete} body's {@code completion} (TaskRunExecutionResult) as the engine's outcome. The
 * output is stored as plain JSON, as a trigger's payload is: {@code application/json} as is, the {@code json} part
 * of {@code application/super+json} (its revival hints dropped, as Trigger.dev's API readers do),
 * {@code text/plain} as a JSON string, no output as {@code null}. A failure retries when the task process asked
 * for a retry ({@code retry} present: the SDK decided from the task's retry settings and the error); the delay
 * comes from the task's declared policy.
 */
sealed interface CliCompletion {

    record Succeeded(String outputJson, Duration ranFor) implements CliCompletion {}

    record Failed(RunError error, boolean retry, Duration ranFor) implements CliCompletion {}

    static CliCompletion read(JsonNode body) {
        JsonNode completion = body == null ? null : body.get("completion");
        if (completion == null || !completion.isObject())
            throw new CliManifest.RefusedException("'completion' is required");
        Duration ranFor = completion.path("usage").hasNonNull("durationMs")
                ? Duration.ofMillis(completion.path("usage").get("durationMs").asLong())
                : null;
        if (completion.path("ok").asBoolean(false)) {
            return new Succeeded(
                    output(
                            completion.path("output").asText(null),
                            completion.path("outputType").asText(null)),
                    ranFor);
        }
        boolean retry = completion.hasNonNull("retry")
                && !completion.path("skippedRetrying").asBoolean(false);
        return new Failed(error(completion.path("error")), retry, ranFor);
    }

    /**
     * The metadata changes the task made since its last {@code PUT /api/v1/runs/{id}/metadata} flush, which the SDK
     * sends with the completion instead of flushing them: {@code flushedMetadata}, a packet ({@code data} of
     * {@code dataType} JSON or SuperJSON) of {@code {operations, parentOperations, rootOperations}}, or the older
     * {@code metadata} object of the same fields. Only {@code operations} apply: as on the HTTP route, a run changes
     * only its own metadata. Empty when there are none.
     */
    static List<MetadataOperation> flushedMetadata(JsonNode body) {
        JsonNode completion = body == null ? null : body.get("completion");
        if (completion == null) return List.of();
        JsonNode flushed = completion.get("metadata");
        JsonNode packet = completion.get("flushedMetadata");
        if (packet != null && packet.isObject() && packet.hasNonNull("data")) {
            String type = packet.path("dataType").asText("application/json");
            try {
                flushed = switch (type) {
                    case "application/json" ->
                        CliWire.MAPPER.readTree(packet.get("data").asText());
                    case "application/super+json" ->
                        CliWire.MAPPER.readTree(packet.get("data").asText()).get("json");
                    default ->
                        throw new CliManifest.RefusedException(
                                "flushedMetadata of dataType " + type + CliManifest.NOT_YET);
                };
            } catch (JsonProcessingException e) {
                throw new CliManifest.RefusedException(
                        "flushedMetadata is not valid " + type + ": " + e.getOriginalMessage());
            }
        }
        JsonNode operations = flushed == null ? null : flushed.get("operations");
        if (operations == null || !operations.isArray() || operations.isEmpty()) return List.of();
        try {
            return WorkerProtocol.metadataOperations(operations);
        } catch (WorkerProtocol.InvalidMetadataException e) {
            throw new CliManifest.RefusedException("flushedMetadata: " + e.getMessage());
        }
    }

    private static String output(String output, String outputType) {
        if (output == null || output.isEmpty()) return "null";
        String type = outputType == null ? "application/json" : outputType;
        try {
            return switch (type) {
                case "application/json" -> CliWire.MAPPER.writeValueAsString(CliWire.MAPPER.readTree(output));
                case "application/super+json" -> {
                    JsonNode json = CliWire.MAPPER.readTree(output).get("json");
                    yield json == null ? "null" : CliWire.MAPPER.writeValueAsString(json);
                }
                case "text/plain" -> CliWire.MAPPER.writeValueAsString(output);
                default ->
                    throw new CliManifest.RefusedException("outputType " + type + CliManifest.NOT_YET
                            + " (large outputs the SDK uploads as packets are not stored yet)");
            };
        } catch (JsonProcessingException e) {
            throw new CliManifest.RefusedException("the output is not valid " + type + ": " + e.getOriginalMessage());
        }
    }

    /** Trigger.dev's TaskRunError kinds as the engine's error: BUILT_IN and INTERNAL keep their name or code. */
    private static RunError error(JsonNode error) {
        String type = error.path("type").asText("");
        return switch (type) {
            case "BUILT_IN_ERROR" ->
                new RunError(
                        error.path("name").asText("Error"),
                        error.path("message").asText(""),
                        error.path("stackTrace").asText(null));
            case "INTERNAL_ERROR" ->
                new RunError(
                        error.path("code").asText("INTERNAL_ERROR"),
                        error.path("message").asText(""),
                        error.path("stackTrace").asText(null));
            case "STRING_ERROR", "CUSTOM_ERROR" ->
                new RunError("Error", error.path("raw").asText(""), null);
            default -> new RunError("Error", "the task process reported a failure without a readable error", null);
        };
    }
}
