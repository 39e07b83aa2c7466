package dev.baton.projections.clickhouse;

import akka.actor.typed.ActorSystem;
import akka.persistence.query.PersistenceQuery;
import akka.persistence.query.javadsl.CurrentEventsByPersistenceIdQuery;
import dev.baton.engine.run.RunEntity;
import java.util.concurrent.CompletionStage;

/** Reads a run's facts back from its journal, for a run the projection has no cached facts of. */
@FunctionalInterface
interface RunJournal {

    /** The facts of the run of {@code persistenceId} after its events 1 to {@code seqNr - 1}. */
    CompletionStage<RunFacts> factsBefore(String persistenceId, long seqNr);

    static RunJournal of(ActorSystem<?> system, String readJournalPluginId) {
        CurrentEventsByPersistenceIdQuery journal = PersistenceQuery.get(system)
                .getReadJournalFor(CurrentEventsByPersistenceIdQuery.class, readJournalPluginId);
        return (persistenceId, seqNr) -> journal.currentEventsByPersistenceId(persistenceId, 1, seqNr - 1)
                .runFold(
                        RunFacts.NONE,
                        (facts, envelope) -> envelope.event() instanceof RunEntity.Event event
                                ? facts.apply(event, envelope.sequenceNr())
                                : facts,
                        system);
    }
}
