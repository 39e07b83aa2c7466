package dev.baton.loadtest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.cbor.databind.CBORMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks the engine's invariants after a load or fault run, from the outside: the journal ({@code event_journal}
 * of akka-persistence-jdbc, read on PostgreSQL or the embedded H2 store; events are Jackson CBOR, read as trees),
 * the read model ({@code baton_runs}), the worker's own count of handler starts and, when given, ClickHouse's
 * {@code run_events}. Every run of the expected tasks whose first event was written at or after {@code since}
 * is checked:
 * <ol>
 *   <li>no lost trigger: every run id a trigger answered 2xx for is in the journal, and the journal holds as
 *       many runs as triggers were accepted (plus at most the calls that failed without an answer; child runs,
 *       which a parent's task triggered, are not counted);</li>
 *   <li>one {@code RunTriggered} first, no sequence gaps, exactly one terminal event and nothing after it; a run
 *       still delayed (its delay ends after the check) or still PENDING_VERSION (its task never declared) has none,
 *       and so does every run the caller expects to be pending;</li>
 *   <li>versions: no attempt while a run waited for its task's declaration, and a run locked to a version (by its
 *       trigger or its parent) runs every attempt on that version;</li>
 *   <li>no outcome accepted from a fenced attempt: every attempt's id ends at most once (a second outcome for an
 *       attempt means a stale one was accepted), an outcome names the attempt it is journaled with (the run's
 *       current one: another's id means a fenced attempt's report was taken for the current attempt's), attempt
 *       numbers never go back, and none exceeds the run's retry budget ({@code maxAttempts});</li>
 *   <li>no run executed to success twice: at most one {@code RunSucceeded}, and the worker never started a run's
 *       handler more often than the journal recorded executions, plus one per node crash (an attempt is journaled
 *       with its outcome, so one in flight when its node dies leaves no trace and runs again);</li>
 *   <li>the read model agrees with the journal: a row per run, the status the terminal event implies (a pending
 *       run's is not final), and {@code attempt_count} equal to the journal's last attempt number; no row without
 *       a journal;</li>
 *   <li>ClickHouse (when on): {@code run_events FINAL} holds exactly the journal's events per run.</li>
 * </ol>
 * The projections lag the journal, so {@link #check} retries until the report is clean or {@code settle} ends.
 * Besides the violations, the report says which runs failed over: an attempt on one worker ended {@code
 * WORKER_LOST} (socket gone or lease expired) and the run's next attempt ran on another worker, which a worker
 * fault scenario needs to show its fault hit executions.
 */
public final class InvariantChecker {

    /**
     * What the load run knows: when it began, what it was told, and what its worker saw.
     *
     * @param tasks the task ids whose runs are checked
     * @param pendingRunIds accepted runs that must still be delayed (e.g. by an hour)
     * @param nodeCrashes how often the node was killed during the run
     */
    public record Expectation(
            Instant since,
            long accepted,
            long failedCalls,
            Set<String> acceptedRunIds,
            Map<String, Integer> executions,
            Set<String> tasks,
            Set<String> pendingRunIds,
            int nodeCrashes) {

        /** A load test's: runs of its no-op task, none pending, no crash. */
        public Expectation(
                Instant since,
                long accepted,
                long failedCalls,
                Set<String> acceptedRunIds,
                Map<String, Integer> executions) {
            this(since, accepted, failedCalls, acceptedRunIds, executions, Set.of(TriggerClient.TASK), Set.of(), 0);
        }
    }

    /**
     * The outcome; {@code violations} is empty when every invariant held. {@code failedOver} maps a worker id to
     * the runs that lost an attempt on it ({@code WORKER_LOST}) and whose next attempt ran on another worker.
     */
    public record Report(
            long runs,
            long journalEvents,
            long readModelRuns,
            long reexecuted,
            long executedElsewhere,
            long clickhouseRuns,
            Map<String, Set<String>> failedOver,
            List<String> violations) {

        public boolean ok() {
            return violations.isEmpty();
        }

        /** The first {@code max} violations, and how many more there are. */
        public List<String> listed(int max) {
            if (violations.size() <= max) return violations;
            List<String> listed = new ArrayList<>(violations.subList(0, max));
            listed.add("… and " + (violations.size() - max) + " more");
            return listed;
        }

        double eventsPerRun() {
            return runs == 0 ? 0 : (double) journalEvents / runs;
        }
    }

    private static final Map<String, Set<String>> STATUS_OF_TERMINAL = Map.of(
            "RunSucceeded", Set.of("COMPLETED"),
            "RunFailed", Set.of("FAILED", "CRASHED", "SYSTEM_FAILURE", "TIMED_OUT"),
            "RunCanceled", Set.of("CANCELED"),
            "RunExpired", Set.of("EXPIRED"));
    private static final Set<String> FINAL_STATUSES =
            Set.of("COMPLETED", "FAILED", "CRASHED", "SYSTEM_FAILURE", "TIMED_OUT", "CANCELED", "EXPIRED");
    /** Events that end an execution of the handler, each journaled with its attempt. */
    private static final Set<String> ATTEMPT_OUTCOMES =
            Set.of("AttemptFailed", "RunSucceeded", "RunSuspended", "RunCanceled");

    private static final ObjectMapper CBOR = new CBORMapper();

    private final String dbUrl;
    private final String dbUser;
    private final String dbPassword;
    private final String clickhouseUrl;
    private final String clickhouseDatabase;

    public InvariantChecker(
            String dbUrl, String dbUser, String dbPassword, String clickhouseUrl, String clickhouseDatabase) {
        this.dbUrl = dbUrl;
        this.dbUser = dbUser;
        this.dbPassword = dbPassword;
        this.clickhouseUrl = clickhouseUrl;
        this.clickhouseDatabase = clickhouseDatabase;
    }

    /** Checks until clean or {@code settle} has passed; the last report either way. */
    public Report check(Expectation expected, Duration settle) throws SQLException, InterruptedException {
        long deadline = System.nanoTime() + settle.toNanos();
        while (true) {
            Report report = checkOnce(expected);
            if (report.ok() || System.nanoTime() > deadline) return report;
            Thread.sleep(500);
        }
    }

    /** One run's journal, folded event by event; what breaks an invariant on the way is noted in {@code broken}. */
    private static final class JournalRun {
        final List<String> broken = new ArrayList<>();
        final Set<String> endedAttempts = new HashSet<>();
        long events;
        long lastSeq;
        long triggered;
        long succeeded;
        long terminals;
        long terminalSeq;
        String terminalType;
        String taskId;
        String parentRunId;
        int maxAttempts = Integer.MAX_VALUE;
        Instant delayedUntil;
        int executions;
        int lastAttemptNumber;
        /** Triggered for a task no worker had declared (PENDING_VERSION) and not yet given its declaration. */
        boolean awaitingTask;
        /** The trigger of a PENDING_VERSION run gave its own maxAttempts. */
        boolean givenMaxAttempts;
        /** The version the run is locked to (by its trigger or its parent); null when unlocked. */
        String lockedVersion;
        /** Workers an attempt of this run was lost on whose next attempt ran elsewhere; the last such loss so far. */
        final Set<String> failedOverFrom = new HashSet<>();

        String lostOn;

        void add(long seq, String type, JsonNode event) {
            events++;
            if (seq != lastSeq + 1) broken.add("sequence number " + seq + " after " + lastSeq);
            lastSeq = seq;
            if (type.equals("RunTriggered")) {
                triggered++;
                if (seq != 1) broken.add("RunTriggered at sequence number " + seq);
                JsonNode spec = event.path("spec");
                taskId = spec.path("taskId").asText(null);
                parentRunId = spec.path("lineage").path("parentRunId").asText(null);
                if (spec.path("retry").has("maxAttempts"))
                    maxAttempts = spec.path("retry").path("maxAttempts").asInt();
                delayedUntil = instant(spec.path("delayUntil"));
                awaitingTask = spec.path("pendingTask").isObject();
                givenMaxAttempts = spec.path("pendingTask").path("maxAttempts").isInt();
                lockedVersion = spec.path("lockedToVersion").asText(null);
            }
            if (type.equals("RunTaskDeclared")) {
                if (!awaitingTask) broken.add("RunTaskDeclared at " + seq + " for a run whose task was declared");
                awaitingTask = false;
                // The declaration's retry budget holds unless the trigger gave its own.
                if (!givenMaxAttempts && event.path("task").path("retry").has("maxAttempts")) {
                    maxAttempts =
                            event.path("task").path("retry").path("maxAttempts").asInt();
                }
            }
            if (type.equals("RunRescheduled") || type.equals("RunDebounced")) {
                delayedUntil = instant(event.path("delayUntil"));
            }
            if (type.equals("RunDebounced")
                    && event.path("latest").path("maxAttempts").isInt()) {
                maxAttempts = event.path("latest").path("maxAttempts").asInt();
            }
            if (type.equals("RunSucceeded")) succeeded++;
            if (STATUS_OF_TERMINAL.containsKey(type)) {
                terminals++;
                terminalSeq = seq;
                terminalType = type;
            }
            JsonNode attempt = event.path("attempt");
            if (ATTEMPT_OUTCOMES.contains(type) && attempt.isObject()) {
                if (awaitingTask) broken.add(type + " at " + seq + " while the run waited for its task's declaration");
                // A run locked to a version (by its trigger or its parent) runs on that version only.
                String version = attempt.path("version").asText(null);
                if (lockedVersion != null && version != null && !lockedVersion.equals(version)) {
                    broken.add("attempt at " + seq + " ran on version " + version + ", the run is locked to "
                            + lockedVersion);
                }
                executions++;
                String attemptId = attempt.path("id").asText();
                int number = attempt.path("number").asInt();
                if (!endedAttempts.add(attemptId)) {
                    broken.add("attempt " + attemptId + " ended twice (" + type + " at " + seq
                            + " came from a fenced attempt)");
                }
                String reportedBy = event.path("attemptId").asText(null);
                if (reportedBy != null && !reportedBy.equals(attemptId)) {
                    broken.add(type + " at " + seq + " reported by attempt " + reportedBy
                            + " was journaled for attempt " + attemptId + " (a fenced attempt's outcome was accepted)");
                }
                if (number < lastAttemptNumber) broken.add("attempt number " + number + " after " + lastAttemptNumber);
                if (number > maxAttempts) broken.add("attempt number " + number + " beyond maxAttempts " + maxAttempts);
                lastAttemptNumber = number;
                String workerId = attempt.path("workerId").asText(null);
                if (lostOn != null && workerId != null && !workerId.equals(lostOn)) failedOverFrom.add(lostOn);
                boolean lost = type.equals("AttemptFailed")
                        && event.path("error").path("name").asText().equals("WORKER_LOST");
                lostOn = lost ? workerId : null;
            }
        }
    }

    /** An Instant as Akka's Jackson writes it: ISO-8601 text, or epoch seconds when configured so. */
    private static Instant instant(JsonNode node) {
        if (node.isTextual()) return Instant.parse(node.asText());
        if (node.isNumber()) return Instant.ofEpochMilli(Math.round(node.asDouble() * 1000));
        return null;
    }

    private record ReadRow(String status, int attemptCount, String taskId) {}

    public Report checkOnce(Expectation expected) throws SQLException {
        Map<String, JournalRun> journal;
        Map<String, ReadRow> readModel;
        try (Connection connection = DriverManager.getConnection(dbUrl, dbUser, dbPassword)) {
            journal = journal(connection, expected.since());
            readModel = readModel(connection, expected.since());
        }
        // runs of other tasks are not this run's
        journal.values().removeIf(run -> run.taskId != null && !expected.tasks().contains(run.taskId));
        readModel.values().removeIf(row -> !expected.tasks().contains(row.taskId()));

        List<String> violations = new ArrayList<>();
        long events = 0;
        long reexecuted = 0;
        long elsewhere = 0;
        Map<String, Set<String>> failedOver = new HashMap<>();
        for (String runId : expected.acceptedRunIds()) {
            if (!journal.containsKey(runId))
                violations.add("lost trigger: run " + runId + " was answered 2xx but has no journal");
        }
        long runs = journal.size();
        long triggeredFromOutside =
                journal.values().stream().filter(run -> run.parentRunId == null).count();
        if (triggeredFromOutside < expected.accepted()
                || triggeredFromOutside > expected.accepted() + expected.failedCalls()) {
            violations.add("journal holds " + triggeredFromOutside + " runs triggered from outside since "
                    + expected.since() + " but " + expected.accepted() + " triggers were accepted ("
                    + expected.failedCalls() + " calls failed)");
        }
        for (Map.Entry<String, JournalRun> entry : journal.entrySet()) {
            String runId = entry.getKey();
            JournalRun run = entry.getValue();
            events += run.events;
            run.broken.forEach(broken -> violations.add("run " + runId + ": " + broken));
            if (run.triggered != 1) violations.add("run " + runId + ": " + run.triggered + " RunTriggered events");
            // Still delayed (e.g. by an hour): no terminal event yet, whether or not the caller heard the 2xx.
            boolean stillDelayed =
                    run.delayedUntil != null && run.delayedUntil.isAfter(Instant.now()) && run.terminals == 0;
            // Still PENDING_VERSION: its task was never declared, so it waits, neither run nor ended (unless canceled).
            boolean awaitingTask = run.awaitingTask && run.terminals == 0;
            boolean pending = expected.pendingRunIds().contains(runId) || stillDelayed || awaitingTask;
            if (expected.pendingRunIds().contains(runId) && !stillDelayed && !awaitingTask) {
                violations.add("run " + runId + ": expected still delayed, its delay ends " + run.delayedUntil);
            }
            if (pending) {
                if (run.terminals != 0)
                    violations.add("run " + runId + ": expected pending, ended with " + run.terminalType);
            } else if (run.terminals != 1) {
                violations.add("run " + runId + ": " + run.terminals + " terminal events (expected exactly one)");
            } else if (run.terminalSeq != run.lastSeq) {
                violations.add("run " + runId + ": events after its terminal event (" + run.terminalSeq + " < "
                        + run.lastSeq + ")");
            }
            if (run.succeeded > 1) violations.add("run " + runId + ": succeeded " + run.succeeded + " times");
            int executed = expected.executions().getOrDefault(runId, 0);
            if (executed > run.executions + expected.nodeCrashes()) {
                violations.add("run " + runId + ": the worker started its handler " + executed + " times for "
                        + run.executions + " journaled executions and " + expected.nodeCrashes() + " node crashes");
            }
            if (executed > 1) reexecuted++;
            if (executed == 0 && run.succeeded == 1) elsewhere++;
            for (String worker : run.failedOverFrom)
                failedOver.computeIfAbsent(worker, w -> new HashSet<>()).add(runId);
            ReadRow row = readModel.get(runId);
            if (row == null) {
                violations.add("run " + runId + ": no row in baton_runs");
            } else {
                Set<String> allowed = run.terminalType == null ? null : STATUS_OF_TERMINAL.get(run.terminalType);
                if (run.terminals == 1 && (allowed == null || !allowed.contains(row.status()))) {
                    violations.add("run " + runId + ": baton_runs says " + row.status() + ", the journal ends with "
                            + run.terminalType);
                }
                if (pending && FINAL_STATUSES.contains(row.status())) {
                    violations.add("run " + runId + ": expected pending, baton_runs says " + row.status());
                }
                if (row.attemptCount() != run.lastAttemptNumber) {
                    violations.add("run " + runId + ": baton_runs counts " + row.attemptCount()
                            + " attempts, the journal " + run.lastAttemptNumber);
                }
            }
        }
        for (String runId : readModel.keySet()) {
            if (!journal.containsKey(runId)) violations.add("run " + runId + ": in baton_runs but not in the journal");
        }
        long clickhouseRuns = -1;
        if (clickhouseUrl != null) {
            Map<String, Long> clickhouse = clickhouseEventCounts();
            clickhouseRuns = 0;
            for (Map.Entry<String, JournalRun> entry : journal.entrySet()) {
                Long counted = clickhouse.get(entry.getKey());
                if (counted != null) clickhouseRuns++;
                if (counted == null || counted != entry.getValue().events) {
                    violations.add("run " + entry.getKey() + ": ClickHouse run_events holds " + counted
                            + " events, the journal " + entry.getValue().events);
                }
            }
        }
        return new Report(
                runs,
                events,
                readModel.size(),
                reexecuted,
                elsewhere,
                clickhouseRuns,
                Map.copyOf(failedOver),
                List.copyOf(violations));
    }

    /**
     * Every event of the runs first written since {@code since}, in order. Names are quoted: the embedded store's
     * journal tables have quoted lower-case names, which PostgreSQL reads the same way.
     */
    private static Map<String, JournalRun> journal(Connection connection, Instant since) throws SQLException {
        String sql = "SELECT \"persistence_id\", \"sequence_number\", \"event_ser_manifest\", \"event_payload\""
                + " FROM \"event_journal\" WHERE NOT \"deleted\" AND \"persistence_id\" IN ("
                + "SELECT \"persistence_id\" FROM \"event_journal\" WHERE \"persistence_id\" LIKE 'Run|%'"
                + " GROUP BY \"persistence_id\" HAVING min(\"write_timestamp\") >= ?)"
                + " ORDER BY \"persistence_id\", \"sequence_number\"";
        Map<String, JournalRun> runs = new HashMap<>();
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setLong(1, since.toEpochMilli());
            statement.setFetchSize(10_000);
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    String runId = rows.getString(1).substring("Run|".length());
                    String manifest = rows.getString(3);
                    String type =
                            manifest.substring(manifest.lastIndexOf('$') + 1).replaceAll("#.*$", "");
                    runs.computeIfAbsent(runId, id -> new JournalRun())
                            .add(rows.getLong(2), type, event(rows.getBytes(4)));
                }
            }
        }
        return runs;
    }

    private static JsonNode event(byte[] cbor) {
        try {
            return CBOR.readTree(cbor);
        } catch (IOException e) {
            throw new UncheckedIOException("a journal event is not Jackson CBOR", e);
        }
    }

    private static Map<String, ReadRow> readModel(Connection connection, Instant since) throws SQLException {
        Map<String, ReadRow> rows = new HashMap<>();
        try (PreparedStatement statement = connection.prepareStatement(
                "SELECT run_id, status, attempt_count, task_id FROM baton_runs WHERE created_at >= ?")) {
            statement.setTimestamp(1, Timestamp.from(since));
            try (ResultSet result = statement.executeQuery()) {
                while (result.next()) {
                    rows.put(
                            result.getString(1),
                            new ReadRow(result.getString(2), result.getInt(3), result.getString(4)));
                }
            }
        }
        return rows;
    }

    /** Events per run in ClickHouse's run_events, deduplicated (FINAL), over its HTTP interface. */
    private Map<String, Long> clickhouseEventCounts() {
        String query = "SELECT run_id, count() FROM run_events FINAL GROUP BY run_id FORMAT TabSeparated";
        URI uri = URI.create(clickhouseUrl.replaceAll("/+$", "") + "/?database="
                + URLEncoder.encode(clickhouseDatabase, StandardCharsets.UTF_8));
        HttpRequest request = HttpRequest.newBuilder(uri)
                .timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.ofString(query))
                .build();
        try {
            HttpResponse<String> response =
                    HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new IllegalStateException(
                        "ClickHouse answered " + response.statusCode() + ": " + response.body());
            }
            Map<String, Long> counts = new HashMap<>();
            for (String line : response.body().split("\n")) {
                int tab = line.indexOf('\t');
                if (tab > 0)
                    counts.put(
                            line.substring(0, tab),
                            Long.parseLong(line.substring(tab + 1).trim()));
            }
            return counts;
        } catch (IOException e) {
            throw new IllegalStateException("cannot query ClickHouse at " + clickhouseUrl + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while querying ClickHouse", e);
        }
    }
}
