package dev.baton.api.runs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.engine.changes.RunChanged;
import dev.baton.engine.run.RunStatus;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A connection's pending changes: the latest per run, in first-change order, and a resync past the bound. */
class RunChangeConflatorTest {

    private static final Instant AT = Instant.parse("2026-06-01T12:00:00Z");

    private static RunChanged change(String runId, RunStatus status, int second) {
        Instant at = AT.plusSeconds(second);
        return new RunChanged(
                "env_1",
                runId,
                List.of(),
                null,
                at,
                new RunChanged.Summary(
                        status, "hello", "task/hello", false, AT, null, null, null, 0, null, 0, null, null));
    }

    @Test
    void aWindowSendsTheLatestStateOfEachRunOnce() {
        RunChangeConflator pending = new RunChangeConflator(10);
        pending.offer(change("run_a", RunStatus.QUEUED, 1));
        pending.offer(change("run_b", RunStatus.QUEUED, 2));
        pending.offer(change("run_a", RunStatus.EXECUTING, 3));
        pending.offer(change("run_a", RunStatus.COMPLETED, 4));
        RunChangeConflator.Drained drained = pending.drain();
        assertEquals(0, drained.dropped());
        assertEquals(
                List.of("run_a", "run_b"),
                drained.changes().stream().map(RunChanged::runId).toList());
        assertEquals(RunStatus.COMPLETED, drained.changes().get(0).summary().status());
        assertTrue(pending.drain().isEmpty(), "a drain takes everything");
    }

    @Test
    void pastTheBoundEverythingIsDroppedForOneResync() {
        RunChangeConflator pending = new RunChangeConflator(3);
        for (int i = 0; i < 3; i++) pending.offer(change("run_" + i, RunStatus.QUEUED, i));
        // A run already pending still fits: only a new run overflows.
        pending.offer(change("run_0", RunStatus.EXECUTING, 5));
        assertEquals(3, pending.pending());
        for (int i = 3; i < 100; i++) pending.offer(change("run_" + i, RunStatus.QUEUED, i));
        assertEquals(0, pending.pending(), "nothing is kept once it overflowed");
        RunChangeConflator.Drained resync = pending.drain();
        assertTrue(resync.changes().isEmpty());
        // The three it held and the ninety-seven that came after.
        assertEquals(100, resync.dropped());

        pending.offer(change("run_next", RunStatus.QUEUED, 200));
        RunChangeConflator.Drained after = pending.drain();
        assertEquals(0, after.dropped(), "after the resync it keeps changes again");
        assertEquals("run_next", after.changes().get(0).runId());
    }
}
