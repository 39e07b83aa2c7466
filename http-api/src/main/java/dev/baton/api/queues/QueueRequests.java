package dev.baton.api.queues;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.api.errors.ApiException;
import dev.baton.engine.task.RateLimit;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Decodes the queue calls' query parameters and bodies as Trigger.dev's routes define them, refusing with a 400 that
 * names the field anything else: an unknown field or parameter, a value of the wrong type or out of range.
 */
final class QueueRequests {

    /** How a path names a queue: by its id, or by its type and name (the SDK's {@code RetrieveQueueParam}). */
    enum Lookup {
        ID,
        TASK,
        CUSTOM
    }

    record PageRequest(int page, int perPage) {}

    /** An override is absolute, or a percent of the environment's concurrency limit. */
    record Override(Integer concurrencyLimit, Double percent) {}

    static final int DEFAULT_PER_PAGE = 25;
    static final int MAX_PER_PAGE = 100;
    static final int MAX_CONCURRENCY_LIMIT = 100_000;

    private QueueRequests() {}

    /** {@code page} from 1; {@code perPage} from 1, above 100 counted as 100 (as Trigger.dev clamps it). */
    static PageRequest page(Map<String, List<String>> query) {
        onlyParameters(query, Set.of("page", "perPage"));
        return new PageRequest(
                positive(query, "page", 1), Math.min(positive(query, "perPage", DEFAULT_PER_PAGE), MAX_PER_PAGE));
    }

    /** The retrieve call's {@code ?type=}: {@code id} (the default), {@code task} or {@code custom}. */
    static Lookup lookup(Map<String, List<String>> query) {
        onlyParameters(query, Set.of("type"));
        List<String> values = query.getOrDefault("type", List.of());
        return values.isEmpty() ? Lookup.ID : lookup(values.get(values.size() - 1));
    }

    /** A body's {@code type}; absent means {@code id}. */
    static Lookup lookup(JsonNode body) {
        JsonNode type = body.get("type");
        if (type == null || type.isNull()) return Lookup.ID;
        if (!type.isTextual()) throw invalid("'type' must be one of id, task, custom");
        return lookup(type.textValue());
    }

    /** {@code {type?, action: "pause" | "resume"}}; true to pause. */
    static boolean pause(JsonNode body) {
        only(body, Set.of("type", "action"));
        JsonNode action = body.get("action");
        if (action == null || action.isNull()) throw invalid("'action' is required: pause or resume");
        if (action.isTextual() && action.textValue().equals("pause")) return true;
        if (action.isTextual() && action.textValue().equals("resume")) return false;
        throw invalid("'action' must be pause or resume");
    }

    /** {@code {type?, concurrencyLimit}} (0 to 100,000) or {@code {type?, percent}} (above 0, at most 100). */
    static Override override(JsonNode body) {
        only(body, Set.of("type", "concurrencyLimit", "percent"));
        JsonNode limit = body.get("concurrencyLimit");
        JsonNode percent = body.get("percent");
        boolean hasLimit = limit != null && !limit.isNull();
        boolean hasPercent = percent != null && !percent.isNull();
        if (hasLimit == hasPercent) throw invalid("provide exactly one of 'concurrencyLimit' or 'percent'");
        if (hasLimit) {
            if (!limit.isIntegralNumber()
                    || !limit.canConvertToInt()
                    || limit.intValue() < 0
                    || limit.intValue() > MAX_CONCURRENCY_LIMIT) {
                throw invalid("'concurrencyLimit' must be a whole number from 0 to " + MAX_CONCURRENCY_LIMIT);
            }
            return new Override(limit.intValue(), null);
        }
        if (!percent.isNumber() || !(percent.doubleValue() > 0) || percent.doubleValue() > 100) {
            throw invalid("'percent' must be a number above 0 and at most 100");
        }
        return new Override(null, percent.doubleValue());
    }

    /**
     * {@code {type?, limit, period}} (Baton's): {@code limit} a whole number from 1 to 1,000,000, {@code period} a
     * duration string from {@code 1ms} to {@code 7d}.
     */
    static RateLimit rateLimit(JsonNode body) {
        only(body, Set.of("type", "limit", "period"));
        JsonNode limit = body.get("limit");
        JsonNode period = body.get("period");
        if (limit == null || limit.isNull()) throw invalid("'limit' is required");
        if (period == null || period.isNull()) throw invalid("'period' is required, e.g. \"1s\" or \"1m\"");
        if (!limit.isIntegralNumber()
                || !limit.canConvertToInt()
                || limit.intValue() < 1
                || limit.intValue() > RateLimit.MAX_LIMIT) {
            throw invalid("'limit' must be a whole number from 1 to " + RateLimit.MAX_LIMIT);
        }
        if (!period.isTextual()) throw invalid("'period' must be a duration string such as \"1s\" or \"1m\"");
        try {
            return RateLimit.of(limit.intValue(), period.textValue());
        } catch (IllegalArgumentException e) {
            throw invalid("'period' must be a duration string from 1ms to " + RateLimit.MAX_PERIOD_DAYS
                    + "d, such as \"1s\", \"1m\" or \"1h30m\"");
        }
    }

    /** {@code {type?}}. */
    static void reset(JsonNode body) {
        only(body, Set.of("type"));
    }

    static JsonNode only(JsonNode body, Set<String> allowed) {
        if (body == null || !body.isObject()) throw invalid("expected a JSON object");
        for (Iterator<String> names = body.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!allowed.contains(name)) {
                throw invalid("unknown field '" + name + "'; allowed: " + String.join(", ", allowed));
            }
        }
        lookup(body);
        return body;
    }

    private static Lookup lookup(String type) {
        return switch (type) {
            case "id" -> Lookup.ID;
            case "task" -> Lookup.TASK;
            case "custom" -> Lookup.CUSTOM;
            default -> throw invalid("'type' must be one of id, task, custom, not '" + type + "'");
        };
    }

    private static void onlyParameters(Map<String, List<String>> query, Set<String> allowed) {
        for (String name : query.keySet()) {
            if (!allowed.contains(name)) {
                throw ApiException.badRequest("Invalid request parameters: unknown parameter '" + name + "'; allowed: "
                        + String.join(", ", allowed));
            }
        }
    }

    private static int positive(Map<String, List<String>> query, String name, int fallback) {
        List<String> values = query.getOrDefault(name, List.of());
        if (values.isEmpty() || values.get(values.size() - 1).isEmpty()) return fallback;
        try {
            int value = Integer.parseInt(values.get(values.size() - 1).trim());
            if (value >= 1) return value;
        } catch (NumberFormatException e) {
            // answered below
        }
        throw ApiException.badRequest("Invalid request parameters: " + name + " must be a positive integer");
    }

    private static ApiException invalid(String message) {
        return ApiException.badRequest("Invalid request body: " + message);
    }
}
