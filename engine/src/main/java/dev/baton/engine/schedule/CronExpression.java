package dev.baton.engine.schedule;

import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.temporal.ChronoUnit;
import java.time.zone.ZoneOffsetTransition;
import java.time.zone.ZoneRules;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * A five-field cron expression ({@code minute hour day-of-month month day-of-week}), as Trigger.dev's
 * schedules take it, evaluated in an IANA timezone.
 *
 * <p>Each field is {@code *} or a comma-separated list of values, ranges {@code a-b} and steps
 * ({@code * /n}, {@code a-b/n}, {@code a/n}). Months and weekdays may be named ({@code JAN}, {@code MON});
 * weekday 0 and 7 are Sunday. {@code L} in day-of-month is the month's last day; {@code nL} in day-of-week
 * is the month's last such weekday ({@code 5L}: the last Friday). When both day fields are restricted
 * (neither starts with {@code *}), a day matching either one matches, as in Vixie cron.
 *
 * <p>Daylight saving time: a local time that a clock change skips fires once, at the instant the gap ends
 * ({@code 30 2 * * *} runs at 03:00 on the night clocks go forward); a local time that happens twice
 * fires once, at its first occurrence.
 */
public final class CronExpression {

    /**
     * The longest a search for the next time looks ahead: every combination of leap years and weekdays repeats within
     * it.
     */
    private static final int SEARCH_YEARS = 30;

    private static final String[] MONTH_NAMES = {
        "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"
    };
    private static final String[] DAY_NAMES = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

    private final String expression;
    private final BitSet minutes;
    private final BitSet hours;
    private final BitSet daysOfMonth;
    private final boolean lastDayOfMonth;
    private final BitSet months;
    /** 0 = Sunday … 6 = Saturday. */
    private final BitSet daysOfWeek;
    /** Weekdays whose last occurrence in the month matches ({@code nL}). */
    private final BitSet lastWeekdays;

    private final boolean dayOfMonthRestricted;
    private final boolean dayOfWeekRestricted;
    private final String[] fields;

    private CronExpression(String expression, String[] fields) {
        this.expression = expression;
        this.fields = fields;
        this.minutes = parseField(fields[0], "minute", 0, 59, null);
        this.hours = parseField(fields[1], "hour", 0, 23, null);
        this.lastDayOfMonth = hasItem(fields[2], "L");
        this.daysOfMonth = parseField(withoutItem(fields[2], "L"), "day of month", 1, 31, null);
        this.months = parseField(fields[3], "month", 1, 12, MONTH_NAMES);
        this.lastWeekdays = parseLastWeekdays(fields[4]);
        BitSet weekdays = parseField(withoutLastWeekdays(fields[4]), "day of week", 0, 7, DAY_NAMES);
        if (weekdays.get(7)) {
            weekdays.set(0);
            weekdays.clear(7);
        }
        this.daysOfWeek = weekdays;
        this.dayOfMonthRestricted = !fields[2].startsWith("*");
        this.dayOfWeekRestricted = !fields[4].startsWith("*");
    }

    /** @throws IllegalArgumentException naming what is wrong, for a 4xx answer */
    public static CronExpression parse(String expression) {
        if (expression == null || expression.isBlank()) throw new IllegalArgumentException("the expression is empty");
        String[] fields = expression.trim().split("\\s+");
        if (fields.length != 5) {
            throw new IllegalArgumentException(
                    "expected 5 fields (minute hour day-of-month month day-of-week), got " + fields.length);
        }
        for (int i = 0; i < fields.length; i++) fields[i] = fields[i].toUpperCase(Locale.ROOT);
        return new CronExpression(expression.trim(), fields);
    }

    public String expression() {
        return expression;
    }

    /** The first matching instant strictly after {@code after}; empty when the expression never matches (30 Feb). */
    public Optional<Instant> next(Instant after, ZoneId zone) {
        ZoneRules rules = zone.getRules();
        LocalDateTime t = LocalDateTime.ofInstant(after, zone)
                .truncatedTo(ChronoUnit.MINUTES)
                .plusMinutes(1);
        LocalDateTime limit = t.plusYears(SEARCH_YEARS);
        while (t.isBefore(limit)) {
            if (!months.get(t.getMonthValue())) {
                t = t.toLocalDate().withDayOfMonth(1).plusMonths(1).atStartOfDay();
                continue;
            }
            if (!dayMatches(t.toLocalDate())) {
                t = t.toLocalDate().plusDays(1).atStartOfDay();
                continue;
            }
            int hour = hours.nextSetBit(t.getHour());
            if (hour < 0) {
                t = t.toLocalDate().plusDays(1).atStartOfDay();
                continue;
            }
            if (hour != t.getHour()) t = t.withHour(hour).withMinute(0);
            int minute = minutes.nextSetBit(t.getMinute());
            if (minute < 0) {
                t = t.truncatedTo(ChronoUnit.HOURS).plusHours(1);
                continue;
            }
            t = t.withMinute(minute);
            Instant candidate = resolve(t, rules);
            if (candidate.isAfter(after)) return Optional.of(candidate);
            t = t.plusMinutes(1);
        }
        return Optional.empty();
    }

    /** The next {@code count} matching instants after {@code after} (fewer when the expression runs out). */
    public List<Instant> next(Instant after, ZoneId zone, int count) {
        List<Instant> times = new ArrayList<>(count);
        Instant cursor = after;
        while (times.size() < count) {
            Optional<Instant> next = next(cursor, zone);
            if (next.isEmpty()) break;
            times.add(next.get());
            cursor = next.get();
        }
        return times;
    }

    /** A local time in a gap fires when the gap ends; one in an overlap, at its first occurrence. */
    private static Instant resolve(LocalDateTime local, ZoneRules rules) {
        List<java.time.ZoneOffset> offsets = rules.getValidOffsets(local);
        if (!offsets.isEmpty()) return local.toInstant(offsets.get(0));
        ZoneOffsetTransition gap = rules.getTransition(local);
        return gap.getInstant();
    }

    private boolean dayMatches(LocalDate date) {
        int day = date.getDayOfMonth();
        int length = date.lengthOfMonth();
        boolean byMonthDay = daysOfMonth.get(day) || (lastDayOfMonth && day == length);
        int weekday = date.getDayOfWeek().getValue() % 7;
        boolean byWeekday = daysOfWeek.get(weekday) || (lastWeekdays.get(weekday) && day + 7 > length);
        // Vixie cron: either day field starting with * (a full set, or a step like */2) makes the two an AND.
        return dayOfMonthRestricted && dayOfWeekRestricted ? byMonthDay || byWeekday : byMonthDay && byWeekday;
    }

    // ---------------------------------------------------------------- parsing

    private static boolean hasItem(String field, String item) {
        for (String part : field.split(",", -1)) {
            if (part.equals(item)) return true;
        }
        return false;
    }

    /** The field without the {@code L} items; "" when nothing else is left. */
    private static String withoutItem(String field, String item) {
        List<String> kept = new ArrayList<>();
        for (String part : field.split(",", -1)) {
            if (!part.equals(item)) kept.add(part);
        }
        return String.join(",", kept);
    }

    private static BitSet parseLastWeekdays(String field) {
        BitSet last = new BitSet(7);
        for (String part : field.split(",", -1)) {
            if (part.length() > 1 && part.endsWith("L")) {
                int day = value(part.substring(0, part.length() - 1), "day of week", 0, 7, DAY_NAMES);
                last.set(day % 7);
            }
        }
        return last;
    }

    private static String withoutLastWeekdays(String field) {
        List<String> kept = new ArrayList<>();
        for (String part : field.split(",", -1)) {
            if (!(part.length() > 1 && part.endsWith("L"))) kept.add(part);
        }
        return String.join(",", kept);
    }

    /** An empty field (it held only {@code L} items) matches nothing by itself. */
    private static BitSet parseField(String field, String name, int min, int max, String[] names) {
        BitSet values = new BitSet(max + 1);
        if (field.isEmpty()) return values;
        for (String part : field.split(",", -1)) {
            if (part.isEmpty()) throw new IllegalArgumentException("empty value in the " + name + " field");
            int step = 1;
            String range = part;
            int slash = part.indexOf('/');
            if (slash >= 0) {
                range = part.substring(0, slash);
                step = number(part.substring(slash + 1), name + " step");
                if (step < 1) throw new IllegalArgumentException("the " + name + " step must be at least 1");
            }
            int from;
            int to;
            if (range.equals("*")) {
                from = min;
                to = max;
            } else if (range.contains("-")) {
                String[] bounds = range.split("-", -1);
                if (bounds.length != 2)
                    throw new IllegalArgumentException("invalid " + name + " range '" + range + "'");
                from = value(bounds[0], name, min, max, names);
                to = value(bounds[1], name, min, max, names);
                if (from > to)
                    throw new IllegalArgumentException("invalid " + name + " range '" + range + "': start after end");
            } else {
                from = value(range, name, min, max, names);
                to = slash >= 0 ? max : from;
            }
            for (int v = from; v <= to; v += step) values.set(v);
        }
        return values;
    }

    private static int value(String text, String name, int min, int max, String[] names) {
        if (names != null) {
            for (int i = 0; i < names.length; i++) {
                if (names[i].equals(text)) return names == MONTH_NAMES ? i + 1 : i;
            }
        }
        int value = number(text, name);
        if (value < min || value > max) {
            throw new IllegalArgumentException(name + " value " + value + " is out of range " + min + "-" + max);
        }
        return value;
    }

    private static int number(String text, String name) {
        if (text.isEmpty() || text.length() > 4 || !text.chars().allMatch(Character::isDigit)) {
            throw new IllegalArgumentException("invalid " + name + " value '" + text + "'");
        }
        return Integer.parseInt(text);
    }

    // ---------------------------------------------------------------- description

    /**
     * A short English description for people ({@code "Every 5 minutes"}, {@code "At 09:30, Monday through Friday"}).
     */
    public String description() {
        String time = timeDescription();
        List<String> parts = new ArrayList<>();
        parts.add(time);
        String days = dayDescription();
        if (!days.isEmpty()) parts.add(days);
        if (!fields[3].equals("*")) parts.add("in " + listOf(months, 1, 12, i -> capitalized(MONTH_NAMES[i - 1])));
        return String.join(", ", parts);
    }

    private String timeDescription() {
        String minute = fields[0];
        String hour = fields[1];
        boolean oneMinute = minutes.cardinality() == 1;
        boolean oneHour = hours.cardinality() == 1;
        if (minute.equals("*") && hour.equals("*")) return "Every minute";
        if (minute.startsWith("*/") && hour.equals("*")) return "Every " + minute.substring(2) + " minutes";
        if (oneMinute && hour.equals("*")) {
            int m = minutes.nextSetBit(0);
            return m == 0 ? "Every hour" : "At " + m + " minutes past the hour";
        }
        if (oneMinute && hour.startsWith("*/")) {
            return "At " + minutes.nextSetBit(0) + " minutes past the hour, every " + hour.substring(2) + " hours";
        }
        if (oneMinute && oneHour) {
            return String.format(Locale.ROOT, "At %02d:%02d", hours.nextSetBit(0), minutes.nextSetBit(0));
        }
        if (oneMinute && hours.cardinality() <= 6) {
            int m = minutes.nextSetBit(0);
            List<String> times = new ArrayList<>();
            for (int h = hours.nextSetBit(0); h >= 0; h = hours.nextSetBit(h + 1)) {
                times.add(String.format(Locale.ROOT, "%02d:%02d", h, m));
            }
            return "At " + joined(times);
        }
        String minutesPart =
                minute.equals("*") ? "Every minute" : "At minute " + listOf(minutes, 0, 59, String::valueOf);
        String hoursPart = hour.equals("*") ? "" : ", past hour " + listOf(hours, 0, 23, String::valueOf);
        return minutesPart + hoursPart;
    }

    private String dayDescription() {
        List<String> parts = new ArrayList<>();
        if (dayOfMonthRestricted) {
            List<String> days = new ArrayList<>();
            if (!daysOfMonth.isEmpty()) days.add("day " + listOf(daysOfMonth, 1, 31, String::valueOf));
            if (lastDayOfMonth) days.add("the last day");
            parts.add("on " + String.join(" and ", days) + " of the month");
        } else if (!fields[2].equals("*")) {
            parts.add("every " + fields[2].substring(2) + " days");
        }
        if (dayOfWeekRestricted) {
            List<String> days = new ArrayList<>();
            if (!daysOfWeek.isEmpty()) days.add(weekdaysDescription());
            for (int d = lastWeekdays.nextSetBit(0); d >= 0; d = lastWeekdays.nextSetBit(d + 1)) {
                days.add("the last " + dayName(d) + " of the month");
            }
            parts.add((parts.isEmpty() ? "" : "or ") + "on " + String.join(" and ", days));
        }
        return String.join(" ", parts);
    }

    private String weekdaysDescription() {
        BitSet weekdays = new BitSet(7);
        weekdays.set(1, 6);
        if (daysOfWeek.equals(weekdays)) return "Monday through Friday";
        return listOf(daysOfWeek, 0, 6, CronExpression::dayName);
    }

    private static String dayName(int day) {
        return DayOfWeek.of(day == 0 ? 7 : day).getDisplayName(java.time.format.TextStyle.FULL, Locale.ENGLISH);
    }

    private static String capitalized(String name) {
        return name.charAt(0) + name.substring(1).toLowerCase(Locale.ROOT);
    }

    private static String listOf(BitSet values, int min, int max, java.util.function.IntFunction<String> name) {
        List<String> names = new ArrayList<>();
        for (int v = values.nextSetBit(min); v >= 0 && v <= max; v = values.nextSetBit(v + 1)) names.add(name.apply(v));
        return joined(names);
    }

    private static String joined(List<String> items) {
        if (items.size() <= 1) return String.join("", items);
        return String.join(", ", items.subList(0, items.size() - 1)) + " and " + items.get(items.size() - 1);
    }

    @Override
    public String toString() {
        return expression;
    }
}
