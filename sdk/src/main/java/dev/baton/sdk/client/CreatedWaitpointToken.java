package dev.baton.sdk.client;

/**
 * The answer to creating a waitpoint token.
 *
 * @param id       the token's id ({@code waitpoint_…}); a run waits for it with {@code ctx.waitForToken(id)}
 * @param isCached true when an idempotency key matched an earlier token, whose id this is
 * @param url      the token's callback URL: a POST of any JSON body to it completes the token with that
 *                 body, without a key (the URL is the secret)
 */
public record CreatedWaitpointToken(String id, boolean isCached, String url) {}
