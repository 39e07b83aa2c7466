package dev.baton.projections.waitpoints;

import akka.persistence.typed.PersistenceId;
import akka.projection.eventsourced.EventEnvelope;
import dev.baton.engine.waitpoint.WaitpointTokenEntity;
import dev.baton.projections.internal.IndexHandler;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes a group of token events into {@code baton_waitpoint_tokens}, in the projection's transaction:
 * loads the rows the group touches, folds each token's events in journal order ({@link TokenRow#apply}),
 * and writes every changed row once (a new one with its tags). Idempotent: replayed events rebuild the same rows.
 */
public final class TokenIndexHandler extends IndexHandler<WaitpointTokenEntity.Event> {

    private static final Logger log = LoggerFactory.getLogger(TokenIndexHandler.class);

    private final TokenTable table;

    public TokenIndexHandler(TokenTable table) {
        super(WaitpointTokenEntity.Event.class, "token");
        this.table = table;
    }

    @Override
    protected void apply(Connection connection, List<EventEnvelope<WaitpointTokenEntity.Event>> envelopes)
            throws SQLException {
        Set<String> ids = new LinkedHashSet<>();
        envelopes.forEach(envelope -> ids.add(tokenId(envelope)));
        Map<String, TokenRow> loaded = table.load(connection, ids);
        Map<String, TokenRow> rows = new LinkedHashMap<>(loaded);
        Map<String, TokenRow> changed = new LinkedHashMap<>();
        for (EventEnvelope<WaitpointTokenEntity.Event> envelope : envelopes) {
            WaitpointTokenEntity.Event event = event(envelope);
            if (event == null) continue;
            String tokenId = tokenId(envelope);
            TokenRow before = rows.get(tokenId);
            TokenRow after = TokenRow.apply(before, tokenId, event);
            if (after == null) {
                log.warn(
                        "Skipping {} of token {} (seq {}): the token has no row in the index",
                        event.getClass().getSimpleName(),
                        tokenId,
                        envelope.sequenceNr());
            } else if (!after.equals(before)) {
                rows.put(tokenId, after);
                changed.put(tokenId, after);
            }
        }
        List<TokenRow> created = changed.values().stream()
                .filter(row -> !loaded.containsKey(row.tokenId()))
                .toList();
        table.upsert(connection, changed.values(), created);
    }

    private static String tokenId(EventEnvelope<WaitpointTokenEntity.Event> envelope) {
        return PersistenceId.extractEntityId(envelope.persistenceId());
    }
}
