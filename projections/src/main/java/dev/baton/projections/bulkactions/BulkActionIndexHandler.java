package dev.baton.projections.bulkactions;

import akka.persistence.typed.PersistenceId;
import akka.projection.eventsourced.EventEnvelope;
import dev.baton.engine.bulk.BulkActionEntity;
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
 * Writes a group of bulk action events into {@code baton_bulk_actions}, in the projection's transaction: loads the
 * rows the group touches, folds each action's events in journal order ({@link BulkActionRow#apply}), and writes
 * every changed row once. Idempotent: a row remembers the last event it holds, so replayed events change nothing.
 */
public final class BulkActionIndexHandler extends IndexHandler<BulkActionEntity.Event> {

    private static final Logger log = LoggerFactory.getLogger(BulkActionIndexHandler.class);

    private final BulkActionTable table;

    public BulkActionIndexHandler(BulkActionTable table) {
        super(BulkActionEntity.Event.class, "bulk action");
        this.table = table;
    }

    @Override
    protected void apply(Connection connection, List<EventEnvelope<BulkActionEntity.Event>> envelopes)
            throws SQLException {
        Set<String> ids = new LinkedHashSet<>();
        envelopes.forEach(envelope -> ids.add(bulkActionId(envelope)));
        Map<String, BulkActionRow> rows = new LinkedHashMap<>(table.load(connection, ids));
        Map<String, BulkActionRow> changed = new LinkedHashMap<>();
        for (EventEnvelope<BulkActionEntity.Event> envelope : envelopes) {
            BulkActionEntity.Event event = event(envelope);
            if (event == null) continue;
            String id = bulkActionId(envelope);
            BulkActionRow before = rows.get(id);
            BulkActionRow after = BulkActionRow.apply(before, id, envelope.sequenceNr(), event);
            if (after == null) {
                log.warn(
                        "Skipping {} of bulk action {} (seq {}): the action has no row in the index",
                        event.getClass().getSimpleName(),
                        id,
                        envelope.sequenceNr());
            } else if (!after.equals(before)) {
                rows.put(id, after);
                changed.put(id, after);
            }
        }
        table.upsert(connection, changed.values());
    }

    private static String bulkActionId(EventEnvelope<BulkActionEntity.Event> envelope) {
        return PersistenceId.extractEntityId(envelope.persistenceId());
    }
}
