package dev.baton.engine.task;

import dev.baton.engine.common.CborSerializable;
import dev.baton.engine.common.Durations;
import java.time.Duration;

/**
 * At most {@code limit} runs of a queue (of each concurrency key, when runs name one) start in any {@code period}.
 * The dispatcher spaces starts evenly, one every {@link #interval()}, so no window of the period's length ever holds
 * more than {@code limit} starts, wherever it begins.
 *
 * @param limit starts per period, from 1 to {@value #MAX_LIMIT}
 * @param period from 1 ms to {@value #MAX_PERIOD_DAYS} days
 */
public record RateLimit(int limit, Duration period) implements CborSerializable {

    public static final int MAX_LIMIT = 1_000_000;
    public static final int MAX_PERIOD_DAYS = 7;

    public RateLimit {
        if (limit < 1 || limit > MAX_LIMIT)
            throw new IllegalArgumentException("rateLimit.limit must be a whole number from 1 to " + MAX_LIMIT);
        if (period == null
                || period.compareTo(Duration.ofMillis(1)) < 0
                || period.compareTo(Duration.ofDays(MAX_PERIOD_DAYS)) > 0)
            throw new IllegalArgumentException("rateLimit.period must be a duration from 1ms to " + MAX_PERIOD_DAYS
                    + "d, such as \"1s\" or \"1m\"");
    }

    /** {@code period} as a duration string ({@code "1s"}, {@code "1m"}, {@code "1h30m"}, {@code "500ms"}). */
    public static RateLimit of(int limit, String period) {
        return new RateLimit(
                limit,
                Durations.parseDuration(period)
                        .orElseThrow(() -> new IllegalArgumentException("rateLimit.period must be a duration string"
                                + " such as \"1s\", \"1m\" or \"1h30m\", not \"" + period + "\"")));
    }

    /**
     * The spacing between two starts: the period divided by the limit, rounded up to the nanosecond, so that
     * {@code limit} intervals never add up to less than the period.
     */
    public Duration interval() {
        return interval(Duration.ZERO);
    }

    /** The spacing when {@code allowance} is added to the period, rounded up as {@link #interval()}. */
    public Duration interval(Duration allowance) {
        long nanos = period.plus(allowance).toNanos();
        return Duration.ofNanos((nanos + limit - 1) / limit);
    }

    /** The period in its shortest form ({@code "1s"}, {@code "90s"}, {@code "500ms"}). */
    public String periodText() {
        return Durations.format(period);
    }
}
