package dev.baton.api.runs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.api.json.Json;
import dev.baton.api.runs.RunResponses.CommonRunFields;
import dev.baton.api.runs.RunResponses.Env;
import dev.baton.api.runs.RunResponses.ListRunItem;
import dev.baton.api.runs.RunResponses.ListRunsResponse;
import dev.baton.api.runs.RunResponses.Pagination;
import dev.baton.api.runs.RunResponses.RelatedRun;
import dev.baton.api.runs.RunResponses.RelatedRuns;
import dev.baton.api.runs.RunResponses.RetrieveRunResponse;
import dev.baton.api.runs.RunResponses.RunEvent;
import dev.baton.api.runs.RunResponses.RunEventsResponse;
import dev.baton.api.runs.RunResponses.SerializedError;
import dev.baton.engine.changes.RunChanged;
import dev.baton.engine.common.Durations;
import dev.baton.engine.environment.Environment;
import dev.baton.engine.run.RecordedEvent;
import dev.baton.engine.run.RunEntity;
import dev.baton.engine.run.RunLineage;
import dev.baton.engine.run.RunService;
import dev.baton.engine.run.RunSpec;
import dev.baton.engine.run.RunState;
import dev.baton.engine.run.RunStatus;
import dev.baton.engine.worker.RunError;
import dev.baton.projections.listing.Page;
import dev.baton.projections.runs.RunRow;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** The one place where wire shapes and engine classes meet, in both directions. */
public final class RunTranslator {

    private static final String JSON_TEXT_SUFFIX = "Json";

    private RunTranslator() {}

    public static RetrieveRunResponse toRetrieveResponse(RunState run, RunService.RelatedRuns related) {
        ApiRunStatus status = ApiRunStatus.of(run.status());
        RunSpec spec = run.spec();
        RunLineage lineage = spec.lineage();
        return new RetrieveRunResponse(
                commonFields(run),
                lineage.depth(),
                lineage.triggerFunction(),
                lineage.batchId(),
                new RelatedRuns(
                        relatedRun(related.root()),
                        relatedRun(related.parent()),
                        related.children().stream()
                                .map(RunTranslator::relatedRun)
                                .toList()),
                run.attemptCount(),
                Json.readStored(spec.payloadJson()),
                status.isSuccess() ? Json.readStored(run.outputJson()) : null,
                status.isFailed() ? errorOf(run) : null,
                Json.readStored(run.metadataJson()),
                spec.idempotencyKey(),
                spec.concurrencyKey(),
                prioritySeconds(spec.priorityMs()),
                run.version());
    }

    private static CommonRunFields commonFields(RunState run) {
        RunSpec spec = run.spec();
        return CommonRunFields.of(
                run.runId(),
                ApiRunStatus.of(run.status()),
                spec.taskId(),
                spec.test(),
                Json.timestamp(run.createdAt()),
                Json.timestamp(run.updatedAt()),
                Json.timestamp(run.startedAt()),
                Json.timestamp(run.finishedAt()),
                Json.timestamp(run.delayUntil()),
                spec.ttl() == null ? null : Durations.format(spec.ttl()),
                run.tags(),
                run.durationMs());
    }

    private static RelatedRun relatedRun(RunState run) {
        if (run == null) return null;
        RunLineage lineage = run.lineage();
        return new RelatedRun(commonFields(run), lineage.depth(), lineage.triggerFunction(), lineage.batchId());
    }

    /** A run of the list, from the read model; {@code environment} is the caller's (every listed run is in it). */
    public static ListRunItem toListItem(RunRow row, Environment environment) {
        ApiRunStatus status = ApiRunStatus.of(row.status());
        RunRow.Details details = row.details();
        return new ListRunItem(
                CommonRunFields.of(
                        row.runId(),
                        status,
                        row.taskId(),
                        details.test(),
                        Json.timestamp(row.createdAt()),
                        Json.timestamp(row.updatedAt()),
                        Json.timestamp(details.startedAt()),
                        Json.timestamp(details.finishedAt()),
                        Json.timestamp(details.delayedUntil()),
                        row.ttl() == null ? null : Durations.format(row.ttl()),
                        row.tags(),
                        details.durationMs()),
                details.idempotencyKey(),
                details.version(),
                new Env(environment.id(), environment.slug()));
    }

    /**
     * A run of the list, from a change notice's summary: the same item {@code GET /api/v1/runs} shows, as of the
     * change (the runs table shows it once its projection caught up).
     */
    public static ListRunItem toListItem(RunChanged change, Environment environment) {
        RunChanged.Summary summary = change.summary();
        return new ListRunItem(
                CommonRunFields.of(
                        change.runId(),
                        ApiRunStatus.of(summary.status()),
                        summary.taskId(),
                        summary.test(),
                        Json.timestamp(summary.createdAt()),
                        Json.timestamp(change.updatedAt()),
                        Json.timestamp(summary.startedAt()),
                        Json.timestamp(summary.finishedAt()),
                        Json.timestamp(summary.status() == RunStatus.DELAYED ? summary.delayUntil() : null),
                        summary.ttl() == null ? null : Durations.format(summary.ttl()),
                        change.tags(),
                        summary.durationMs()),
                summary.idempotencyKey(),
                summary.version(),
                new Env(environment.id(), environment.slug()));
    }

    public static ListRunsResponse toListResponse(Page<RunRow> page, Environment environment) {
        return new ListRunsResponse(
                page.rows().stream().map(row -> toListItem(row, environment)).toList(),
                new Pagination(
                        page.next() == null ? null : page.next().encode(),
                        page.previous() == null ? null : page.previous().encode()));
    }

    /** Milliseconds back to the seconds the caller gave ({@code 10}, {@code 0.5}); null for none. */
    private static BigDecimal prioritySeconds(long priorityMs) {
        if (priorityMs == 0) return null;
        BigDecimal seconds = BigDecimal.valueOf(priorityMs, 3).stripTrailingZeros();
        return seconds.scale() < 0 ? seconds.setScale(0) : seconds;
    }

    /** The run's error; an expired run has none of its own, so it says why it ended (as Trigger.dev does). */
    private static SerializedError errorOf(RunState run) {
        if (run.error() == null && run.status() == RunStatus.EXPIRED) {
            String ttl = run.spec().ttl() == null
                    ? ""
                    : " (" + Durations.format(run.spec().ttl()) + ")";
            return new SerializedError("Run expired because the TTL" + ttl + " was reached", "Error", null);
        }
        return toWire(run.error());
    }

    public static RunEventsResponse toEventsResponse(List<RecordedEvent> history) {
        List<RunEvent> events = new ArrayList<>(history.size());
        for (RecordedEvent recorded : history) {
            events.add(new RunEvent(
                    recorded.sequenceNr(),
                    recorded.event().getClass().getSimpleName(),
                    journalTimestamp(recorded.timestamp()),
                    eventData(recorded.event())));
        }
        return new RunEventsResponse(events);
    }

    /** When the journal wrote the event; omitted when the journal keeps no write time (the test journal). */
    private static String journalTimestamp(Instant timestamp) {
        return timestamp == null || Instant.EPOCH.equals(timestamp) ? null : Json.timestamp(timestamp);
    }

    private static SerializedError toWire(RunError error) {
        if (error == null) return null;
        String message = error.message() != null ? error.message() : error.name() != null ? error.name() : "";
        return new SerializedError(message, error.name(), error.stackTrace());
    }

    /**
     * An event's fields as plain JSON. The engine keeps user JSON (payload, metadata, output) as text in
     * fields named {@code …Json}; those are inlined as JSON values under the name without the suffix.
     */
    static JsonNode eventData(RunEntity.Event event) {
        return inlineJsonText(Json.mapper().valueToTree(event));
    }

    private static JsonNode inlineJsonText(JsonNode node) {
        if (node instanceof ObjectNode object) {
            ObjectNode inlined = Json.mapper().createObjectNode();
            object.fields().forEachRemaining(field -> {
                String name = field.getKey();
                JsonNode value = field.getValue();
                if (name.endsWith(JSON_TEXT_SUFFIX) && name.length() > JSON_TEXT_SUFFIX.length() && value.isTextual()) {
                    JsonNode parsed = Json.readStored(value.textValue());
                    if (parsed != null)
                        inlined.set(name.substring(0, name.length() - JSON_TEXT_SUFFIX.length()), parsed);
                } else {
                    inlined.set(name, inlineJsonText(value));
                }
            });
            return inlined;
        }
        if (node instanceof ArrayNode array) {
            ArrayNode inlined = Json.mapper().createArrayNode();
            array.forEach(item -> inlined.add(inlineJsonText(item)));
            return inlined;
        }
        return node;
    }
}
