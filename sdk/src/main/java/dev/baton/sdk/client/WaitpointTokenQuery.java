package dev.baton.sdk.client;

import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * Which waitpoint tokens {@link BatonClient#listTokens} returns, and which page; every field is optional.
 * Tokens come newest first; a page's {@code next} cursor goes on with older ones.
 *
 * <pre>{@code
 * WaitpointTokenQuery.builder().statuses(WaitpointTokenStatus.WAITING).tags("approval").pageSize(50).build()
 * }</pre>
 *
 * @param statuses       tokens in any of these statuses
 * @param idempotencyKey the token created with this key
 * @param tags           tokens with any of these tags
 * @param from           created at or after this
 * @param to             created at or before this
 * @param period         created within this long before now (e.g. 24 hours)
 * @param pageSize       1 to 100 (server default 25)
 * @param after          a page's {@link WaitpointTokenPage#next()} cursor: the tokens after it
 * @param before         a page's {@link WaitpointTokenPage#previous()} cursor: the tokens before it
 */
public record WaitpointTokenQuery(
        Set<WaitpointTokenStatus> statuses,
        String idempotencyKey,
        List<String> tags,
        Instant from,
        Instant to,
        Duration period,
        Integer pageSize,
        String after,
        String before) {

    public WaitpointTokenQuery {
        statuses = statuses == null ? null : Set.copyOf(statuses);
        tags = tags == null ? null : List.copyOf(tags);
    }

    /** Every token, the newest page. */
    public static WaitpointTokenQuery all() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The same filter, for the page after {@code cursor}. */
    public WaitpointTokenQuery after(String cursor) {
        return new WaitpointTokenQuery(statuses, idempotencyKey, tags, from, to, period, pageSize, cursor, null);
    }

    public static final class Builder {
        private Set<WaitpointTokenStatus> statuses;
        private String idempotencyKey;
        private List<String> tags;
        private Instant from;
        private Instant to;
        private Duration period;
        private Integer pageSize;
        private String after;
        private String before;

        private Builder() {}

        public Builder statuses(WaitpointTokenStatus... statuses) {
            this.statuses = Set.of(statuses);
            return this;
        }

        public Builder idempotencyKey(String idempotencyKey) {
            this.idempotencyKey = idempotencyKey;
            return this;
        }

        public Builder tags(String... tags) {
            this.tags = Arrays.asList(tags);
            return this;
        }

        public Builder createdFrom(Instant from) {
            this.from = from;
            return this;
        }

        public Builder createdTo(Instant to) {
            this.to = to;
            return this;
        }

        public Builder createdWithin(Duration period) {
            this.period = period;
            return this;
        }

        public Builder pageSize(int pageSize) {
            this.pageSize = pageSize;
            return this;
        }

        public Builder after(String cursor) {
            this.after = cursor;
            return this;
        }

        public Builder before(String cursor) {
            this.before = cursor;
            return this;
        }

        public WaitpointTokenQuery build() {
            return new WaitpointTokenQuery(statuses, idempotencyKey, tags, from, to, period, pageSize, after, before);
        }
    }
}
