package dev.baton.projections.waitpoints;

import akka.actor.typed.ActorSystem;
import dev.baton.engine.storage.Database;
import dev.baton.engine.waitpoint.WaitpointTokenEntity.Status;
import dev.baton.projections.internal.QueryDispatcher;
import dev.baton.projections.listing.CreatedWindow;
import dev.baton.projections.listing.ListCursor;
import dev.baton.projections.listing.SqlWhere;
import dev.baton.projections.listing.TaggedList;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.Executor;
import javax.sql.DataSource;

/**
 * The waitpoint tokens of one environment, from the token index: filtered, newest first (created_at, then
 * token id, both descending), in keyset pages ({@link ListCursor}). Eventually consistent with the tokens
 * themselves. JDBC blocks, so {@link #list} runs on the query dispatcher.
 */
public final class TokenList extends TaggedList<TokenRow, TokenList.Filter> {

    /**
     * Which tokens to list; a null field does not filter. {@code statuses}: any of them; {@code tags}: tokens
     * holding any of them. {@code createdWithin}: created no longer ago than this (with {@code createdFrom}, the
     * later bound wins).
     *
     * @param createdFrom created at or after this
     * @param createdBefore created strictly before this
     */
    public record Filter(
            Set<Status> statuses,
            String idempotencyKey,
            Set<String> tags,
            Instant createdFrom,
            Instant createdBefore,
            Duration createdWithin)
            implements TaggedList.Filter {

        public static final Filter NONE = new Filter(null, null, null, null, null, null);

        @Override
        public boolean matchesNothing() {
            return (statuses != null && statuses.isEmpty()) || (tags != null && tags.isEmpty());
        }

        CreatedWindow created() {
            return new CreatedWindow(createdFrom, createdBefore, createdWithin);
        }
    }

    public TokenList(DataSource dataSource, Executor executor, Clock clock) {
        super(dataSource, executor, clock, TokenTable.LISTING, TokenTable.TAGS, TokenRow::tokenId, TokenRow::withTags);
    }

    public static TokenList create(ActorSystem<?> system, Database database, Clock clock) {
        return new TokenList(database.dataSource(), QueryDispatcher.lookup(system), clock);
    }

    /** Tokens past {@code from}, with the filter's conditions. */
    @Override
    protected SqlWhere where(String environmentId, Filter filter, ListCursor from, boolean newer) {
        SqlWhere sql = new SqlWhere();
        sql.and("w.environment_id = ?", environmentId);
        if (filter.statuses() != null)
            sql.in(
                    "w.status",
                    filter.statuses().stream().map(Enum::name).sorted().toList());
        if (filter.idempotencyKey() != null) sql.and("w.idempotency_key = ?", filter.idempotencyKey());
        TokenTable.LISTING.created(sql, filter.created(), clock);
        TokenTable.LISTING.past(sql, from, newer);
        if (filter.tags() != null) {
            SqlWhere tags = new SqlWhere();
            tags.and("t.environment_id = ?", environmentId);
            tags.in("t.tag", filter.tags().stream().sorted().toList());
            sql.and(
                    "w.token_id IN (SELECT t.token_id FROM baton_waitpoint_token_tags t WHERE " + tags.text() + ")",
                    tags.parameters().toArray());
        }
        return sql;
    }
}
