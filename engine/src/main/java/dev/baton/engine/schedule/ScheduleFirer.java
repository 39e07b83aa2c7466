package dev.baton.engine.schedule;

import java.time.Instant;
import java.util.concurrent.CompletionStage;

/**
 * The port a schedule fires through: triggers the run of one occurrence. Outside tests it is
 * {@code RunService.trigger} with a request key and an idempotency key derived from the schedule id and
 * the occurrence's cron time, so firing the same occurrence again (after a crash between the trigger and
 * the schedule's own record of it) reaches the run that already exists instead of creating a second one.
 */
@FunctionalInterface
public interface ScheduleFirer {

    /**
     * @param timestamp the occurrence's cron time
     * @param payloadJson the scheduled-task payload ({@code scheduleId, type, timestamp, …})
     */
    record Occurrence(String scheduleId, String environmentId, String taskId, Instant timestamp, String payloadJson) {

        /** The key every trigger of this occurrence carries, whichever node fires it, however often. */
        public String key() {
            return "schedule:" + scheduleId + ":" + timestamp.toEpochMilli();
        }
    }

    /**
     * Completes with the run's id; fails with {@code TaskNotFoundException} when the environment has no
     * such task (the occurrence is then skipped), or with anything else to be retried.
     */
    CompletionStage<String> fire(Occurrence occurrence);
}
