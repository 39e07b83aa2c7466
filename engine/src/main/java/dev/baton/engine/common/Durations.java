package dev.baton.engine.common;

import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Trigger.dev's time formats, in one place:
 * <ul>
 *   <li>durations ({@code delay}, {@code ttl}): units in the order w, d, h, m, s, ms, each at most once,
 *       e.g. {@code "30s"}, {@code "1h30m"}, {@code "2d"}, {@code "500ms"} (Trigger.dev's
 *       {@code parseNaturalLanguageDuration}, plus milliseconds);</li>
 *   <li>dates ({@code delay}): ISO-8601, with an offset or {@code Z} ({@code 2025-01-01T10:00:00.000Z}),
 *       without one (read as UTC), or a plain date ({@code 2025-01-01}, midnight UTC);</li>
 *   <li>idempotency key TTLs: {@code ^\d+[smhd]$};</li>
 * </ul>
 * and the short form a duration is shown in ({@code "1h"}, {@code "90s"}). Parsing never throws: an
 * unreadable value is an empty Optional, and the caller decides what to answer. In the engine because the HTTP
 * API and the worker protocol read the same trigger options, delays and TTLs included.
 */
public final class Durations {

    private static final Pattern DURATION =
            Pattern.compile("^(?:(\\d+)w)?(?:(\\d+)d)?(?:(\\d+)h)?(?:(\\d+)m(?!s))?(?:(\\d+)s)?(?:(\\d+)ms)?$");
    private static final Duration[] UNITS = {
        Duration.ofDays(7),
        Duration.ofDays(1),
        Duration.ofHours(1),
        Duration.ofMinutes(1),
        Duration.ofSeconds(1),
        Duration.ofMillis(1)
    };
    private static final Pattern KEY_TTL = Pattern.compile("^(\\d+)([smhd])$");
    private static final Pattern LOOKS_LIKE_DATE = Pattern.compile("^\\d{4}-\\d{2}-\\d{2}.*");

    private Durations() {}

    /** A duration string such as {@code "1h30m"}; empty when it is not one (or is absurdly long). */
    public static Optional<Duration> parseDuration(String text) {
        if (text == null) return Optional.empty();
        Matcher matcher = DURATION.matcher(text.strip());
        if (!matcher.matches()) return Optional.empty();
        try {
            Duration total = Duration.ZERO;
            boolean any = false;
            for (int group = 1; group <= UNITS.length; group++) {
                String amount = matcher.group(group);
                if (amount == null) continue;
                any = true;
                total = total.plus(UNITS[group - 1].multipliedBy(Long.parseLong(amount)));
            }
            return any ? Optional.of(total) : Optional.empty();
        } catch (NumberFormatException | ArithmeticException e) {
            return Optional.empty();
        }
    }

    /**
     * When a delayed run becomes due: {@code now} plus a duration, or an ISO-8601 date. An empty Optional
     * inside the result means "no delay" (a date not after {@code now}, or a zero duration); an empty
     * result means the text is neither a duration nor a date.
     */
    public static Optional<Optional<Instant>> parseDelay(String text, Instant now) {
        if (text == null) return Optional.empty();
        String value = text.strip();
        try {
            Optional<Duration> duration = parseDuration(value);
            if (duration.isPresent()) {
                Instant until = now.plus(duration.get());
                return Optional.of(until.isAfter(now) ? Optional.of(until) : Optional.empty());
            }
            Optional<Instant> date = parseDate(value);
            if (date.isEmpty()) return Optional.empty();
            return Optional.of(date.get().isAfter(now) ? date : Optional.empty());
        } catch (DateTimeException | ArithmeticException e) {
            return Optional.empty();
        }
    }

    /** An ISO-8601 date or date-time; without an offset it is read as UTC. */
    public static Optional<Instant> parseDate(String text) {
        if (text == null || !LOOKS_LIKE_DATE.matcher(text).matches()) return Optional.empty();
        try {
            return Optional.of(OffsetDateTime.parse(text).toInstant());
        } catch (DateTimeParseException ignored) {
            // try the forms without an offset
        }
        try {
            return Optional.of(LocalDateTime.parse(text).toInstant(ZoneOffset.UTC));
        } catch (DateTimeParseException ignored) {
            // a plain date, maybe
        }
        try {
            return Optional.of(LocalDate.parse(text).atStartOfDay().toInstant(ZoneOffset.UTC));
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }

    /** {@code idempotencyKeyTTL}: a number and one of s, m, h, d; empty otherwise. */
    public static Optional<Duration> parseKeyTtl(String text) {
        if (text == null) return Optional.empty();
        Matcher matcher = KEY_TTL.matcher(text);
        if (!matcher.matches()) return Optional.empty();
        try {
            long amount = Long.parseLong(matcher.group(1));
            Duration ttl = switch (matcher.group(2)) {
                case "s" -> Duration.ofSeconds(amount);
                case "m" -> Duration.ofMinutes(amount);
                case "h" -> Duration.ofHours(amount);
                default -> Duration.ofDays(amount);
            };
            return ttl.isZero() ? Optional.empty() : Optional.of(ttl);
        } catch (NumberFormatException | ArithmeticException e) {
            return Optional.empty();
        }
    }

    /**
     * The duration in its largest whole unit: {@code "2d"}, {@code "1h"}, {@code "90m"}, {@code "90s"}, {@code
     * "500ms"}.
     */
    public static String format(Duration duration) {
        if (duration.isZero()) return "0s";
        long millis = duration.toMillis();
        if (millis % Duration.ofDays(1).toMillis() == 0)
            return millis / Duration.ofDays(1).toMillis() + "d";
        if (millis % Duration.ofHours(1).toMillis() == 0)
            return millis / Duration.ofHours(1).toMillis() + "h";
        if (millis % Duration.ofMinutes(1).toMillis() == 0)
            return millis / Duration.ofMinutes(1).toMillis() + "m";
        if (millis % 1000 == 0) return millis / 1000 + "s";
        return millis + "ms";
    }
}
