package dev.baton.engine.storage;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.Extension;
import akka.actor.typed.ExtensionId;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Persistence ids whose journal is known to be empty and whose entity this node is about to start: a run's id
 * this node has just made up at random, or a batch item's derived id the batch started for the first time. Their
 * recovery need not ask the database for the highest sequence number ({@link NewEntityJournalDao}). Each id is
 * taken once, by the entity's first recovery; the caller forgets it when its command is answered, whatever
 * happened. A wrong entry could not corrupt a journal: the journal's primary key refuses a second event 1, so
 * the persist would fail; but it would fail the other entities' writes inserted in the same transaction with it,
 * so an entry must be certain, not likely.
 */
public final class NewEntities implements Extension {

    private final Set<String> ids = ConcurrentHashMap.newKeySet();

    public static NewEntities get(ActorSystem<?> system) {
        return Id.INSTANCE.apply(system);
    }

    public void add(String persistenceId) {
        ids.add(persistenceId);
    }

    /** True once for an id added and not yet taken or forgotten. */
    public boolean take(String persistenceId) {
        return ids.remove(persistenceId);
    }

    public void forget(String persistenceId) {
        ids.remove(persistenceId);
    }

    private static final class Id extends ExtensionId<NewEntities> {
        static final Id INSTANCE = new Id();

        @Override
        public NewEntities createExtension(ActorSystem<?> system) {
            return new NewEntities();
        }
    }
}
