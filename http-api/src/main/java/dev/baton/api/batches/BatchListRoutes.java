package dev.baton.api.batches;

import static akka.http.javadsl.server.Directives.complete;
import static akka.http.javadsl.server.Directives.get;
import static akka.http.javadsl.server.Directives.onSuccess;
import static akka.http.javadsl.server.Directives.parameterMultiMap;
import static akka.http.javadsl.server.Directives.path;
import static akka.http.javadsl.server.PathMatchers.segment;

import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.server.Route;
import dev.baton.api.auth.Authentication;
import dev.baton.api.config.HttpSettings;
import dev.baton.api.json.Json;
import dev.baton.api.listing.ListParams;
import dev.baton.engine.batch.BatchStatus;
import dev.baton.engine.environment.Environment;
import dev.baton.projections.batches.BatchList;
import dev.baton.projections.batches.BatchRow;
import dev.baton.projections.listing.ListCursor;
import dev.baton.projections.listing.Page;
import dev.baton.projections.listing.PageRequest;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code GET /api/v1/batches} (Baton's own): the environment's batches from the batch index, newest first, in keyset
 * pages, filtered like the other lists. Authentication first (a secret key), then the query string (a 400 naming the
 * parameter), then the database on the query dispatcher. Eventually consistent with {@code GET /api/v2/batches/{id}}.
 */
public final class BatchListRoutes {

    static final String STATUS = "filter[status]";
    private static final Set<BatchStatus> LISTED =
            EnumSet.of(BatchStatus.PENDING, BatchStatus.PROCESSING, BatchStatus.COMPLETED, BatchStatus.PARTIAL_FAILED);

    /** One batch: {@code runsCreated} items have their run, {@code itemErrors} got none, of {@code runCount}. */
    public record BatchItem(
            String id,
            String status,
            int runCount,
            int runsCreated,
            int itemErrors,
            String idempotencyKey,
            String createdAt,
            String updatedAt,
            String completedAt) {}

    public record Pagination(String next, String previous) {}

    public record ListBatchesResponse(List<BatchItem> data, Pagination pagination) {}

    private final BatchList batchList;
    private final Authentication authentication;
    private final HttpSettings settings;

    public BatchListRoutes(BatchList batchList, Authentication authentication, HttpSettings settings) {
        this.batchList = batchList;
        this.authentication = authentication;
        this.settings = settings;
    }

    public Route routes() {
        return path(
                segment("api").slash("v1").slash("batches"),
                () -> get(() -> authentication.authenticated(
                        environment -> parameterMultiMap(query -> list(environment, query)))));
    }

    private Route list(Environment environment, Map<String, List<String>> query) {
        ListParams params = new ListParams(query, settings, ListParams.Single.SPLIT_AT_COMMAS);
        BatchList.Filter filter = new BatchList.Filter(
                statuses(params),
                params.date(ListParams.FROM, false),
                params.date(ListParams.TO, true),
                params.period());
        ListCursor after = params.cursor(ListParams.AFTER);
        ListCursor before = params.cursor(ListParams.BEFORE);
        if (after != null && before != null) {
            throw ListParams.invalid(ListParams.BEFORE, "page[after] and page[before] exclude each other");
        }
        return onSuccess(
                batchList.list(environment.id(), filter, new PageRequest(params.pageSize(), after, before)),
                page -> complete(Json.response(StatusCodes.OK, response(page))));
    }

    private static Set<BatchStatus> statuses(ListParams params) {
        Set<String> names = params.list(STATUS);
        if (names == null) return null;
        Set<BatchStatus> statuses = EnumSet.noneOf(BatchStatus.class);
        List<String> invalid = new ArrayList<>();
        for (String name : names) {
            BatchStatus status = LISTED.stream()
                    .filter(listed -> listed.name().equalsIgnoreCase(name))
                    .findFirst()
                    .orElse(null);
            if (status == null) invalid.add(name);
            else statuses.add(status);
        }
        if (!invalid.isEmpty()) {
            throw ListParams.invalid(
                    STATUS,
                    "Invalid status values: " + String.join(", ", invalid)
                            + " (expected PENDING, PROCESSING, COMPLETED or PARTIAL_FAILED)");
        }
        return statuses;
    }

    private static ListBatchesResponse response(Page<BatchRow> page) {
        return new ListBatchesResponse(
                page.rows().stream().map(BatchListRoutes::item).toList(),
                new Pagination(
                        page.next() == null ? null : page.next().encode(),
                        page.previous() == null ? null : page.previous().encode()));
    }

    private static BatchItem item(BatchRow row) {
        return new BatchItem(
                row.batchId(),
                row.status().name(),
                row.runCount(),
                row.runsCreated(),
                row.itemErrors(),
                row.idempotencyKey(),
                Json.timestamp(row.createdAt()),
                Json.timestamp(row.updatedAt()),
                Json.timestamp(row.completedAt()));
    }
}
