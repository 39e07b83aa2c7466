package dev.baton.projections.runs;

import akka.persistence.typed.PersistenceId;
import akka.projection.eventsourced.EventEnvelope;
import dev.baton.engine.run.RunEntity;
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
 * Writes a group of run events of one tag into {@code baton_runs}, in the projection's transaction:
 * loads the rows the group touches, folds each run's events in journal order ({@link RunRow#apply}),
 * and writes every changed row once (and its tags to {@code baton_run_tags} when they changed).
 * Idempotent: replaying events rebuilds the same rows.
 */
public final class RunIndexHandler extends IndexHandler<RunEntity.Event> {

    private static final Logger log = LoggerFactory.getLogger(RunIndexHandler.class);

    private final String tag;
    private final RunTable table;
    private final RunRow.WakeRules rules;

    public RunIndexHandler(String tag, RunTable table, RunRow.WakeRules rules) {
        super(RunEntity.Event.class, "run");
        this.tag = tag;
        this.table = table;
        this.rules = rules;
    }

    @Override
    protected void apply(Connection connection, List<EventEnvelope<RunEntity.Event>> envelopes) throws SQLException {
        Set<String> runIds = new LinkedHashSet<>();
        envelopes.forEach(envelope -> runIds.add(runId(envelope)));
        Map<String, RunRow> loaded = table.load(connection, runIds);
        Map<String, RunRow> rows = new LinkedHashMap<>(loaded);
        Map<String, RunRow> changed = new LinkedHashMap<>();
        for (EventEnvelope<RunEntity.Event> envelope : envelopes) {
            // Only run entities tag their events run-N; anything else is skipped.
            RunEntity.Event event = event(envelope);
            if (event == null) continue;
            String runId = runId(envelope);
            RunRow before = rows.get(runId);
            RunRow after = RunRow.apply(before, runId, tag, event, rules);
            if (after == null) {
                log.warn(
                        "Skipping {} of run {} (seq {}): the run has no row in the index",
                        event.getClass().getSimpleName(),
                        runId,
                        envelope.sequenceNr());
            } else if (!after.equals(before)) {
                rows.put(runId, after);
                changed.put(runId, after);
            }
        }
        List<RunRow> retagged = changed.values().stream()
                .filter(row -> !row.tags().equals(tagsOf(loaded.get(row.runId()))))
                .toList();
        table.upsert(connection, changed.values(), retagged);
    }

    private static List<String> tagsOf(RunRow row) {
        return row == null ? List.of() : row.tags();
    }

    private static String runId(EventEnvelope<RunEntity.Event> envelope) {
        return PersistenceId.extractEntityId(envelope.persistenceId());
    }
}
