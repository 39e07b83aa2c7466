package dev.baton.engine.run;

import dev.baton.engine.common.CborSerializable;
import dev.baton.engine.task.RetryPolicy;
import dev.baton.engine.trace.TraceContext;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * Everything fixed when a run is triggered: what to run, with what, and under which policy.
 * Part of the {@code RunTriggered} event, so fields are only ever added (with defaults), never renamed.
 *
 * @param payloadJson the payload as JSON text, or null for none
 * @param metadataJson the initial metadata as a JSON object's text, or null
 * @param idempotencyKey the caller's idempotency key, or null
 * @param concurrencyKey splits the queue into per-key sub-queues, each with the queue's limit; null for none
 * @param priorityMs head start in the queue: the queue orders runs by (queued time − priority)
 * @param delayUntil the run stays DELAYED until then; null to queue at once
 * @param ttl the run expires when it has not started within this long after being queued; null for never
 * @param maxDurationSeconds an attempt running longer is stopped and the run ends TIMED_OUT; null for no limit
 * @param replayOf the run this one replays, or null
 * @param lineage the run's parent, root, depth and batch ({@link RunLineage#ROOT} for a run triggered from outside)
 * @param trace where the run sits in a W3C trace; null for a trace of its own (see {@link #traceContext})
 */
public record RunSpec(
        String environmentId,
        String taskId,
        String queue,
        String payloadJson,
        String payloadType,
        List<String> tags,
        String metadataJson,
        String idempotencyKey,
        RetryPolicy retry,
        Integer maxDurationSeconds,
        boolean test,
        String concurrencyKey,
        long priorityMs,
        Instant delayUntil,
        Duration ttl,
        String replayOf,
        RunLineage lineage,
        TraceContext trace)
        implements CborSerializable {

    public RunSpec {
        tags = tags == null ? List.of() : List.copyOf(tags);
        lineage = lineage == null ? RunLineage.ROOT : lineage;
    }

    /** A root run's spec. */
    public RunSpec(
            String environmentId,
            String taskId,
            String queue,
            String payloadJson,
            String payloadType,
            List<String> tags,
            String metadataJson,
            String idempotencyKey,
            RetryPolicy retry,
            Integer maxDurationSeconds,
            boolean test,
            String concurrencyKey,
            long priorityMs,
            Instant delayUntil,
            Duration ttl,
            String replayOf) {
        this(
                environmentId,
                taskId,
                queue,
                payloadJson,
                payloadType,
                tags,
                metadataJson,
                idempotencyKey,
                retry,
                maxDurationSeconds,
                test,
                concurrencyKey,
                priorityMs,
                delayUntil,
                ttl,
                replayOf,
                RunLineage.ROOT,
                null);
    }

    RunSpec withLineage(RunLineage newLineage) {
        return new RunSpec(
                environmentId,
                taskId,
                queue,
                payloadJson,
                payloadType,
                tags,
                metadataJson,
                idempotencyKey,
                retry,
                maxDurationSeconds,
                test,
                concurrencyKey,
                priorityMs,
                delayUntil,
                ttl,
                replayOf,
                newLineage,
                trace);
    }

    /** This spec as a trailing debounced trigger leaves it: its payload, and what else it gave (see the fields). */
    RunSpec debounced(Debounce.TrailingFields latest) {
        return new RunSpec(
                environmentId,
                taskId,
                queue,
                latest.payloadJson(),
                latest.payloadType(),
                latest.tags().isEmpty() ? tags : latest.tags(),
                latest.metadataJson() == null ? metadataJson : latest.metadataJson(),
                idempotencyKey,
                latest.maxAttempts() == null ? retry : retry.withMaxAttempts(latest.maxAttempts()),
                latest.maxDurationSeconds() == null ? maxDurationSeconds : latest.maxDurationSeconds(),
                test,
                concurrencyKey,
                priorityMs,
                delayUntil,
                ttl,
                replayOf,
                lineage,
                trace);
    }

    /** The run's place in its trace: as triggered, or a trace of its own derived from its id. */
    public TraceContext traceContext(String runId) {
        return trace != null ? trace : TraceContext.derived(runId);
    }
}
