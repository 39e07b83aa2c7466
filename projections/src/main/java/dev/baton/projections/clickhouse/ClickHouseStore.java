package dev.baton.projections.clickhouse;

import akka.Done;
import com.clickhouse.client.api.Client;
import com.clickhouse.client.api.command.CommandSettings;
import com.clickhouse.client.api.insert.InsertResponse;
import com.clickhouse.client.api.query.QueryResponse;
import com.clickhouse.client.api.query.QuerySettings;
import com.clickhouse.data.ClickHouseFormat;
import dev.baton.engine.common.Failures;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Baton's ClickHouse tables through the official client (client-v2): creates them, inserts rows in RowBinary
 * with an explicit column list (every column sent), and reads with an explicit {@code FORMAT}. Works with
 * Debian's ClickHouse 18.16, which answers compressed responses with an empty body (so response compression
 * stays off unless configured) and ignores the database and format headers (so every table name is
 * qualified, and {@link #select} passes the database as a URL parameter). The client blocks: every call
 * runs on the given executor, never on the caller's thread.
 */
public final class ClickHouseStore implements AutoCloseable {

    public static final String SCHEMA_SCRIPT = "db/clickhouse/schema.sql";

    /** Columns of {@code runs} in the order {@link #encodeRuns} writes them. */
    public static final List<String> RUNS_COLUMNS = List.of(
            "env_id",
            "run_id",
            "seq_nr",
            "task_id",
            "queue",
            "status",
            "is_final",
            "created_at",
            "created_at_ms",
            "updated_at",
            "updated_at_ms",
            "started_at",
            "started_at_ms",
            "finished_at",
            "finished_at_ms",
            "attempt_count",
            "duration_ms",
            "error_type",
            "error_message",
            "tags",
            "is_test");

    private static final Logger log = LoggerFactory.getLogger(ClickHouseStore.class);
    /** Run ids per "already written?" lookup: at most ~40 bytes each in the query text. */
    private static final int RUNS_PER_LOOKUP = 1000;

    private final ClickHouseSettings settings;
    private final Client client;
    private final Executor executor;
    private CompletableFuture<Done> schema;

    public ClickHouseStore(ClickHouseSettings settings, Executor executor) {
        this.settings = settings;
        this.executor = executor;
        this.client = new Client.Builder()
                .addEndpoint(settings.url())
                .setUsername(settings.user())
                .setPassword(settings.password())
                // Debian's 18.16 sends compressed responses as an empty body: every read would see 0 rows, silently.
                .compressServerResponse(settings.compressServerResponse())
                .compressClientRequest(false)
                .setConnectTimeout(settings.connectTimeout().toMillis(), ChronoUnit.MILLIS)
                .setConnectionRequestTimeout(settings.connectTimeout().toMillis(), ChronoUnit.MILLIS)
                .setSocketTimeout(settings.requestTimeout().toMillis(), ChronoUnit.MILLIS)
                // The projection retries a failed group itself, with backoff, from its committed offset.
                .setMaxRetries(0)
                .build();
    }

    public ClickHouseSettings settings() {
        return settings;
    }

    /** The threads this store's blocking calls run on. */
    public Executor executor() {
        return executor;
    }

    public String database() {
        return settings.database();
    }

    /** Creates the database and tables if missing: once per store, and again after a failed attempt. */
    public synchronized CompletionStage<Done> ensureSchema() {
        if (schema == null || schema.isCompletedExceptionally()) {
            schema = CompletableFuture.supplyAsync(
                    () -> {
                        createSchema();
                        return Done.getInstance();
                    },
                    executor);
        }
        return schema;
    }

    /** The server's version, read on the store's executor. */
    public CompletionStage<String> serverVersion() {
        return CompletableFuture.supplyAsync(
                () -> select("SELECT version() AS version").single(), executor);
    }

    private void createSchema() {
        // An empty answer to a query that returns one row is the compressed-response trap: fail loudly instead.
        if (select("SELECT 1 AS one", null, Map.of()).rows().isEmpty()) {
            throw new IllegalStateException(
                    "ClickHouse at " + settings.url() + " answered SELECT 1 with no rows: it cannot"
                            + " send compressed responses (Debian's 18.16); set baton.c"
                            + "lickhouse.compress-server-response = off");
        }
        execute("CREATE DATABASE IF NOT EXISTS " + settings.database(), null);
        for (String statement : statements(SCHEMA_SCRIPT)) {
            execute(statement, settings.database());
        }
    }

    /**
     * Inserts the rows of a projected group: those of its events that run_events does not hold yet (a group
     * delivered again, or a replay, adds nothing there, so task_stats counts every run once), then the latest
     * facts of each run it touched (versioned by seq_nr, so an older version never wins), then the spans of the
     * runs it finished (derived ids: copies collapse on merge).
     */
    public CompletionStage<Done> write(
            List<RunEventRow> events, Map<String, RunFacts> latestByRunId, List<SpanRow> spans) {
        return CompletableFuture.supplyAsync(
                () -> {
                    try {
                        List<RunEventRow> missing = withoutWritten(events);
                        if (!missing.isEmpty()) insertEvents(missing);
                        if (!latestByRunId.isEmpty()) insert("runs", RUNS_COLUMNS, encodeRuns(latestByRunId));
                        insertSpans(spans);
                        if (missing.size() < events.size()) {
                            log.debug(
                                    "Skipped {} of {} run events already in ClickHouse",
                                    events.size() - missing.size(),
                                    events.size());
                        }
                        return Done.getInstance();
                    } catch (RuntimeException e) {
                        schemaMayBeGone();
                        throw e;
                    }
                },
                executor);
    }

    /** After a failed write: check the tables again before the next one (a restarted or wiped server). */
    private synchronized void schemaMayBeGone() {
        if (schema != null && schema.isDone()) schema = null;
    }

    /** Inserts spans as they are (ReplacingMergeTree collapses copies on merge); blocking. */
    public void insertSpans(List<SpanRow> spans) {
        if (spans.isEmpty()) return;
        RowBinary out = new RowBinary();
        spans.forEach(span -> span.writeTo(out));
        insertOrForgetSchema("spans", SpanRow.COLUMNS, out.toByteArray());
    }

    /** Inserts log lines as they are (ReplacingMergeTree collapses copies on merge); blocking. */
    public void insertLogLines(List<LogLineRow> lines) {
        if (lines.isEmpty()) return;
        RowBinary out = new RowBinary();
        lines.forEach(line -> line.writeTo(out));
        insertOrForgetSchema("run_logs", LogLineRow.COLUMNS, out.toByteArray());
    }

    private void insertOrForgetSchema(String table, List<String> columns, byte[] rowBinary) {
        try {
            insert(table, columns, rowBinary);
        } catch (RuntimeException e) {
            schemaMayBeGone();
            throw e;
        }
    }

    /** Inserts rows into run_events as they are (ReplacingMergeTree collapses copies on merge). */
    void insertEvents(List<RunEventRow> events) {
        insert("run_events", RunEventRow.COLUMNS, encodeEvents(events));
    }

    /**
     * The events whose (run_id, seq_nr) run_events does not hold. The sorting key and the events' times narrow
     * the read; runs are looked up {@value #RUNS_PER_LOOKUP} at a time to keep each query well under the
     * server's max_query_size (256 KiB by default).
     */
    private List<RunEventRow> withoutWritten(List<RunEventRow> events) {
        if (events.isEmpty()) return events;
        Map<String, List<RunEventRow>> byRun = events.stream()
                .collect(Collectors.groupingBy(RunEventRow::runId, LinkedHashMap::new, Collectors.toList()));
        List<List<RunEventRow>> chunk = new ArrayList<>();
        Set<String> written = new HashSet<>();
        for (List<RunEventRow> run : byRun.values()) {
            chunk.add(run);
            if (chunk.size() == RUNS_PER_LOOKUP) {
                written.addAll(writtenKeys(chunk));
                chunk.clear();
            }
        }
        if (!chunk.isEmpty()) written.addAll(writtenKeys(chunk));
        if (written.isEmpty()) return events;
        return events.stream()
                .filter(event -> !written.contains(event.runId() + "\t" + event.seqNr()))
                .toList();
    }

    private Set<String> writtenKeys(List<List<RunEventRow>> runs) {
        List<RunEventRow> rows = runs.stream().flatMap(List::stream).toList();
        long from = rows.stream().mapToLong(RunEventRow::eventTimeMs).min().orElseThrow() / 1000;
        long to = rows.stream().mapToLong(RunEventRow::eventTimeMs).max().orElseThrow() / 1000;
        String sql = "SELECT run_id, seq_nr FROM " + settings.database() + ".run_events"
                + " WHERE event_time >= toDateTime(" + from + ") AND event_time <= toDateTime(" + to + ")"
                + " AND env_id IN ("
                + literals(rows.stream().map(RunEventRow::envId).distinct().toList()) + ")"
                + " AND run_id IN ("
                + literals(rows.stream().map(RunEventRow::runId).distinct().toList()) + ")";
        Set<String> written = new HashSet<>();
        for (List<String> row : select(sql, null, Map.of()).rows()) written.add(row.get(0) + "\t" + row.get(1));
        return written;
    }

    /** SQL string literals, comma-separated, quotes and backslashes escaped. */
    static String literals(Collection<String> values) {
        return values.stream()
                .map(value -> "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'")
                .collect(Collectors.joining(", "));
    }

    static byte[] encodeEvents(Collection<RunEventRow> rows) {
        RowBinary out = new RowBinary();
        for (RunEventRow row : rows) {
            out.string(row.envId())
                    .string(row.runId())
                    .uint64(row.seqNr())
                    .string(row.eventType())
                    .dateTime(row.eventTimeMs())
                    .uint64(row.eventTimeMs())
                    .string(row.taskId())
                    .string(row.queue())
                    .string(row.status())
                    .uint8(row.isFinal())
                    .uint32(row.attempt())
                    .string(row.attemptId())
                    .string(row.workerId())
                    .uint64(row.attemptDurationMs())
                    .uint64(row.durationMs())
                    .uint64(row.queueWaitMs())
                    .string(row.errorType())
                    .string(row.errorMessage())
                    .strings(row.tags())
                    .uint8(row.test())
                    .dateTime(row.createdAtMs())
                    .uint64(row.createdAtMs());
        }
        return out.toByteArray();
    }

    byte[] encodeRuns(Map<String, RunFacts> latestByRunId) {
        RowBinary out = new RowBinary();
        latestByRunId.forEach((runId, run) -> out.string(run.envId())
                .string(runId)
                .uint64(run.seqNr())
                .string(run.taskId())
                .string(run.queue())
                .string(run.status().name())
                .uint8(run.status().isFinal())
                .dateTime(run.createdAtMs())
                .uint64(run.createdAtMs())
                .dateTime(run.updatedAtMs())
                .uint64(run.updatedAtMs())
                .dateTime(run.startedAtMs())
                .uint64(run.startedAtMs())
                .dateTime(run.finishedAtMs())
                .uint64(run.finishedAtMs())
                .uint32(run.attemptCount())
                .uint64(run.durationMs())
                .string(
                        run.error() == null
                                ? ""
                                : RunEventRow.nullToEmpty(run.error().name()))
                .string(
                        run.error() == null
                                ? ""
                                : RunEventRow.truncate(
                                        RunEventRow.nullToEmpty(run.error().message()),
                                        settings.maxErrorMessageLength()))
                .strings(run.tags())
                .uint8(run.test()));
        return out.toByteArray();
    }

    private void insert(String table, List<String> columns, byte[] rowBinary) {
        String qualified = settings.database() + "." + table;
        try (InsertResponse response = await(
                client.insert(qualified, columns, new ByteArrayInputStream(rowBinary), ClickHouseFormat.RowBinary))) {
            log.trace("Inserted {} bytes into {}", rowBinary.length, qualified);
        } catch (Exception e) {
            throw failure("insert into " + qualified, e);
        }
    }

    /** Runs a statement that returns no rows (DDL) in {@code database}, or with no database when null. */
    public void execute(String sql, String database) {
        CommandSettings commandSettings = new CommandSettings();
        if (database != null) commandSettings.serverSetting("database", database);
        try {
            await(client.execute(sql, commandSettings)).close();
        } catch (Exception e) {
            throw failure("run " + firstLine(sql), e);
        }
    }

    /**
     * Runs a SELECT in this store's database (unqualified table names work) and reads all of its rows,
     * as text, with {@code FORMAT TabSeparatedWithNames} appended. Blocking; for checks, tests and tools.
     */
    public QueryResult select(String sql) {
        return select(sql, settings.database(), Map.of());
    }

    /** {@link #select(String)} with server settings sent as URL parameters (e.g. {@code max_execution_time}). */
    public QueryResult select(String sql, Map<String, String> serverSettings) {
        return select(sql, settings.database(), serverSettings);
    }

    private QueryResult select(String sql, String database, Map<String, String> serverSettings) {
        String query = sql.strip();
        if (query.endsWith(";")) query = query.substring(0, query.length() - 1);
        QuerySettings querySettings = new QuerySettings().setFormat(ClickHouseFormat.TabSeparatedWithNames);
        if (database != null) querySettings.serverSetting("database", database);
        serverSettings.forEach(querySettings::serverSetting);
        try (QueryResponse response = await(client.query(query + "\nFORMAT TabSeparatedWithNames", querySettings));
                InputStream body = response.getInputStream()) {
            return QueryResult.parse(new String(body.readAllBytes(), StandardCharsets.UTF_8));
        } catch (Exception e) {
            throw failure("query " + firstLine(query), e);
        }
    }

    private <T> T await(CompletableFuture<T> future) throws Exception {
        try {
            return future.get(
                    settings.requestTimeout().toMillis()
                            + settings.connectTimeout().toMillis(),
                    TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        } catch (TimeoutException e) {
            future.cancel(true);
            throw e;
        }
    }

    private RuntimeException failure(String what, Exception e) {
        Throwable cause = Failures.cause(e);
        return new IllegalStateException(
                "ClickHouse at " + settings.url() + ": could not " + what + ": " + cause.getMessage(), cause);
    }

    private static String firstLine(String sql) {
        String line = sql.strip().lines().findFirst().orElse("");
        return line.length() > 80 ? line.substring(0, 80) + "…" : line;
    }

    /** The statements of a schema script: separated by {@code ;} at a line's end, {@code --} comment lines dropped. */
    static List<String> statements(String resource) {
        String script;
        try (InputStream in = ClickHouseStore.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) throw new IllegalStateException("missing resource " + resource);
            script = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<String> statements = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String line : script.split("\n")) {
            if (line.strip().startsWith("--")) continue;
            current.append(line).append('\n');
            if (line.strip().endsWith(";")) {
                String statement = current.toString().strip();
                statements.add(statement.substring(0, statement.length() - 1));
                current.setLength(0);
            }
        }
        if (!current.toString().isBlank()) statements.add(current.toString().strip());
        return statements;
    }

    @Override
    public void close() {
        client.close();
    }
}
