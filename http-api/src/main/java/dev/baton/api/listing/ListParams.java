package dev.baton.api.listing;

import dev.baton.api.config.HttpSettings;
import dev.baton.api.errors.ApiException;
import dev.baton.engine.common.Durations;
import dev.baton.projections.listing.ListCursor;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The query string of a keyset-paged list (Trigger.dev's {@code filter[…]} and {@code page[…]}), read one
 * parameter at a time. Lists are comma-separated (a repeated parameter adds to the list); an empty value does
 * not filter. Every unreadable value is a 400 that names its parameter.
 */
public final class ListParams {

    public static final String FROM = "filter[createdAt][from]";
    public static final String TO = "filter[createdAt][to]";
    public static final String PERIOD = "filter[createdAt][period]";
    public static final String PAGE_SIZE = "page[size]";
    public static final String AFTER = "page[after]";
    public static final String BEFORE = "page[before]";
    private static final Pattern EPOCH_MILLIS = Pattern.compile("^-?\\d{1,16}$");

    /**
     * How a single-valued parameter is read. The run list reads it as a list of one (split at commas, trimmed);
     * the token list takes each non-empty value as sent, since an idempotency key may hold a comma.
     */
    public enum Single {
        SPLIT_AT_COMMAS,
        AS_SENT
    }

    private final Map<String, List<String>> params;
    private final HttpSettings settings;
    private final Single single;

    public ListParams(Map<String, List<String>> params, HttpSettings settings, Single single) {
        this.params = params;
        this.settings = settings;
        this.single = single;
    }

    /** The values of a list parameter; null when it is absent or empty (no filter). */
    public Set<String> list(String name) {
        List<String> values = values(name);
        if (values.isEmpty()) return null;
        if (values.size() > settings.listMaxFilterValues()) {
            throw invalid(name, "expected at most " + settings.listMaxFilterValues() + " values");
        }
        return new LinkedHashSet<>(values);
    }

    /** The parameter's one value; null when it is absent or empty. */
    public String single(String name) {
        List<String> values = switch (single) {
            case SPLIT_AT_COMMAS -> values(name);
            case AS_SENT ->
                params.getOrDefault(name, List.of()).stream()
                        .filter(value -> !value.isEmpty())
                        .toList();
        };
        if (values.size() > 1) throw invalid(name, "expected a single value");
        return values.isEmpty() ? null : values.get(0);
    }

    /** Epoch milliseconds (what the SDK sends) or an ISO-8601 date; {@code to} includes its whole millisecond. */
    public Instant date(String name, boolean upperBound) {
        String value = single(name);
        if (value == null) return null;
        Instant instant = EPOCH_MILLIS.matcher(value).matches()
                ? Instant.ofEpochMilli(Long.parseLong(value))
                : Durations.parseDate(value)
                        .orElseThrow(() -> invalid(name, "expected epoch milliseconds or an ISO-8601 date"));
        return upperBound ? instant.plusMillis(1) : instant;
    }

    /** {@code filter[createdAt][period]}: created no longer ago than this. */
    public Duration period() {
        String value = single(PERIOD);
        if (value == null) return null;
        return Durations.parseDuration(value)
                .orElseThrow(() -> invalid(PERIOD, "expected a duration such as 30m, 2h, 1d or 1w"));
    }

    /** {@code page[size]}, from 1 to the configured maximum; the default page size when absent. */
    public int pageSize() {
        String value = single(PAGE_SIZE);
        if (value == null) return settings.listDefaultPageSize();
        String must = "expected an integer from 1 to " + settings.listMaxPageSize();
        if (!value.matches("^\\d{1,9}$")) throw invalid(PAGE_SIZE, must);
        int size = Integer.parseInt(value);
        if (size < 1 || size > settings.listMaxPageSize()) throw invalid(PAGE_SIZE, must);
        return size;
    }

    /** A cursor this API handed out ({@code page[after]}, {@code page[before]}); null when absent. */
    public ListCursor cursor(String name) {
        String value = single(name);
        if (value == null) return null;
        return ListCursor.decode(value)
                .orElseThrow(() -> invalid(name, "expected a cursor from a previous page's pagination"));
    }

    /** Every value of the parameter, split at commas, trimmed, without empty ones. */
    public List<String> values(String name) {
        return params.getOrDefault(name, List.of()).stream()
                .flatMap(value -> Arrays.stream(value.split(",")))
                .map(String::strip)
                .filter(value -> !value.isEmpty())
                .toList();
    }

    public static ApiException invalid(String name, String problem) {
        return ApiException.badRequest("Invalid query parameter " + name + ": " + problem);
    }
}
