package dev.baton.api.queues;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.baton.engine.dispatch.QueueDescription;
import dev.baton.engine.task.RateLimit;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;

/**
 * Trigger.dev's {@code QueueItem} in its V1 shape (a queue with its own concurrency limit, which Baton's queues are),
 * with Baton's {@code rateLimit}, and the offset-limit page the list answers.
 */
final class QueueResponses {

    private QueueResponses() {}

    /**
     * @param name a task queue's task id (Trigger.dev drops the {@code task/} prefix), else the queue's name
     * @param concurrencyLimit the per-key limit in force: the override, else the declared one; null for none
     */
    record QueueItem(
            String id,
            String name,
            String type,
            int running,
            int queued,
            boolean paused,
            @JsonInclude(JsonInclude.Include.ALWAYS) Integer concurrencyLimit,
            String version,
            Concurrency concurrency,
            RateLimits rateLimit) {}

    /** {@code base} is the declared limit, {@code override} the override; Baton records no user for an override. */
    @JsonInclude(JsonInclude.Include.ALWAYS)
    record Concurrency(Integer current, Integer base, Integer override, Instant overriddenAt, String overriddenBy) {}

    /**
     * Baton's addition to the {@code QueueItem} (the SDK's schema has no rate limit and drops the field): {@code
     * current} the limit in force (the override, else the declared one), {@code base} the declared one, {@code
     * override} the override; each {@code {limit, period}} or null.
     */
    @JsonInclude(JsonInclude.Include.ALWAYS)
    record RateLimits(Rate current, Rate base, Rate override, Instant overriddenAt) {}

    record Rate(int limit, String period) {
        static Rate of(RateLimit limit) {
            return limit == null ? null : new Rate(limit.limit(), limit.periodText());
        }
    }

    record Pagination(int currentPage, int totalPages, int count) {}

    record Page(List<QueueItem> data, Pagination pagination) {}

    static QueueItem item(String environmentId, QueueDescription queue) {
        boolean task = queue.isTaskQueue();
        Integer declared = queue.declared() == null ? null : queue.declared().concurrencyLimit();
        return new QueueItem(
                id(environmentId, queue.name()),
                task ? queue.name().substring(QueueDescription.TASK_QUEUE_PREFIX.length()) : queue.name(),
                task ? "task" : "custom",
                queue.running(),
                queue.queued(),
                queue.settings().paused(),
                queue.effectiveConcurrencyLimit(),
                "V1",
                new Concurrency(
                        queue.effectiveConcurrencyLimit(),
                        declared,
                        queue.settings().concurrencyLimit(),
                        queue.settings().concurrencyLimitOverriddenAt(),
                        null),
                new RateLimits(
                        Rate.of(queue.effectiveRateLimit()),
                        Rate.of(
                                queue.declared() == null
                                        ? null
                                        : queue.declared().rateLimit()),
                        Rate.of(queue.settings().rateLimit()),
                        queue.settings().rateLimitOverriddenAt()));
    }

    /**
     * A queue's id ({@code queue_…}), derived from its environment and name: Baton keeps no row per queue, and a
     * derived id is the same on every node and after every restart.
     */
    static String id(String environmentId, String queueName) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest((environmentId + "\n" + queueName).getBytes(StandardCharsets.UTF_8));
            return "queue_" + HexFormat.of().formatHex(digest, 0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
