package dev.baton.projections.listing;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * Which creation times a list shows; a null field does not bound. {@code within}: created no longer ago than
 * this (with {@code from}, the later bound wins). Bounds are clamped to the years both databases store, so a
 * far-away date from a client narrows nothing instead of failing the query.
 *
 * @param from created at or after this
 * @param before created strictly before this
 */
public record CreatedWindow(Instant from, Instant before, Duration within) {

    /** Both databases store these years (PostgreSQL refuses timestamps far beyond). */
    public static final Instant EARLIEST = Instant.parse("0001-01-01T00:00:00Z");

    public static final Instant LATEST = Instant.parse("9999-12-31T23:59:59Z");

    /** The inclusive lower bound at the clock's now (read only when {@code within} is set); null for none. */
    public Instant lowerBound(Clock clock) {
        Instant lower = from == null ? null : clamp(from);
        if (within != null) {
            Instant now = clock.instant();
            Instant since = within.compareTo(Duration.between(EARLIEST, now)) >= 0 ? EARLIEST : now.minus(within);
            lower = lower == null || since.isAfter(lower) ? since : lower;
        }
        return lower;
    }

    /** The exclusive upper bound; null for none. */
    public Instant upperBound() {
        return before == null ? null : clamp(before);
    }

    static Instant clamp(Instant instant) {
        return instant.isBefore(EARLIEST) ? EARLIEST : instant.isAfter(LATEST) ? LATEST : instant;
    }
}
