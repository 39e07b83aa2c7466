package dev.baton.engine.schedule;

import dev.baton.engine.common.CborSerializable;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * What a schedule is: run {@code taskId} at every time of {@code cron} in {@code timezone}. Part of the
 * schedule's journal events: never rename a field; add new ones with a default.
 *
 * @param timezone an IANA zone id; "UTC" by default
 * @param externalId the caller's own id (a user id…), handed to every run; null for none
 * @param deduplicationKey the per-environment key schedules are upserted on; null for none
 * @param window Trigger.dev's window syntax ({@link ScheduleWindow}); null for none
 * @param type {@link #IMPERATIVE} (made through the API) or {@link #DECLARATIVE} (a task manifest's
 *     {@code schedules.task}, owned by the manifest); journals written before it existed read as imperative
 */
public record ScheduleSpec(
        String taskId,
        String cron,
        String timezone,
        String externalId,
        String deduplicationKey,
        String window,
        String type)
        implements CborSerializable {

    public static final String UTC = "UTC";
    public static final String IMPERATIVE = "IMPERATIVE";
    public static final String DECLARATIVE = "DECLARATIVE";

    public ScheduleSpec {
        timezone = timezone == null || timezone.isEmpty() ? UTC : timezone;
        type = type == null ? IMPERATIVE : type;
    }

    /** Declared by a task manifest: the API may read it but not change it. */
    public boolean declarative() {
        return DECLARATIVE.equals(type);
    }

    /** Checks what the engine relies on; the API checks it first, with its own messages. */
    public ScheduleSpec validated() {
        if (taskId == null || taskId.isEmpty()) throw new IllegalArgumentException("a schedule needs a task");
        if (!IMPERATIVE.equals(type) && !DECLARATIVE.equals(type))
            throw new IllegalArgumentException("unknown schedule type " + type);
        cronExpression();
        zone();
        windowOrNull();
        return this;
    }

    public CronExpression cronExpression() {
        return CronExpression.parse(cron);
    }

    public ZoneId zone() {
        return timezone.equals(UTC) ? ZoneOffset.UTC : ZoneId.of(timezone);
    }

    public ScheduleWindow windowOrNull() {
        return window == null ? null : ScheduleWindow.parse(window);
    }

    /** The same schedule under another deduplication key (an update keeps the key the schedule was created with). */
    public ScheduleSpec withDeduplicationKey(String key) {
        return new ScheduleSpec(taskId, cron, timezone, externalId, key, window, type);
    }
}
