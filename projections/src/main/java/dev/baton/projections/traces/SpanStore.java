package dev.baton.projections.traces;

import akka.actor.typed.ActorSystem;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.engine.storage.Database;
import dev.baton.projections.internal.Jdbc;
import dev.baton.projections.internal.QueryDispatcher;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import javax.sql.DataSource;

/**
 * The spans workers report over OTLP, per environment and run ({@code baton_spans}, db/spans-schema.sql): stored as
 * reported (a span reported twice is kept once), read back with the runs' drawn spans, and deleted once older than
 * {@code baton.traces.retention}. Every node sweeps on its own: the delete is idempotent and its index makes it cheap.
 */
public final class SpanStore {

    public static final String SCHEMA_SCRIPT = "db/spans-schema.sql";

    /**
     * A span as a worker reported it; times in unix nanoseconds, attributes as their values' text.
     *
     * @param kind OTLP's span kind, lower case without its prefix: internal, server, client, producer, consumer
     */
    public record ReportedSpan(
            String runId,
            String traceId,
            String spanId,
            String parentSpanId,
            String name,
            String kind,
            long startNanos,
            long endNanos,
            boolean error,
            String statusMessage,
            Map<String, String> attributes) {}

    private static final List<String> COLUMNS = List.of(
            "span_key",
            "environment_id",
            "run_id",
            "trace_id",
            "span_id",
            "parent_span_id",
            "name",
            "kind",
            "start_nanos",
            "end_nanos",
            "error",
            "status_message",
            "attributes",
            "received_at");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<Map<String, String>> ATTRIBUTES = new TypeReference<>() {};

    private final DataSource dataSource;
    private final Executor executor;
    private final Clock clock;
    private final String upsertSql;

    SpanStore(DataSource dataSource, Database.Dialect dialect, Executor executor, Clock clock) {
        this.dataSource = dataSource;
        this.executor = executor;
        this.clock = clock;
        this.upsertSql = Jdbc.upsertSql(dialect, "baton_spans", COLUMNS);
    }

    /** Creates the table if missing and sweeps old spans every hour, from now on. */
    public static SpanStore create(ActorSystem<?> system, Database database, Clock clock) {
        database.runSchemaScript(SCHEMA_SCRIPT);
        SpanStore store =
                new SpanStore(database.dataSource(), database.dialect(), QueryDispatcher.lookup(system), clock);
        Duration retention = system.settings().config().getDuration("baton.traces.retention");
        Duration every = system.settings().config().getDuration("baton.traces.sweep-interval");
        system.scheduler()
                .scheduleWithFixedDelay(
                        every, every, () -> store.sweep(clock.instant().minus(retention)), system.executionContext());
        return store;
    }

    public CompletionStage<Void> store(String environmentId, Collection<ReportedSpan> spans) {
        Instant now = clock.instant();
        return Jdbc.async(
                executor,
                () -> Jdbc.withConnection(dataSource, connection -> {
                    Jdbc.batch(
                            connection,
                            upsertSql,
                            spans,
                            (statement, span) -> bind(statement, environmentId, span, now));
                    return null;
                }));
    }

    /** The reported spans of these runs (a trace's, at most a few hundred), oldest first. */
    public CompletionStage<List<ReportedSpan>> forRuns(String environmentId, Collection<String> runIds) {
        if (runIds.isEmpty()) return CompletableFuture.completedFuture(List.of());
        return Jdbc.async(
                executor,
                () -> Jdbc.withConnection(dataSource, connection -> {
                    List<ReportedSpan> spans = new ArrayList<>();
                    try (PreparedStatement select = connection.prepareStatement(
                            "SELECT run_id, trace_id, span_id, parent_span_id, name, kind, start_nanos, end_nanos, error,"
                                    + " status_message, attributes FROM baton_spans WHERE environment_id = ? AND run_id IN ("
                                    + Jdbc.bindMarkers(runIds.size()) + ") ORDER BY start_nanos")) {
                        select.setString(1, environmentId);
                        int index = 2;
                        for (String runId : runIds) select.setString(index++, runId);
                        try (ResultSet result = select.executeQuery()) {
                            while (result.next()) {
                                spans.add(new ReportedSpan(
                                        result.getString(1),
                                        result.getString(2),
                                        result.getString(3),
                                        result.getString(4),
                                        result.getString(5),
                                        result.getString(6),
                                        result.getLong(7),
                                        result.getLong(8),
                                        result.getBoolean(9),
                                        result.getString(10),
                                        attributes(result.getString(11))));
                            }
                        }
                    }
                    return spans;
                }));
    }

    /** Deletes the spans received before {@code before}; answers how many. */
    public CompletionStage<Integer> sweep(Instant before) {
        return Jdbc.async(
                executor,
                () -> Jdbc.withConnection(dataSource, connection -> {
                    try (PreparedStatement delete =
                            connection.prepareStatement("DELETE FROM baton_spans WHERE received_at < ?")) {
                        Jdbc.setInstant(delete, 1, before);
                        return delete.executeUpdate();
                    }
                }));
    }

    private static void bind(PreparedStatement statement, String environmentId, ReportedSpan span, Instant now)
            throws SQLException {
        statement.setString(1, environmentId + "/" + span.traceId() + "/" + span.spanId());
        statement.setString(2, environmentId);
        statement.setString(3, span.runId());
        statement.setString(4, span.traceId());
        statement.setString(5, span.spanId());
        statement.setString(6, span.parentSpanId());
        statement.setString(7, span.name());
        statement.setString(8, span.kind());
        statement.setLong(9, span.startNanos());
        statement.setLong(10, span.endNanos());
        statement.setBoolean(11, span.error());
        statement.setString(12, span.statusMessage());
        try {
            statement.setString(13, JSON.writeValueAsString(span.attributes()));
        } catch (JsonProcessingException e) {
            throw new SQLException("span attributes", e);
        }
        Jdbc.setInstant(statement, 14, now);
    }

    private static Map<String, String> attributes(String json) throws SQLException {
        try {
            return JSON.readValue(json, ATTRIBUTES);
        } catch (JsonProcessingException e) {
            throw new SQLException("span attributes", e);
        }
    }
}
