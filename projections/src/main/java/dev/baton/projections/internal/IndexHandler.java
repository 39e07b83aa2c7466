package dev.baton.projections.internal;

import akka.projection.eventsourced.EventEnvelope;
import akka.projection.jdbc.javadsl.JdbcHandler;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the index folds share: a group of envelopes is applied on the projection's own connection, so the rows
 * and the offset commit in one transaction; an event of another type (a tag it does not expect) is logged and
 * skipped rather than failing the projection.
 *
 * @param <E> the indexed entity's event type
 */
public abstract class IndexHandler<E> extends JdbcHandler<List<EventEnvelope<E>>, DataSourceJdbcSession> {

    private final Logger log = LoggerFactory.getLogger(getClass());
    private final Class<E> eventType;
    private final String entity;

    /** @param entity what the entity is called in logs ("run", "token") */
    protected IndexHandler(Class<E> eventType, String entity) {
        this.eventType = eventType;
        this.entity = entity;
    }

    @Override
    public final void process(DataSourceJdbcSession session, List<EventEnvelope<E>> envelopes) throws Exception {
        session.withConnection(connection -> {
            apply(connection, envelopes);
            return null;
        });
    }

    /** Folds the group into the index, on the projection's connection. */
    protected abstract void apply(Connection connection, List<EventEnvelope<E>> envelopes) throws SQLException;

    /** The envelope's event; null (logged) when it is not one of the indexed entity's events. */
    protected final E event(EventEnvelope<E> envelope) {
        Object payload = envelope.event();
        if (eventType.isInstance(payload)) return eventType.cast(payload);
        log.warn(
                "Skipping {} of {} (seq {}): not a {} event",
                payload.getClass().getName(),
                envelope.persistenceId(),
                envelope.sequenceNr(),
                entity);
        return null;
    }
}
