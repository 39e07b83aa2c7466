package dev.baton.api.runs;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.engine.changes.RunChanged;
import dev.baton.engine.run.RunStatus;
import dev.baton.projections.runs.RunList;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** A run stream's filter selects the notices the run list's same filter would list. */
class RunStreamFilterTest {

    private static final Instant NOW = Instant.parse("2026-06-01T12:00:00Z");
    private static final Instant CREATED = NOW.minus(Duration.ofMinutes(10));
    private static final RunChanged RUN = new RunChanged(
            "env_1",
            "run_1",
            List.of("colour:red", "size:big"),
            "batch_1",
            NOW,
            new RunChanged.Summary(
                    RunStatus.RETRYING,
                    "hello",
                    "task/hello",
                    true,
                    CREATED,
                    null,
                    null,
                    null,
                    0,
                    null,
                    1,
                    null,
                    null,
                    "20260101.1"));

    private static RunList.Filter filter(
            Set<RunStatus> statuses,
            Set<String> tasks,
            Set<String> tags,
            Set<String> queues,
            Set<String> versions,
            String batch,
            String schedule,
            Boolean test,
            Instant from,
            Instant before,
            Duration within) {
        return new RunList.Filter(statuses, tasks, tags, queues, versions, batch, schedule, test, from, before, within);
    }

    private static boolean selects(RunList.Filter filter) {
        return RunStreamRoutes.matches(filter, RUN, NOW);
    }

    @Test
    void noFilterSelectsEveryRun() {
        assertTrue(selects(RunList.Filter.NONE));
    }

    @Test
    void eachFilterSelectsAsTheListDoes() {
        // EXECUTING on the API covers the engine's RETRYING (a retry's backoff).
        assertTrue(selects(filter(
                EnumSet.of(RunStatus.EXECUTING, RunStatus.RETRYING),
                null,
                null,
                null,
                null,
                null,
                null,
                null,
                null,
                null,
                null)));
        assertFalse(selects(
                filter(EnumSet.of(RunStatus.QUEUED), null, null, null, null, null, null, null, null, null, null)));
        assertTrue(
                selects(filter(null, Set.of("hello", "other"), null, null, null, null, null, null, null, null, null)));
        assertFalse(selects(filter(null, Set.of("other"), null, null, null, null, null, null, null, null, null)));
        // Any of the tags.
        assertTrue(
                selects(filter(null, null, Set.of("size:big", "x"), null, null, null, null, null, null, null, null)));
        assertFalse(selects(filter(null, null, Set.of("x"), null, null, null, null, null, null, null, null)));
        assertTrue(selects(filter(null, null, null, Set.of("task/hello"), null, null, null, null, null, null, null)));
        assertFalse(selects(filter(null, null, null, Set.of("task/other"), null, null, null, null, null, null, null)));
        assertTrue(selects(filter(null, null, null, null, null, "batch_1", null, null, null, null, null)));
        assertFalse(selects(filter(null, null, null, null, null, "batch_2", null, null, null, null, null)));
        assertTrue(selects(filter(null, null, null, null, null, null, null, true, null, null, null)));
        assertFalse(selects(filter(null, null, null, null, null, null, null, false, null, null, null)));
        assertTrue(selects(filter(null, null, null, null, null, null, null, null, CREATED, null, null)));
        assertFalse(selects(filter(null, null, null, null, null, null, null, null, CREATED.plusMillis(1), null, null)));
        // The list's upper bound is exclusive (the API adds a millisecond to filter[createdAt][to]).
        assertTrue(selects(filter(null, null, null, null, null, null, null, null, null, CREATED.plusMillis(1), null)));
        assertFalse(selects(filter(null, null, null, null, null, null, null, null, null, CREATED, null)));
        assertTrue(selects(filter(null, null, null, null, null, null, null, null, null, null, Duration.ofHours(1))));
        assertFalse(selects(filter(null, null, null, null, null, null, null, null, null, null, Duration.ofMinutes(5))));
    }

    @Test
    void versionMatchesTheRunsVersionAndScheduleNoRunAsInTheRunsTable() {
        assertFalse(selects(filter(null, null, null, null, Set.of("1"), null, null, null, null, null, null)));
        assertTrue(
                selects(filter(null, null, null, null, Set.of("1", "20260101.1"), null, null, null, null, null, null)));
        assertFalse(selects(filter(null, null, null, null, null, null, "sched_1", null, null, null, null)));
    }
}
