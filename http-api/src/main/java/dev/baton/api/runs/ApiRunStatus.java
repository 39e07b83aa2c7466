package dev.baton.api.runs;

import dev.baton.engine.run.RunStatus;

/**
 * Trigger.dev's v2 run status (what SDK v4 accepts), and the boolean helpers its API derives from it.
 * Unlike Trigger.dev, EXPIRED and TIMED_OUT count as completed and failed: they are final, and
 * {@code runs.poll} would otherwise wait for them forever.
 */
public enum ApiRunStatus {
  PENDING_VERSION,
  DELAYED,
  QUEUED,
  DEQUEUED,
  EXECUTING,
  WAITING,
  COMPLETED,
  CANCELED,
  FAILED,
  CRASHED,
  SYSTEM_FAILURE,
  EXPIRED,
  TIMED_OUT;

  /**
   * The API status of an engine status. {@link RunStatus#NEW} means "no such run" and is never
   * shown; {@link RunStatus#RETRYING} (backoff between attempts) shows as EXECUTING.
   */
  public static ApiRunStatus of(RunStatus status) {
    return switch (status) {
      case NEW -> throw new IllegalArgumentException("a run in status NEW does not exist and has no API status");
      case PENDING_VERSION -> PENDING_VERSION;
      case DELAYED -> DELAYED;
      case QUEUED -> QUEUED;
      case DEQUEUED -> DEQUEUED;
      case EXECUTING, RETRYING -> EXECUTING;
      case WAITING -> WAITING;
      case COMPLETED -> COMPLETED;
      case FAILED -> FAILED;
      case CRASHED -> CRASHED;
      case SYSTEM_FAILURE -> SYSTEM_FAILURE;
      case CANCELED -> CANCELED;
      case EXPIRED -> EXPIRED;
      case TIMED_OUT -> TIMED_OUT;
    };
  }

  public boolean isQueued() {
    return this == QUEUED || this == DELAYED || this == PENDING_VERSION;
  }

  public boolean isExecuting() {
    return this == EXECUTING || this == DEQUEUED;
  }

  public boolean isWaiting() {
    return this == WAITING;
  }

  public boolean isCompleted() {
    return switch (this) {
      case COMPLETED, CANCELED, FAILED, CRASHED, SYSTEM_FAILURE, EXPIRED, TIMED_OUT -> true;
      default -> false;
    };
  }

  public boolean isSuccess() {
    return this == COMPLETED;
  }

  public boolean isFailed() {
    return isCompleted() && this != COMPLETED;
  }

  public boolean isCancelled() {
    return this == CANCELED;
  }
}
