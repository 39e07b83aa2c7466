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
                replayOf);
    }

    private static <T> T pick(T override, T original) {
        return override != null ? override : original;
    }
}
