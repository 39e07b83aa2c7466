package dev.baton.engine.task;

import dev.baton.engine.common.CborSerializable;
import java.time.Duration;
import java.util.regex.Pattern;

/**
 * A task as a worker declared it. Part of the {@code TaskDeclared} event.
 *
 * @param concurrencyLimit the queue's limit (per concurrency key), or null for none
 * @param maxDurationSeconds the attempt's time limit, or null for none
 * @param globalConcurrencyLimit the queue's limit across all its concurrency keys, or null for none
 * @param rateLimit the queue's starts per period (per concurrency key), or null for none; absent from declarations
 * persisted before rate limits existed, which read as none
 * @param ttl how long a run of the task may wait in its queue before it expires, unless its trigger gives its own
 *     ttl; null for none (and in declarations persisted before task ttls existed)
 */
public record TaskDefinition(
        String taskId,
        String queue,
        Integer concurrencyLimit,
        RetryPolicy retry,
        Integer maxDurationSeconds,
        Integer globalConcurrencyLimit,
        RateLimit rateLimit,
        Duration ttl)
        implements CborSerializable {

    public static final Pattern ID_PATTERN = Pattern.compile("^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,127}$");

    public TaskDefinition {
        if (taskId == null || !ID_PATTERN.matcher(taskId).matches())
            throw new IllegalArgumentException("invalid task id: " + taskId);
        if (queue == null || queue.isBlank()) queue = defaultQueue(taskId);
        if (concurrencyLimit != null && concurrencyLimit < 0)
            throw new IllegalArgumentException("concurrencyLimit must not be negative");
        if (retry == null) retry = RetryPolicy.DEFAULT;
        if (maxDurationSeconds != null && maxDurationSeconds < 1)
            throw new IllegalArgumentException("maxDurationSeconds must be positive");
        if (globalConcurrencyLimit != null && globalConcurrencyLimit < 0)
            throw new IllegalArgumentException("globalConcurrencyLimit must not be negative");
        if (ttl != null && (ttl.isNegative() || ttl.isZero()))
            throw new IllegalArgumentException("ttl must be positive");
    }

    public TaskDefinition(
            String taskId,
            String queue,
            Integer concurrencyLimit,
            RetryPolicy retry,
            Integer maxDurationSeconds,
            Integer globalConcurrencyLimit,
            RateLimit rateLimit) {
        this(taskId, queue, concurrencyLimit, retry, maxDurationSeconds, globalConcurrencyLimit, rateLimit, null);
    }

    public TaskDefinition(
            String taskId, String queue, Integer concurrencyLimit, RetryPolicy retry, Integer maxDurationSeconds) {
        this(taskId, queue, concurrencyLimit, retry, maxDurationSeconds, null, null, null);
    }

    public TaskDefinition(
            String taskId,
            String queue,
            Integer concurrencyLimit,
            RetryPolicy retry,
            Integer maxDurationSeconds,
            Integer globalConcurrencyLimit) {
        this(taskId, queue, concurrencyLimit, retry, maxDurationSeconds, globalConcurrencyLimit, null, null);
    }

    public QueueLimits queueLimits() {
        return new QueueLimits(concurrencyLimit, globalConcurrencyLimit, rateLimit);
    }

    public static String defaultQueue(String taskId) {
        return "task/" + taskId;
    }
}
