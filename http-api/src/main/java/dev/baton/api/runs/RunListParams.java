package dev.baton.api.runs;

import static dev.baton.api.listing.ListParams.invalid;

import dev.baton.api.config.HttpSettings;
import dev.baton.api.listing.ListParams;
import dev.baton.engine.run.RunStatus;
import dev.baton.projections.listing.ListCursor;
import dev.baton.projections.listing.PageRequest;
import dev.baton.projections.runs.RunList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * {@code GET /api/v1/runs}'s query string (Trigger.dev's {@code filter[…]} and {@code page[…]}) → the run
 * list's filter and page. Lists are comma-separated (a repeated parameter adds to the list); an empty value
 * does not filter. Every unreadable value is a 400 that names its parameter. Unknown parameters are ignored.
 */
public final class RunListParams {

    /** @param matchesNothing a filter no Baton run can match (machine, region, bulk action): no query needed */
    public record Decoded(RunList.Filter filter, PageRequest page, boolean matchesNothing) {}

    public static final String STATUS = "filter[status]";
    public static final String TASK = "filter[taskIdentifier]";
    public static final String TAG = "filter[tag]";
    public static final String QUEUE = "filter[queue]";
    public static final String VERSION = "filter[version]";
    public static final String BATCH = "filter[batch]";
    public static final String SCHEDULE = "filter[schedule]";
    public static final String IS_TEST = "filter[isTest]";
    /** Runs have no machine, region or bulk action in Baton: filtering on one matches no run. */
    private static final List<String> NEVER_MATCHING =
            List.of("filter[machine]", "filter[region]", "filter[bulkAction]");

    private final HttpSettings settings;

    public RunListParams(HttpSettings settings) {
        this.settings = settings;
    }

    public Decoded decode(Map<String, List<String>> query) {
        ListParams params = new ListParams(query, settings, ListParams.Single.SPLIT_AT_COMMAS);
        RunList.Filter filter = new RunList.Filter(
                statuses(params),
                params.list(TASK),
                params.list(TAG),
                params.list(QUEUE),
                params.list(VERSION),
                params.single(BATCH),
                params.single(SCHEDULE),
                bool(params, IS_TEST),
                params.date(ListParams.FROM, false),
                params.date(ListParams.TO, true),
                params.period());
        ListCursor before = params.cursor(ListParams.BEFORE);
        // The SDK's getPreviousPage() keeps the page's after cursor next to before; like Trigger.dev, before wins.
        ListCursor after = before != null ? null : params.cursor(ListParams.AFTER);
        boolean nothing =
                NEVER_MATCHING.stream().anyMatch(name -> !params.values(name).isEmpty());
        return new Decoded(filter, new PageRequest(params.pageSize(), after, before), nothing);
    }

    private static Set<RunStatus> statuses(ListParams params) {
        Set<String> names = params.list(STATUS);
        if (names == null) return null;
        Set<RunStatus> statuses = EnumSet.noneOf(RunStatus.class);
        for (String name : names) {
            statuses.addAll(ApiRunStatus.engineStatuses(name.toUpperCase(Locale.ROOT))
                    .orElseThrow(() -> invalid(
                            STATUS,
                            "unknown status '" + name + "', expected one of "
                                    + Arrays.toString(ApiRunStatus.values()))));
        }
        return statuses;
    }

    private static Boolean bool(ListParams params, String name) {
        String value = params.single(name);
        if (value == null) return null;
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw invalid(name, "expected true or false");
        };
    }
}
