package dev.baton.projections.runs;

import dev.baton.engine.run.RunEntity;
import dev.baton.engine.run.RunEntity.AttemptFailed;
import dev.baton.engine.run.RunEntity.AttemptLeased;
import dev.baton.engine.run.RunEntity.AttemptStarted;
import dev.baton.engine.run.RunEntity.MetadataUpdated;
import dev.baton.engine.run.RunEntity.RunCanceled;
import dev.baton.engine.run.RunEntity.RunEnqueued;
import dev.baton.engine.run.RunEntity.RunExpired;
import dev.baton.engine.run.RunEntity.RunFailed;
import dev.baton.engine.run.RunEntity.RunRescheduled;
import dev.baton.engine.run.RunEntity.RunSucceeded;
import dev.baton.engine.run.RunEntity.RunTriggered;
import dev.baton.engine.run.RunEntity.TagsAdded;
import dev.baton.engine.run.RunSpec;
import dev.baton.engine.run.RunStatus;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * One row of {@code baton_runs}, and how each run event changes it. Pure and deterministic (times
 * come from the events, never from a clock), so replaying a run's events rebuilds the same row.
 *
 * <p>{@code wakeAt} is when the run must be looked at if nothing else did: the run's own next timer
 * (delay, retry, TTL, maxDuration), or for a run waiting on others (queue, worker) its last event plus
 * a recheck. Final runs have none. Times are kept to the microsecond, as both databases store them.
 *
 * @param attemptCount attempts leased so far (a run with none still expires by its TTL)
 * @param ttl the spec's TTL, or null; with {@code maxDurationSeconds} kept for the wake times of later events
 * @param wakeCount how often the sweeper woke the run since its last event (its recheck backs off with it)
 */
public record RunRow(
    String runId,
    String environmentId,
    String taskId,
    String queue,
    String concurrencyKey,
    RunStatus status,
    String tag,
    int attemptCount,
    Duration ttl,
    Integer maxDurationSeconds,
    Instant createdAt,
    Instant updatedAt,
    Instant wakeAt,
    int wakeCount) {

  /**
   * @param recheck how long after its last event a run waiting on others is looked at again
   * @param leaseTimeout the engine's lease timeout: a leased or executing run's own deadline
   */
  public record WakeRules(Duration recheck, Duration leaseTimeout) {}

  public RunRow {
    createdAt = micros(createdAt);
    updatedAt = micros(updatedAt);
    wakeAt = micros(wakeAt);
  }

  /**
   * The row after {@code event}. A {@link RunTriggered} (re)starts the row; any other event needs the
   * row, and returns null without one (its trigger was projected elsewhere, e.g. under another tag).
   */
  public static RunRow apply(RunRow row, String runId, String tag, RunEntity.Event event, WakeRules rules) {
    if (event instanceof RunTriggered e) return triggered(runId, tag, e.spec(), e.at(), rules);
    if (row == null) return null;
    if (event instanceof RunRescheduled e) return row.moved(tag, row.status, e.at(), e.delayUntil());
    if (event instanceof RunEnqueued e) {
      Instant wake = e.at().plus(rules.recheck());
      if (row.attemptCount == 0) wake = earliest(wake, expiry(row.ttl, e.at()));
      return row.moved(tag, RunStatus.QUEUED, e.at(), wake);
    }
    if (event instanceof AttemptLeased e) {
      Instant leasedAt = e.attempt().leasedAt();
      return row.withAttemptCount(e.attempt().number())
          .moved(tag, RunStatus.DEQUEUED, leasedAt, leasedAt.plus(rules.leaseTimeout()).plus(rules.recheck()));
    }
    if (event instanceof AttemptStarted e) {
      Instant wake = e.at().plus(rules.leaseTimeout()).plus(rules.recheck());
      if (row.maxDurationSeconds != null) wake = earliest(wake, e.at().plusSeconds(row.maxDurationSeconds));
      return row.moved(tag, RunStatus.EXECUTING, e.at(), wake);
    }
    if (event instanceof AttemptFailed e) {
      // Without a retry the terminal event follows in the same write; until then the run keeps its status.
      return e.retryAt() != null
          ? row.moved(tag, RunStatus.RETRYING, e.at(), e.retryAt())
          : row.moved(tag, row.status, e.at(), e.at().plus(rules.recheck()));
    }
    if (event instanceof RunSucceeded e) return row.moved(tag, RunStatus.COMPLETED, e.at(), null);
    if (event instanceof RunFailed e) return row.moved(tag, e.status(), e.at(), null);
    if (event instanceof RunCanceled e) return row.moved(tag, RunStatus.CANCELED, e.at(), null);
    if (event instanceof RunExpired e) return row.moved(tag, RunStatus.EXPIRED, e.at(), null);
    if (event instanceof TagsAdded e) return row.touched(e.at());
    if (event instanceof MetadataUpdated e) return row.touched(e.at());
    return row;
  }

  private static RunRow triggered(String runId, String tag, RunSpec spec, Instant at, WakeRules rules) {
    boolean delayed = spec.delayUntil() != null && spec.delayUntil().isAfter(at);
    Instant wake = delayed ? spec.delayUntil() : earliest(at.plus(rules.recheck()), expiry(spec.ttl(), at));
    return new RunRow(runId, spec.environmentId(), spec.taskId(), spec.queue(), spec.concurrencyKey(),
        delayed ? RunStatus.DELAYED : RunStatus.QUEUED, tag, 0, spec.ttl(), spec.maxDurationSeconds(), at, at,
        wake, 0);
  }

  /** A new status, last-event time and wake time; the sweeper's backoff starts over. */
  private RunRow moved(String newTag, RunStatus newStatus, Instant at, Instant wake) {
    return new RunRow(runId, environmentId, taskId, queue, concurrencyKey, newStatus, newTag, attemptCount, ttl,
        maxDurationSeconds, createdAt, at, newStatus.isFinal() ? null : wake, 0);
  }

  private RunRow touched(Instant at) {
    return new RunRow(runId, environmentId, taskId, queue, concurrencyKey, status, tag, attemptCount, ttl,
        maxDurationSeconds, createdAt, at, wakeAt, wakeCount);
  }

  private RunRow withAttemptCount(int count) {
    return new RunRow(runId, environmentId, taskId, queue, concurrencyKey, status, tag, count, ttl,
        maxDurationSeconds, createdAt, updatedAt, wakeAt, wakeCount);
  }

  private static Instant expiry(Duration ttl, Instant queuedAt) {
    return ttl == null ? null : queuedAt.plus(ttl);
  }

  private static Instant earliest(Instant a, Instant b) {
    if (a == null) return b;
    if (b == null) return a;
    return a.isBefore(b) ? a : b;
  }

  private static Instant micros(Instant instant) {
    return instant == null ? null : instant.truncatedTo(ChronoUnit.MICROS);
  }
}
