package dev.baton.engine.schedule;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A schedule's {@code window} (Trigger.dev syntax): every occurrence runs a stable amount after its cron
 * time, somewhere within the window, so many schedules on the same cron do not all fire at once. An
 * absolute window ({@code "30m"}, {@code "2h"}, at most 24 hours) is capped at the interval to the next cron
 * time; a percentage ({@code "30%"}, at most 100%) is relative to that interval. The amount is the same for
 * every occurrence of a schedule (a hash of its id), so it never drifts and never runs into the next one.
 */
public final class ScheduleWindow {

    public static final Duration MAX_DURATION = Duration.ofHours(24);
    private static final Pattern DURATION = Pattern.compile("^(0|[1-9]\\d{0,5})([mh])$");
    private static final Pattern PERCENTAGE = Pattern.compile("^(0|[1-9]\\d{0,2})%$");

    private final String text;
    private final Duration duration;
    private final int percentage;

    private ScheduleWindow(String text, Duration duration, int percentage) {
        this.text = text;
        this.duration = duration;
        this.percentage = percentage;
    }

    /** @throws IllegalArgumentException with Trigger.dev's message for a malformed or too large window */
    public static ScheduleWindow parse(String text) {
        Matcher duration = DURATION.matcher(text);
        if (duration.matches()) {
            long amount = Long.parseLong(duration.group(1));
            Duration window = duration.group(2).equals("m") ? Duration.ofMinutes(amount) : Duration.ofHours(amount);
            if (window.compareTo(MAX_DURATION) > 0) {
                throw new IllegalArgumentException("Schedule window duration cannot exceed 24 hours");
            }
            return new ScheduleWindow(text, window, -1);
        }
        Matcher percentage = PERCENTAGE.matcher(text);
        if (percentage.matches()) {
            int value = Integer.parseInt(percentage.group(1));
            if (value > 100) throw new IllegalArgumentException("Schedule window percentage cannot exceed 100%");
            return new ScheduleWindow(text, null, value);
        }
        throw new IllegalArgumentException(
                "Schedule window must be a whole duration such as \"30m\" or \"2h\", or a percentage such as \"30%\"");
    }

    public String text() {
        return text;
    }

    /**
     * When the occurrence at {@code nominal} runs: {@code nominal} plus this schedule's stable share of the
     * window, which is always shorter than the interval to {@code following} (the next cron time).
     */
    public Instant effectiveAt(String scheduleId, Instant nominal, Instant following) {
        if (following == null || !following.isAfter(nominal)) return nominal;
        long intervalMillis = Duration.between(nominal, following).toMillis();
        long windowMillis =
                duration != null ? Math.min(duration.toMillis(), intervalMillis) : intervalMillis * percentage / 100;
        if (windowMillis <= 0) return nominal;
        long offsetSeconds = (long) Math.floor(fraction(scheduleId) * windowMillis / 1000.0);
        // Whole seconds, and never the next occurrence itself.
        long offsetMillis = Math.min(offsetSeconds * 1000, intervalMillis - 1);
        return nominal.plusMillis(Math.max(offsetMillis, 0));
    }

    /** A stable number in [0, 1) for the schedule. */
    static double fraction(String scheduleId) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(scheduleId.getBytes(StandardCharsets.UTF_8));
            long bits = 0;
            for (int i = 0; i < 6; i++) bits = (bits << 8) | (digest[i] & 0xff);
            return bits / (double) (1L << 48);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    @Override
    public String toString() {
        return text;
    }
}
