package dev.baton.projections.traces;

import akka.Done;
import akka.actor.CoordinatedShutdown;
import akka.actor.typed.ActorSystem;
import akka.persistence.query.Offset;
import akka.projection.HandlerRecoveryStrategy;
import akka.projection.ProjectionId;
import akka.projection.eventsourced.EventEnvelope;
import akka.projection.eventsourced.javadsl.EventSourcedProvider;
import akka.projection.javadsl.GroupedProjection;
import akka.projection.javadsl.Handler;
import akka.projection.jdbc.javadsl.JdbcProjection;
import com.typesafe.config.Config;
import dev.baton.engine.run.RunEntity;
import dev.baton.engine.storage.Database;
import dev.baton.projections.internal.DataSourceJdbcSession;
import dev.baton.projections.internal.ProjectionDaemons;
import dev.baton.projections.runs.RunIndexSettings;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporterBuilder;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends every finished run's trace to an OpenTelemetry collector when {@code baton.traces.export.endpoint}
 * ({@code BATON_OTEL_EXPORTER_OTLP_ENDPOINT}) is set: one at-least-once projection per run event tag, run by a sharded
 * daemon process, that on a run's final event draws its spans from its journal ({@link RunTrace}) and exports them
 * over OTLP/HTTP with opentelemetry-java's exporter. The offset moves only once the collector took the group; a
 * collector that is down fails the projection, which restarts with backoff from its last offset. Span ids are
 * derived, so a group sent twice repeats the same spans.
 */
public final class TraceExport {

    public static final String NAME = "baton-trace-export";

    private static final Logger log = LoggerFactory.getLogger(TraceExport.class);

    private TraceExport() {}

    /** Starts the export if configured; logs either way. */
    public static void init(ActorSystem<?> system, Database database) {
        Config config = system.settings().config().getConfig("baton.traces.export");
        String endpoint = config.getString("endpoint").strip();
        if (endpoint.isEmpty()) {
            log.info("Trace export off: baton.traces.export.endpoint (BATON_OTEL_EXPORTER_OTLP_ENDPOINT) is not set");
            return;
        }
        String tracesUrl = endpoint.replaceAll("/+$", "") + "/v1/traces";
        OtlpHttpSpanExporterBuilder builder =
                OtlpHttpSpanExporter.builder().setEndpoint(tracesUrl).setTimeout(config.getDuration("timeout"));
        for (String header : config.getString("headers").split(",")) {
            int equals = header.indexOf('=');
            if (equals > 0)
                builder.addHeader(
                        header.substring(0, equals).strip(),
                        header.substring(equals + 1).strip());
        }
        SpanExporter exporter = builder.build();
        CoordinatedShutdown.get(system)
                .addTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate(), "close-trace-exporter", () -> {
                    exporter.shutdown().join(5, TimeUnit.SECONDS);
                    return CompletableFuture.completedFuture(Done.getInstance());
                });
        Resource resource = Resource.create(
                Attributes.of(AttributeKey.stringKey("service.name"), config.getString("service-name")));
        RunIndexSettings runs = RunIndexSettings.fromConfig(system.settings().config());
        List<String> tags = runs.tags();
        log.info("Trace export on: finished runs' traces to {}", tracesUrl);
        ProjectionDaemons.start(
                system,
                NAME,
                tags.size(),
                index -> create(
                        system, database, exporter, resource, runs.readJournalPluginId(), tags.get(index), config));
    }

    static GroupedProjection<Offset, EventEnvelope<RunEntity.Event>> create(
            ActorSystem<?> system,
            Database database,
            SpanExporter exporter,
            Resource resource,
            String readJournal,
            String tag,
            Config config) {
        RunHistory history = RunHistory.fromJournal(system, readJournal);
        return JdbcProjection.groupedWithinAsync(
                        ProjectionId.of(NAME, tag),
                        EventSourcedProvider.<RunEntity.Event>eventsByTag(system, readJournal, tag),
                        () -> new DataSourceJdbcSession(database.dataSource()),
                        () -> new Exporting(history, exporter, resource),
                        system)
                .withGroup(config.getInt("group-after-envelopes"), config.getDuration("group-after-duration"))
                .withRecoveryStrategy(HandlerRecoveryStrategy.fail())
                .withRestartBackoff(config.getDuration("min-backoff"), config.getDuration("max-backoff"), 0.2);
    }

    /** Exports the traces of the runs a group of events finished. */
    private static final class Exporting extends Handler<List<EventEnvelope<RunEntity.Event>>> {

        private final RunHistory history;
        private final SpanExporter exporter;
        private final Resource resource;

        Exporting(RunHistory history, SpanExporter exporter, Resource resource) {
            this.history = history;
            this.exporter = exporter;
            this.resource = resource;
        }

        @Override
        public CompletionStage<Done> process(List<EventEnvelope<RunEntity.Event>> envelopes) {
            Set<String> finished = new LinkedHashSet<>();
            for (EventEnvelope<RunEntity.Event> envelope : envelopes) {
                if (RunHistory.finishes(envelope.event())) finished.add(envelope.persistenceId());
            }
            List<SpanData> spans = new ArrayList<>();
            CompletionStage<Void> drawn = CompletableFuture.completedFuture(null);
            for (String persistenceId : finished) {
                drawn = drawn.thenCompose(previous -> history.of(persistenceId).thenAccept(history -> {
                    String runId = persistenceId.substring(persistenceId.indexOf('|') + 1);
                    for (RunTrace.Span span : RunTrace.spans(runId, history)) {
                        if (span.end() != null) spans.add(new ExportedSpan(runId, span, resource));
                    }
                }));
            }
            return drawn.thenCompose(ready -> spans.isEmpty()
                    ? CompletableFuture.completedFuture(Done.getInstance())
                    : sent(exporter.export(spans), spans.size()));
        }

        private static CompletionStage<Done> sent(CompletableResultCode result, int count) {
            CompletableFuture<Done> sent = new CompletableFuture<>();
            result.whenComplete(() -> {
                if (result.isSuccess()) {
                    log.debug("Exported {} spans", count);
                    sent.complete(Done.getInstance());
                } else {
                    Throwable failure = result.getFailureThrowable();
                    sent.completeExceptionally(new IllegalStateException(
                            "the OpenTelemetry collector did not take " + count + " spans"
                                    + (failure == null ? "" : ": " + failure.getMessage()),
                            failure));
                }
            });
            return sent;
        }
    }
}
