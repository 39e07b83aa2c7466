package dev.baton.api.otel;

import dev.baton.api.otel.OtlpLogs.ReportedLog;
import dev.baton.engine.Engine;
import dev.baton.engine.logs.LogLine;
import dev.baton.engine.logs.RunLogs;
import dev.baton.engine.run.RecordedEvent;
import dev.baton.engine.run.RunEntity;
import dev.baton.engine.run.RunState.Attempt;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Attributes exported log records to their runs' attempts and stores them in the run logs, before the receiver
 * answers. A run is looked up the way {@code GET /api/v1/runs/{id}/logs} does, in the caller's environment only: a
 * record naming a run of another environment (or none at all) is refused, so a worker never writes into another
 * environment's run. A record's attempt is the one its attempt id and number name; a record naming neither belongs to
 * the run's latest attempt. The current attempt answers most records (a run's records arrive while it runs); the
 * run's journal is read only for a record of an earlier attempt, or one that arrives after the run ended.
 */
final class OtlpLogRuns {

    private final Engine engine;
    private final RunLogs logs;

    OtlpLogRuns(Engine engine, RunLogs logs) {
        this.engine = engine;
        this.logs = logs;
    }

    /** Stores the records of the caller's runs; completes, once they are stored, with all that were refused. */
    CompletionStage<OtlpRejections> store(String environmentId, OtlpLogs.Parsed parsed) {
        Map<String, List<ReportedLog>> byRun = new LinkedHashMap<>();
        for (ReportedLog log : parsed.logs())
            byRun.computeIfAbsent(log.runId(), id -> new ArrayList<>()).add(log);
        List<CompletableFuture<Attributed>> runs = byRun.entrySet().stream()
                .map(run ->
                        attribute(environmentId, run.getKey(), run.getValue()).toCompletableFuture())
                .toList();
        return CompletableFuture.allOf(runs.toArray(CompletableFuture[]::new)).thenCompose(all -> {
            OtlpRejections rejections = parsed.rejections();
            List<LogLine> lines = new ArrayList<>();
            for (CompletableFuture<Attributed> run : runs) {
                Attributed attributed = run.join();
                lines.addAll(attributed.lines());
                attributed.rejections().forEach(rejections::reject);
            }
            // An exporter batches records in no promised order (the Trigger.dev SDK 4.8.3 sent them newest first): a
            // run's
            // log reads in stored order, so store an export's records in the order they were logged.
            lines.sort(Comparator.comparing(LogLine::timestamp));
            return logs.append(environmentId, lines).thenApply(stored -> rejections);
        });
    }

    /** A run's records as lines, and the reason for each record refused. */
    private record Attributed(List<LogLine> lines, List<String> rejections) {}

    private CompletionStage<Attributed> attribute(String environmentId, String runId, List<ReportedLog> records) {
        return engine.runs().get(environmentId, runId).thenCompose(found -> {
            if (found.isEmpty()) {
                String reason = "log records name run " + runId + ", which is not a run of this environment";
                return CompletableFuture.completedFuture(new Attributed(
                        List.of(), records.stream().map(any -> reason).toList()));
            }
            Attempt current = found.get().currentAttempt();
            List<Attempt> known = current == null ? List.of() : List.of(current);
            if (records.stream().allMatch(record -> attemptOf(record, known) != null))
                return CompletableFuture.completedFuture(attributed(runId, records, known));
            return engine.runs()
                    .history(environmentId, runId)
                    .thenApply(history -> attributed(runId, records, attempts(history, current)));
        });
    }

    private static Attributed attributed(String runId, List<ReportedLog> records, List<Attempt> attempts) {
        List<LogLine> lines = new ArrayList<>();
        List<String> rejections = new ArrayList<>();
        for (ReportedLog record : records) {
            Attempt attempt = attemptOf(record, attempts);
            if (attempt == null) {
                rejections.add(
                        attempts.isEmpty()
                                ? "a log record names run " + runId + ", which has not started an attempt"
                                : "a log record names an attempt run " + runId + " does not have (ctx.attempt.id "
                                        + record.attemptId() + ", ctx.attempt.number " + record.attemptNumber() + ")");
                continue;
            }
            lines.add(new LogLine(
                    runId,
                    attempt.id(),
                    attempt.number(),
                    record.timestamp(),
                    record.level(),
                    record.message(),
                    record.attributesJson(),
                    record.errorJson()));
        }
        return new Attributed(lines, rejections);
    }

    /**
     * The attempt a record names among the run's, in the order they were leased: by id (and number, if it gives one
     * too), else the latest of its number (an execution resumed after a wait keeps its number), else the latest.
     */
    static Attempt attemptOf(ReportedLog record, List<Attempt> attempts) {
        Attempt named = null;
        for (Attempt attempt : attempts) {
            boolean matches = record.attemptId() != null
                    ? attempt.id().equals(record.attemptId())
                            && (record.attemptNumber() == null || attempt.number() == record.attemptNumber())
                    : record.attemptNumber() == null || attempt.number() == record.attemptNumber();
            if (matches) named = attempt;
        }
        return named;
    }

    /** The run's attempts from its journal, in lease order, with the current one last. */
    private static List<Attempt> attempts(Optional<List<RecordedEvent>> history, Attempt current) {
        Map<String, Attempt> attempts = new LinkedHashMap<>();
        for (RecordedEvent recorded : history.orElse(List.of())) {
            Attempt attempt = attemptOf(recorded.event());
            if (attempt != null) attempts.putIfAbsent(attempt.id(), attempt);
        }
        if (current != null) {
            attempts.remove(current.id());
            attempts.put(current.id(), current);
        }
        return List.copyOf(attempts.values());
    }

    private static Attempt attemptOf(RunEntity.Event event) {
        if (event instanceof RunEntity.AttemptLeased leased) return leased.attempt();
        if (event instanceof RunEntity.AttemptFailed failed) return failed.attempt();
        if (event instanceof RunEntity.RunSucceeded succeeded) return succeeded.attempt();
        if (event instanceof RunEntity.RunCanceled canceled) return canceled.attempt();
        if (event instanceof RunEntity.RunSuspended suspended) return suspended.attempt();
        return null;
    }
}
