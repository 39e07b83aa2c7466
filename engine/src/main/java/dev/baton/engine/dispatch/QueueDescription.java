package dev.baton.engine.dispatch;

import dev.baton.engine.common.CborSerializable;
import dev.baton.engine.environment.QueueSettings;
import dev.baton.engine.task.QueueLimits;
import dev.baton.engine.task.RateLimit;

/**
 * One queue of an environment as its dispatcher sees it.
 *
 * @param name Baton's queue name: {@code task/<taskId>} for a task's own queue, else the name runs or tasks gave
 * @param queued runs waiting in it for a worker
 * @param running runs of it holding a concurrency slot
 * @param declared the limits its tasks declared, or null when no worker has declared it since the dispatcher started
 * @param settings its overrides (paused, concurrency limit, rate limit)
 */
public record QueueDescription(String name, int queued, int running, QueueLimits declared, QueueSettings settings)
        implements CborSerializable {

    public static final String TASK_QUEUE_PREFIX = "task/";

    /** A task's own queue ({@code task/<taskId>}), as opposed to one named in code or by a trigger. */
    public boolean isTaskQueue() {
        return name.startsWith(TASK_QUEUE_PREFIX);
    }

    /** The limit per concurrency key that applies now: the override, else the declared one; null for none. */
    public Integer effectiveConcurrencyLimit() {
        if (settings.concurrencyLimit() != null) return settings.concurrencyLimit();
        return declared == null ? null : declared.concurrencyLimit();
    }

    /** The rate limit (per concurrency key) that applies now: the override, else the declared one; null for none. */
    public RateLimit effectiveRateLimit() {
        if (settings.rateLimit() != null) return settings.rateLimit();
        return declared == null ? null : declared.rateLimit();
    }
}
