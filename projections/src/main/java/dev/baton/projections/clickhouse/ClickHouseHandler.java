package dev.baton.projections.clickhouse;

import akka.Done;
import akka.persistence.typed.PersistenceId;
import akka.projection.eventsourced.EventEnvelope;
import akka.projection.javadsl.Handler;
import dev.baton.engine.run.RunEntity;
import dev.baton.projections.traces.RunHistory;
import dev.baton.projections.traces.RunTrace;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes a group of one tag's run events to ClickHouse: folds each run's events in journal order onto its
 * facts (cached, else read back from the journal), builds one self-contained row per event, draws the spans of
 * each run the group finished from its whole journal ({@link RunTrace}, as the trace export does), and inserts the
 * rows, each run's latest facts and the spans. The returned stage completes only when ClickHouse has acknowledged both
 * inserts; only then does akka-projection store the group's offset (at least once). Rows are deterministic,
 * so a group written again only adds copies that ReplacingMergeTree collapses.
 */
final class ClickHouseHandler extends Handler<List<EventEnvelope<RunEntity.Event>>> {

    private static final Logger log = LoggerFactory.getLogger(ClickHouseHandler.class);

    private final String tag;
    private final ClickHouseStore store;
    private final RunJournal journal;
    private final RunHistory history;
    private final RunFactsCache cache;

    ClickHouseHandler(String tag, ClickHouseStore store, RunJournal journal, RunHistory history, RunFactsCache cache) {
        this.tag = tag;
        this.store = store;
        this.journal = journal;
        this.history = history;
        this.cache = cache;
    }

    @Override
    public CompletionStage<Done> process(List<EventEnvelope<RunEntity.Event>> envelopes) {
        return store.ensureSchema()
                .thenCompose(
                        ready -> fold(envelopes, 0, new Group(store.settings().maxErrorMessageLength())))
                .thenCompose(group -> spansOfFinished(group).thenApply(spans -> {
                    group.spans.addAll(spans);
                    return group;
                }))
                .thenCompose(group -> store.write(group.rows, group.latest, group.spans)
                        .thenApply(written -> {
                            // Only facts ClickHouse now holds move the cache forward: a failed group is redelivered as
                            // it was.
                            cache.putAll(group.latest);
                            log.debug("Projected {} run events of {} to ClickHouse", group.rows.size(), tag);
                            return written;
                        }));
    }

    /** The ended spans of the runs the group finished, drawn from their journals one run at a time. */
    private CompletionStage<List<SpanRow>> spansOfFinished(Group group) {
        List<SpanRow> spans = new ArrayList<>();
        CompletionStage<Void> drawn = CompletableFuture.completedFuture(null);
        for (Map.Entry<String, RunEventRow> finished : group.finished.entrySet()) {
            RunEventRow last = finished.getValue();
            drawn = drawn.thenCompose(previous -> history.of(finished.getKey()).thenAccept(events -> {
                for (RunTrace.Span span : RunTrace.spans(last.runId(), events)) {
                    if (span.end() != null) spans.add(SpanRow.drawn(last.envId(), last.runId(), span));
                }
            }));
        }
        return drawn.thenApply(done -> spans);
    }

    private CompletionStage<Group> fold(List<EventEnvelope<RunEntity.Event>> envelopes, int from, Group group) {
        for (int i = from; i < envelopes.size(); i++) {
            EventEnvelope<RunEntity.Event> envelope = envelopes.get(i);
            Object payload = envelope.event();
            if (!(payload instanceof RunEntity.Event event)) {
                log.warn(
                        "Skipping {} of {} (seq {}): not a run event",
                        payload.getClass().getName(),
                        envelope.persistenceId(),
                        envelope.sequenceNr());
                continue;
            }
            String runId = PersistenceId.extractEntityId(envelope.persistenceId());
            long seqNr = envelope.sequenceNr();
            RunFacts before = group.latest.containsKey(runId) ? group.latest.get(runId) : cache.get(runId);
            if (seqNr == 1) {
                before = RunFacts.NONE;
            } else if (before == null || before.seqNr() != seqNr - 1) {
                // Not cached (a restart, an evicted run) or cached at another event (a replay): read the run's journal.
                int next = i + 1;
                return journal.factsBefore(envelope.persistenceId(), seqNr).thenCompose(loaded -> {
                    cache.put(runId, loaded);
                    group.add(envelope.persistenceId(), runId, event, loaded, seqNr);
                    return fold(envelopes, next, group);
                });
            }
            group.add(envelope.persistenceId(), runId, event, before, seqNr);
        }
        return CompletableFuture.completedFuture(group);
    }

    /** The rows of one group so far, and the facts of each run after its last event in the group. */
    private static final class Group {
        private final int maxErrorMessageLength;
        private final List<RunEventRow> rows = new ArrayList<>();
        private final Map<String, RunFacts> latest = new LinkedHashMap<>();
        /** Persistence id → the final event's row, of each run the group finished. */
        private final Map<String, RunEventRow> finished = new LinkedHashMap<>();

        private final List<SpanRow> spans = new ArrayList<>();

        private Group(int maxErrorMessageLength) {
            this.maxErrorMessageLength = maxErrorMessageLength;
        }

        private void add(String persistenceId, String runId, RunEntity.Event event, RunFacts before, long seqNr) {
            RunFacts after = before.apply(event, seqNr);
            RunEventRow row = RunEventRow.of(runId, before, event, after, maxErrorMessageLength);
            rows.add(row);
            latest.put(runId, after);
            if (row.isFinal()) finished.put(persistenceId, row);
        }
    }
}
