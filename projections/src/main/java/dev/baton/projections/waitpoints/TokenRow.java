package dev.baton.projections.waitpoints;

import dev.baton.engine.waitpoint.TokenSpec;
import dev.baton.engine.waitpoint.WaitpointTokenEntity;
import dev.baton.engine.waitpoint.WaitpointTokenEntity.Status;
import dev.baton.engine.waitpoint.WaitpointTokenEntity.TokenCompleted;
import dev.baton.engine.waitpoint.WaitpointTokenEntity.TokenCreated;
import dev.baton.engine.waitpoint.WaitpointTokenEntity.TokenTimedOut;
import dev.baton.projections.internal.TagTable;
import dev.baton.projections.listing.ListCursor;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;

/**
 * One token in {@code baton_waitpoint_tokens}: what the list shows and filters on, and the timeout the
 * sweeper watches while the token is WAITING. Times are kept to the microsecond (what PostgreSQL stores),
 * so a row read back equals the row written and a replayed event changes nothing.
 *
 * @param completedAt when it was completed or timed out, else null
 */
public record TokenRow(
        String tokenId,
        String environmentId,
        Status status,
        Instant createdAt,
        Instant updatedAt,
        Instant completedAt,
        Instant timeoutAt,
        String idempotencyKey,
        Instant idempotencyKeyExpiresAt,
        String callbackHash,
        List<String> tags) {

    public TokenRow {
        tags = tags == null ? List.of() : List.copyOf(tags);
        createdAt = micros(createdAt);
        updatedAt = micros(updatedAt);
        completedAt = micros(completedAt);
        timeoutAt = micros(timeoutAt);
        idempotencyKeyExpiresAt = micros(idempotencyKeyExpiresAt);
    }

    /**
     * The row after {@code event}. A {@link TokenCreated} starts the row; any other event needs it, and
     * returns null without one. Registering a waiter changes nothing the index holds.
     */
    public static TokenRow apply(TokenRow row, String tokenId, WaitpointTokenEntity.Event event) {
        if (event instanceof TokenCreated e) {
            TokenSpec spec = e.spec();
            return new TokenRow(
                    tokenId,
                    spec.environmentId(),
                    Status.WAITING,
                    e.at(),
                    e.at(),
                    null,
                    spec.timeoutAt(),
                    spec.idempotencyKey(),
                    spec.idempotencyKeyExpiresAt(),
                    spec.callbackHash(),
                    spec.tags());
        }
        if (row == null) return null;
        if (event instanceof TokenCompleted e) return row.ended(Status.COMPLETED, e.at());
        if (event instanceof TokenTimedOut e) return row.ended(Status.TIMED_OUT, e.at());
        return row;
    }

    private TokenRow ended(Status end, Instant at) {
        if (status.isFinal()) return this;
        return new TokenRow(
                tokenId,
                environmentId,
                end,
                createdAt,
                at,
                at,
                timeoutAt,
                idempotencyKey,
                idempotencyKeyExpiresAt,
                callbackHash,
                tags);
    }

    /** The token's position in the token list. */
    public ListCursor cursor() {
        return new ListCursor(createdAt, tokenId);
    }

    TagTable.Tagged tagged() {
        return new TagTable.Tagged(tokenId, environmentId, createdAt, tags);
    }

    TokenRow withTags(List<String> newTags) {
        return new TokenRow(
                tokenId,
                environmentId,
                status,
                createdAt,
                updatedAt,
                completedAt,
                timeoutAt,
                idempotencyKey,
                idempotencyKeyExpiresAt,
                callbackHash,
                newTags);
    }

    private static Instant micros(Instant instant) {
        return instant == null ? null : instant.truncatedTo(ChronoUnit.MICROS);
    }
}
