package dev.baton.api.schedules;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import dev.baton.api.environments.EnvironmentTypes;
import dev.baton.api.json.Json;
import dev.baton.engine.environment.Environment;
import dev.baton.engine.schedule.ScheduleSpec;
import dev.baton.engine.schedule.ScheduleState;
import dev.baton.projections.schedules.ScheduleList;
import dev.baton.projections.schedules.ScheduleTable;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The schedule shapes on the wire (Trigger.dev's {@code ScheduleObject}, the list page, the deleted id),
 * translated from the engine's state in one place. Absent optional fields are left out, never null.
 */
final class ScheduleResponses {

    private ScheduleResponses() {}

    record Generator(String type, String expression, String description) {}

    static final int UPCOMING = 5;

    record EnvironmentRef(String id, String type) {}

    @JsonPropertyOrder({
        "id",
        "type",
        "task",
        "active",
        "deduplicationKey",
        "externalId",
        "generator",
        "timezone",
        "window",
        "nextRun",
        "nextRunEffectiveAt",
        "upcoming",
        "environments"
    })
    record ScheduleObject(
            String id,
            String type,
            String task,
            boolean active,
            String deduplicationKey,
            String externalId,
            Generator generator,
            String timezone,
            String window,
            String nextRun,
            String nextRunEffectiveAt,
            List<String> upcoming,
            List<EnvironmentRef> environments) {}

    record Pagination(int currentPage, long totalPages, long count) {}

    record ListResponse(List<ScheduleObject> data, Pagination pagination) {}

    record DeletedSchedule(String id) {}

    record TimezonesResponse(List<String> timezones) {}

    /** A schedule as the engine holds it (retrieve, create, update…). */
    static ScheduleObject of(ScheduleState state, Environment environment) {
        Optional<Instant> next = state.nextRun();
        return of(
                state,
                environment,
                next.orElse(null),
                next.map(state::effectiveAt).orElse(null));
    }

    /** A schedule as the index holds it (list). */
    static ScheduleObject of(ScheduleTable.Row row, Environment environment) {
        return of(row.state(), environment, row.nextRunAt(), row.dueAt());
    }

    private static ScheduleObject of(ScheduleState state, Environment environment, Instant nextRun, Instant dueAt) {
        ScheduleSpec spec = state.spec();
        String cron = spec.cron();
        return new ScheduleObject(
                state.scheduleId(),
                spec.type(),
                spec.taskId(),
                state.active(),
                spec.deduplicationKey(),
                spec.externalId(),
                new Generator("CRON", cron, spec.cronExpression().description()),
                spec.timezone(),
                spec.window(),
                Json.timestamp(nextRun),
                spec.window() == null ? null : Json.timestamp(dueAt),
                upcoming(state, nextRun),
                List.of(new EnvironmentRef(environment.id(), EnvironmentTypes.typeOf(environment.slug()))));
    }

    /** Baton's own: the next {@link #UPCOMING} cron times from {@code nextRun} on (none while inactive). */
    private static List<String> upcoming(ScheduleState state, Instant nextRun) {
        if (nextRun == null) return null;
        List<String> times = new ArrayList<>();
        times.add(Json.timestamp(nextRun));
        state.upcoming(nextRun, UPCOMING - 1).forEach(time -> times.add(Json.timestamp(time)));
        return times;
    }

    static ListResponse page(ScheduleList.Page page, int currentPage, int perPage, Environment environment) {
        long totalPages = (page.total() + perPage - 1) / perPage;
        return new ListResponse(
                page.rows().stream().map(row -> of(row, environment)).toList(),
                new Pagination(currentPage, totalPages, page.total()));
    }
}
