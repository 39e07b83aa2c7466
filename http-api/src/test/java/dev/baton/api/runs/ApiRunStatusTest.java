package dev.baton.api.runs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.baton.engine.run.RunStatus;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ApiRunStatusTest {

    /** Every engine status, with the v2 status Trigger.dev's SDK v4 must see. */
    private static final Map<RunStatus, ApiRunStatus> EXPECTED = new EnumMap<>(Map.ofEntries(
            Map.entry(RunStatus.PENDING_VERSION, ApiRunStatus.PENDING_VERSION),
            Map.entry(RunStatus.DELAYED, ApiRunStatus.DELAYED),
            Map.entry(RunStatus.QUEUED, ApiRunStatus.QUEUED),
            Map.entry(RunStatus.DEQUEUED, ApiRunStatus.DEQUEUED),
            Map.entry(RunStatus.EXECUTING, ApiRunStatus.EXECUTING),
            Map.entry(RunStatus.RETRYING, ApiRunStatus.EXECUTING),
            Map.entry(RunStatus.WAITING, ApiRunStatus.WAITING),
            Map.entry(RunStatus.COMPLETED, ApiRunStatus.COMPLETED),
            Map.entry(RunStatus.FAILED, ApiRunStatus.FAILED),
            Map.entry(RunStatus.CRASHED, ApiRunStatus.CRASHED),
            Map.entry(RunStatus.SYSTEM_FAILURE, ApiRunStatus.SYSTEM_FAILURE),
            Map.entry(RunStatus.CANCELED, ApiRunStatus.CANCELED),
            Map.entry(RunStatus.EXPIRED, ApiRunStatus.EXPIRED),
            Map.entry(RunStatus.TIMED_OUT, ApiRunStatus.TIMED_OUT)));

    @Test
    void mapsEveryEngineStatusButNew() {
        for (RunStatus status : RunStatus.values()) {
            if (status == RunStatus.NEW) {
                assertThrows(IllegalArgumentException.class, () -> ApiRunStatus.of(status));
            } else {
                assertEquals(EXPECTED.get(status), ApiRunStatus.of(status), status.name());
            }
        }
        assertEquals(RunStatus.values().length - 1, EXPECTED.size(), "a new engine status needs a mapping here");
    }

    @Test
    void onlyShowsTriggerDevV2Values() {
        Set<String> v2 = Set.of(
                "PENDING_VERSION",
                "QUEUED",
                "DEQUEUED",
                "EXECUTING",
                "WAITING",
                "COMPLETED",
                "CANCELED",
                "FAILED",
                "CRASHED",
                "SYSTEM_FAILURE",
                "DELAYED",
                "EXPIRED",
                "TIMED_OUT");
        for (ApiRunStatus status : ApiRunStatus.values()) assertEquals(true, v2.contains(status.name()), status.name());
        assertEquals(v2.size(), ApiRunStatus.values().length);
    }

    @Test
    void booleanHelpersFollowTriggerDev() {
        assertStatuses(
                EnumSet.of(ApiRunStatus.QUEUED, ApiRunStatus.DELAYED, ApiRunStatus.PENDING_VERSION),
                ApiRunStatus::isQueued);
        assertStatuses(EnumSet.of(ApiRunStatus.EXECUTING, ApiRunStatus.DEQUEUED), ApiRunStatus::isExecuting);
        assertStatuses(EnumSet.of(ApiRunStatus.WAITING), ApiRunStatus::isWaiting);
        // EXPIRED and TIMED_OUT are final: completed (and failed), unlike Trigger.dev's own quirk.
        assertStatuses(
                EnumSet.of(
                        ApiRunStatus.COMPLETED,
                        ApiRunStatus.CANCELED,
                        ApiRunStatus.FAILED,
                        ApiRunStatus.CRASHED,
                        ApiRunStatus.SYSTEM_FAILURE,
                        ApiRunStatus.EXPIRED,
                        ApiRunStatus.TIMED_OUT),
                ApiRunStatus::isCompleted);
        assertStatuses(EnumSet.of(ApiRunStatus.COMPLETED), ApiRunStatus::isSuccess);
        assertStatuses(
                EnumSet.of(
                        ApiRunStatus.CANCELED,
                        ApiRunStatus.FAILED,
                        ApiRunStatus.CRASHED,
                        ApiRunStatus.SYSTEM_FAILURE,
                        ApiRunStatus.EXPIRED,
                        ApiRunStatus.TIMED_OUT),
                ApiRunStatus::isFailed);
        assertStatuses(EnumSet.of(ApiRunStatus.CANCELED), ApiRunStatus::isCancelled);
    }

    @Test
    void everyFinalEngineStatusIsCompleted() {
        for (RunStatus status : RunStatus.values()) {
            if (status != RunStatus.NEW)
                assertEquals(status.isFinal(), ApiRunStatus.of(status).isCompleted(), status.name());
        }
    }

    private static void assertStatuses(Set<ApiRunStatus> expected, java.util.function.Predicate<ApiRunStatus> helper) {
        for (ApiRunStatus status : ApiRunStatus.values()) {
            assertEquals(expected.contains(status), helper.test(status), status.name());
        }
    }
}
