package dev.baton.api.runs;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.api.HttpSettings;
import dev.baton.api.errors.ApiException;
import dev.baton.api.json.Json;
import dev.baton.api.time.Durations;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The run options that trigger, replay and the run-management calls share, each validated the same
 * way wherever it appears. {@code field} is the name errors use ({@code options.delay} in a trigger,
 * {@code delay} in a replay). A JSON {@code null} counts as absent: every method returns null (or the
 * documented default) for it. Wrong types are 400; values Trigger.dev refuses as unprocessable
 * ({@code delay}, {@code ttl}, {@code idempotencyKeyTTL}, more than 10 tags) are 422; oversized
 * metadata is 413.
 */
final class RunOptions {

  /** Trigger.dev clamps maxDuration to [5, 2^31-1] seconds. */
  static final int MIN_MAX_DURATION_SECONDS = 5;
  static final int MAX_MAX_DURATION_SECONDS = Integer.MAX_VALUE;
  /** Priority is seconds of head start; more than a maxDuration's worth (68 years) means nothing. */
  static final long MAX_PRIORITY_SECONDS = Integer.MAX_VALUE;
  static final int MAX_QUEUE_NAME_LENGTH = 128;

  private final HttpSettings settings;
  private final Clock clock;

  RunOptions(HttpSettings settings, Clock clock) {
    this.settings = settings;
    this.clock = clock;
  }

  static JsonNode present(JsonNode value) {
    return value == null || value.isNull() || value.isMissingNode() ? null : value;
  }

  /**
   * The number's exact value; null when it is not a number, or not a finite one (a literal beyond
   * double range, like {@code 1e400}, is parsed as infinity).
   */
  static BigDecimal finiteNumber(JsonNode value) {
    if (value == null || !value.isNumber()) return null;
    if ((value.isDouble() || value.isFloat()) && !Double.isFinite(value.doubleValue())) return null;
    return value.decimalValue();
  }

  static String optionalString(JsonNode value, String field) {
    value = present(value);
    if (value == null) return null;
    if (!value.isTextual()) throw ApiException.badRequest(field + " must be a string");
    return value.textValue();
  }

  // ---------------------------------------------------------------- tags and metadata

  /** Distinct tags in order; an empty list when absent. */
  List<String> tags(JsonNode value, String field) {
    value = present(value);
    if (value == null) return List.of();
    List<String> given = new ArrayList<>();
    if (value.isTextual()) {
      given.add(checkTag(value.textValue(), field));
    } else if (value.isArray()) {
      for (int i = 0; i < value.size(); i++) {
        JsonNode tag = value.get(i);
        if (!tag.isTextual()) throw ApiException.badRequest(field + "[" + i + "] must be a string");
        given.add(checkTag(tag.textValue(), field + "[" + i + "]"));
      }
    } else {
      throw ApiException.badRequest(field + " must be a string or an array of strings");
    }
    Set<String> distinct = new LinkedHashSet<>(given);
    if (distinct.size() > settings.maxTags()) {
      throw ApiException.unprocessable(
          "Runs can have at most " + settings.maxTags() + " tags, got " + distinct.size());
    }
    return List.copyOf(distinct);
  }

  private String checkTag(String tag, String field) {
    if (tag.length() > settings.maxTagLength()) {
      throw ApiException.badRequest(field + " must be at most " + settings.maxTagLength() + " characters");
    }
    return tag;
  }

  /** The metadata object's JSON text, or null when absent. */
  String metadata(JsonNode value, String field) {
    value = present(value);
    if (value == null) return null;
    if (!value.isObject()) throw ApiException.badRequest(field + " must be a JSON object");
    String json = Json.write(value);
    long size = json.getBytes(StandardCharsets.UTF_8).length;
    if (size > settings.maxMetadataSize()) {
      throw ApiException.tooLarge(field + " is too large: " + size + " bytes, the limit is "
          + settings.maxMetadataSize() + " bytes");
    }
    return json;
  }

  // ---------------------------------------------------------------- queueing

  /** {@code {name}} (what the SDK sends) or a plain string; null when absent. */
  String queue(JsonNode value, String field) {
    value = present(value);
    if (value == null) return null;
    String name;
    if (value.isTextual()) {
      name = value.textValue();
    } else if (value.isObject()) {
      name = optionalString(value.get("name"), field + ".name");
      if (name == null) throw ApiException.badRequest(field + ".name is required");
      field = field + ".name";
    } else {
      throw ApiException.badRequest(field + " must be an object {name} or a string");
    }
    if (name.isBlank()) throw ApiException.badRequest(field + " must not be empty");
    if (name.length() > MAX_QUEUE_NAME_LENGTH) {
      throw ApiException.badRequest(field + " must be at most " + MAX_QUEUE_NAME_LENGTH + " characters");
    }
    return name;
  }

  /** A string, or a number taken as its decimal text (Trigger.dev coerces); null when absent or empty. */
  String concurrencyKey(JsonNode value, String field) {
    value = present(value);
    if (value == null) return null;
    String key;
    if (value.isTextual()) {
      key = value.textValue();
    } else if (value.isNumber()) {
      BigDecimal exact = finiteNumber(value);
      if (exact == null) throw ApiException.badRequest(field + " must be a finite number");
      BigDecimal number = exact.stripTrailingZeros();
      // Bound the size before writing it out: 1e100000000 is a short literal but a long number.
      if (number.precision() > settings.maxConcurrencyKeyLength()
          || Math.abs((long) number.scale()) > settings.maxConcurrencyKeyLength()) {
        throw ApiException.badRequest(field + " must be at most " + settings.maxConcurrencyKeyLength() + " characters");
      }
      key = number.scale() <= 0 ? number.toBigIntegerExact().toString() : number.toPlainString();
    } else {
      throw ApiException.badRequest(field + " must be a string or a number");
    }
    if (key.length() > settings.maxConcurrencyKeyLength()) {
      throw ApiException.badRequest(field + " must be at most " + settings.maxConcurrencyKeyLength() + " characters");
    }
    return key.isEmpty() ? null : key;
  }

  /**
   * Seconds of head start → milliseconds, {@code Math.round(p × 1000)} in double arithmetic exactly as
   * Trigger.dev computes it (and never BigDecimal rescaling, which {@code 1e-100000000} would make
   * crawl); null when absent.
   */
  Long priorityMs(JsonNode value, String field) {
    value = present(value);
    if (value == null) return null;
    double seconds = value.isNumber() ? value.doubleValue() : Double.NaN;
    if (!(seconds >= 0 && seconds <= MAX_PRIORITY_SECONDS)) {
      throw ApiException.badRequest(field + " must be a number of seconds between 0 and " + MAX_PRIORITY_SECONDS);
    }
    return Math.round(seconds * 1000);
  }

  /** Integer ≥ 1; null when absent. */
  Integer maxAttempts(JsonNode value, String field) {
    value = present(value);
    if (value == null) return null;
    if (!value.isNumber() || !value.canConvertToExactIntegral() || !value.canConvertToInt() || value.intValue() < 1) {
      throw ApiException.badRequest(field + " must be an integer of at least 1");
    }
    return value.intValue();
  }

  /** Seconds, clamped to [5, 2^31-1] like Trigger.dev, then rounded; null when absent. */
  Integer maxDurationSeconds(JsonNode value, String field) {
    value = present(value);
    if (value == null) return null;
    if (!value.isNumber()) throw ApiException.badRequest(field + " must be a number of seconds");
    double clamped = Math.min(Math.max(value.doubleValue(), MIN_MAX_DURATION_SECONDS), MAX_MAX_DURATION_SECONDS);
    return (int) Math.round(clamped);
  }

  // ---------------------------------------------------------------- time

  /**
   * When the run is due: a duration from now ({@code "30s"}, {@code "1h30m"}) or an ISO-8601 date.
   * Null when absent or when the date is not in the future (no delay); 422 when unreadable or
   * beyond {@code baton.http.max-delay}.
   */
  Instant delayUntil(JsonNode value, String field) {
    value = present(value);
    if (value == null) return null;
    if (!value.isTextual()) {
      throw ApiException.badRequest(field + " must be a duration string (\"30s\", \"1h30m\", \"2d\") or an ISO-8601 date");
    }
    Instant now = clock.instant();
    Optional<Optional<Instant>> parsed = Durations.parseDelay(value.textValue(), now);
    if (parsed.isEmpty()) {
      throw ApiException.unprocessable("Invalid " + field + ": \"" + value.textValue()
          + "\". Use a duration like \"30s\", \"1h30m\" or \"2d\", or an ISO-8601 date");
    }
    Instant until = parsed.get().orElse(null);
    if (until != null && Duration.between(now, until).compareTo(settings.maxDelay()) > 0) {
      throw ApiException.unprocessable("Invalid " + field + ": \"" + value.textValue() + "\" is more than "
          + Durations.format(settings.maxDelay()) + " away");
    }
    return until;
  }

  /** A duration string or whole seconds; null when absent or zero (no TTL); 422 when unreadable or too long. */
  Duration ttl(JsonNode given, String field) {
    JsonNode value = present(given);
    if (value == null) return null;
    Duration ttl;
    if (value.isNumber()) {
      BigDecimal seconds = finiteNumber(value);
      if (seconds == null || !value.canConvertToExactIntegral() || seconds.signum() < 0) {
        throw ApiException.unprocessable("Invalid " + field + ": " + value + ". Use whole seconds or a duration like \"10m\"");
      }
      if (seconds.compareTo(BigDecimal.valueOf(settings.maxTtl().toSeconds())) > 0) {
        throw tooLongTtl(field, value.toString());
      }
      ttl = Duration.ofSeconds(value.longValue());
    } else if (value.isTextual()) {
      ttl = Durations.parseDuration(value.textValue()).orElseThrow(() -> ApiException.unprocessable(
          "Invalid " + field + ": \"" + value.textValue() + "\". Use a duration like \"30s\", \"10m\" or \"1h\", or whole seconds"));
      if (ttl.compareTo(settings.maxTtl()) > 0) throw tooLongTtl(field, "\"" + value.textValue() + "\"");
    } else {
      throw ApiException.badRequest(field + " must be a duration string or a number of seconds");
    }
    return ttl.isZero() ? null : ttl;
  }

  private ApiException tooLongTtl(String field, String given) {
    return ApiException.unprocessable("Invalid " + field + ": " + given + " is longer than "
        + Durations.format(settings.maxTtl()));
  }

  // ---------------------------------------------------------------- idempotency

  String idempotencyKey(String key, String field) {
    if (key != null && key.length() > settings.maxIdempotencyKeyLength()) {
      throw ApiException.badRequest(field + " must be at most " + settings.maxIdempotencyKeyLength() + " characters");
    }
    return key;
  }

  /** {@code ^\d+[smhd]$}; null when absent; 422 otherwise, as Trigger.dev. */
  static Duration idempotencyKeyTtl(String text, String field) {
    if (text == null) return null;
    return Durations.parseKeyTtl(text).orElseThrow(() -> ApiException.unprocessable(
        "Invalid " + field + ": \"" + text + "\". Use a number and a unit s, m, h or d, like \"1h\" or \"30d\""));
  }
}
