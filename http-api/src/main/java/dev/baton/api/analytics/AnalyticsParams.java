package dev.baton.api.analytics;

import dev.baton.api.errors.ApiException;
import dev.baton.api.listing.ListParams;
import dev.baton.engine.common.Durations;
import dev.baton.projections.clickhouse.TaskAnalytics;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The query string of the analytics routes: the window ({@code period}, or {@code from} with an optional
 * {@code to}), an optional {@code task} and, for a series, an optional {@code interval}. Every value is checked
 * here, before ClickHouse is asked; anything unreadable, or any other parameter, is a 400 naming it.
 */
record AnalyticsParams(TaskAnalytics.Window window, String task, String intervalName, Duration interval) {

    static final String PERIOD = "period";
    static final String FROM = "from";
    static final String TO = "to";
    static final String TASK = "task";
    static final String INTERVAL = "interval";

    /** The windows the dashboard offers; any other duration up to the maximum window is accepted too. */
    static final List<String> PERIODS = List.of("1h", "6h", "24h", "7d", "30d");

    static final Duration DEFAULT_PERIOD = Duration.ofHours(24);
    /** A series with no interval named gets the finest one that gives at most this many buckets. */
    static final int DEFAULT_MAX_BUCKETS = 200;

    private static final Map<String, Duration> INTERVALS = intervals();
    private static final Pattern EPOCH_MILLIS = Pattern.compile("^\\d{1,16}$");
    /** A task id as a worker may declare it: printable, no control characters. */
    private static final Pattern TASK_ID = Pattern.compile("^[^\\p{Cntrl}]{1,256}$");

    private static Map<String, Duration> intervals() {
        Map<String, Duration> intervals = new LinkedHashMap<>();
        intervals.put("1m", Duration.ofMinutes(1));
        intervals.put("5m", Duration.ofMinutes(5));
        intervals.put("15m", Duration.ofMinutes(15));
        intervals.put("1h", Duration.ofHours(1));
        intervals.put("6h", Duration.ofHours(6));
        intervals.put("1d", Duration.ofDays(1));
        return intervals;
    }

    static List<String> intervalNames() {
        return List.copyOf(INTERVALS.keySet());
    }

    static AnalyticsParams decode(Map<String, List<String>> query, boolean series, Clock clock) {
        Set<String> known = series ? Set.of(PERIOD, FROM, TO, TASK, INTERVAL) : Set.of(PERIOD, FROM, TO, TASK);
        for (String name : query.keySet()) {
            if (!known.contains(name)) {
                throw ApiException.badRequest("Unknown query parameter " + name + ": expected "
                        + String.join(", ", known.stream().sorted().toList()));
            }
        }
        TaskAnalytics.Window window = window(query, clock);
        String task = single(query, TASK);
        if (task != null && !TASK_ID.matcher(task).matches()) {
            throw ListParams.invalid(
                    TASK, "expected a task identifier (at most 256 characters, no control characters)");
        }
        if (!series) return new AnalyticsParams(window, task, null, null);
        String intervalName = single(query, INTERVAL);
        if (intervalName == null) intervalName = defaultInterval(window);
        Duration interval = INTERVALS.get(intervalName);
        if (interval == null) {
            throw ListParams.invalid(INTERVAL, "expected one of " + String.join(", ", INTERVALS.keySet()));
        }
        return new AnalyticsParams(window, task, intervalName, interval);
    }

    /** The window and the series fit {@code baton.clickhouse.queries}' limits. */
    void checkLimits(TaskAnalytics.Settings limits) {
        Duration length = Duration.between(window.from(), window.to());
        if (length.compareTo(limits.maxWindow()) > 0) {
            throw ApiException.badRequest("Invalid window: from " + window.from() + " to " + window.to()
                    + " is longer than the longest allowed, " + Durations.format(limits.maxWindow()));
        }
        if (interval != null && buckets(window, interval) > limits.maxPoints()) {
            throw ListParams.invalid(
                    INTERVAL,
                    intervalName + " over this window gives " + buckets(window, interval) + " buckets; at most "
                            + limits.maxPoints() + " are allowed (choose a longer interval)");
        }
    }

    private static TaskAnalytics.Window window(Map<String, List<String>> query, Clock clock) {
        String period = single(query, PERIOD);
        Instant from = instant(query, FROM);
        Instant to = instant(query, TO);
        Instant now = clock.instant();
        if (period != null && (from != null || to != null)) {
            throw ListParams.invalid(PERIOD, "give either period or from (and to), not both");
        }
        if (to != null && from == null) throw ListParams.invalid(FROM, "required with to");
        if (from != null) {
            Instant end = to == null ? now : to;
            if (!from.isBefore(end)) throw ListParams.invalid(FROM, "must be before to (" + end + ")");
            return new TaskAnalytics.Window(from, end);
        }
        Duration length = period == null
                ? DEFAULT_PERIOD
                : Durations.parseDuration(period)
                        .filter(duration -> !duration.isZero() && !duration.isNegative())
                        .orElseThrow(
                                () -> ListParams.invalid(PERIOD, "expected a duration such as 1h, 6h, 24h, 7d or 30d"));
        return new TaskAnalytics.Window(now.minus(length), now);
    }

    private static String defaultInterval(TaskAnalytics.Window window) {
        for (Map.Entry<String, Duration> interval : INTERVALS.entrySet()) {
            if (buckets(window, interval.getValue()) <= DEFAULT_MAX_BUCKETS) return interval.getKey();
        }
        return "1d";
    }

    /** How many buckets of the interval overlap the window (buckets start at multiples of it since the epoch). */
    static long buckets(TaskAnalytics.Window window, Duration interval) {
        long size = interval.toMillis();
        long first = Math.floorDiv(window.from().toEpochMilli(), size);
        long last = Math.floorDiv(window.to().toEpochMilli() - 1, size);
        return last - first + 1;
    }

    /** Epoch milliseconds or an ISO-8601 date. */
    private static Instant instant(Map<String, List<String>> query, String name) {
        String value = single(query, name);
        if (value == null) return null;
        if (EPOCH_MILLIS.matcher(value).matches()) return Instant.ofEpochMilli(Long.parseLong(value));
        return Durations.parseDate(value)
                .orElseThrow(() -> ListParams.invalid(name, "expected epoch milliseconds or an ISO-8601 date"));
    }

    /** The parameter's one non-empty value, or null; a repeated parameter is a 400. */
    private static String single(Map<String, List<String>> query, String name) {
        List<String> values = query.getOrDefault(name, List.of()).stream()
                .map(String::strip)
                .filter(value -> !value.isEmpty())
                .toList();
        if (values.size() > 1) throw ListParams.invalid(name, "expected a single value");
        return values.isEmpty() ? null : values.get(0);
    }
}
