package dev.baton.sdk.client;

import java.util.Arrays;
import java.util.List;

/**
 * Options of one trigger, as in Trigger.dev's {@code options}. Every field is optional: null
 * means "not sent", so the task's or server's default applies.
 *
 * <pre>{@code
 * TriggerOptions.builder().tags("user:42").idempotencyKey("welcome-42").idempotencyKeyTTL("1h").delay("10s").build()
 * }</pre>
 *
 * @param tags           labels to find the run by
 * @param metadata       any object, stored with the run as a JSON object
 * @param maxAttempts    overrides the task's retry policy's attempts
 * @param idempotencyKey a second trigger with the same key returns the first run ({@code isCached})
 * @param idempotencyKeyTTL how long the key keeps returning that run, e.g. {@code "1h"} (server default: 30 days)
 * @param queue          the name of the queue to run in instead of the task's
 * @param concurrencyKey splits the queue's concurrency limit per key (e.g. per user)
 * @param delay          wait before queueing, e.g. {@code "30s"}, {@code "5m"} or an ISO-8601 instant
 * @param ttl            expire the run if it has not started within this, e.g. {@code "10m"}
 * @param priority       seconds of head start over other runs in the queue
 * @param maxDuration    maximum run time of one attempt, in seconds
 * @param idempotencyKeyTTL how long the idempotency key keeps returning its run
 * @param lockToVersion  only workers of this version run it (and its retries); the server refuses (422) a version
 *                       that does not declare the task
 */
public record TriggerOptions(
        List<String> tags,
        Object metadata,
        Integer maxAttempts,
        String idempotencyKey,
        String queue,
        String concurrencyKey,
        String delay,
        String ttl,
        Integer priority,
        Integer maxDuration,
        String idempotencyKeyTTL,
        String lockToVersion) {

    public TriggerOptions {
        tags = tags == null ? null : List.copyOf(tags);
    }

    /** No options: every default applies. */
    public static TriggerOptions none() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    public static final class Builder {
        private List<String> tags;
        private Object metadata;
        private Integer maxAttempts;
        private String idempotencyKey;
        private String queue;
        private String concurrencyKey;
        private String delay;
        private String ttl;
        private Integer priority;
        private Integer maxDuration;
        private String idempotencyKeyTTL;
        private String lockToVersion;

        private Builder() {}

        public Builder tags(List<String> tags) {
            this.tags = tags;
            return this;
        }

        public Builder tags(String... tags) {
            return tags(Arrays.asList(tags));
        }

        public Builder metadata(Object metadata) {
            this.metadata = metadata;
            return this;
        }

        public Builder maxAttempts(Integer maxAttempts) {
            this.maxAttempts = maxAttempts;
            return this;
        }

        public Builder idempotencyKey(String idempotencyKey) {
            this.idempotencyKey = idempotencyKey;
            return this;
        }

        public Builder queue(String queue) {
            this.queue = queue;
            return this;
        }

        public Builder concurrencyKey(String concurrencyKey) {
            this.concurrencyKey = concurrencyKey;
            return this;
        }

        public Builder delay(String delay) {
            this.delay = delay;
            return this;
        }

        public Builder ttl(String ttl) {
            this.ttl = ttl;
            return this;
        }

        public Builder priority(Integer priority) {
            this.priority = priority;
            return this;
        }

        public Builder maxDuration(Integer maxDurationSeconds) {
            this.maxDuration = maxDurationSeconds;
            return this;
        }

        /** How long the idempotency key keeps returning its run, e.g. {@code "30m"}, {@code "1h"}, {@code "2d"}. */
        public Builder idempotencyKeyTTL(String idempotencyKeyTTL) {
            this.idempotencyKeyTTL = idempotencyKeyTTL;
            return this;
        }

        /** Only workers of this version (their hello's, see {@code BatonWorker.Builder.version}) run the run. */
        public Builder lockToVersion(String version) {
            this.lockToVersion = version;
            return this;
        }

        public TriggerOptions build() {
            return new TriggerOptions(
                    tags,
                    metadata,
                    maxAttempts,
                    idempotencyKey,
                    queue,
                    concurrencyKey,
                    delay,
                    ttl,
                    priority,
                    maxDuration,
                    idempotencyKeyTTL,
                    lockToVersion);
        }
    }
}
