package dev.baton.engine.run;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/** What a replay changes from the original run; null keeps the original's value. */
public record ReplayOverrides(
        String payloadJson,
        List<String> tags,
        String metadataJson,
        String queue,
        String concurrencyKey,
        Instant delayUntil,
        Duration ttl,
        Integer maxAttempts,
        Integer maxDurationSeconds,
        Long priorityMs) {

    public static final ReplayOverrides NONE =
            new ReplayOverrides(null, null, null, null, null, null, null, null, null, null);

    RunSpec applyTo(RunSpec original, String replayOf) {
        return new RunSpec(
                original.environmentId(),
                original.taskId(),
                pick(queue, original.queue()),
                pick(payloadJson, original.payloadJson()),
                original.payloadType(),
                pick(tags, original.tags()),
                pick(metadataJson, original.metadataJson()),
                null,
                maxAttempts == null ? original.retry() : original.retry().withMaxAttempts(maxAttempts),
                pick(maxDurationSeconds, original.maxDurationSeconds()),
                original.test(),
                pick(concurrencyKey, original.concurrencyKey()),
                pick(priorityMs, original.priorityMs()),
                delayUntil,
                pick(ttl, original.ttl()),
                replayOf,
                RunLineage.ROOT,
                null,
                // A replay goes to the newest version serving the task, as Trigger.dev's replays do.
                null,
                pending(original.pendingTask()));
    }

    /** A replay of a run whose task is still undeclared waits for it too, with these overrides given. */
    private RunSpec.PendingTask pending(RunSpec.PendingTask original) {
        if (original == null) return null;
        return new RunSpec.PendingTask(
                pick(queue, original.queue()),
                pick(maxAttempts, original.maxAttempts()),
                pick(maxDurationSeconds, original.maxDurationSeconds()));
    }

    private static <T> T pick(T override, T original) {
        return override != null ? override : original;
    }
}
