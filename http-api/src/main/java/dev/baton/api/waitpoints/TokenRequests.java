package dev.baton.api.waitpoints;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.api.HttpSettings;
import dev.baton.api.errors.ApiException;
import dev.baton.api.json.Json;
import dev.baton.api.time.Durations;
import dev.baton.engine.waitpoint.WaitpointTokenEntity.Status;
import dev.baton.engine.waitpoint.WaitpointTokens.CreateRequest;
import dev.baton.projections.waitpoints.TokenCursor;
import dev.baton.projections.waitpoints.TokenList;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

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
  static final String FROM = "filter[createdAt][from]";
  static final String TO = "filter[createdAt][to]";
  static final String PERIOD = "filter[createdAt][period]";
  static final String PAGE_SIZE = "page[size]";
  static final String AFTER = "page[after]";
  static final String BEFORE = "page[before]";
  private static final Pattern EPOCH_MILLIS = Pattern.compile("^-?\\d{1,16}$");

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
      throw ApiException.badRequest("idempotencyKey must be " + settings.maxIdempotencyKeyLength()
          + " characters or less");
    }
    Duration keyTtl = null;
    String keyTtlText = optionalString(given, "idempotencyKeyTTL");
    if (keyTtlText != null) {
      keyTtl = Durations.parseKeyTtl(keyTtlText).orElseThrow(() -> ApiException.unprocessable(
          "Invalid idempotencyKeyTTL '" + keyTtlText + "': expected a number and s, m, h or d, e.g. 30m"));
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
    return ApiException.unprocessable("Invalid timeout: it must be at most " + Durations.format(settings.maxDelay())
        + " away");
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
      if (!node.isTextual()) throw ApiException.badRequest("Invalid body: tags must be a string or an array of strings");
      String tag = node.textValue();
      if (tag.isEmpty() || tag.length() > settings.maxTagLength()) {
        throw ApiException.badRequest("Invalid tag '" + tag + "': a tag has 1 to " + settings.maxTagLength()
            + " characters");
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

  record ListQuery(TokenList.Filter filter, TokenList.PageRequest page) {}

  ListQuery list(Map<String, List<String>> params) {
    TokenList.Filter filter = new TokenList.Filter(statuses(params), single(params, IDEMPOTENCY_KEY),
        listValues(params, TAGS), date(params, FROM, false), date(params, TO, true), period(params));
    TokenCursor after = cursor(params, AFTER);
    TokenCursor before = cursor(params, BEFORE);
    // The SDK's getPreviousPage() keeps the page[after] it came with and adds page[before]: before wins (as in
    // Trigger.dev's presenter).
    return new ListQuery(filter, new TokenList.PageRequest(pageSize(params), before == null ? after : null, before));
  }

  private Set<Status> statuses(Map<String, List<String>> params) {
    Set<String> names = listValues(params, STATUS);
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
      throw invalid(STATUS, "Invalid status values: " + String.join(", ", invalid)
          + " (expected WAITING, COMPLETED or TIMED_OUT)");
    }
    return statuses;
  }

  /** A comma-separated list (a repeated parameter adds to it); null when absent or empty. */
  private Set<String> listValues(Map<String, List<String>> params, String name) {
    List<String> values = values(params, name);
    if (values.isEmpty()) return null;
    if (values.size() > settings.listMaxFilterValues()) {
      throw invalid(name, "expected at most " + settings.listMaxFilterValues() + " values");
    }
    return new LinkedHashSet<>(values);
  }

  private static String single(Map<String, List<String>> params, String name) {
    List<String> values = params.getOrDefault(name, List.of()).stream().filter(value -> !value.isEmpty()).toList();
    if (values.size() > 1) throw invalid(name, "expected a single value");
    return values.isEmpty() ? null : values.get(0);
  }

  /** Epoch milliseconds (what the SDK sends) or an ISO-8601 date; {@code to} includes its whole millisecond. */
  private static Instant date(Map<String, List<String>> params, String name, boolean upperBound) {
    String value = single(params, name);
    if (value == null) return null;
    Instant instant = EPOCH_MILLIS.matcher(value).matches()
        ? Instant.ofEpochMilli(Long.parseLong(value))
        : Durations.parseDate(value).orElseThrow(() -> invalid(name, "expected epoch milliseconds or an ISO-8601 date"));
    return upperBound ? instant.plusMillis(1) : instant;
  }

  private static Duration period(Map<String, List<String>> params) {
    String value = single(params, PERIOD);
    if (value == null) return null;
    return Durations.parseDuration(value).orElseThrow(() -> invalid(PERIOD, "expected a duration such as 30m, 2h, 1d or 1w"));
  }

  private int pageSize(Map<String, List<String>> params) {
    String value = single(params, PAGE_SIZE);
    if (value == null) return settings.listDefaultPageSize();
    String must = "expected an integer from 1 to " + settings.listMaxPageSize();
    if (!value.matches("^\\d{1,9}$")) throw invalid(PAGE_SIZE, must);
    int size = Integer.parseInt(value);
    if (size < 1 || size > settings.listMaxPageSize()) throw invalid(PAGE_SIZE, must);
    return size;
  }

  private static TokenCursor cursor(Map<String, List<String>> params, String name) {
    String value = single(params, name);
    if (value == null) return null;
    return TokenCursor.decode(value).orElseThrow(() -> invalid(name, "expected a cursor from a previous page's pagination"));
  }

  private static List<String> values(Map<String, List<String>> params, String name) {
    return params.getOrDefault(name, List.of()).stream()
        .flatMap(value -> Arrays.stream(value.split(",")))
        .map(String::strip)
        .filter(value -> !value.isEmpty())
        .toList();
  }

  private static ApiException invalid(String name, String problem) {
    return ApiException.badRequest("Invalid query parameter " + name + ": " + problem);
  }
}
