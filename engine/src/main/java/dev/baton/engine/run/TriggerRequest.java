package dev.baton.engine.run;

import dev.baton.engine.task.RetryPolicy;
import dev.baton.engine.task.TaskDefinition;
import dev.baton.engine.trace.TraceContext;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * A validated request to start a run of a task; what the HTTP API, the worker gateway (child runs) and schedules
 * hand to the engine. Null means "not given": the task's declaration (queue, retry, maxDuration) or the engine's
 * default applies. Built with {@link #builder}, so a call site names only what it sets. Part of a waiting run's
 * {@link Wait}, so fields are only ever added, never renamed.
 *
 * @param idempotencyKeyTtl how long {@code idempotencyKey} keeps returning the same run (default 30 days)
 * @param trace the trace the run joins (the caller's {@code traceparent}, or its parent run's); null for its own
 * @param debounce collapses triggers with its key into one delayed run; null for none (HTTP triggers only)
 * @param lockToVersion the only version of the task's workers that may run it; null for the newest that serves the
 *     task when the run is dispatched
 */
public record TriggerRequest(
        String taskId,
        String payloadJson,
        String payloadType,
        List<String> tags,
        String metadataJson,
        String idempotencyKey,
        Integer maxAttempts,
        boolean test,
        String queue,
        String concurrencyKey,
        long priorityMs,
        Instant delayUntil,
        Duration ttl,
        Integer maxDurationSeconds,
        Duration idempotencyKeyTtl,
        TraceContext trace,
        Debounce debounce,
        String lockToVersion) {

    public TriggerRequest {
        tags = tags == null ? List.of() : List.copyOf(tags);
    }

    /** A request for {@code taskId} with nothing else given: no payload, no tags, every option at its default. */
    public static Builder builder(String taskId) {
        return new Builder(taskId);
    }

    /** The common case: a JSON payload and nothing else. */
    public static TriggerRequest of(String taskId, String payloadJson) {
        return builder(taskId).payload(payloadJson, "application/json").build();
    }

    /** A builder holding everything this request holds. */
    public Builder toBuilder() {
        return new Builder(taskId)
                .payload(payloadJson, payloadType)
                .tags(tags)
                .metadata(metadataJson)
                .idempotencyKey(idempotencyKey, idempotencyKeyTtl)
                .maxAttempts(maxAttempts)
                .test(test)
                .queue(queue)
                .concurrencyKey(concurrencyKey)
                .priorityMs(priorityMs)
                .delayUntil(delayUntil)
                .ttl(ttl)
                .maxDurationSeconds(maxDurationSeconds)
                .trace(trace)
                .debounce(debounce)
                .lockToVersion(lockToVersion);
    }

    /** This request with another payload, everything else unchanged. */
    public TriggerRequest withPayload(String json, String type) {
        return toBuilder().payload(json, type).build();
    }

    /** What a run of {@code task} is triggered with: the request's options where given, else the task's declaration. */
    RunSpec toRunSpec(String environmentId, TaskDefinition task) {
        return pendingRunSpec(environmentId).resolved(task);
    }

    /**
     * What a run of a task no worker has declared yet is triggered with: the request's options, the engine's
     * defaults for the rest until the task is declared, and what the request gave kept apart, for
     * {@link RunSpec#resolved}.
     */
    RunSpec pendingRunSpec(String environmentId) {
        TaskDefinition engineDefaults = new TaskDefinition(taskId, null, null, null, null);
        RetryPolicy retry = maxAttempts == null
                ? engineDefaults.retry()
                : engineDefaults.retry().withMaxAttempts(maxAttempts);
        return new RunSpec(
                environmentId,
                taskId,
                queue == null ? engineDefaults.queue() : queue,
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
                null,
                RunLineage.ROOT,
                trace,
                lockToVersion,
                new RunSpec.PendingTask(queue, maxAttempts, maxDurationSeconds));
    }

    /** Sets a request's fields one by one; what is never set stays absent (null, false, no tags, priority 0). */
    public static final class Builder {
        private final String taskId;
        private String payloadJson;
        private String payloadType;
        private List<String> tags = List.of();
        private String metadataJson;
        private String idempotencyKey;
        private Duration idempotencyKeyTtl;
        private Integer maxAttempts;
        private boolean test;
        private String queue;
        private String concurrencyKey;
        private long priorityMs;
        private Instant delayUntil;
        private Duration ttl;
        private Integer maxDurationSeconds;
        private TraceContext trace;
        private Debounce debounce;
        private String lockToVersion;

        private Builder(String taskId) {
            this.taskId = taskId;
        }

        /** @param json the payload as JSON text, or null for none */
        public Builder payload(String json, String type) {
            this.payloadJson = json;
            this.payloadType = type;
            return this;
        }

        public Builder tags(List<String> tags) {
            this.tags = tags;
            return this;
        }

        /** @param json the initial metadata as a JSON object's text, or null for none */
        public Builder metadata(String json) {
            this.metadataJson = json;
            return this;
        }

        /** @param ttl how long the key keeps returning the same run; null for the engine's default */
        public Builder idempotencyKey(String key, Duration ttl) {
            this.idempotencyKey = key;
            this.idempotencyKeyTtl = ttl;
            return this;
        }

        public Builder maxAttempts(Integer maxAttempts) {
            this.maxAttempts = maxAttempts;
            return this;
        }

        public Builder test(boolean test) {
            this.test = test;
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

        public Builder priorityMs(long priorityMs) {
            this.priorityMs = priorityMs;
            return this;
        }

        public Builder delayUntil(Instant delayUntil) {
            this.delayUntil = delayUntil;
            return this;
        }

        public Builder ttl(Duration ttl) {
            this.ttl = ttl;
            return this;
        }

        public Builder maxDurationSeconds(Integer maxDurationSeconds) {
            this.maxDurationSeconds = maxDurationSeconds;
            return this;
        }

        public Builder trace(TraceContext trace) {
            this.trace = trace;
            return this;
        }

        public Builder debounce(Debounce debounce) {
            this.debounce = debounce;
            return this;
        }

        /** @param version the only version of the task's workers that may run it; null for none */
        public Builder lockToVersion(String version) {
            this.lockToVersion = version;
            return this;
        }

        public TriggerRequest build() {
            return new TriggerRequest(
                    taskId,
                    payloadJson,
                    payloadType,
                    tags,
                    metadataJson,
                    idempotencyKey,
                    maxAttempts,
                    test,
                    queue,
                    concurrencyKey,
                    priorityMs,
                    delayUntil,
                    ttl,
                    maxDurationSeconds,
                    idempotencyKeyTtl,
                    trace,
                    debounce,
                    lockToVersion);
        }
    }
}
