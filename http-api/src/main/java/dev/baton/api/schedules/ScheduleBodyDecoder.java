package dev.baton.api.schedules;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.api.errors.ApiException;
import dev.baton.engine.schedule.CronExpression;
import dev.baton.engine.schedule.ScheduleSpec;
import dev.baton.engine.schedule.ScheduleWindow;
import dev.baton.engine.task.TaskDefinition;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;

/**
 * Validates schedule bodies and list parameters as Trigger.dev does, before the engine is asked anything.
 * Shape errors (a missing or mistyped field, a malformed window) are 400 {@code Invalid request body: …};
 * values that parse but cannot be used (a cron expression, an unknown timezone, a task id no worker could
 * declare) are 422 with Trigger.dev's messages. A JSON {@code null} counts as absent.
 */
final class ScheduleBodyDecoder {

    private final ScheduleSettings settings;

    ScheduleBodyDecoder(ScheduleSettings settings) {
        this.settings = settings;
    }

    /** {@code POST /api/v1/schedules}: {@code {task, cron, deduplicationKey, externalId?, timezone?, window?}}. */
    ScheduleSpec create(JsonNode body) {
        requireObject(body);
        String key = string(body, "deduplicationKey", true);
        return spec(body, key == null || key.isEmpty() ? null : key);
    }

    /** {@code PUT /api/v1/schedules/{id}}: the same without {@code deduplicationKey} (ignored if sent). */
    ScheduleSpec update(JsonNode body) {
        requireObject(body);
        return spec(body, null);
    }

    private ScheduleSpec spec(JsonNode body, String deduplicationKey) {
        String task = string(body, "task", true);
        String cron = string(body, "cron", true);
        String externalId = string(body, "externalId", false);
        String timezone = string(body, "timezone", false);
        String window = string(body, "window", false);
        if (window != null) {
            try {
                ScheduleWindow.parse(window);
            } catch (IllegalArgumentException e) {
                throw ApiException.badRequest("Invalid request body: window: " + e.getMessage());
            }
        }
        if (!TaskDefinition.ID_PATTERN.matcher(task).matches()) {
            throw ApiException.unprocessable("Task with identifier " + task + " not found in project.");
        }
        CronExpression expression;
        try {
            expression = CronExpression.parse(cron);
        } catch (IllegalArgumentException e) {
            throw ApiException.unprocessable("Invalid cron expression: " + e.getMessage());
        }
        if (expression.next(Instant.now(), ZoneOffset.UTC).isEmpty()) {
            throw ApiException.unprocessable("Invalid cron expression: it never matches a date");
        }
        if (timezone != null && !timezone.isEmpty() && !Timezones.isValid(timezone)) {
            throw ApiException.unprocessable("Invalid IANA timezone: " + timezone
                    + ". View the list of valid timezones at GET /api/v1/timezones");
        }
        return new ScheduleSpec(
                task,
                expression.expression(),
                timezone,
                externalId == null || externalId.isEmpty() ? null : externalId,
                deduplicationKey,
                window,
                ScheduleSpec.IMPERATIVE);
    }

    private String string(JsonNode body, String field, boolean required) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull() || value.isMissingNode()) {
            if (required) throw ApiException.badRequest("Invalid request body: " + field + " is required");
            return null;
        }
        if (!value.isTextual()) throw ApiException.badRequest("Invalid request body: " + field + " must be a string");
        String text = value.textValue();
        if (text.length() > settings.maxFieldLength()) {
            throw ApiException.badRequest(
                    "Invalid request body: " + field + " is longer than " + settings.maxFieldLength() + " characters");
        }
        return text;
    }

    record PageRequest(int page, int perPage) {}

    /** {@code page} (from 1) and {@code perPage} (1 to the maximum) of {@code GET /api/v1/schedules}. */
    PageRequest page(Map<String, List<String>> query) {
        return new PageRequest(
                positive(query, "page", 1, Integer.MAX_VALUE),
                positive(query, "perPage", settings.defaultPerPage(), settings.maxPerPage()));
    }

    private static int positive(Map<String, List<String>> query, String name, int fallback, int max) {
        List<String> values = query.getOrDefault(name, List.of());
        if (values.isEmpty() || values.get(values.size() - 1).isEmpty()) return fallback;
        String text = values.get(values.size() - 1);
        int value;
        try {
            value = Integer.parseInt(text.trim());
        } catch (NumberFormatException e) {
            throw ApiException.badRequest("Invalid request parameters: " + name + " must be a positive integer");
        }
        if (value < 1)
            throw ApiException.badRequest("Invalid request parameters: " + name + " must be a positive integer");
        if (value > max)
            throw ApiException.badRequest("Invalid request parameters: " + name + " must be at most " + max);
        return value;
    }

    private static void requireObject(JsonNode body) {
        if (body == null || !body.isObject())
            throw ApiException.badRequest("Invalid request body: expected a JSON object");
    }
}
