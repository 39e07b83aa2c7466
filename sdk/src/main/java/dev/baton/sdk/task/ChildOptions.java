package dev.baton.sdk.task;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;

/**
 * Options of a child run started by {@link TaskContext#triggerAndWait} or
 * {@link TaskContext#batchTriggerAndWait}. Every field is optional: null means the child task's
 * own declaration (or the server's default) applies. A child needs no idempotency key: its id is
 * derived from the parent run and the call, so re-running the parent finds the same child.
 *
 * <pre>{@code
 * ChildOptions.builder().queue("emails").concurrencyKey("user-42").tags("user:42").maxAttempts(5).build()
 * }</pre>
 *
 * @param queue          the queue to run in instead of the task's
 * @param concurrencyKey splits the queue's concurrency limit per key (e.g. per user)
 * @param tags           labels to find the child by
 * @param maxAttempts    overrides the child task's retry policy's attempts
 * @param maxDuration    maximum run time of one attempt (sent in whole seconds, rounded up)
 * @param metadata       any object, stored with the child as a JSON object
 */
public record ChildOptions(
        String queue,
        String concurrencyKey,
        List<String> tags,
        Integer maxAttempts,
        Duration maxDuration,
        Object metadata) {

    public ChildOptions {
        tags = tags == null ? null : List.copyOf(tags);
        if (maxAttempts != null && maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be at least 1, was " + maxAttempts);
        }
        if (maxDuration != null && (maxDuration.isNegative() || maxDuration.isZero())) {
            throw new IllegalArgumentException("maxDuration must be positive, was " + maxDuration);
        }
    }

    /** No options: every default applies. */
    public static ChildOptions none() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    public static final class Builder {
        private String queue;
        private String concurrencyKey;
        private List<String> tags;
        private Integer maxAttempts;
        private Duration maxDuration;
        private Object metadata;

        private Builder() {}

        public Builder queue(String queue) {
            this.queue = queue;
            return this;
        }

        public Builder concurrencyKey(String concurrencyKey) {
            this.concurrencyKey = concurrencyKey;
            return this;
        }

        public Builder tags(List<String> tags) {
            this.tags = tags;
            return this;
        }

        public Builder tags(String... tags) {
            return tags(Arrays.asList(tags));
        }

        public Builder maxAttempts(Integer maxAttempts) {
            this.maxAttempts = maxAttempts;
            return this;
        }

        public Builder maxDuration(Duration maxDuration) {
            this.maxDuration = maxDuration;
            return this;
        }

        public Builder metadata(Object metadata) {
            this.metadata = metadata;
            return this;
        }

        public ChildOptions build() {
            return new ChildOptions(queue, concurrencyKey, tags, maxAttempts, maxDuration, metadata);
        }
    }
}
