package dev.baton.projections.schedules;

import akka.projection.eventsourced.EventEnvelope;
import akka.projection.jdbc.javadsl.JdbcHandler;
import dev.baton.engine.schedule.ScheduleEntity;
import dev.baton.engine.schedule.ScheduleState;
import dev.baton.projections.internal.DataSourceJdbcSession;
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
 * Writes a group of schedule events into {@code baton_schedules}, in the projection's transaction: loads
 * the rows the group touches, folds each schedule's events in journal order with the entity's own
 * transitions ({@link ScheduleEntity#apply}), and writes every changed row once. Idempotent: replaying
 * the events rebuilds the same rows.
 */
public final class ScheduleIndexHandler
    extends JdbcHandler<List<EventEnvelope<ScheduleEntity.Event>>, DataSourceJdbcSession> {

  private static final Logger log = LoggerFactory.getLogger(ScheduleIndexHandler.class);
  private static final String ID_PREFIX = ScheduleEntity.ENTITY_TYPE_KEY.name() + "|";

  private final ScheduleTable table;

  public ScheduleIndexHandler(ScheduleTable table) {
    this.table = table;
  }

  @Override
  public void process(DataSourceJdbcSession session, List<EventEnvelope<ScheduleEntity.Event>> envelopes)
      throws Exception {
    session.withConnection(connection -> {
      apply(connection, envelopes);
      return null;
    });
  }

  private void apply(Connection connection, List<EventEnvelope<ScheduleEntity.Event>> envelopes)
      throws SQLException {
    Set<String> ids = new LinkedHashSet<>();
    envelopes.forEach(envelope -> ids.add(scheduleId(envelope.persistenceId())));
    Map<String, ScheduleState> states = new LinkedHashMap<>(table.load(connection, ids));
    Map<String, ScheduleState> changed = new LinkedHashMap<>();
    for (EventEnvelope<ScheduleEntity.Event> envelope : envelopes) {
      Object payload = envelope.event();
      if (!(payload instanceof ScheduleEntity.Event event)) {
        log.warn("Skipping {} of {} (seq {}): not a schedule event", payload.getClass().getName(),
            envelope.persistenceId(), envelope.sequenceNr());
        continue;
      }
      String id = scheduleId(envelope.persistenceId());
      ScheduleState before = states.getOrDefault(id, ScheduleState.empty(id));
      if (before.environmentId() == null && !(event instanceof ScheduleEntity.ScheduleCreated)) {
        // A deleted schedule's row is gone; nothing later changes it.
        continue;
      }
      ScheduleState after = ScheduleEntity.apply(before, event);
      states.put(id, after);
      changed.put(id, after);
    }
    table.write(connection, changed.values());
  }

  static String scheduleId(String persistenceId) {
    return persistenceId.startsWith(ID_PREFIX) ? persistenceId.substring(ID_PREFIX.length()) : persistenceId;
  }
}
