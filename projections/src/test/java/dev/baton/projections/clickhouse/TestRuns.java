package dev.baton.projections.clickhouse;

import dev.baton.engine.run.RunEntity;
import dev.baton.engine.run.RunSpec;
import dev.baton.engine.run.RunState;
import dev.baton.engine.run.RunStatus;
import dev.baton.engine.task.RetryPolicy;
import dev.baton.engine.worker.RunError;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Builds the rows of runs from their events (as the handler folds them), and writes them to a store. */
final class TestRuns {

    static final RunError BOOM = new RunError("TypeError", "boom: it's a \"quote\"\ttab\\backslash\nnewline ü", null);

    final List<RunEventRow> rows = new ArrayList<>();
    final Map<String, RunFacts> latest = new LinkedHashMap<>();
    final Map<String, List<RunEntity.Event>> events = new LinkedHashMap<>();

    static RunSpec spec(String env, String task, List<String> tags) {
        return new RunSpec(
                env,
                task,
                "task/" + task,
                "{}",
                "application/json",
                tags,
                null,
                null,
                new RetryPolicy(3, 1.0, 100, 100, false),
                null,
                false,
                null,
                0,
                null,
                null,
                null);
    }

    static RunState.Attempt attempt(int number, Instant leasedAt) {
        return new RunState.Attempt("att_" + number, number, "ws_1", "w_1", leasedAt, null);
    }

    /** Adds a run and its events (numbered from 1). */
    TestRuns run(String runId, RunEntity.Event... runEvents) {
        RunFacts facts = RunFacts.NONE;
        long seqNr = 0;
        for (RunEntity.Event event : runEvents) {
            RunFacts after = facts.apply(event, ++seqNr);
            rows.add(RunEventRow.of(runId, facts, event, after, 2000));
            facts = after;
        }
        latest.put(runId, facts);
        events.put(runId, List.of(runEvents));
        return this;
    }

    /**
     * A run that completes: triggered at {@code t}, leased after {@code waitMs}, runs {@code durationMs} (one attempt,
     * journaled with its outcome).
     */
    TestRuns completed(String runId, RunSpec spec, Instant t, long waitMs, long durationMs) {
        Instant leased = t.plusMillis(waitMs);
        return run(
                runId,
                new RunEntity.RunTriggered(runId, spec, t),
                new RunEntity.RunSucceeded("att_1", "{}", leased.plusMillis(durationMs), started(1, leased)));
    }

    /** An attempt as its outcome event carries it: leased and started at {@code at}. */
    static RunState.Attempt started(int number, Instant at) {
        return new RunState.Attempt("att_" + number, number, "ws_1", "w_1", at, at);
    }

    long count() {
        return rows.size();
    }

    long countOf(RunStatus status) {
        return latest.values().stream()
                .filter(facts -> facts.status() == status)
                .count();
    }

    void writeTo(ClickHouseStore store) throws Exception {
        store.write(rows, latest, List.of()).toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
}
