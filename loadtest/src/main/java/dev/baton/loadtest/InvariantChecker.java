package dev.baton.loadtest;

import java.io.IOException;
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
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks DESIGN.md's invariants after a load run, from the outside: the journal ({@code event_journal} of
 * akka-persistence-jdbc; events are CBOR, so it counts rows per run by their serializer manifest, the event's
 * class name), the read model ({@code baton_runs}), the worker's own count of handler starts and, when given,
 * ClickHouse's {@code run_events}. Every run whose {@code RunTriggered} was written at or after {@code since}
 * is checked (runs of other tasks, known from the read model, are skipped):
 * <ol>
 *   <li>no lost trigger: every run id a trigger answered 2xx for is in the journal, and the journal holds as
 *       many runs as triggers were accepted (plus at most the calls that failed without an answer);</li>
 *   <li>one {@code RunTriggered} first, exactly one terminal event, nothing after it, no sequence gaps;</li>
 *   <li>no run executed to success twice: at most one {@code RunSucceeded}, and the worker never started a
 *       run's handler more often than the journal recorded attempts (an attempt is journaled with its outcome:
 *       {@code AttemptFailed} or {@code RunSucceeded}, for the no-op runs of a load test);</li>
 *   <li>the read model agrees with the journal: a row per run, the status the terminal event implies, and
 *       {@code attempt_count} equal to the journal's attempts; no row without a journal;</li>
 *   <li>ClickHouse (when on): {@code run_events FINAL} holds exactly the journal's events per run.</li>
 * </ol>
 * The projections lag the journal, so {@link #check} retries until the report is clean or {@code settle} ends.
 */
public final class InvariantChecker {

  /** What the load run knows: when it began, what it was told, and what its worker saw. */
  public record Expectation(Instant since, long accepted, long failedCalls, Set<String> acceptedRunIds,
                            Map<String, Integer> executions) {}

  /** The outcome; {@code violations} is empty when every invariant held. */
  public record Report(long runs, long journalEvents, long readModelRuns, long reexecuted, long executedElsewhere,
                       long clickhouseRuns, List<String> violations) {

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

  private final String dbUrl;
  private final String dbUser;
  private final String dbPassword;
  private final String clickhouseUrl;
  private final String clickhouseDatabase;

  public InvariantChecker(String dbUrl, String dbUser, String dbPassword, String clickhouseUrl,
                          String clickhouseDatabase) {
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

  /** One journal row group per run. */
  private record JournalRun(long events, long firstSeq, long lastSeq, long triggered, long leased, long succeeded,
                            long terminals, long terminalSeq, String terminalType) {}

  private record ReadRow(String status, int attemptCount, String taskId) {}

  public Report checkOnce(Expectation expected) throws SQLException {
    Map<String, JournalRun> journal;
    Map<String, ReadRow> readModel;
    try (Connection connection = DriverManager.getConnection(dbUrl, dbUser, dbPassword)) {
      journal = journal(connection, expected.since());
      readModel = readModel(connection, expected.since());
    }
    // runs of other tasks (known from the read model) are not this load run's
    readModel.forEach((runId, row) -> {
      if (!row.taskId().equals(TriggerClient.TASK)) journal.remove(runId);
    });
    readModel.values().removeIf(row -> !row.taskId().equals(TriggerClient.TASK));

    List<String> violations = new ArrayList<>();
    long events = 0;
    long reexecuted = 0;
    long elsewhere = 0;
    for (String runId : expected.acceptedRunIds()) {
      if (!journal.containsKey(runId)) violations.add("lost trigger: run " + runId + " was answered 2xx but has no journal");
    }
    long runs = journal.size();
    if (runs < expected.accepted() || runs > expected.accepted() + expected.failedCalls()) {
      violations.add("journal holds " + runs + " runs since " + expected.since() + " but " + expected.accepted()
          + " triggers were accepted (" + expected.failedCalls() + " calls failed)");
    }
    for (Map.Entry<String, JournalRun> entry : journal.entrySet()) {
      String runId = entry.getKey();
      JournalRun run = entry.getValue();
      events += run.events();
      if (run.triggered() != 1) violations.add("run " + runId + ": " + run.triggered() + " RunTriggered events");
      if (run.firstSeq() != 1 || run.lastSeq() != run.events()) {
        violations.add("run " + runId + ": sequence numbers " + run.firstSeq() + ".." + run.lastSeq() + " for "
            + run.events() + " events");
      }
      if (run.terminals() != 1) {
        violations.add("run " + runId + ": " + run.terminals() + " terminal events (expected exactly one)");
      } else if (run.terminalSeq() != run.lastSeq()) {
        violations.add("run " + runId + ": events after its terminal event (" + run.terminalSeq() + " < "
            + run.lastSeq() + ")");
      }
      if (run.succeeded() > 1) violations.add("run " + runId + ": succeeded " + run.succeeded() + " times");
      int executed = expected.executions().getOrDefault(runId, 0);
      if (executed > run.leased()) {
        violations.add("run " + runId + ": the worker started its handler " + executed + " times for "
            + run.leased() + " journaled attempts");
      }
      if (executed > 1) reexecuted++;
      if (executed == 0 && run.succeeded() == 1) elsewhere++;
      ReadRow row = readModel.get(runId);
      if (row == null) {
        violations.add("run " + runId + ": no row in baton_runs");
      } else {
        Set<String> allowed = STATUS_OF_TERMINAL.get(run.terminalType());
        if (run.terminals() == 1 && (allowed == null || !allowed.contains(row.status()))) {
          violations.add("run " + runId + ": baton_runs says " + row.status() + ", the journal ends with "
              + run.terminalType());
        }
        if (row.attemptCount() != run.leased()) {
          violations.add("run " + runId + ": baton_runs counts " + row.attemptCount() + " attempts, the journal "
              + run.leased());
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
        if (counted == null || counted != entry.getValue().events()) {
          violations.add("run " + entry.getKey() + ": ClickHouse run_events holds " + counted + " events, the journal "
              + entry.getValue().events());
        }
      }
    }
    return new Report(runs, events, readModel.size(), reexecuted, elsewhere, clickhouseRuns, List.copyOf(violations));
  }

  private static String manifestIs(String eventName) {
    return "event_ser_manifest LIKE '%$" + eventName + "%'";
  }

  private static Map<String, JournalRun> journal(Connection connection, Instant since) throws SQLException {
    String terminal = "(" + manifestIs("RunSucceeded") + " OR " + manifestIs("RunFailed") + " OR "
        + manifestIs("RunCanceled") + " OR " + manifestIs("RunExpired") + ")";
    String sql = "SELECT persistence_id, count(*), min(sequence_number), max(sequence_number),"
        + " sum(CASE WHEN " + manifestIs("RunTriggered") + " THEN 1 ELSE 0 END),"
        + " sum(CASE WHEN " + manifestIs("AttemptFailed") + " OR " + manifestIs("RunSucceeded")
        + " THEN 1 ELSE 0 END),"
        + " sum(CASE WHEN " + manifestIs("RunSucceeded") + " THEN 1 ELSE 0 END),"
        + " sum(CASE WHEN " + terminal + " THEN 1 ELSE 0 END),"
        + " max(CASE WHEN " + terminal + " THEN sequence_number END),"
        + " max(CASE WHEN " + terminal + " THEN event_ser_manifest END)"
        + " FROM event_journal WHERE persistence_id LIKE 'Run|%' AND NOT deleted"
        + " GROUP BY persistence_id HAVING min(write_timestamp) >= ?";
    Map<String, JournalRun> runs = new HashMap<>();
    try (PreparedStatement statement = connection.prepareStatement(sql)) {
      statement.setLong(1, since.toEpochMilli());
      try (ResultSet rows = statement.executeQuery()) {
        while (rows.next()) {
          String manifest = rows.getString(10);
          String type = manifest == null ? null : manifest.substring(manifest.lastIndexOf('$') + 1).replaceAll("#.*$", "");
          runs.put(rows.getString(1).substring("Run|".length()), new JournalRun(rows.getLong(2), rows.getLong(3),
              rows.getLong(4), rows.getLong(5), rows.getLong(6), rows.getLong(7), rows.getLong(8), rows.getLong(9),
              type));
        }
      }
    }
    return runs;
  }

  private static Map<String, ReadRow> readModel(Connection connection, Instant since) throws SQLException {
    Map<String, ReadRow> rows = new HashMap<>();
    try (PreparedStatement statement = connection.prepareStatement(
        "SELECT run_id, status, attempt_count, task_id FROM baton_runs WHERE created_at >= ?")) {
      statement.setTimestamp(1, Timestamp.from(since));
      try (ResultSet result = statement.executeQuery()) {
        while (result.next()) {
          rows.put(result.getString(1), new ReadRow(result.getString(2), result.getInt(3), result.getString(4)));
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
    HttpRequest request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60))
        .POST(HttpRequest.BodyPublishers.ofString(query)).build();
    try {
      HttpResponse<String> response = HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 200) {
        throw new IllegalStateException("ClickHouse answered " + response.statusCode() + ": " + response.body());
      }
      Map<String, Long> counts = new HashMap<>();
      for (String line : response.body().split("\n")) {
        int tab = line.indexOf('\t');
        if (tab > 0) counts.put(line.substring(0, tab), Long.parseLong(line.substring(tab + 1).trim()));
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
