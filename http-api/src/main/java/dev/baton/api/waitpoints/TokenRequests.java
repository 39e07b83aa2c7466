package dev.baton.api.waitpoints;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.api.config.HttpSettings;
import dev.baton.api.errors.ApiException;
import dev.baton.api.json.Json;
import dev.baton.api.listing.ListParams;
import dev.baton.engine.common.Durations;
import dev.baton.engine.waitpoint.WaitpointTokenEntity.Status;
import dev.baton.engine.waitpoint.WaitpointTokens.CreateRequest;
import dev.baton.projections.listing.ListCursor;
import dev.baton.projections.listing.PageRequest;
import dev.baton.projections.waitpoints.TokenList;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The waitpoint token requests, decoded and validated before the engine is asked anything: the create body
 * ({@code idempotencyKey}, {@code idempotencyKeyTTL}, {@code timeout}, {@code tags}), the complete body
 * ({@code data}) and the list's query string. Malformed values are 400, values of the right type that Baton
 * cannot honour (a bad duration, too many tags, a timeout too far away) are 422, as Trigger.dev does.
 */
final class TokenRequests {

    static final String STATUS = "filter[status]";
    static final String IDEMPOTENCY_KEY = "filter[idempotencyKey]";
    static final String TAGS = "filter[tags]";

    private final HttpSettings settings;

    TokenRequests(HttpSettings settings) {
        this.settings = settings;
    }

    /** The create body; null (no body) is the same as {@code {}}. */
    CreateRequest create(JsonNode body, Instant now) {
        if (body != null && !body.isObject()) throw ApiException.badRequest("Invalid body: expected a JSON object");
        JsonNode given = body == null ? Json.mapper().createObjectNode() : body;
        String key = optionalString(given, "idempotencyKey");
        if (key != null && key.length() > settings.maxIdempotencyKeyLength()) {
            throw ApiException.badRequest(
                    "idempotencyKey must be " + settings.maxIdempotencyKeyLength() + " characters or less");
        }
        Duration keyTtl = null;
        String keyTtlText = optionalString(given, "idempotencyKeyTTL");
        if (keyTtlText != null) {
            keyTtl = Durations.parseKeyTtl(keyTtlText)
                    .orElseThrow(() -> ApiException.unprocessable("Invalid idempotencyKeyTTL '" + keyTtlText
                            + "': expected a number and s, m, h or d, e.g. 30m"));
        }
        return new CreateRequest(timeout(given.get("timeout"), now), tags(given.get("tags")), key, keyTtl);
    }

    /** The complete body's {@code data} as JSON text; null for none (no body, no {@code data}, or {@code null}). */
    static String completionData(JsonNode body) {
        if (body == null) return null;
        if (!body.isObject()) throw ApiException.badRequest("Invalid body: expected a JSON object");
        JsonNode data = body.get("data");
        return data == null || data.isNull() ? null : Json.write(data);
    }

    /** A duration ({@code "10m"}), an ISO-8601 date, or epoch milliseconds; null for no timeout. */
    private Instant timeout(JsonNode value, Instant now) {
        if (value == null || value.isNull()) return null;
        Instant at;
        if (value.isIntegralNumber() && value.canConvertToLong()) {
            at = Instant.ofEpochMilli(value.longValue());
        } else if (value.isTextual()) {
            String text = value.textValue().strip();
            Optional<Duration> duration = Durations.parseDuration(text);
            Optional<Instant> date = duration.isPresent() ? Optional.empty() : Durations.parseDate(text);
            if (duration.isEmpty() && date.isEmpty()) {
                throw ApiException.unprocessable("Invalid timeout '" + text
                        + "': expected a duration such as 30s, 10m, 1h or 2d, or an ISO-8601 date");
            }
            // Compared before it is added: a duration such as 9999999999999w is past the largest Instant.
            if (duration.isPresent() && duration.get().compareTo(settings.maxDelay()) > 0) throw timeoutTooFar();
            at = duration.map(now::plus).orElseGet(date::get);
        } else {
            throw ApiException.badRequest("Invalid body: timeout must be a string (a duration or a date)");
        }
        if (at.isAfter(now.plus(settings.maxDelay()))) throw timeoutTooFar();
        return at;
    }

    private ApiException timeoutTooFar() {
        return ApiException.unprocessable(
                "Invalid timeout: it must be at most " + Durations.format(settings.maxDelay()) + " away");
    }

    /** A tag or a list of tags, deduplicated in order; at most max-tags, each at most max-tag-length characters. */
    private List<String> tags(JsonNode value) {
        if (value == null || value.isNull()) return List.of();
        List<JsonNode> nodes = new ArrayList<>();
        if (value.isArray()) {
            value.forEach(nodes::add);
        } else {
            nodes.add(value);
        }
        LinkedHashSet<String> tags = new LinkedHashSet<>();
        for (JsonNode node : nodes) {
            if (!node.isTextual())
                throw ApiException.badRequest("Invalid body: tags must be a string or an array of strings");
            String tag = node.textValue();
            if (tag.isEmpty() || tag.length() > settings.maxTagLength()) {
                throw ApiException.badRequest(
                        "Invalid tag '" + tag + "': a tag has 1 to " + settings.maxTagLength() + " characters");
            }
            tags.add(tag);
        }
        if (tags.size() > settings.maxTags()) {
            throw ApiException.unprocessable("Waitpoints can only have " + settings.maxTags()
                    + " tags, you're trying to set " + tags.size() + ".");
        }
        return List.copyOf(tags);
    }

    private static String optionalString(JsonNode body, String field) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) return null;
        if (!value.isTextual()) throw ApiException.badRequest("Invalid body: " + field + " must be a string");
        return value.textValue();
    }

    // ---------------------------------------------------------------- the list's query string

    record ListQuery(TokenList.Filter filter, PageRequest page) {}

    ListQuery list(Map<String, List<String>> query) {
        ListParams params = new ListParams(query, settings, ListParams.Single.AS_SENT);
        TokenList.Filter filter = new TokenList.Filter(
                statuses(params),
                params.single(IDEMPOTENCY_KEY),
                params.list(TAGS),
                params.date(ListParams.FROM, false),
                params.date(ListParams.TO, true),
                params.period());
        ListCursor after = params.cursor(ListParams.AFTER);
        ListCursor before = params.cursor(ListParams.BEFORE);
        // The SDK's getPreviousPage() keeps the page[after] it came with and adds page[before]: before wins (as in
        // Trigger.dev's presenter).
        return new ListQuery(filter, new PageRequest(params.pageSize(), before == null ? after : null, before));
    }

    private static Set<Status> statuses(ListParams params) {
        Set<String> names = params.list(STATUS);
        if (names == null) return null;
        Set<Status> statuses = EnumSet.noneOf(Status.class);
        List<String> invalid = new ArrayList<>();
        for (String name : names) {
            try {
                Status status = Status.valueOf(name);
                if (status == Status.NEW) throw new IllegalArgumentException(name);
                statuses.add(status);
            } catch (IllegalArgumentException e) {
                invalid.add(name);
            }
        }
        if (!invalid.isEmpty()) {
            throw ListParams.invalid(
                    STATUS,
                    "Invalid status values: " + String.join(", ", invalid)
                            + " (expected WAITING, COMPLETED or TIMED_OUT)");
        }
        return statuses;
    }
}
