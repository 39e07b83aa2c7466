package dev.baton.projections.bulkactions;

import dev.baton.engine.bulk.BulkActionRuns;
import dev.baton.engine.bulk.BulkRunFilter;
import dev.baton.projections.listing.ListCursor;
import dev.baton.projections.listing.PageRequest;
import dev.baton.projections.runs.RunList;
import dev.baton.projections.runs.RunRow;
import java.util.concurrent.CompletionStage;

/**
 * The runs a bulk action's filter selects, read from the run index with the runs list's own query: newest first,
 * in keyset pages whose cursor ({@link ListCursor}, a row's creation time and id) stays exact while runs change.
 */
public final class IndexedRunSelection implements BulkActionRuns {

    private final RunList runList;

    public IndexedRunSelection(RunList runList) {
        this.runList = runList;
    }

    @Override
    public CompletionStage<RunIdPage> page(String environmentId, BulkRunFilter filter, String cursor, int size) {
        ListCursor after = cursor == null
                ? null
                : ListCursor.decode(cursor)
                        .orElseThrow(() -> new IllegalArgumentException("not a run list cursor: " + cursor));
        return runList.list(environmentId, toListFilter(filter), new PageRequest(size, after, null))
                .thenApply(page -> new RunIdPage(
                        page.rows().stream().map(RunRow::runId).toList(),
                        page.next() == null ? null : page.next().encode()));
    }

    @Override
    public CompletionStage<Long> count(String environmentId, BulkRunFilter filter) {
        return runList.count(environmentId, toListFilter(filter));
    }

    static RunList.Filter toListFilter(BulkRunFilter filter) {
        return new RunList.Filter(
                filter.statuses(),
                filter.taskIds(),
                filter.tags(),
                filter.queues(),
                filter.versions(),
                filter.batchId(),
                filter.scheduleId(),
                filter.test(),
                filter.createdFrom(),
                filter.createdBefore(),
                null);
    }
}
