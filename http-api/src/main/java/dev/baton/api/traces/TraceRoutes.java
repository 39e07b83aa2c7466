package dev.baton.api.traces;

import static akka.http.javadsl.server.Directives.complete;
import static akka.http.javadsl.server.Directives.get;
import static akka.http.javadsl.server.Directives.onSuccess;
import static akka.http.javadsl.server.Directives.path;
import static akka.http.javadsl.server.PathMatchers.segment;

import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.server.Route;
import dev.baton.api.auth.Authentication;
import dev.baton.api.auth.Caller;
import dev.baton.api.errors.ErrorHandling;
import dev.baton.api.json.Json;
import dev.baton.api.runs.RunRoutes;
import dev.baton.engine.Engine;
import dev.baton.engine.run.RunState;
import dev.baton.projections.traces.RunTrace;
import dev.baton.projections.traces.RunTrace.Span;
import dev.baton.projections.traces.SpanStore;
import dev.baton.projections.traces.SpanStore.ReportedSpan;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * {@code GET /api/v1/runs/{id}/trace} (Baton's own; docs/api.md "Traces"): the spans of the run's trace, drawn from the
 * journals of its runs ({@link RunTrace}). A key's caller gets the whole tree from the run's root; a public access
 * token's, which may read only the run it names, that run and the runs below it. At most {@link #MAX_RUNS} runs are
 * drawn ({@code truncated} says so).
 */
public final class TraceRoutes {

    static final int MAX_RUNS = 200;

    private final Engine engine;
    private final SpanStore reported;
    private final Authentication authentication;

    public TraceRoutes(Engine engine, SpanStore reported, Authentication authentication) {
        this.engine = engine;
        this.reported = reported;
        this.authentication = authentication;
    }

    public Route routes() {
        return path(
                segment("api").slash("v1").slash("runs").slash(segment()).slash("trace"),
                runId -> get(() -> authentication.caller(caller -> trace(caller, runId))));
    }

    private Route trace(Caller caller, String runId) {
        String environmentId = caller.environment().id();
        return onSuccess(engine.runs().get(environmentId, runId), found -> {
            if (found.isEmpty()) return complete(ErrorHandling.runNotFound());
            RunState run = found.get();
            RunRoutes.requireRead(caller, run);
            String rootRunId = caller.isPublic() || run.spec().lineage().rootRunId() == null
                    ? runId
                    : run.spec().lineage().rootRunId();
            CompletionStage<Map<String, Object>> trace = draw(environmentId, rootRunId)
                    .thenCompose(drawn -> reported.forRuns(environmentId, drawn.runIds())
                            .thenApply(workers -> response(rootRunId, drawn, workers)));
            return onSuccess(trace, body -> complete(Json.response(StatusCodes.OK, body)));
        });
    }

    private record Drawn(List<Span> spans, List<String> runIds, boolean truncated) {}

    /** The spans of {@code rootRunId}'s runs, breadth first, one journal read at a time. */
    private CompletionStage<Drawn> draw(String environmentId, String rootRunId) {
        Deque<String> pending = new ArrayDeque<>(List.of(rootRunId));
        return next(environmentId, pending, new Drawn(new ArrayList<>(), new ArrayList<>(), false));
    }

    private CompletionStage<Drawn> next(String environmentId, Deque<String> pending, Drawn drawn) {
        if (pending.isEmpty()) return CompletableFuture.completedFuture(drawn);
        if (drawn.runIds().size() >= MAX_RUNS)
            return CompletableFuture.completedFuture(new Drawn(drawn.spans(), drawn.runIds(), true));
        String runId = pending.poll();
        return engine.runs().history(environmentId, runId).thenCompose(history -> {
            history.ifPresent(events -> {
                drawn.runIds().add(runId);
                for (Span span : RunTrace.spans(runId, events)) drawn.spans().add(span);
                pending.addAll(RunTrace.childRunIds(runId, events));
            });
            return next(environmentId, pending, drawn);
        });
    }

    private static Map<String, Object> response(String rootRunId, Drawn drawn, List<ReportedSpan> workers) {
        List<Map<String, Object>> spans = new ArrayList<>();
        for (Span span : drawn.spans()) {
            spans.add(span(
                    span.spanId(),
                    span.parentSpanId(),
                    span.name(),
                    "baton",
                    span.start(),
                    span.end(),
                    span.error(),
                    span.statusMessage(),
                    span.attributes()));
        }
        for (ReportedSpan span : workers) {
            Map<String, String> attributes = new LinkedHashMap<>(span.attributes());
            attributes.put("baton.run.id", span.runId());
            spans.add(span(
                    span.spanId(),
                    span.parentSpanId(),
                    span.name(),
                    "worker",
                    instant(span.startNanos()),
                    instant(span.endNanos()),
                    span.error(),
                    span.statusMessage(),
                    attributes));
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put(
                "traceId", drawn.spans().isEmpty() ? null : drawn.spans().get(0).traceId());
        body.put("rootRunId", rootRunId);
        body.put("runIds", drawn.runIds());
        body.put("truncated", drawn.truncated());
        body.put("spans", spans);
        return body;
    }

    private static Map<String, Object> span(
            String spanId,
            String parentSpanId,
            String name,
            String source,
            Instant start,
            Instant end,
            boolean error,
            String statusMessage,
            Map<String, String> attributes) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("spanId", spanId);
        if (parentSpanId != null) json.put("parentSpanId", parentSpanId);
        json.put("name", name);
        json.put("source", source);
        json.put("startTime", start.toString());
        if (end != null) {
            json.put("endTime", end.toString());
            json.put("durationMs", Duration.between(start, end).toMillis());
        }
        json.put("status", error ? "error" : end == null ? "open" : "ok");
        if (statusMessage != null) json.put("statusMessage", statusMessage);
        json.put("attributes", attributes);
        return json;
    }

    private static Instant instant(long unixNanos) {
        return Instant.ofEpochSecond(0, unixNanos);
    }
}
