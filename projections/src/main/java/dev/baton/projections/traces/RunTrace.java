package dev.baton.projections.traces;

import dev.baton.engine.run.RecordedEvent;
import dev.baton.engine.run.RunEntity;
import dev.baton.engine.run.RunSpec;
import dev.baton.engine.run.RunState.Attempt;
import dev.baton.engine.run.Wait;
import dev.baton.engine.trace.TraceContext;
import dev.baton.engine.worker.RunError;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A run's spans, drawn from its journal alone (docs/architecture.md "Traces"): the run (trigger to end), each time it
 * waited for a delay or in its queue, each attempt (start to outcome), each step an attempt completed and each wait
 * (to what ended it). Span ids are derived from the run's ids ({@link TraceContext}), so the same journal always
 * draws the same trace, a child run's span hangs under its parent's wait, and a handler's own spans (reported by a
 * worker) under their attempt. A step's start is not journaled: it is drawn from the end of what came before it in
 * its attempt.
 */
public final class RunTrace {

    /**
     * @param end null while the span is open
     * @param error the span ended in failure; {@code statusMessage} says why
     */
    public record Span(
            String traceId,
            String spanId,
            String parentSpanId,
            String name,
            Instant start,
            Instant end,
            boolean error,
            String statusMessage,
            Map<String, String> attributes) {}

    private RunTrace() {}

    /** The run's spans, the run's own first; empty for a history without its trigger. */
    public static List<Span> spans(String runId, List<RecordedEvent> history) {
        return new Drawing(runId).draw(history);
    }

    /** The child runs a history waited for, in the order it started them. */
    public static List<String> childRunIds(String runId, List<RecordedEvent> history) {
        List<String> children = new ArrayList<>();
        for (RecordedEvent recorded : history) {
            if (recorded.event() instanceof RunEntity.RunSuspended suspended
                    && suspended.waitFor().kind() == Wait.Kind.RUNS) {
                for (int index = 0; index < suspended.waitFor().children().size(); index++) {
                    children.add(suspended.waitFor().childRunId(runId, index));
                }
            }
        }
        return children;
    }

    private static final class Drawing {

        private final String runId;
        private final List<Span> spans = new ArrayList<>();
        private TraceContext trace;
        private String runSpanId;
        private Span run;
        private String waitingName;
        private Instant waitingSince;
        private int waitingCount;
        private final Map<String, Wait> openWaits = new LinkedHashMap<>();
        private final Map<String, Instant> waitStarts = new HashMap<>();
        private final Map<String, String> waitParents = new HashMap<>();
        private final Map<String, List<RunEntity.StepCompleted>> steps = new HashMap<>();

        Drawing(String runId) {
            this.runId = runId;
        }

        List<Span> draw(List<RecordedEvent> history) {
            for (RecordedEvent recorded : history) {
                RunEntity.Event event = recorded.event();
                if (event instanceof RunEntity.RunTriggered triggered) {
                    triggered(triggered.spec(), triggered.at());
                    continue;
                }
                if (run == null) continue;
                if (event instanceof RunEntity.RunEnqueued enqueued) {
                    queued(enqueued.at());
                } else if (event instanceof RunEntity.StepCompleted step) {
                    steps.computeIfAbsent(step.attemptId(), any -> new ArrayList<>())
                            .add(step);
                } else if (event instanceof RunEntity.RunSucceeded succeeded) {
                    attempt(succeeded.attempt(), succeeded.at(), null);
                    finish(succeeded.at(), null, "COMPLETED");
                } else if (event instanceof RunEntity.AttemptFailed failed) {
                    attempt(failed.attempt(), failed.at(), failed.error());
                    if (failed.retryAt() != null) waiting("retry backoff", failed.at());
                } else if (event instanceof RunEntity.RunFailed failed) {
                    finish(failed.at(), failed.error(), failed.status().name());
                } else if (event instanceof RunEntity.RunCanceled canceled) {
                    RunError why = new RunError("Canceled", "run canceled", null);
                    attempt(canceled.attempt(), canceled.at(), why);
                    finish(canceled.at(), why, "CANCELED");
                } else if (event instanceof RunEntity.RunExpired expired) {
                    finish(expired.at(), new RunError("Expired", "run expired before it started", null), "EXPIRED");
                } else if (event instanceof RunEntity.RunSuspended suspended) {
                    attempt(suspended.attempt(), suspended.at(), null);
                    Wait wait = suspended.waitFor();
                    openWaits.put(wait.key(), wait);
                    waitStarts.put(wait.key(), suspended.at());
                    waitParents.put(
                            wait.key(),
                            suspended.attempt() == null
                                    ? runSpanId
                                    : TraceContext.attemptSpanId(
                                            suspended.attempt().id()));
                } else if (event instanceof RunEntity.RunResumed resumed) {
                    closeWait(resumed.key(), resumed.at(), resumed.result().error());
                    queued(resumed.at());
                }
                // A reschedule or a debounced trigger moves the delay's end: the delay span runs on to the enqueue.
            }
            if (run == null) return List.of();
            // What is still open stays open: its span has no end yet.
            if (waitingSince != null) addWaiting(null);
            for (String key : List.copyOf(openWaits.keySet())) closeWait(key, null, null);
            List<Span> all = new ArrayList<>();
            all.add(run);
            all.addAll(spans);
            return all;
        }

        private void triggered(RunSpec spec, Instant at) {
            trace = spec.traceContext(runId);
            runSpanId = TraceContext.runSpanId(runId);
            Map<String, String> attributes = new LinkedHashMap<>();
            attributes.put("baton.run.id", runId);
            attributes.put("baton.task.id", spec.taskId());
            attributes.put("baton.environment.id", spec.environmentId());
            attributes.put("baton.queue", spec.queue());
            if (spec.lineage().parentRunId() != null)
                attributes.put("baton.run.parent_id", spec.lineage().parentRunId());
            run = new Span(
                    trace.traceId(), runSpanId, trace.parentSpanId(), spec.taskId(), at, null, false, null, attributes);
            if (spec.delayUntil() != null && spec.delayUntil().isAfter(at)) waiting("delayed", at);
            else waiting("queued", at);
        }

        private void queued(Instant at) {
            if (waitingSince != null) addWaiting(at);
            waiting("queued", at);
        }

        private void waiting(String name, Instant since) {
            if (waitingSince != null) addWaiting(since);
            waitingName = name;
            waitingSince = since;
        }

        private void addWaiting(Instant end) {
            spans.add(new Span(
                    trace.traceId(),
                    TraceContext.spanId(runId, "waiting", Integer.toString(waitingCount++)),
                    runSpanId,
                    waitingName,
                    waitingSince,
                    end,
                    false,
                    null,
                    Map.of()));
            waitingSince = null;
        }

        private void attempt(Attempt attempt, Instant end, RunError error) {
            if (waitingSince != null) addWaiting(attempt == null ? end : attempt.leasedAt());
            if (attempt == null) return;
            String spanId = TraceContext.attemptSpanId(attempt.id());
            Instant start = attempt.startedAt() != null ? attempt.startedAt() : attempt.leasedAt();
            Map<String, String> attributes = new LinkedHashMap<>();
            attributes.put("baton.attempt.id", attempt.id());
            attributes.put("baton.attempt.number", Integer.toString(attempt.number()));
            if (attempt.workerId() != null) attributes.put("baton.worker.id", attempt.workerId());
            attributes.put("baton.attempt.leased_at", attempt.leasedAt().toString());
            spans.add(new Span(
                    trace.traceId(),
                    spanId,
                    runSpanId,
                    "attempt " + attempt.number(),
                    start,
                    end,
                    error != null,
                    message(error),
                    attributes));
            Instant stepStart = start;
            for (RunEntity.StepCompleted step : steps.getOrDefault(attempt.id(), List.of())) {
                RunError failed = step.result().error();
                spans.add(new Span(
                        trace.traceId(),
                        TraceContext.spanId(attempt.id(), "step", step.key()),
                        spanId,
                        "step " + step.key(),
                        stepStart,
                        step.at(),
                        failed != null,
                        message(failed),
                        Map.of()));
                stepStart = step.at();
            }
            steps.remove(attempt.id());
        }

        private void closeWait(String key, Instant end, RunError error) {
            Wait wait = openWaits.remove(key);
            if (wait == null) return;
            Map<String, String> attributes = new LinkedHashMap<>();
            attributes.put("baton.wait.key", key);
            attributes.put("baton.wait.kind", wait.kind().name().toLowerCase());
            if (wait.until() != null)
                attributes.put("baton.wait.until", wait.until().toString());
            if (wait.tokenId() != null) attributes.put("baton.wait.token_id", wait.tokenId());
            if (wait.batchId() != null) attributes.put("baton.wait.batch_id", wait.batchId());
            if (!wait.children().isEmpty()) {
                List<String> children = new ArrayList<>();
                for (int index = 0; index < wait.children().size(); index++)
                    children.add(wait.childRunId(runId, index));
                attributes.put("baton.wait.child_run_ids", String.join(",", children));
            }
            spans.add(new Span(
                    trace.traceId(),
                    TraceContext.waitSpanId(runId, key),
                    waitParents.remove(key),
                    "wait " + wait.kind().name().toLowerCase(),
                    waitStarts.remove(key),
                    end,
                    error != null,
                    message(error),
                    attributes));
        }

        private void finish(Instant at, RunError error, String status) {
            if (waitingSince != null) addWaiting(at);
            Map<String, String> attributes = new LinkedHashMap<>(run.attributes());
            attributes.put("baton.run.status", status);
            run = new Span(
                    run.traceId(),
                    run.spanId(),
                    run.parentSpanId(),
                    run.name(),
                    run.start(),
                    at,
                    error != null,
                    message(error),
                    attributes);
        }

        private static String message(RunError error) {
            return error == null ? null : error.name() + ": " + error.message();
        }
    }
}
