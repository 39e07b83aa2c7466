package dev.baton.api.waitpoints;

import dev.baton.api.json.Json;
import dev.baton.engine.waitpoint.WaitpointTokenEntity;
import dev.baton.engine.waitpoint.WaitpointTokenEntity.State;
import dev.baton.engine.waitpoint.WaitpointTokenEntity.Status;
import dev.baton.projections.listing.Page;
import dev.baton.projections.waitpoints.TokenRow;
import java.time.Instant;
import java.util.List;

/**
 * The wire shapes of the waitpoint token API (Trigger.dev's {@code WaitpointTokenItem} and friends), and the
 * one place tokens and index rows become them. Absent values are left out, never {@code null} (the SDK
 * rejects {@code null} for its optional fields).
 */
final class TokenResponses {

    static final String OUTPUT_TYPE = "application/json";

    private TokenResponses() {}

    record CreateTokenResponse(String id, boolean isCached, String url) {}

    record SuccessResponse(boolean success) {}

    record Pagination(String next, String previous) {}

    record ListTokensResponse(List<TokenItem> data, Pagination pagination) {}

    /** A token in the list. */
    record TokenItem(
            String id,
            String url,
            String status,
            String completedAt,
            String timeoutAt,
            String idempotencyKey,
            String idempotencyKeyExpiresAt,
            List<String> tags,
            String createdAt) {}

    /** A token retrieved: the list's fields and its outcome ({@code output} is JSON text). */
    record RetrieveTokenResponse(
            String id,
            String url,
            String status,
            String completedAt,
            String timeoutAt,
            String idempotencyKey,
            String idempotencyKeyExpiresAt,
            List<String> tags,
            String createdAt,
            String output,
            String outputType,
            Boolean outputIsError) {}

    /** The callback URL of a token: {@code <base>/api/v1/waitpoints/tokens/<id>/callback/<hash>}. */
    static String callbackUrl(String baseUrl, String tokenId, String callbackHash) {
        return baseUrl + "/api/v1/waitpoints/tokens/" + tokenId + "/callback/" + callbackHash;
    }

    static RetrieveTokenResponse retrieved(State token, String baseUrl) {
        String output = null;
        Boolean outputIsError = null;
        if (token.status() == Status.TIMED_OUT) {
            output = Json.write(Json.mapper()
                    .createObjectNode()
                    .put("code", WaitpointTokenEntity.TIMEOUT_ERROR)
                    .put(
                            "message",
                            "Waitpoint timed out at "
                                    + Json.timestamp(token.spec().timeoutAt())));
            outputIsError = true;
        } else if (token.status() == Status.COMPLETED && token.outputJson() != null) {
            output = token.outputJson();
            outputIsError = false;
        }
        var spec = token.spec();
        return new RetrieveTokenResponse(
                token.tokenId(),
                callbackUrl(baseUrl, token.tokenId(), spec.callbackHash()),
                token.status().name(),
                Json.timestamp(token.completedAt()),
                Json.timestamp(spec.timeoutAt()),
                spec.idempotencyKey(),
                keyExpiry(spec.idempotencyKey(), spec.idempotencyKeyExpiresAt()),
                spec.tags(),
                Json.timestamp(token.createdAt()),
                output,
                output == null ? null : OUTPUT_TYPE,
                outputIsError);
    }

    static ListTokensResponse page(Page<TokenRow> page, String baseUrl) {
        return new ListTokensResponse(
                page.rows().stream().map(row -> item(row, baseUrl)).toList(),
                new Pagination(
                        page.next() == null ? null : page.next().encode(),
                        page.previous() == null ? null : page.previous().encode()));
    }

    private static TokenItem item(TokenRow row, String baseUrl) {
        return new TokenItem(
                row.tokenId(),
                callbackUrl(baseUrl, row.tokenId(), row.callbackHash()),
                row.status().name(),
                Json.timestamp(row.completedAt()),
                Json.timestamp(row.timeoutAt()),
                row.idempotencyKey(),
                keyExpiry(row.idempotencyKey(), row.idempotencyKeyExpiresAt()),
                row.tags(),
                Json.timestamp(row.createdAt()));
    }

    private static String keyExpiry(String key, Instant expiresAt) {
        return key == null ? null : Json.timestamp(expiresAt);
    }
}
