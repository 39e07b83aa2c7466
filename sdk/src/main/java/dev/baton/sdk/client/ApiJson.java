package dev.baton.sdk.client;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.sdk.internal.json.Json;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Translates between the HTTP API's JSON and the client's types, in one place. Reading is
 * tolerant: unknown fields are ignored and missing flags are derived from the status.
 */
final class ApiJson {

    private ApiJson() {}

    static ObjectNode triggerBody(Object payload, TriggerOptions options) {
        ObjectNode body = Json.mapper().createObjectNode();
        body.set("payload", toJson(payload, "payload"));
        ObjectNode json = body.objectNode();
        if (options != null) {
            if (options.tags() != null) {
                json.set("tags", Json.mapper().valueToTree(options.tags()));
            }
            if (options.metadata() != null) {
                json.set("metadata", toJson(options.metadata(), "metadata"));
            }
            putIfPresent(json, "maxAttempts", options.maxAttempts());
            putIfPresent(json, "idempotencyKey", options.idempotencyKey());
            putIfPresent(json, "idempotencyKeyTTL", options.idempotencyKeyTTL());
            if (options.queue() != null) {
                json.putObject("queue").put("name", options.queue());
            }
            putIfPresent(json, "concurrencyKey", options.concurrencyKey());
            putIfPresent(json, "delay", options.delay());
            putIfPresent(json, "ttl", options.ttl());
            putIfPresent(json, "priority", options.priority());
            putIfPresent(json, "maxDuration", options.maxDuration());
            putIfPresent(json, "lockToVersion", options.lockToVersion());
        }
        if (!json.isEmpty()) {
            body.set("options", json);
        }
        return body;
    }

    /** One NDJSON line of a batch's items: {@code {index, task, payload, options?}}. */
    static ObjectNode batchItemLine(int index, BatchItem item) {
        ObjectNode line = Json.mapper().createObjectNode().put("index", index).put("task", item.taskId());
        line.setAll(triggerBody(item.payload(), item.options()));
        return line;
    }

    static Batch batch(JsonNode json) {
        List<String> runIds = new ArrayList<>();
        json.path("runs").forEach(run -> runIds.add(run.asText()));
        List<Batch.ItemError> errors = new ArrayList<>();
        JsonNode processing = json.path("processing");
        processing
                .path("errors")
                .forEach(error -> errors.add(new Batch.ItemError(
                        error.path("index").asInt(), Json.text(error, "taskIdentifier"), Json.text(error, "error"))));
        return new Batch(
                Json.text(json, "id"),
                Json.text(json, "status"),
                Json.text(json, "idempotencyKey"),
                Json.instant(json.get("createdAt")),
                Json.instant(json.get("updatedAt")),
                Json.instant(processing.get("completedAt")),
                json.path("runCount").asInt(),
                runIds,
                errors);
    }

    static TriggerResult triggerResult(JsonNode json) {
        return new TriggerResult(Json.text(json, "id"), json.path("isCached").asBoolean(false));
    }

    static Run run(JsonNode json) {
        RunStatus status = status(Json.text(json, "status"));
        boolean isFinal = status != null && status.isFinal();
        List<String> tags = new ArrayList<>();
        json.path("tags").forEach(tag -> tags.add(tag.asText()));
        JsonNode errorJson = Json.valueOrNull(json, "error");
        RunError error = errorJson == null
                ? null
                : new RunError(
                        Json.text(errorJson, "message"),
                        Json.text(errorJson, "name"),
                        Json.text(errorJson, "stackTrace"));
        return new Run(
                Json.text(json, "id"),
                status,
                Json.text(json, "taskIdentifier"),
                flag(
                        json,
                        "isQueued",
                        status == RunStatus.QUEUED
                                || status == RunStatus.PENDING_VERSION
                                || status == RunStatus.DELAYED),
                flag(json, "isExecuting", status == RunStatus.EXECUTING || status == RunStatus.DEQUEUED),
                flag(json, "isWaiting", status == RunStatus.WAITING),
                flag(json, "isCompleted", isFinal),
                flag(json, "isSuccess", status == RunStatus.COMPLETED),
                flag(json, "isFailed", isFinal && status != RunStatus.COMPLETED && status != RunStatus.CANCELED),
                flag(json, "isCancelled", status == RunStatus.CANCELED),
                Json.instant(json.get("createdAt")),
                Json.instant(json.get("updatedAt")),
                Json.instant(json.get("startedAt")),
                Json.instant(json.get("finishedAt")),
                tags,
                json.path("attemptCount").asInt(0),
                json.path("durationMs").asLong(0),
                json.path("payload").isMissingNode() ? null : json.get("payload"),
                Json.valueOrNull(json, "output"),
                error,
                Json.valueOrNull(json, "metadata"),
                Json.text(json, "idempotencyKey"),
                Json.instant(json.get("delayedUntil")),
                Json.instant(json.get("expiredAt")),
                Json.text(json, "ttl"),
                Json.text(json, "version"));
    }

    static List<RunEvent> events(JsonNode json) {
        List<RunEvent> events = new ArrayList<>();
        for (JsonNode event : json.path("data")) {
            events.add(new RunEvent(
                    event.path("sequenceNr").asLong(),
                    Json.text(event, "type"),
                    Json.instant(event.get("timestamp")),
                    event.path("data").isMissingNode() ? null : event.get("data")));
        }
        return events;
    }

    /** The typed exception for an error response whose body is (usually) {@code {"error": "…"}}. */
    static BatonApiException error(int status, String body, Optional<String> retryAfterHeader) {
        String message = errorMessage(status, body);
        return switch (status) {
            case 400 -> new BadRequestException(message);
            case 401 -> new AuthenticationException(message);
            case 404 -> new NotFoundException(message);
            case 413 -> new PayloadTooLargeException(message);
            case 422 -> new UnprocessableEntityException(message);
            case 429 ->
                new RateLimitException(
                        message, retryAfterHeader.flatMap(ApiJson::seconds).orElse(null));
            default -> status >= 500 ? new ServerException(status, message) : new BatonApiException(status, message);
        };
    }

    private static String errorMessage(int status, String body) {
        if (body != null && !body.isBlank()) {
            try {
                JsonNode json = Json.mapper().readTree(body);
                String error = json == null ? null : Json.text(json, "error");
                if (error != null) {
                    return error;
                }
            } catch (JsonProcessingException e) {
                // not JSON (a proxy's error page, say): the text itself is the best message
            }
            return body.length() <= 500 ? body.strip() : body.substring(0, 500) + "…";
        }
        return "HTTP " + status;
    }

    private static Optional<Duration> seconds(String header) {
        try {
            return Optional.of(Duration.ofSeconds(Long.parseLong(header.trim())));
        } catch (NumberFormatException e) {
            return Optional.empty(); // an HTTP date: rare enough not to parse
        }
    }

    private static RunStatus status(String text) {
        if (text == null) {
            return null;
        }
        try {
            return RunStatus.valueOf(text);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static boolean flag(JsonNode json, String field, boolean derived) {
        JsonNode value = json.get(field);
        return value != null && value.isBoolean() ? value.asBoolean() : derived;
    }

    static JsonNode toJson(Object value, String what) {
        try {
            return Json.mapper().valueToTree(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(what + " cannot be written as JSON: " + e.getMessage(), e);
        }
    }

    private static void putIfPresent(ObjectNode json, String field, Object value) {
        if (value instanceof Integer number) {
            json.put(field, number);
        } else if (value instanceof String text) {
            json.put(field, text);
        }
    }
}
