package dev.baton.projections.runs;

import dev.baton.engine.run.RunSpec;
import dev.baton.engine.run.RunState;
import dev.baton.engine.task.RetryPolicy;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/** Specs and attempts for building run events in tests. */
final class RunEvents {

    static final Instant T0 = Instant.parse("2026-11-28T10:00:00Z");

    private RunEvents() {}

    static RunSpec spec(String environmentId) {
        return spec(environmentId, null, null, null);
    }

    static RunSpec spec(String environmentId, Instant delayUntil, Duration ttl, Integer maxDurationSeconds) {
        return new RunSpec(
                environmentId,
                "task-a",
                "task/task-a",
                "{}",
                "application/json",
                List.of(),
                null,
                null,
                new RetryPolicy(3, 2.0, 1_000, 10_000, false),
                maxDurationSeconds,
                false,
                "key-1",
                0,
                delayUntil,
                ttl,
                null);
    }

    static RunState.Attempt attempt(int number, Instant leasedAt) {
        return new RunState.Attempt("att_" + number, number, "ws_1", "w_1", leasedAt, null);
    }

    static Instant at(long seconds) {
        return T0.plusSeconds(seconds);
    }
}
