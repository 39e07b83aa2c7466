package dev.baton.projections.runs;

import akka.persistence.query.Offset;
import akka.projection.eventsourced.EventEnvelope;
import dev.baton.engine.run.RunEntity;
import dev.baton.engine.run.RunEntity.AttemptFailed;
import dev.baton.engine.run.RunEntity.AttemptLeased;
import dev.baton.engine.run.RunEntity.AttemptStarted;
import dev.baton.engine.run.RunEntity.Event;
import dev.baton.engine.run.RunEntity.RunCanceled;
import dev.baton.engine.run.RunEntity.RunExpired;
import dev.baton.engine.run.RunEntity.RunFailed;
import dev.baton.engine.run.RunEntity.RunSucceeded;
import dev.baton.engine.run.RunEntity.RunTriggered;
import dev.baton.engine.run.RunEntity.TagsAdded;
import dev.baton.engine.run.RunSpec;
import dev.baton.engine.run.RunState;
import dev.baton.engine.run.RunStatus;
import dev.baton.engine.task.RetryPolicy;
import dev.baton.engine.worker.RunError;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * Runs made up for list tests: each one's events (as the engine would journal them) and, kept apart
 * from any projection code, what the run list must show for it ({@link Run}). Deterministic per seed.
 * Runs share creation times in threes, so the run id breaks ties in the list order.
 */
final class SyntheticRuns {

    static final List<String> TAGS = List.of("red", "green", "blue", "vip", "eu", "us");
    static final List<String> QUEUES = List.of("shared", "critical");
    private static final RunError BOOM = new RunError("Error", "boom", null);
    private static final List<RunStatus> FINAL_STATUSES = List.of(
            RunStatus.QUEUED,
            RunStatus.DELAYED,
            RunStatus.DEQUEUED,
            RunStatus.EXECUTING,
            RunStatus.RETRYING,
            RunStatus.COMPLETED,
            RunStatus.COMPLETED,
            RunStatus.COMPLETED,
            RunStatus.FAILED,
            RunStatus.CRASHED,
            RunStatus.SYSTEM_FAILURE,
            RunStatus.TIMED_OUT,
            RunStatus.CANCELED,
            RunStatus.EXPIRED);

    /** What the list must show for a run. */
    record Run(
            String runId,
            String environmentId,
            String taskId,
            String queue,
            RunStatus status,
            List<String> tags,
            boolean test,
            Instant createdAt,
            List<Event> events) {

        static final Comparator<Run> NEWEST_FIRST =
                Comparator.comparing(Run::createdAt).thenComparing(Run::runId).reversed();
    }

    private final Random random;
    private long offset;

    SyntheticRuns(long seed) {
        this.random = new Random(seed);
    }

    /**
     * {@code count} runs spread over {@code environments} and {@code tasks} tasks, created from {@code start}
     * on, three at a time every 100 ms.
     */
    List<Run> runs(String idPrefix, int count, List<String> environments, int tasks, Instant start) {
        List<Run> runs = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String runId = "run_" + idPrefix + Integer.toHexString(random.nextInt(1 << 20) | 1 << 20) + "_" + i;
            String environment = environments.get(random.nextInt(environments.size()));
            String task = "task-" + random.nextInt(tasks);
            String queue = random.nextInt(5) == 0 ? QUEUES.get(random.nextInt(QUEUES.size())) : "task/" + task;
            Instant createdAt = start.plusMillis(i / 3 * 100L);
            runs.add(run(runId, environment, task, queue, createdAt));
        }
        return runs;
    }

    private Run run(String runId, String environment, String task, String queue, Instant createdAt) {
        Set<String> tags = new LinkedHashSet<>();
        for (int n = random.nextInt(4); n > 0; n--) tags.add(TAGS.get(random.nextInt(TAGS.size())));
        boolean test = random.nextInt(10) == 0;
        RunStatus status = FINAL_STATUSES.get(random.nextInt(FINAL_STATUSES.size()));
        Instant delayUntil = status == RunStatus.DELAYED ? createdAt.plusSeconds(3600) : null;
        RunSpec spec = new RunSpec(
                environment,
                task,
                queue,
                "{}",
                "application/json",
                List.copyOf(tags),
                null,
                random.nextBoolean() ? "key-" + runId : null,
                RetryPolicy.DEFAULT,
                null,
                test,
                null,
                0,
                delayUntil,
                null,
                null);
        List<Event> events = new ArrayList<>();
        events.add(new RunTriggered(runId, spec, createdAt));
        Instant at = createdAt;
        if (random.nextInt(5) == 0) {
            List<String> added = List.of(TAGS.get(random.nextInt(TAGS.size())), TAGS.get(random.nextInt(TAGS.size())));
            events.add(new TagsAdded(added, at = at.plusMillis(1)));
            tags.addAll(added);
        }
        switch (status) {
            case QUEUED, DELAYED -> {}
            case CANCELED -> events.add(new RunCanceled(at.plusMillis(5), null));
            case EXPIRED -> events.add(new RunExpired(at.plusMillis(5)));
            default -> {
                Instant leasedAt = at.plusMillis(2);
                events.add(new AttemptLeased(new RunState.Attempt("att_1", 1, "ws_1", "w_1", leasedAt, null)));
                if (status == RunStatus.DEQUEUED) break;
                events.add(new AttemptStarted("att_1", leasedAt.plusMillis(1)));
                Instant end = leasedAt.plusMillis(10 + random.nextInt(50));
                switch (status) {
                    case EXECUTING -> {}
                    case RETRYING -> events.add(new AttemptFailed("att_1", BOOM, end, end.plusSeconds(60), null));
                    case COMPLETED -> events.add(new RunSucceeded("att_1", "{}", end, null));
                    default -> {
                        events.add(new AttemptFailed("att_1", BOOM, end, null, null));
                        events.add(new RunFailed(BOOM, status, end));
                    }
                }
            }
        }
        return new Run(runId, environment, task, queue, status, List.copyOf(tags), test, createdAt, events);
    }

    /** The runs' events as one tag's journal: ordered by event time, each run's in its own order. */
    List<EventEnvelope<Event>> journal(List<Run> runs) {
        record Timed(Instant at, int run, int seqNr, Event event) {}
        List<Timed> timed = new ArrayList<>();
        for (int r = 0; r < runs.size(); r++) {
            List<Event> events = runs.get(r).events();
            for (int e = 0; e < events.size(); e++) timed.add(new Timed(time(events.get(e)), r, e + 1, events.get(e)));
        }
        timed.sort(Comparator.comparing(Timed::at).thenComparingInt(Timed::run).thenComparingInt(Timed::seqNr));
        List<EventEnvelope<Event>> envelopes = new ArrayList<>();
        for (Timed event : timed) {
            envelopes.add(EventEnvelope.create(
                    Offset.sequence(++offset),
                    RunEntity.persistenceId(runs.get(event.run()).runId()).id(),
                    event.seqNr(),
                    event.event(),
                    0L));
        }
        return envelopes;
    }

    private static Instant time(Event event) {
        if (event instanceof AttemptLeased leased) return leased.attempt().leasedAt();
        if (event instanceof RunTriggered e) return e.at();
        if (event instanceof TagsAdded e) return e.at();
        if (event instanceof AttemptStarted e) return e.at();
        if (event instanceof AttemptFailed e) return e.at();
        if (event instanceof RunSucceeded e) return e.at();
        if (event instanceof RunFailed e) return e.at();
        if (event instanceof RunCanceled e) return e.at();
        if (event instanceof RunExpired e) return e.at();
        throw new IllegalArgumentException("no time for " + event);
    }
}
