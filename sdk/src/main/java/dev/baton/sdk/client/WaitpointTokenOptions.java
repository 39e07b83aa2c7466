package dev.baton.sdk.client;

import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;

/**
 * Options of a new waitpoint token, as Trigger.dev's {@code wait.createToken}. Every field is optional
 * (null: not sent).
 *
 * <pre>{@code
 * WaitpointTokenOptions.builder().timeout("1h").tags("approval", "user:42").idempotencyKey("approve-42").build()
 * }</pre>
 *
 * @param timeout           when the token times out if nobody completes it: a duration such as {@code "10m"}
 *                          or an ISO-8601 instant
 * @param tags              up to 10 labels to find the token by
 * @param idempotencyKey    a second create with the same key returns the first token ({@code isCached})
 * @param idempotencyKeyTTL how long the key does, e.g. {@code "1h"} (server default: 30 days)
 */
public record WaitpointTokenOptions(
        String timeout, List<String> tags, String idempotencyKey, String idempotencyKeyTTL) {

    public WaitpointTokenOptions {
        tags = tags == null ? null : List.copyOf(tags);
    }

    /** No options: a token without timeout, tags or key. */
    public static WaitpointTokenOptions none() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    public static final class Builder {
        private String timeout;
        private List<String> tags;
        private String idempotencyKey;
        private String idempotencyKeyTTL;

        private Builder() {}

        /** A duration such as {@code "30s"}, {@code "10m"}, {@code "2d"}, or an ISO-8601 instant. */
        public Builder timeout(String timeout) {
            this.timeout = timeout;
            return this;
        }

        /** Times out this long after the server creates the token (whole seconds, rounded up). */
        public Builder timeout(Duration timeout) {
            if (timeout == null || timeout.isNegative()) {
                throw new IllegalArgumentException("timeout must not be negative, was " + timeout);
            }
            this.timeout = (timeout.getSeconds() + (timeout.getNano() > 0 ? 1 : 0)) + "s";
            return this;
        }

        public Builder timeout(Instant at) {
            this.timeout = at == null ? null : at.toString();
            return this;
        }

        public Builder tags(String... tags) {
            this.tags = Arrays.asList(tags);
            return this;
        }

        public Builder tags(List<String> tags) {
            this.tags = tags;
            return this;
        }

        public Builder idempotencyKey(String idempotencyKey) {
            this.idempotencyKey = idempotencyKey;
            return this;
        }

        /** e.g. {@code "30s"}, {@code "1h"}, {@code "7d"}. */
        public Builder idempotencyKeyTTL(String idempotencyKeyTTL) {
            this.idempotencyKeyTTL = idempotencyKeyTTL;
            return this;
        }

        public WaitpointTokenOptions build() {
            return new WaitpointTokenOptions(timeout, tags, idempotencyKey, idempotencyKeyTTL);
        }
    }
}
