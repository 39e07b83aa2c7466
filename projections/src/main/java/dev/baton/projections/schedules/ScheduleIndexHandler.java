package dev.baton.projections.schedules;

import akka.projection.eventsourced.EventEnvelope;
import dev.baton.engine.schedule.ScheduleEntity;
import dev.baton.engine.schedule.ScheduleState;
import dev.baton.projections.internal.IndexHandler;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes a group of schedule events into {@code baton_schedules}, in the projection's transaction: loads
 * the rows the group touches, folds each schedule's events in journal order with the entity's own
 * transitions ({@link ScheduleEntity#apply}), and writes every changed row once. Idempotent: replaying
 * the events rebuilds the same rows.
 */
public final class ScheduleIndexHandler extends IndexHandler<ScheduleEntity.Event> {

    private static final String ID_PREFIX = ScheduleEntity.ENTITY_TYPE_KEY.name() + "|";

    private final ScheduleTable table;

    public ScheduleIndexHandler(ScheduleTable table) {
        super(ScheduleEntity.Event.class, "schedule");
        this.table = table;
    }

    @Override
    protected void apply(Connection connection, List<EventEnvelope<ScheduleEntity.Event>> envelopes)
            throws SQLException {
        Set<String> ids = new LinkedHashSet<>();
        envelopes.forEach(envelope -> ids.add(scheduleId(envelope.persistenceId())));
        Map<String, ScheduleState> states = new LinkedHashMap<>(table.load(connection, ids));
        Map<String, ScheduleState> changed = new LinkedHashMap<>();
        for (EventEnvelope<ScheduleEntity.Event> envelope : envelopes) {
            ScheduleEntity.Event event = event(envelope);
            if (event == null) continue;
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
