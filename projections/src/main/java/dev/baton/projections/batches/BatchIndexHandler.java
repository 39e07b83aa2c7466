package dev.baton.projections.batches;

import akka.persistence.typed.PersistenceId;
import akka.projection.eventsourced.EventEnvelope;
import dev.baton.engine.batch.BatchEntity;
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
 * Writes a group of batch events into {@code baton_batches}, in the projection's transaction: loads the rows the
 * group touches, folds each batch's events in journal order ({@link BatchRow#apply}), and writes every changed row
 * once. Idempotent: a row remembers the last event it holds, so replayed events change nothing.
 */
public final class BatchIndexHandler extends IndexHandler<BatchEntity.Event> {

    private static final Logger log = LoggerFactory.getLogger(BatchIndexHandler.class);

    private final BatchTable table;

    public BatchIndexHandler(BatchTable table) {
        super(BatchEntity.Event.class, "batch");
        this.table = table;
    }

    @Override
    protected void apply(Connection connection, List<EventEnvelope<BatchEntity.Event>> envelopes) throws SQLException {
        Set<String> ids = new LinkedHashSet<>();
        envelopes.forEach(envelope -> ids.add(batchId(envelope)));
        Map<String, BatchRow> rows = new LinkedHashMap<>(table.load(connection, ids));
        Map<String, BatchRow> changed = new LinkedHashMap<>();
        for (EventEnvelope<BatchEntity.Event> envelope : envelopes) {
            BatchEntity.Event event = event(envelope);
            if (event == null) continue;
            String batchId = batchId(envelope);
            BatchRow before = rows.get(batchId);
            BatchRow after = BatchRow.apply(before, batchId, envelope.sequenceNr(), event);
            if (after == null) {
                log.warn(
                        "Skipping {} of batch {} (seq {}): the batch has no row in the index",
                        event.getClass().getSimpleName(),
                        batchId,
                        envelope.sequenceNr());
            } else if (!after.equals(before)) {
                rows.put(batchId, after);
                changed.put(batchId, after);
            }
        }
        table.upsert(connection, changed.values());
    }

    private static String batchId(EventEnvelope<BatchEntity.Event> envelope) {
        return PersistenceId.extractEntityId(envelope.persistenceId());
    }
}
