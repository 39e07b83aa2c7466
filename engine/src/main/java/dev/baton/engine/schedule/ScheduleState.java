package dev.baton.engine.schedule;

import dev.baton.engine.common.CborSerializable;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * A schedule as its events made it. Pure: the entity folds its journal through these transitions, and the
 * schedule index projection folds the same events into the same rows, so both agree on when it fires next.
 *
 * <p>The next occurrence is the first cron time after {@code cursor}. The cursor moves to the time of each
 * change (create, update, activate) and of each fire, so an occurrence missed while the schedule was
 * inactive, or while no node ran, is not caught up later; at most the one that was due fires, late.
 *
 * @param environmentId null while the schedule does not exist
 * @param lastTimestamp the cron time of the last occurrence that fired (or was skipped); null before the first
 * @param lastRunId the run the last occurrence triggered; null before the first, or when it was skipped
 */
public record ScheduleState(
        String scheduleId,
        String environmentId,
        ScheduleSpec spec,
        boolean active,
        boolean deleted,
        Instant createdAt,
        Instant updatedAt,
        Instant cursor,
        Instant lastTimestamp,
        String lastRunId)
        implements CborSerializable {

    public static ScheduleState empty(String scheduleId) {
        return new ScheduleState(scheduleId, null, null, false, false, null, null, null, null, null);
    }

    /** Created and not deleted. */
    public boolean exists() {
        return environmentId != null && !deleted;
    }

    public boolean belongsTo(String environment) {
        return exists() && environmentId.equals(environment);
    }

    /** The next cron time, if the schedule is active and its cron ever matches again. */
    public Optional<Instant> nextRun() {
        if (!exists() || !active) return Optional.empty();
        return spec.cronExpression().next(cursor, spec.zone());
    }

    /** When the occurrence at {@code nominal} actually runs: later than it by the schedule's share of its window. */
    public Instant effectiveAt(Instant nominal) {
        ScheduleWindow window = spec.windowOrNull();
        if (window == null) return nominal;
        return window.effectiveAt(
                scheduleId,
                nominal,
                spec.cronExpression().next(nominal, spec.zone()).orElse(null));
    }

    /** The {@code count} cron times after {@code after}. */
    public List<Instant> upcoming(Instant after, int count) {
        return spec.cronExpression().next(after, spec.zone(), count);
    }

    // ---------------------------------------------------------------- transitions (pure)

    public ScheduleState created(String environment, ScheduleSpec newSpec, Instant at) {
        return new ScheduleState(scheduleId, environment, newSpec, true, false, at, at, at, null, null);
    }

    public ScheduleState updated(ScheduleSpec newSpec, Instant at) {
        return new ScheduleState(
                scheduleId,
                environmentId,
                newSpec,
                active,
                deleted,
                createdAt,
                at,
                later(cursor, at),
                lastTimestamp,
                lastRunId);
    }

    public ScheduleState activated(Instant at) {
        return new ScheduleState(
                scheduleId,
                environmentId,
                spec,
                true,
                deleted,
                createdAt,
                at,
                later(cursor, at),
                lastTimestamp,
                lastRunId);
    }

    public ScheduleState deactivated(Instant at) {
        return new ScheduleState(
                scheduleId, environmentId, spec, false, deleted, createdAt, at, cursor, lastTimestamp, lastRunId);
    }

    public ScheduleState deleted(Instant at) {
        return new ScheduleState(
                scheduleId, environmentId, spec, false, true, createdAt, at, cursor, lastTimestamp, lastRunId);
    }

    /** @param runId null when the occurrence was skipped */
    public ScheduleState fired(Instant timestamp, String runId, Instant at) {
        return new ScheduleState(
                scheduleId,
                environmentId,
                spec,
                active,
                deleted,
                createdAt,
                updatedAt,
                later(later(cursor, timestamp), at),
                timestamp,
                runId);
    }

    private static Instant later(Instant a, Instant b) {
        if (a == null) return b;
        if (b == null) return a;
        return a.isAfter(b) ? a : b;
    }
}
