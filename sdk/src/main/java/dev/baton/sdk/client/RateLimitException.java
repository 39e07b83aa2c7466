package dev.baton.sdk.client;

import java.time.Duration;
import java.util.Optional;

/** HTTP 429: too many requests; retry later, after {@link #retryAfter()} when the server said. */
public class RateLimitException extends BatonApiException {

    private final Duration retryAfter;

    public RateLimitException(String message, Duration retryAfter) {
        super(429, message);
        this.retryAfter = retryAfter;
    }

    /** The server's {@code Retry-After}, when it sent one in seconds. */
    public Optional<Duration> retryAfter() {
        return Optional.ofNullable(retryAfter);
    }
}
