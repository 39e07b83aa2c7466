package dev.baton.api.time;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Trigger.dev's time formats, as the engine reads them ({@link dev.baton.engine.common.Durations}, where the rules and
 * their documentation live since the worker protocol reads trigger options too); kept under this name so the HTTP
 * API's routes and their tests read durations and dates as before.
 */
public final class Durations {

    private Durations() {}

    /** A duration string such as {@code "1h30m"}; empty when it is not one (or is absurdly long). */
    public static Optional<Duration> parseDuration(String text) {
        return dev.baton.engine.common.Durations.parseDuration(text);
    }

    /** {@code now} plus a duration, or an ISO-8601 date; inner empty for "no delay", outer empty when unreadable. */
    public static Optional<Optional<Instant>> parseDelay(String text, Instant now) {
        return dev.baton.engine.common.Durations.parseDelay(text, now);
    }

    /** An ISO-8601 date or date-time; without an offset it is read as UTC. */
    public static Optional<Instant> parseDate(String text) {
        return dev.baton.engine.common.Durations.parseDate(text);
    }

    /** {@code idempotencyKeyTTL}: a number and one of s, m, h, d; empty otherwise. */
    public static Optional<Duration> parseKeyTtl(String text) {
        return dev.baton.engine.common.Durations.parseKeyTtl(text);
    }

    /** The duration in its largest whole unit: {@code "2d"}, {@code "1h"}, {@code "90s"}, {@code "500ms"}. */
    public static String format(Duration duration) {
        return dev.baton.engine.common.Durations.format(duration);
    }
}
