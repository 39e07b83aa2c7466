package dev.baton.api.runs;

import dev.baton.api.HttpSettings;
import dev.baton.api.errors.ApiException;
import dev.baton.api.time.Durations;
import dev.baton.engine.run.RunStatus;
import dev.baton.projections.runs.RunCursor;
import dev.baton.projections.runs.RunList;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * {@code GET /api/v1/runs}'s query string (Trigger.dev's {@code filter[…]} and {@code page[…]}) → the run
 * list's filter and page. Lists are comma-separated (a repeated parameter adds to the list); an empty value
 * does not filter. Every unreadable value is a 400 that names its parameter. Unknown parameters are ignored.
 */
final class RunListParams {

  /** @param matchesNothing a filter no Baton run can match (machine, region, bulk action): no query needed */
  record Decoded(RunList.Filter filter, RunList.PageRequest page, boolean matchesNothing) {}

  static final String STATUS = "filter[status]";
  static final String TASK = "filter[taskIdentifier]";
  static final String TAG = "filter[tag]";
  static final String QUEUE = "filter[queue]";
  static final String VERSION = "filter[version]";
  static final String BATCH = "filter[batch]";
  static final String SCHEDULE = "filter[schedule]";
  static final String IS_TEST = "filter[isTest]";
  static final String FROM = "filter[createdAt][from]";
  static final String TO = "filter[createdAt][to]";
  static final String PERIOD = "filter[createdAt][period]";
  static final String PAGE_SIZE = "page[size]";
  static final String AFTER = "page[after]";
  static final String BEFORE = "page[before]";
  /** Runs have no machine, region or bulk action in Baton: filtering on one matches no run. */
  private static final List<String> NEVER_MATCHING = List.of("filter[machine]", "filter[region]",
      "filter[bulkAction]");
  private static final Pattern EPOCH_MILLIS = Pattern.compile("^-?\\d{1,16}$");

  private final HttpSettings settings;

  RunListParams(HttpSettings settings) {
    this.settings = settings;
  }

  Decoded decode(Map<String, List<String>> params) {
    RunList.Filter filter = new RunList.Filter(statuses(params), list(params, TASK), list(params, TAG),
        list(params, QUEUE), list(params, VERSION), single(params, BATCH), single(params, SCHEDULE),
        bool(params, IS_TEST), date(params, FROM, false), date(params, TO, true), period(params));
    RunCursor before = cursor(params, BEFORE);
    // The SDK's getPreviousPage() keeps the page's after cursor next to before; like Trigger.dev, before wins.
    RunCursor after = before != null ? null : cursor(params, AFTER);
    boolean nothing = NEVER_MATCHING.stream().anyMatch(name -> !values(params, name).isEmpty());
    return new Decoded(filter, new RunList.PageRequest(pageSize(params), after, before), nothing);
  }

  private Set<RunStatus> statuses(Map<String, List<String>> params) {
    Set<String> names = list(params, STATUS);
    if (names == null) return null;
    Set<RunStatus> statuses = EnumSet.noneOf(RunStatus.class);
    for (String name : names) {
      statuses.addAll(ApiRunStatus.engineStatuses(name.toUpperCase(Locale.ROOT)).orElseThrow(() -> invalid(STATUS,
          "unknown status '" + name + "', expected one of " + Arrays.toString(ApiRunStatus.values()))));
    }
    return statuses;
  }

  /** The values of a list parameter; null when it is absent or empty (no filter). */
  private Set<String> list(Map<String, List<String>> params, String name) {
    List<String> values = values(params, name);
    if (values.isEmpty()) return null;
    if (values.size() > settings.listMaxFilterValues()) {
      throw invalid(name, "expected at most " + settings.listMaxFilterValues() + " values");
    }
    return new LinkedHashSet<>(values);
  }

  private static String single(Map<String, List<String>> params, String name) {
    List<String> values = values(params, name);
    if (values.size() > 1) throw invalid(name, "expected a single value");
    return values.isEmpty() ? null : values.get(0);
  }

  private static Boolean bool(Map<String, List<String>> params, String name) {
    String value = single(params, name);
    if (value == null) return null;
    return switch (value.toLowerCase(Locale.ROOT)) {
      case "true" -> true;
      case "false" -> false;
      default -> throw invalid(name, "expected true or false");
    };
  }

  /** Epoch milliseconds (what the SDK sends) or an ISO-8601 date; {@code to} includes its whole millisecond. */
  private static Instant date(Map<String, List<String>> params, String name, boolean upperBound) {
    String value = single(params, name);
    if (value == null) return null;
    Instant instant;
    if (EPOCH_MILLIS.matcher(value).matches()) {
      instant = Instant.ofEpochMilli(Long.parseLong(value));
    } else {
      instant = Durations.parseDate(value).orElseThrow(() -> invalid(name, "expected epoch milliseconds or an ISO-8601 date"));
    }
    return upperBound ? instant.plusMillis(1) : instant;
  }

  private static Duration period(Map<String, List<String>> params) {
    String value = single(params, PERIOD);
    if (value == null) return null;
    return Durations.parseDuration(value).orElseThrow(() -> invalid(PERIOD, "expected a duration such as 30m, 2h, 1d or 1w"));
  }

  private int pageSize(Map<String, List<String>> params) {
    String value = single(params, PAGE_SIZE);
    if (value == null) return settings.listDefaultPageSize();
    String must = "expected an integer from 1 to " + settings.listMaxPageSize();
    if (!value.matches("^\\d{1,9}$")) throw invalid(PAGE_SIZE, must);
    int size = Integer.parseInt(value);
    if (size < 1 || size > settings.listMaxPageSize()) throw invalid(PAGE_SIZE, must);
    return size;
  }

  private static RunCursor cursor(Map<String, List<String>> params, String name) {
    String value = single(params, name);
    if (value == null) return null;
    return RunCursor.decode(value).orElseThrow(() -> invalid(name, "expected a cursor from a previous page's pagination"));
  }

  /** Every value of the parameter, split at commas, trimmed, without empty ones. */
  private static List<String> values(Map<String, List<String>> params, String name) {
    return params.getOrDefault(name, List.of()).stream()
        .flatMap(value -> Arrays.stream(value.split(",")))
        .map(String::strip)
        .filter(value -> !value.isEmpty())
        .toList();
  }

  private static ApiException invalid(String name, String problem) {
    return ApiException.badRequest("Invalid query parameter " + name + ": " + problem);
  }
}
