package dev.baton.projections.listing;

import dev.baton.projections.internal.Jdbc;
import dev.baton.projections.internal.TagTable;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.BiFunction;
import java.util.function.Function;
import javax.sql.DataSource;

/**
 * What the run and token lists share: one environment's rows in keyset pages ({@link KeysetListing}), each row with
 * its tags (read for the whole page in one query), on the query dispatcher because JDBC blocks. A list says how its
 * filter narrows the rows.
 *
 * @param <R> a row
 * @param <F> the list's filter
 */
public abstract class TaggedList<R, F extends TaggedList.Filter> {

    private final DataSource dataSource;
    private final Executor executor;
    /** For a filter's "created within": the list's clock, so tests can fix it. */
    protected final Clock clock;

    private final KeysetListing<R> listing;
    private final TagTable tags;
    private final Function<R, String> id;
    private final BiFunction<R, List<String>, R> withTags;

    protected TaggedList(
            DataSource dataSource,
            Executor executor,
            Clock clock,
            KeysetListing<R> listing,
            TagTable tags,
            Function<R, String> id,
            BiFunction<R, List<String>, R> withTags) {
        this.dataSource = dataSource;
        this.executor = executor;
        this.clock = clock;
        this.listing = listing;
        this.tags = tags;
        this.id = id;
        this.withTags = withTags;
    }

    /** A list's filter. */
    public interface Filter {
        /** Whether the filter matches no row at all (an empty set of values): then no query runs. */
        boolean matchesNothing();
    }

    /** The WHERE clause: the environment, the filter, and the keyset bound. */
    protected abstract SqlWhere where(String environmentId, F filter, ListCursor from, boolean newer);

    /** {@link #page} on the query dispatcher. */
    public CompletionStage<Page<R>> list(String environmentId, F filter, PageRequest request) {
        return Jdbc.async(executor, () -> page(environmentId, filter, request));
    }

    /** One page of the environment's rows with their tags (blocking). */
    public Page<R> page(String environmentId, F filter, PageRequest request) throws SQLException {
        if (filter.matchesNothing()) return Page.empty();
        return Jdbc.withConnection(dataSource, connection -> {
            Page<R> page = listing.page(connection, where(environmentId, filter), request);
            if (page.rows().isEmpty()) return Page.empty();
            return new Page<>(tags.withTags(connection, page.rows(), id, withTags), page.next(), page.previous());
        });
    }

    /** How many of the environment's rows the filter matches, on the query dispatcher. */
    public CompletionStage<Long> count(String environmentId, F filter) {
        return Jdbc.async(
                executor,
                () -> filter.matchesNothing()
                        ? 0L
                        : Jdbc.withConnection(
                                dataSource, connection -> listing.count(connection, where(environmentId, filter))));
    }

    /**
     * The database's plan for a page's main query, as {@code EXPLAIN (ANALYZE, BUFFERS)} tells it (PostgreSQL);
     * for the benchmark (docs/benchmarks.md).
     */
    public List<String> explainPage(Connection connection, String environmentId, F filter, PageRequest request)
            throws SQLException {
        return listing.explainPage(connection, where(environmentId, filter), request);
    }

    private KeysetListing.Where where(String environmentId, F filter) {
        return (from, newer) -> where(environmentId, filter, from, newer);
    }
}
