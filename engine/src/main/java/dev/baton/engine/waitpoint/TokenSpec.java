package dev.baton.engine.waitpoint;

import dev.baton.engine.common.CborSerializable;
import java.time.Instant;
import java.util.List;

/**
 * What a waitpoint token is created with; journaled in {@link WaitpointTokenEntity.TokenCreated}.
 *
 * @param timeoutAt when the token times out if nobody completes it first; null for never
 * @param tags the token's tags, in order, without duplicates
 * @param idempotencyKey the key that returns this token to later creates, or null
 * @param idempotencyKeyExpiresAt until when the key does, or null without a key
 * @param callbackHash the secret last segment of the token's callback URL
 */
public record TokenSpec(
        String environmentId,
        Instant timeoutAt,
        List<String> tags,
        String idempotencyKey,
        Instant idempotencyKeyExpiresAt,
        String callbackHash)
        implements CborSerializable {

    public TokenSpec {
        tags = tags == null ? List.of() : List.copyOf(tags);
    }
}
