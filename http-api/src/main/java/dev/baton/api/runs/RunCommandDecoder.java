package dev.baton.api.runs;

import static dev.baton.engine.run.TriggerOptions.optionalString;
import static dev.baton.engine.run.TriggerOptions.present;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.api.config.HttpSettings;
import dev.baton.api.errors.ApiException;
import dev.baton.api.json.Json;
import dev.baton.engine.run.MetadataOperation;
import dev.baton.engine.run.ReplayOverrides;
import dev.baton.engine.run.TriggerOptions;
import dev.baton.engine.run.TriggerOptions.InvalidOptionException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Validates the bodies of the run-management calls (replay, reschedule, tags, metadata, idempotency-key
 * reset) before the engine is asked anything, with the same field rules as a trigger's options
 * ({@link TriggerOptions}). A JSON {@code null} counts as absent.
 */
public final class RunCommandDecoder {

    private static final String OPERATION_TYPES = "update, set, delete, append, remove, increment";

    private final TriggerOptions options;
    private final Clock clock;

    public RunCommandDecoder(HttpSettings settings) {
        this(settings, Clock.systemUTC());
    }

    public RunCommandDecoder(HttpSettings settings, Clock clock) {
        this.options = ApiTriggerOptions.create(settings, clock);
        this.clock = clock;
    }

    /** Options of the SDK's replay body that Baton refuses, with why. */
    private static final Map<String, String> REPLAY_REFUSED = Map.of(
            "machine", "Baton has no machine presets",
            "region", "Baton has no regions",
            "version", "a replay runs on the newest version serving its task",
            "idempotencyKey", "a replay always makes a new run",
            "idempotencyKeyTTL", "a replay always makes a new run");

    /**
     * {@code POST /api/v1/runs/{id}/replay}: an absent body (null) or {@code {}} replays unchanged. Honoured:
     * {@code payload} (+ {@code payloadType}, decoded as in a trigger), {@code tags}, {@code metadata},
     * {@code queue}, {@code concurrencyKey}, {@code delay}, {@code ttl}, {@code maxAttempts},
     * {@code maxDuration}, {@code priority}. The other options of the SDK's replay body are refused by name
     * ({@link #REPLAY_REFUSED}), since a replay could not do what they ask; unknown fields are ignored.
     */
    public ReplayOverrides replay(JsonNode body) {
        try {
            if (body == null) return ReplayOverrides.NONE;
            requireObject(body);
            REPLAY_REFUSED.forEach((option, why) -> {
                if (present(body.get(option)) != null)
                    throw ApiException.badRequest(option + " is not supported on a replay: " + why);
            });
            String payloadType = optionalString(body.get("payloadType"), "payloadType");
            JsonNode payload = present(body.get("payload"));
            String payloadJson = payload == null
                    ? null
                    : PayloadDecoder.decode(
                            payload, payloadType == null ? PayloadDecoder.APPLICATION_JSON : payloadType);
            List<String> tags = present(body.get("tags")) == null ? null : options.tags(body.get("tags"), "tags");
            return new ReplayOverrides(
                    payloadJson,
                    tags,
                    options.metadata(body.get("metadata"), "metadata"),
                    options.queue(body.get("queue"), "queue"),
                    options.concurrencyKey(body.get("concurrencyKey"), "concurrencyKey"),
                    options.delayUntil(body.get("delay"), "delay"),
                    options.ttl(body.get("ttl"), "ttl"),
                    options.maxAttempts(body.get("maxAttempts"), "maxAttempts"),
                    options.maxDurationSeconds(body.get("maxDuration"), "maxDuration"),
                    options.priorityMs(body.get("priority"), "priority"));
        } catch (InvalidOptionException e) {
            throw ApiTriggerOptions.refusal(e);
        }
    }

    /** {@code POST /api/v1/runs/{id}/reschedule} {@code {delay}}: the new start; a past date means now. */
    public Instant reschedule(JsonNode body) {
        try {
            requireObject(body);
            if (present(body.get("delay")) == null) throw ApiException.badRequest("delay is required");
            Instant until = options.delayUntil(body.get("delay"), "delay");
            return until == null ? clock.instant() : until;
        } catch (InvalidOptionException e) {
            throw ApiTriggerOptions.refusal(e);
        }
    }

    /** {@code POST /api/v1/runs/{id}/tags} {@code {tags: string | string[]}}: distinct, blank ones dropped. */
    public List<String> tags(JsonNode body) {
        try {
            requireObject(body);
            if (present(body.get("tags")) == null) throw ApiException.badRequest("tags is required");
            return options.tags(body.get("tags"), "tags").stream()
                    .filter(tag -> !tag.isBlank())
                    .toList();
        } catch (InvalidOptionException e) {
            throw ApiTriggerOptions.refusal(e);
        }
    }

    /**
     * {@code PUT /api/v1/runs/{id}/metadata} {@code {metadata?, operations?}}: the operations to apply, in
     * order. A {@code metadata} object replaces the metadata (an {@code update} first). Empty when the body
     * changes nothing. {@code parentOperations} and {@code rootOperations} (a child run updating its
     * parent's or root's metadata) are accepted and ignored: child runs exist (a worker starts them over the
     * worker protocol), but a run changes only its own metadata.
     */
    public List<MetadataOperation> metadata(JsonNode body) {
        try {
            requireObject(body);
            List<MetadataOperation> operations = new ArrayList<>();
            String replacement = options.metadata(body.get("metadata"), "metadata");
            if (replacement != null)
                operations.add(new MetadataOperation(MetadataOperation.Type.UPDATE, null, replacement));
            JsonNode given = present(body.get("operations"));
            if (given != null) {
                if (!given.isArray()) throw ApiException.badRequest("operations must be an array");
                for (int i = 0; i < given.size(); i++) operations.add(operation(given.get(i), "operations[" + i + "]"));
            }
            return operations;
        } catch (InvalidOptionException e) {
            throw ApiTriggerOptions.refusal(e);
        }
    }

    private static MetadataOperation operation(JsonNode op, String field) {
        if (!op.isObject()) throw ApiException.badRequest(field + " must be an object");
        String typeName = optionalString(op.get("type"), field + ".type");
        if (typeName == null) throw ApiException.badRequest(field + ".type is required");
        MetadataOperation.Type type;
        try {
            type = MetadataOperation.Type.valueOf(typeName.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            type = null;
        }
        if (type == null || !typeName.equals(typeName.toLowerCase(Locale.ROOT))) {
            throw ApiException.badRequest(field + ".type must be one of " + OPERATION_TYPES);
        }
        String key = null;
        if (type != MetadataOperation.Type.UPDATE) {
            key = optionalString(op.get("key"), field + ".key");
            if (key == null) throw ApiException.badRequest(field + ".key is required");
        }
        String valueJson = null;
        if (type != MetadataOperation.Type.DELETE) {
            JsonNode value = op.get("value");
            if (value == null || value.isMissingNode()) throw ApiException.badRequest(field + ".value is required");
            if (type == MetadataOperation.Type.UPDATE && !value.isObject()) {
                throw ApiException.badRequest(field + ".value must be a JSON object");
            }
            if (type == MetadataOperation.Type.INCREMENT && !value.isNumber()) {
                throw ApiException.badRequest(field + ".value must be a number");
            }
            valueJson = Json.write(value);
        }
        try {
            return new MetadataOperation(type, key, valueJson);
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(field + ": " + e.getMessage());
        }
    }

    /** {@code POST /api/v1/idempotencyKeys/{key}/reset} {@code {taskIdentifier}}: the task whose key to free. */
    public String resetTaskIdentifier(String key, JsonNode body) {
        try {
            options.idempotencyKey(key, "The idempotency key");
            requireObject(body);
            String taskIdentifier = optionalString(body.get("taskIdentifier"), "taskIdentifier");
            if (taskIdentifier == null || taskIdentifier.isEmpty()) {
                throw ApiException.badRequest("taskIdentifier is required");
            }
            return taskIdentifier;
        } catch (InvalidOptionException e) {
            throw ApiTriggerOptions.refusal(e);
        }
    }

    /** The idempotency key of {@code x-trigger-request-idempotency-key}; null when absent or empty. */
    public String requestKey(String header) {
        try {
            if (header == null || header.isBlank()) return null;
            return options.idempotencyKey(header, "x-trigger-request-idempotency-key");
        } catch (InvalidOptionException e) {
            throw ApiTriggerOptions.refusal(e);
        }
    }

    private static void requireObject(JsonNode body) {
        if (body == null || !body.isObject()) throw ApiException.badRequest("The request body must be a JSON object");
    }
}
