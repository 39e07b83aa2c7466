package dev.baton.gateway.triggercli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.engine.run.TriggerOptions;
import dev.baton.engine.schedule.ScheduleSpec;
import dev.baton.engine.task.QueueLimits;
import dev.baton.engine.task.RetryPolicy;
import dev.baton.engine.task.TaskDefinition;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A {@code POST /api/v1/projects/{ref}/background-workers} body (CreateBackgroundWorkerRequestBody) as Baton's task
 * declarations: each task's queue (its own or a shared one from {@code queues}) with {@code concurrencyLimit} and
 * {@code combinedConcurrencyLimit}, {@code retry}, {@code maxDuration}, {@code ttl} (its runs' default), and the
 * declarative schedule of a {@code schedules.task} ({@code schedule}: cron, timezone, window, and the environment
 * types it applies to). A field Baton cannot honour yet ({@code gates}, {@code concurrency}, named
 * {@code concurrencyLimits}, prompts,
 * webhooks, agents) refuses the whole manifest with a message naming it, so the CLI stops with that message rather
 * than running tasks that silently behave otherwise. {@code machine} is accepted: in dev every run executes on the
 * developer's machine, in Trigger.dev too. {@code payloadSchema}, {@code description} and {@code sourceFiles} only
 * feed Trigger.dev's dashboard and are not kept.
 */
final class CliManifest {

    /**
     * What a manifest declares; {@code files}, {@code exportNames} and {@code schedules} by task id.
     *
     * @param schedules the declarative schedules that apply to the manifest's environment
     * @param scheduledTasks the {@code schedules.task} tasks, whose runs get Trigger.dev's scheduled payload
     */
    record Declared(
            String contentHash,
            List<TaskDefinition> tasks,
            Map<String, String> files,
            Map<String, String> exportNames,
            Map<String, QueueLimits> queueLimits,
            Map<String, ScheduleSpec> schedules,
            Set<String> scheduledTasks) {}

    /** The manifest asks for something Baton does not do (yet): answered 400 with the message. */
    static final class RefusedException extends RuntimeException {
        RefusedException(String message) {
            super(message);
        }
    }

    static final String NOT_YET = " is not supported yet by Baton's Trigger.dev CLI support";
    private static final Set<String> BODY_FIELDS =
            Set.of("localOnly", "metadata", "engine", "supportsLazyAttempts", "buildPlatform", "targetPlatform");
    private static final Set<String> TASK_FIELDS = Set.of(
            "id",
            "description",
            "filePath",
            "exportName",
            "entryPoint",
            "queue",
            "retry",
            "machine",
            "triggerSource",
            "maxDuration",
            "ttl",
            "schedule",
            "payloadSchema");
    private static final Set<String> SCHEDULE_FIELDS = Set.of("cron", "timezone", "environments", "window");
    private static final TriggerOptions OPTIONS = new TriggerOptions(TriggerOptions.Limits.DEFAULTS, Clock.systemUTC());

    private CliManifest() {}

    /** @param environmentType the manifest environment's type ({@code DEVELOPMENT}…), for schedules' environments */
    static Declared read(JsonNode body, String environmentType) {
        if (body == null || !body.isObject()) throw new RefusedException("the body must be a JSON object");
        body.fieldNames().forEachRemaining(name -> {
            if (!BODY_FIELDS.contains(name)) throw new RefusedException("unknown field '" + name + "'");
        });
        if (!body.path("localOnly").asBoolean(false))
            throw new RefusedException("deployed workers (localOnly: false)" + NOT_YET + ": use `trigger.dev dev`");
        if (body.hasNonNull("engine") && !"V2".equals(body.get("engine").asText()))
            throw new RefusedException("engine " + body.get("engine").asText() + NOT_YET + " (only V2)");
        JsonNode metadata = body.get("metadata");
        if (metadata == null || !metadata.isObject()) throw new RefusedException("'metadata' is required");
        for (String unsupported : List.of("prompts", "webhookEndpoints", "webhookSubscribers", "concurrencyLimits")) {
            JsonNode value = metadata.get(unsupported);
            if (value != null && value.isArray() && !value.isEmpty())
                throw new RefusedException("'" + unsupported + "'" + NOT_YET);
        }
        String contentHash = text(metadata, "contentHash", "metadata.contentHash");
        Map<String, QueueLimits> sharedQueues = new HashMap<>();
        for (JsonNode queue : metadata.path("queues")) {
            String name = text(queue, "name", "metadata.queues[].name");
            sharedQueues.put(name, limits(queue, "queue " + name));
        }
        JsonNode tasks = metadata.get("tasks");
        if (tasks == null || !tasks.isArray()) throw new RefusedException("'metadata.tasks' must be an array");
        List<TaskDefinition> definitions = new ArrayList<>();
        Map<String, String> files = new HashMap<>();
        Map<String, String> exportNames = new HashMap<>();
        Map<String, QueueLimits> queueLimits = new LinkedHashMap<>();
        Map<String, ScheduleSpec> schedules = new LinkedHashMap<>();
        Set<String> scheduledTasks = new HashSet<>();
        for (JsonNode task : tasks) {
            TaskDefinition definition = task(task, sharedQueues);
            if ("schedule".equals(task.path("triggerSource").asText())) scheduledTasks.add(definition.taskId());
            JsonNode schedule = task.get("schedule");
            if (schedule != null && !schedule.isNull()) {
                scheduledTasks.add(definition.taskId());
                schedule(definition.taskId(), schedule, environmentType)
                        .ifPresent(spec -> schedules.put(definition.taskId(), spec));
            }
            definitions.add(definition);
            files.put(definition.taskId(), text(task, "filePath", "task " + definition.taskId() + ": filePath"));
            if (task.hasNonNull("exportName"))
                exportNames.put(definition.taskId(), task.get("exportName").asText());
            queueLimits.put(definition.queue(), definition.queueLimits());
        }
        return new Declared(
                contentHash,
                List.copyOf(definitions),
                files,
                exportNames,
                queueLimits,
                schedules,
                Set.copyOf(scheduledTasks));
    }

    /**
     * A task's declarative schedule, or none when its {@code environments} leave this environment out (Trigger.dev
     * creates it only in the environments named).
     */
    private static Optional<ScheduleSpec> schedule(String taskId, JsonNode schedule, String environmentType) {
        String where = "task " + taskId + ": schedule";
        if (!schedule.isObject()) throw new RefusedException(where + " must be an object");
        schedule.fieldNames().forEachRemaining(name -> {
            if (!SCHEDULE_FIELDS.contains(name) && !schedule.get(name).isNull())
                throw new RefusedException(where + "." + name + NOT_YET);
        });
        JsonNode environments = schedule.get("environments");
        if (environments != null && environments.isArray() && !environments.isEmpty()) {
            boolean here = false;
            for (JsonNode environment : environments)
                here |= environment.asText().equals(environmentType);
            if (!here) return Optional.empty();
        }
        String cron = text(schedule, "cron", where + ".cron");
        String timezone =
                schedule.hasNonNull("timezone") ? schedule.get("timezone").asText() : ScheduleSpec.UTC;
        String window = schedule.hasNonNull("window") ? schedule.get("window").asText() : null;
        ScheduleSpec spec = new ScheduleSpec(taskId, cron, timezone, null, null, window, ScheduleSpec.DECLARATIVE);
        try {
            spec.validated();
        } catch (RuntimeException e) { // a bad cron, window (IllegalArgumentException) or zone (DateTimeException)
            throw new RefusedException(where + ": " + e.getMessage());
        }
        return Optional.of(spec);
    }

    private static TaskDefinition task(JsonNode task, Map<String, QueueLimits> sharedQueues) {
        String id = text(task, "id", "metadata.tasks[].id");
        String where = "task " + id + ": ";
        task.fieldNames().forEachRemaining(name -> {
            if (!TASK_FIELDS.contains(name) && !task.get(name).isNull())
                throw new RefusedException(where + "'" + name + "'" + NOT_YET);
        });
        if (task.hasNonNull("triggerSource")
                && !Set.of("standard", "schedule")
                        .contains(task.get("triggerSource").asText()))
            throw new RefusedException(
                    where + "triggerSource " + task.get("triggerSource").asText() + NOT_YET);
        JsonNode queue = task.path("queue");
        String queueName = queue.hasNonNull("name") ? queue.get("name").asText() : TaskDefinition.defaultQueue(id);
        QueueLimits limits = limits(queue, where + "queue");
        if (limits.equals(QueueLimits.UNLIMITED)) limits = sharedQueues.getOrDefault(queueName, QueueLimits.UNLIMITED);
        Integer maxDuration = null;
        if (task.hasNonNull("maxDuration")) {
            double seconds = task.get("maxDuration").asDouble();
            if (seconds < 1) throw new RefusedException(where + "maxDuration must be at least 1 second");
            maxDuration = (int) Math.ceil(seconds);
        }
        Duration ttl;
        try {
            ttl = OPTIONS.ttl(task.get("ttl"), "ttl");
        } catch (TriggerOptions.InvalidOptionException e) {
            throw new RefusedException(where + e.getMessage());
        }
        try {
            return new TaskDefinition(
                    id,
                    queueName,
                    limits.concurrencyLimit(),
                    retry(task.path("retry"), where),
                    maxDuration,
                    limits.globalConcurrencyLimit(),
                    null,
                    ttl);
        } catch (IllegalArgumentException e) {
            throw new RefusedException(where + e.getMessage());
        }
    }

    private static QueueLimits limits(JsonNode queue, String where) {
        Integer perKey = integer(queue.get("concurrencyLimit"), where + ".concurrencyLimit");
        Integer total = integer(queue.get("combinedConcurrencyLimit"), where + ".combinedConcurrencyLimit");
        return new QueueLimits(perKey, total);
    }

    /** Trigger.dev's retry options over Baton's defaults; {@code outOfMemory} names a machine, ignored in dev. */
    private static RetryPolicy retry(JsonNode retry, String where) {
        if (retry.isMissingNode() || retry.isNull()) return RetryPolicy.DEFAULT;
        RetryPolicy base = RetryPolicy.DEFAULT;
        try {
            return new RetryPolicy(
                    retry.hasNonNull("maxAttempts") ? retry.get("maxAttempts").asInt() : base.maxAttempts(),
                    retry.hasNonNull("factor") ? retry.get("factor").asDouble() : base.factor(),
                    retry.hasNonNull("minTimeoutInMs")
                            ? retry.get("minTimeoutInMs").asLong()
                            : base.minTimeoutInMs(),
                    retry.hasNonNull("maxTimeoutInMs")
                            ? retry.get("maxTimeoutInMs").asLong()
                            : base.maxTimeoutInMs(),
                    retry.hasNonNull("randomize") ? retry.get("randomize").asBoolean() : base.randomize());
        } catch (IllegalArgumentException e) {
            throw new RefusedException(where + "retry: " + e.getMessage());
        }
    }

    private static Integer integer(JsonNode value, String where) {
        if (value == null || value.isNull()) return null;
        if (!value.canConvertToInt() || !value.isIntegralNumber() || value.intValue() < 0)
            throw new RefusedException(where + " must be a non-negative integer");
        return value.intValue();
    }

    private static String text(JsonNode node, String field, String where) {
        JsonNode value = node.get(field);
        if (value == null || !value.isTextual() || value.asText().isBlank())
            throw new RefusedException("'" + where + "' is required");
        return value.asText();
    }
}
