package dev.baton.engine.run;

import dev.baton.engine.common.CborSerializable;
import dev.baton.engine.task.RetryPolicy;
import dev.baton.engine.task.TaskDefinition;
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
 * @param lockedToVersion the only version of the task's workers that may run it (the trigger's {@code lockToVersion}
 *     or its parent's); null for none
 * @param pendingTask what the trigger gave for a task no worker had declared yet, else null: the queue, retry and
 *     maxDuration above are the engine's defaults until the task's declaration replaces them ({@link #resolved})
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
        TraceContext trace,
        String lockedToVersion,
        PendingTask pendingTask)
        implements CborSerializable {

    public RunSpec {
        tags = tags == null ? List.of() : List.copyOf(tags);
        lineage = lineage == null ? RunLineage.ROOT : lineage;
    }

    /**
     * What a trigger gave for a task not declared yet, so that the declaration's defaults fill in only the rest.
     *
     * @param queue the trigger's queue, or null for the task's
     * @param maxAttempts the trigger's, or null for the task's retry policy
     * @param maxDurationSeconds the trigger's, or null for the task's
     */
    public record PendingTask(String queue, Integer maxAttempts, Integer maxDurationSeconds)
            implements CborSerializable {}

    /** A spec as the fields before versions existed give it: unlocked, its task declared. */
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
            String replayOf,
            RunLineage lineage,
            TraceContext trace) {
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
                lineage,
                trace,
                null,
                null);
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
                trace,
                lockedToVersion,
                pendingTask);
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
                trace,
                lockedToVersion,
                pendingTask);
    }

    /** The spec of a run whose task was not declared when it was triggered, completed by the task's declaration. */
    RunSpec resolved(TaskDefinition task) {
        PendingTask given = pendingTask == null ? new PendingTask(queue, null, maxDurationSeconds) : pendingTask;
        return new RunSpec(
                environmentId,
                taskId,
                given.queue() == null ? task.queue() : given.queue(),
                payloadJson,
                payloadType,
                tags,
                metadataJson,
                idempotencyKey,
                given.maxAttempts() == null ? task.retry() : task.retry().withMaxAttempts(given.maxAttempts()),
                given.maxDurationSeconds() == null ? task.maxDurationSeconds() : given.maxDurationSeconds(),
                test,
                concurrencyKey,
                priorityMs,
                delayUntil,
                ttl == null ? task.ttl() : ttl,
                replayOf,
                lineage,
                trace,
                lockedToVersion,
                null);
    }

    /** The run's place in its trace: as triggered, or a trace of its own derived from its id. */
    public TraceContext traceContext(String runId) {
        return trace != null ? trace : TraceContext.derived(runId);
    }
}
