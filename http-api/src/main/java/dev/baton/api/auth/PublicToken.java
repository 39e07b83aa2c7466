package dev.baton.api.auth;

import java.time.Instant;

/**
 * A verified public access token's claims.
 *
 * @param hash the SHA-256 of the whole token (hex): the key a one-time-use token is recorded under
 * @param oneTimeUse the {@code otu} claim: the token may trigger once
 */
public record PublicToken(String hash, Scopes scopes, boolean oneTimeUse, Instant expiresAt) {}
