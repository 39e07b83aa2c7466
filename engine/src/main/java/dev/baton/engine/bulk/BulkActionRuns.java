package dev.baton.engine.bulk;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The port through which a bulk action reads the runs its filter selects: the run index, newest first, in keyset
 * pages. The engine does not read the index itself; the node hands in an implementation over the projections.
 */
public interface BulkActionRuns {

    /** One page of run ids; {@code next} is the cursor of the following page, null after the last one. */
    record RunIdPage(List<String> runIds, String next) {}

    /** The page after {@code cursor} (null: the first page) of the environment's runs the filter selects. */
    CompletionStage<RunIdPage> page(String environmentId, BulkRunFilter filter, String cursor, int size);

    /** How many of the environment's runs the filter selects now. */
    CompletionStage<Long> count(String environmentId, BulkRunFilter filter);

    /** For an engine without a run index (engine-only test nodes): every read fails, so nothing is selected. */
    BulkActionRuns UNAVAILABLE = new BulkActionRuns() {
        @Override
        public CompletionStage<RunIdPage> page(String environmentId, BulkRunFilter filter, String cursor, int size) {
            return CompletableFuture.failedFuture(unavailable());
        }

        @Override
        public CompletionStage<Long> count(String environmentId, BulkRunFilter filter) {
            return CompletableFuture.failedFuture(unavailable());
        }

        private IllegalStateException unavailable() {
            return new IllegalStateException("this node has no run index to select runs by filter");
        }
    };
}
