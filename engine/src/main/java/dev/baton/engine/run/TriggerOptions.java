package dev.baton.engine.run;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.engine.common.Durations;
import dev.baton.engine.task.TaskCatalog;
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
 * The rules of a run's options ({@code queue}, {@code concurrencyKey}, {@code tags}, {@code metadata},
 * {@code maxAttempts}, {@code idempotencyKey} + {@code idempotencyKeyTTL}, {@code test}, {@code priority},
 * {@code delay}, {@code ttl}, {@code maxDuration}, {@code lockToVersion}), Trigger.dev's, in one place for every way a run is
 * triggered: the HTTP API's triggers, batches and replays, and the worker protocol's child runs. Each method
 * takes the name errors give the value ({@code options.delay} in a trigger, {@code delay} in a replay).
 *
 * <p>A JSON {@code null} counts as absent: every method returns null (or the documented default) for it. A
 * refused value is an {@link InvalidOptionException} whose message names the option; its {@link Refusal} says
 * how Trigger.dev answers it: wrong types are malformed (400), values Trigger.dev refuses as unprocessable
 * ({@code delay}, {@code ttl}, {@code idempotencyKeyTTL}, more than 10 tags) 422, oversized metadata 413.
 */
public final class TriggerOptions {

    /** Trigger.dev clamps maxDuration to [5, 2^31-1] seconds. */
    public static final int MIN_MAX_DURATION_SECONDS = 5;

    public static final int MAX_MAX_DURATION_SECONDS = Integer.MAX_VALUE;
    /** Priority is seconds of head start; more than a maxDuration's worth (68 years) means nothing. */
    public static final long MAX_PRIORITY_SECONDS = Integer.MAX_VALUE;

    public static final int MAX_QUEUE_NAME_LENGTH = 128;

    /** Metadata is kept as the JSON text of the tree it came in as; any mapper writes a tree the same way. */
    private static final ObjectMapper MAPPER = new ObjectMapper();

    /**
     * How much an option may hold.
     *
     * @param maxMetadataSize the largest serialized {@code metadata}, in bytes
     * @param maxTags the most distinct tags per run
     * @param maxDelay the longest {@code delay}; the engine arms an Akka timer for it, which refuses ~248 days
     * @param maxTtl the longest {@code ttl}, for the same reason
     */
    public record Limits(
            long maxMetadataSize,
            int maxTags,
            int maxTagLength,
            int maxIdempotencyKeyLength,
            int maxConcurrencyKeyLength,
            Duration maxDelay,
            Duration maxTtl) {

        /** Trigger.dev's limits (and the delay Akka's timers take), as {@code baton.http} has them by default. */
        public static final Limits DEFAULTS =
                new Limits(256 * 1024, 10, 128, 2048, 512, Duration.ofDays(240), Duration.ofDays(240));
    }

    /** How Trigger.dev refuses a value: the HTTP API answers 400, 422 and 413 for these. */
    public enum Refusal {
        MALFORMED,
        UNPROCESSABLE,
        TOO_LARGE
    }

    /** A refused option; the message names it. */
    public static final class InvalidOptionException extends RuntimeException {
        private final Refusal refusal;
        private final String option;

        InvalidOptionException(Refusal refusal, String option, String message) {
            super(message, null, false, false);
            this.refusal = refusal;
            this.option = option;
        }

        public Refusal refusal() {
            return refusal;
        }

        /** The name the value was given under, e.g. {@code options.delay}. */
        public String option() {
            return option;
        }
    }

    /**
     * A value given outside the options object (an HTTP header), used when the options give none.
     *
     * @param field the name errors give it, e.g. {@code idempotency-key header}
     */
    public record Fallback(String value, String field) {
        public static final Fallback NONE = new Fallback(null, null);
    }

    private final Limits limits;
    private final Clock clock;

    /** @param clock what {@code delay} durations count from */
    public TriggerOptions(Limits limits, Clock clock) {
        this.limits = limits;
        this.clock = clock;
    }

    // ---------------------------------------------------------------- a trigger's options object

    /** A trigger's {@code options}: an object, or null when absent. */
    public static JsonNode optionsObject(JsonNode value) {
        value = present(value);
        if (value != null && !value.isObject()) throw malformed("options", "options must be a JSON object");
        return value;
    }

    /** As {@link #decode(JsonNode, TriggerRequest.Builder, Fallback, Fallback)}, with no idempotency fallbacks. */
    public TriggerRequest.Builder decode(JsonNode options, TriggerRequest.Builder request) {
        return decode(options, request, Fallback.NONE, Fallback.NONE);
    }

    /**
     * Sets every option of {@code options} (an {@link #optionsObject}; null for none) on {@code request}, each
     * named {@code options.<name>} in errors. Checked in one fixed order, so a body with several bad options is
     * always refused for the same one. The payload and its {@code payloadType} are the caller's: the HTTP API and
     * the worker protocol encode payloads differently.
     *
     * @param key the idempotency key to use when the options name none
     * @param keyTtl the idempotency key's TTL to use when the options name none
     */
    public TriggerRequest.Builder decode(
            JsonNode options, TriggerRequest.Builder request, Fallback key, Fallback keyTtl) {
        request.maxAttempts(maxAttempts(option(options, "maxAttempts"), "options.maxAttempts"));
        request.test(test(option(options, "test"), "options.test"));

        String idempotencyKey = optionalString(option(options, "idempotencyKey"), "options.idempotencyKey");
        String keyField = "options.idempotencyKey";
        if (idempotencyKey == null && key.value() != null) {
            idempotencyKey = key.value();
            keyField = key.field();
        }
        idempotencyKey = idempotencyKey(idempotencyKey, keyField);
        String keyTtlText = optionalString(option(options, "idempotencyKeyTTL"), "options.idempotencyKeyTTL");
        String keyTtlField = "options.idempotencyKeyTTL";
        if (keyTtlText == null && keyTtl.value() != null) {
            keyTtlText = keyTtl.value();
            keyTtlField = keyTtl.field();
        }
        Duration idempotencyKeyTtl = idempotencyKeyTtl(keyTtlText, keyTtlField);
        // A TTL is checked even without a key, but means nothing there.
        request.idempotencyKey(idempotencyKey, idempotencyKey == null ? null : idempotencyKeyTtl);

        request.tags(tags(option(options, "tags"), "options.tags"));
        request.metadata(metadata(option(options, "metadata"), "options.metadata"));
        request.queue(queue(option(options, "queue"), "options.queue"));
        request.concurrencyKey(concurrencyKey(option(options, "concurrencyKey"), "options.concurrencyKey"));
        Long priorityMs = priorityMs(option(options, "priority"), "options.priority");
        request.priorityMs(priorityMs == null ? 0 : priorityMs);
        request.delayUntil(delayUntil(option(options, "delay"), "options.delay"));
        request.ttl(ttl(option(options, "ttl"), "options.ttl"));
        request.maxDurationSeconds(maxDurationSeconds(option(options, "maxDuration"), "options.maxDuration"));
        request.lockToVersion(version(option(options, "lockToVersion"), "options.lockToVersion"));
        return request;
    }

    /** A version's name ({@link TaskCatalog#VERSION_PATTERN}), or null when absent. */
    public static String version(JsonNode value, String field) {
        String version = optionalString(value, field);
        if (version != null && !TaskCatalog.VERSION_PATTERN.matcher(version).matches()) {
            throw malformed(
                    field,
                    field + " must be a version: up to 128 letters, digits and . _ : + -, starting with a letter or"
                            + " digit");
        }
        return version;
    }

    private static JsonNode option(JsonNode options, String name) {
        return options == null ? null : present(options.get(name));
    }

    // ---------------------------------------------------------------- values

    /** The value, or null when it is absent or JSON {@code null}. */
    public static JsonNode present(JsonNode value) {
        return value == null || value.isNull() || value.isMissingNode() ? null : value;
    }

    public static String optionalString(JsonNode value, String field) {
        value = present(value);
        if (value == null) return null;
        if (!value.isTextual()) throw malformed(field, field + " must be a string");
        return value.textValue();
    }

    /** False when absent. */
    public boolean test(JsonNode value, String field) {
        value = present(value);
        if (value == null) return false;
        if (!value.isBoolean()) throw malformed(field, field + " must be a boolean");
        return value.booleanValue();
    }

    /**
     * The number's exact value; null when it is not a number, or not a finite one (a literal beyond
     * double range, like {@code 1e400}, is parsed as infinity).
     */
    private static BigDecimal finiteNumber(JsonNode value) {
        if (value == null || !value.isNumber()) return null;
        if ((value.isDouble() || value.isFloat()) && !Double.isFinite(value.doubleValue())) return null;
        return value.decimalValue();
    }

    // ---------------------------------------------------------------- tags and metadata

    /** Distinct tags in order; an empty list when absent. */
    public List<String> tags(JsonNode value, String field) {
        value = present(value);
        if (value == null) return List.of();
        List<String> given = new ArrayList<>();
        if (value.isTextual()) {
            given.add(checkTag(value.textValue(), field));
        } else if (value.isArray()) {
            for (int i = 0; i < value.size(); i++) {
                JsonNode tag = value.get(i);
                String tagField = field + "[" + i + "]";
                if (!tag.isTextual()) throw malformed(tagField, tagField + " must be a string");
                given.add(checkTag(tag.textValue(), tagField));
            }
        } else {
            throw malformed(field, field + " must be a string or an array of strings");
        }
        Set<String> distinct = new LinkedHashSet<>(given);
        if (distinct.size() > limits.maxTags()) {
            throw new InvalidOptionException(
                    Refusal.UNPROCESSABLE,
                    field,
                    "Runs can have at most " + limits.maxTags() + " tags, got " + distinct.size());
        }
        return List.copyOf(distinct);
    }

    private String checkTag(String tag, String field) {
        if (tag.length() > limits.maxTagLength()) {
            throw malformed(field, field + " must be at most " + limits.maxTagLength() + " characters");
        }
        return tag;
    }

    /** The metadata object's JSON text, or null when absent. */
    public String metadata(JsonNode value, String field) {
        value = present(value);
        if (value == null) return null;
        if (!value.isObject()) throw malformed(field, field + " must be a JSON object");
        String json = write(value);
        long size = json.getBytes(StandardCharsets.UTF_8).length;
        if (size > limits.maxMetadataSize()) {
            throw new InvalidOptionException(
                    Refusal.TOO_LARGE,
                    field,
                    field + " is too large: " + size + " bytes, the limit is " + limits.maxMetadataSize() + " bytes");
        }
        return json;
    }

    private static String write(JsonNode value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a parsed JSON tree always serializes", e);
        }
    }

    // ---------------------------------------------------------------- queueing

    /** {@code {name}} (what the SDK sends) or a plain string; null when absent. */
    public String queue(JsonNode value, String field) {
        value = present(value);
        if (value == null) return null;
        String name;
        if (value.isTextual()) {
            name = value.textValue();
        } else if (value.isObject()) {
            name = optionalString(value.get("name"), field + ".name");
            if (name == null) throw malformed(field + ".name", field + ".name is required");
            field = field + ".name";
        } else {
            throw malformed(field, field + " must be an object {name} or a string");
        }
        if (name.isBlank()) throw malformed(field, field + " must not be empty");
        if (name.length() > MAX_QUEUE_NAME_LENGTH) {
            throw malformed(field, field + " must be at most " + MAX_QUEUE_NAME_LENGTH + " characters");
        }
        return name;
    }

    /** A string, or a number taken as its decimal text (Trigger.dev coerces); null when absent or empty. */
    public String concurrencyKey(JsonNode value, String field) {
        value = present(value);
        if (value == null) return null;
        int maxLength = limits.maxConcurrencyKeyLength();
        String key;
        if (value.isTextual()) {
            key = value.textValue();
        } else if (value.isNumber()) {
            BigDecimal exact = finiteNumber(value);
            if (exact == null) throw malformed(field, field + " must be a finite number");
            BigDecimal number = exact.stripTrailingZeros();
            // Bound the size before writing it out: 1e100000000 is a short literal but a long number.
            if (number.precision() > maxLength || Math.abs((long) number.scale()) > maxLength) {
                throw malformed(field, field + " must be at most " + maxLength + " characters");
            }
            key = number.scale() <= 0 ? number.toBigIntegerExact().toString() : number.toPlainString();
        } else {
            throw malformed(field, field + " must be a string or a number");
        }
        if (key.length() > maxLength) throw malformed(field, field + " must be at most " + maxLength + " characters");
        return key.isEmpty() ? null : key;
    }

    /**
     * Seconds of head start → milliseconds, {@code Math.round(p × 1000)} in double arithmetic exactly as
     * Trigger.dev computes it (and never BigDecimal rescaling, which {@code 1e-100000000} would make
     * crawl); null when absent.
     */
    public Long priorityMs(JsonNode value, String field) {
        value = present(value);
        if (value == null) return null;
        double seconds = value.isNumber() ? value.doubleValue() : Double.NaN;
        if (!(seconds >= 0 && seconds <= MAX_PRIORITY_SECONDS)) {
            throw malformed(field, field + " must be a number of seconds between 0 and " + MAX_PRIORITY_SECONDS);
        }
        return Math.round(seconds * 1000);
    }

    /** Integer ≥ 1 ({@code 3.0} is 3); null when absent. */
    public Integer maxAttempts(JsonNode value, String field) {
        value = present(value);
        if (value == null) return null;
        if (!value.isNumber()
                || !value.canConvertToExactIntegral()
                || !value.canConvertToInt()
                || value.intValue() < 1) {
            throw malformed(field, field + " must be an integer of at least 1");
        }
        return value.intValue();
    }

    /** Seconds, clamped to [5, 2^31-1] like Trigger.dev, then rounded; null when absent. */
    public Integer maxDurationSeconds(JsonNode value, String field) {
        value = present(value);
        if (value == null) return null;
        if (!value.isNumber()) throw malformed(field, field + " must be a number of seconds");
        double clamped = Math.min(Math.max(value.doubleValue(), MIN_MAX_DURATION_SECONDS), MAX_MAX_DURATION_SECONDS);
        return (int) Math.round(clamped);
    }

    // ---------------------------------------------------------------- time

    /**
     * When the run is due: a duration from now ({@code "30s"}, {@code "1h30m"}) or an ISO-8601 date.
     * Null when absent or when the date is not in the future (no delay); unprocessable when unreadable or
     * beyond {@link Limits#maxDelay}.
     */
    public Instant delayUntil(JsonNode value, String field) {
        value = present(value);
        if (value == null) return null;
        if (!value.isTextual()) {
            throw malformed(
                    field, field + " must be a duration string (\"30s\", \"1h30m\", \"2d\") or an ISO-8601 date");
        }
        Instant now = clock.instant();
        Optional<Optional<Instant>> parsed = Durations.parseDelay(value.textValue(), now);
        if (parsed.isEmpty()) {
            throw unprocessable(
                    field,
                    "Invalid " + field + ": \"" + value.textValue()
                            + "\". Use a duration like \"30s\", \"1h30m\" or \"2d\", or an ISO-8601 date");
        }
        Instant until = parsed.get().orElse(null);
        if (until != null && Duration.between(now, until).compareTo(limits.maxDelay()) > 0) {
            throw unprocessable(
                    field,
                    "Invalid " + field + ": \"" + value.textValue() + "\" is more than "
                            + Durations.format(limits.maxDelay()) + " away");
        }
        return until;
    }

    /**
     * A duration string or whole seconds; null when absent or zero (no TTL); unprocessable when unreadable or
     * longer than {@link Limits#maxTtl}.
     */
    public Duration ttl(JsonNode given, String field) {
        JsonNode value = present(given);
        if (value == null) return null;
        Duration ttl;
        if (value.isNumber()) {
            BigDecimal seconds = finiteNumber(value);
            if (seconds == null || !value.canConvertToExactIntegral() || seconds.signum() < 0) {
                throw unprocessable(
                        field, "Invalid " + field + ": " + value + ". Use whole seconds or a duration like \"10m\"");
            }
            if (seconds.compareTo(BigDecimal.valueOf(limits.maxTtl().toSeconds())) > 0) {
                throw tooLongTtl(field, value.toString());
            }
            ttl = Duration.ofSeconds(value.longValue());
        } else if (value.isTextual()) {
            ttl = Durations.parseDuration(value.textValue())
                    .orElseThrow(() -> unprocessable(
                            field,
                            "Invalid " + field + ": \"" + value.textValue()
                                    + "\". Use a duration like \"30s\", \"10m\" or \"1h\", or whole seconds"));
            if (ttl.compareTo(limits.maxTtl()) > 0) throw tooLongTtl(field, "\"" + value.textValue() + "\"");
        } else {
            throw malformed(field, field + " must be a duration string or a number of seconds");
        }
        return ttl.isZero() ? null : ttl;
    }

    private InvalidOptionException tooLongTtl(String field, String given) {
        return unprocessable(
                field, "Invalid " + field + ": " + given + " is longer than " + Durations.format(limits.maxTtl()));
    }

    // ---------------------------------------------------------------- debounce

    /**
     * {@code {key, delay, mode?, maxDelay?}} as Trigger.dev validates it; null when absent. Wrong types, a key that
     * is empty or longer than {@link Debounce#MAX_KEY_LENGTH} and an unknown mode are malformed; a delay that is
     * not a duration of at least a second (or beyond {@link Limits#maxDelay}) and a maxDelay not longer than the
     * delay are unprocessable. Only the HTTP API's single triggers take it, so it is not part of {@link #decode}.
     */
    public Debounce debounce(JsonNode given, String field) {
        JsonNode value = present(given);
        if (value == null) return null;
        if (!value.isObject()) throw malformed(field, field + " must be an object {key, delay, mode?, maxDelay?}");
        String key = optionalString(value.get("key"), field + ".key");
        if (key == null || key.isEmpty()) throw malformed(field + ".key", field + ".key is required");
        if (key.length() > Debounce.MAX_KEY_LENGTH) {
            throw malformed(field + ".key", field + ".key must be at most " + Debounce.MAX_KEY_LENGTH + " characters");
        }
        String delayText = optionalString(value.get("delay"), field + ".delay");
        if (delayText == null) throw malformed(field + ".delay", field + ".delay is required");
        Duration delay = debounceDuration(delayText, field + ".delay");
        if (delay.compareTo(Debounce.MIN_DELAY) < 0) {
            throw unprocessable(field + ".delay", "Invalid " + field + ".delay: \"" + delayText + "\" is less than 1s");
        }
        if (delay.compareTo(limits.maxDelay()) > 0) {
            throw unprocessable(
                    field + ".delay",
                    "Invalid " + field + ".delay: \"" + delayText + "\" is longer than "
                            + Durations.format(limits.maxDelay()));
        }
        String modeText = optionalString(value.get("mode"), field + ".mode");
        Debounce.Mode mode;
        if (modeText == null || modeText.equals("leading")) mode = Debounce.Mode.LEADING;
        else if (modeText.equals("trailing")) mode = Debounce.Mode.TRAILING;
        else throw malformed(field + ".mode", field + ".mode must be \"leading\" or \"trailing\"");
        String maxDelayText = optionalString(value.get("maxDelay"), field + ".maxDelay");
        Duration maxDelay = maxDelayText == null ? null : debounceDuration(maxDelayText, field + ".maxDelay");
        if (maxDelay != null && maxDelay.compareTo(delay) <= 0) {
            // Trigger.dev's rule: with such a bound every trigger would make its own run.
            throw unprocessable(
                    field + ".maxDelay",
                    field + ".maxDelay (" + maxDelayText + ") must be longer than " + field + ".delay (" + delayText
                            + ")");
        }
        return new Debounce(key, delay, mode, maxDelay);
    }

    /** A duration, never a date: it is applied again on every trigger of the key. */
    private static Duration debounceDuration(String text, String field) {
        return Durations.parseDuration(text)
                .orElseThrow(() -> unprocessable(
                        field,
                        "Invalid " + field + ": \"" + text
                                + "\". Use a duration like \"30s\", \"5m\" or \"1h30m\" (not a date)"));
    }

    // ---------------------------------------------------------------- idempotency

    /** The key as given (null when absent); malformed when longer than {@link Limits#maxIdempotencyKeyLength}. */
    public String idempotencyKey(String key, String field) {
        if (key != null && key.length() > limits.maxIdempotencyKeyLength()) {
            throw malformed(field, field + " must be at most " + limits.maxIdempotencyKeyLength() + " characters");
        }
        return key;
    }

    /** {@code ^\d+[smhd]$}; null when absent; unprocessable otherwise, as Trigger.dev. */
    public Duration idempotencyKeyTtl(String text, String field) {
        if (text == null) return null;
        return Durations.parseKeyTtl(text)
                .orElseThrow(() -> unprocessable(
                        field,
                        "Invalid " + field + ": \"" + text
                                + "\". Use a number and a unit s, m, h or d, like \"1h\" or \"30d\""));
    }

    private static InvalidOptionException malformed(String field, String message) {
        return new InvalidOptionException(Refusal.MALFORMED, field, message);
    }

    private static InvalidOptionException unprocessable(String field, String message) {
        return new InvalidOptionException(Refusal.UNPROCESSABLE, field, message);
    }
}
