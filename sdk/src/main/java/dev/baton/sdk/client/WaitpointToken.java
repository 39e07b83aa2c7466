package dev.baton.sdk.client;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.sdk.internal.json.Json;
import java.time.Instant;
import java.util.List;

/**
 * A waitpoint token as {@code GET /api/v1/waitpoints/tokens/{id}} describes it (in a list, without its
 * output or error).
 *
 * @param status       null only if the server reported a status this SDK does not know
 * @param completedAt  when it was completed or timed out, or null
 * @param timeoutAt    when it times out (or did), or null without a timeout
 * @param idempotencyKeyExpiresAt until when its idempotency key returns it, or null without a key
 * @param output       the data it was completed with, or null (none yet, none given, or a list item)
 * @param error        why it did not complete (a timeout: {@code "Waitpoint timed out at …"}), or null
 */
public record WaitpointToken(
        String id,
        String url,
        WaitpointTokenStatus status,
        Instant completedAt,
        Instant timeoutAt,
        String idempotencyKey,
        Instant idempotencyKeyExpiresAt,
        List<String> tags,
        Instant createdAt,
        JsonNode output,
        String error) {

    public WaitpointToken {
        tags = tags == null ? List.of() : List.copyOf(tags);
    }

    public boolean isWaiting() {
        return status == WaitpointTokenStatus.WAITING;
    }

    public boolean isTimedOut() {
        return status == WaitpointTokenStatus.TIMED_OUT;
    }

    /**
     * The output decoded into {@code type} (null when there is none).
     *
     * @throws IllegalArgumentException when the output does not fit the type
     */
    public <T> T outputAs(Class<T> type) {
        if (output == null || output.isNull()) {
            return null;
        }
        try {
            return Json.mapper().treeToValue(output, type);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(
                    "output of token " + id + " cannot be read as " + type.getSimpleName() + ": "
                            + e.getOriginalMessage(),
                    e);
        }
    }
}
