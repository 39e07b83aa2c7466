package dev.baton.projections.traces;

import akka.actor.typed.ActorSystem;
import akka.persistence.query.PersistenceQuery;
import akka.persistence.query.javadsl.CurrentEventsByPersistenceIdQuery;
import akka.stream.javadsl.Sink;
import dev.baton.engine.run.RecordedEvent;
import dev.baton.engine.run.RunEntity;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletionStage;

/** A run's whole history read back from the journal, as {@link RunTrace} draws it: for the projections that draw. */
@FunctionalInterface
public interface RunHistory {

    /** The run events of {@code persistenceId}, in journal order. */
    CompletionStage<List<RecordedEvent>> of(String persistenceId);

    static RunHistory fromJournal(ActorSystem<?> system, String readJournalPluginId) {
        CurrentEventsByPersistenceIdQuery journal = PersistenceQuery.get(system)
                .getReadJournalFor(CurrentEventsByPersistenceIdQuery.class, readJournalPluginId);
        return persistenceId -> journal.currentEventsByPersistenceId(persistenceId, 0, Long.MAX_VALUE)
                .filter(envelope -> envelope.event() instanceof RunEntity.Event)
                .map(envelope -> new RecordedEvent(
                        envelope.sequenceNr(), Instant.ofEpochMilli(envelope.timestamp()), (RunEntity.Event)
                                envelope.event()))
                .runWith(Sink.seq(), system);
    }

    /** Whether a run event ends the run: its trace is then complete. */
    static boolean finishes(RunEntity.Event event) {
        return event instanceof RunEntity.RunSucceeded
                || event instanceof RunEntity.RunFailed
                || event instanceof RunEntity.RunCanceled
                || event instanceof RunEntity.RunExpired;
    }
}
