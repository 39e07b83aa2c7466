package dev.baton.api.bulkactions;

import dev.baton.engine.bulk.BulkActionEntity;
import dev.baton.projections.bulkactions.BulkActionRow;
import dev.baton.projections.listing.ListCursor;
import dev.baton.projections.listing.Page;
import java.time.Instant;
import java.util.List;

/** The SDK's bulk action shapes: {@code BulkActionObject}, its list page, and the {@code {id}} answers. */
final class BulkActionResponses {

    private BulkActionResponses() {}

    record Id(String id) {}

    record Counts(long total, long success, long failure) {}

    record BulkActionObject(
            String id,
            String name,
            String type,
            String status,
            Counts counts,
            Instant createdAt,
            Instant completedAt) {}

    record Pagination(String next, String previous) {}

    record ListPage(List<BulkActionObject> data, Pagination pagination) {}

    static BulkActionObject of(BulkActionEntity.State state) {
        return new BulkActionObject(
                state.bulkActionId(),
                state.name(),
                state.type().name(),
                state.status().name(),
                new Counts(state.total(), state.success(), state.failure()),
                state.createdAt(),
                state.completedAt());
    }

    static BulkActionObject of(BulkActionRow row) {
        return new BulkActionObject(
                row.bulkActionId(),
                row.name(),
                row.type().name(),
                row.status().name(),
                new Counts(row.total(), row.success(), row.failure()),
                row.createdAt(),
                row.completedAt());
    }

    static ListPage page(Page<BulkActionRow> page) {
        return new ListPage(
                page.rows().stream().map(BulkActionResponses::of).toList(),
                new Pagination(encode(page.next()), encode(page.previous())));
    }

    private static String encode(ListCursor cursor) {
        return cursor == null ? null : cursor.encode();
    }
}
