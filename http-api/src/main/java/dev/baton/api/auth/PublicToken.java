package dev.baton.api.auth;

import java.time.Instant;
import java.util.List;

/**
 * A verified public access token's claims.
 *
 * @param hash the SHA-256 of the whole token (hex): the key a one-time-use token is recorded under
 * @param oneTimeUse the {@code otu} claim: the token may trigger once
 * @param realtimeSkipColumns the {@code realtime.skipColumns} claim: the columns its realtime subscriptions leave
 *     out, in place of the request's; null when the token has none
 */
public record PublicToken(
        String hash, Scopes scopes, boolean oneTimeUse, Instant expiresAt, List<String> realtimeSkipColumns) {}
