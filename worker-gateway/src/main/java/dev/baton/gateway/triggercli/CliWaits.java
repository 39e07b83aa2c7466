package dev.baton.gateway.triggercli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.engine.run.Wait;
import java.time.Instant;
import java.time.format.DateTimeParseException;

/**
 * The bodies of the waits a task process asks for ({@code POST /engine/v1/runs/{run}/wait/duration}) and their
 * replies, as {@code @trigger.dev/core@4.8.3}'s WaitForDurationRequestBody / WaitForDurationResponseBody have them.
 */
final class CliWaits {

    private CliWaits() {}

    /**
     * The end of a duration wait: {@code date} (ISO-8601, as the SDK's JSON has a Date). An {@code idempotencyKey}
     * (which would return an earlier waitpoint of the key) is refused, naming it, rather than ignored.
     */
    static Instant duration(JsonNode body) {
        if (present(body.get("idempotencyKey")) || present(body.get("idempotencyKeyTTL")))
            throw new CliManifest.RefusedException(
                    "wait.for / wait.until with an idempotencyKey (idempotencyKey, idempotencyKeyTTL)"
                            + CliManifest.NOT_YET);
        JsonNode date = body.get("date");
        if (date == null || date.isNull()) throw new CliManifest.RefusedException("'date' is required");
        if (date.isNumber()) return Instant.ofEpochMilli(date.asLong());
        try {
            return Instant.parse(date.asText());
        } catch (DateTimeParseException e) {
            throw new CliManifest.RefusedException("'date' must be an ISO-8601 instant, got " + date);
        }
    }

    static ObjectNode durationAnswer(String runId, Wait wait) {
        ObjectNode answer =
                CliWire.MAPPER.createObjectNode().put("waitUntil", wait.until().toString());
        answer.putObject("waitpoint").put("id", CliWire.durationWaitpointId(runId, wait.key()));
        return answer;
    }

    private static boolean present(JsonNode value) {
        return value != null && !value.isNull();
    }
}
