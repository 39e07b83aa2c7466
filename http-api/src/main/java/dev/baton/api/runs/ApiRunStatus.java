package dev.baton.api.runs;

import dev.baton.engine.run.RunStatus;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;

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

    /**
     * The engine statuses a {@code filter[status]} value selects: every status shown as that v2 status
     * ({@code EXECUTING} includes runs waiting out a retry backoff), or a v1 name where it maps
     * ({@code WAITING_FOR_DEPLOY}, {@code REATTEMPTING}, {@code FROZEN}; {@code INTERRUPTED} selects none, Baton
     * never interrupts a run). Empty for anything else.
     */
    public static Optional<Set<RunStatus>> engineStatuses(String name) {
        return switch (name) {
            case "WAITING_FOR_DEPLOY" -> engineStatuses(PENDING_VERSION.name());
            case "REATTEMPTING" -> Optional.of(EnumSet.of(RunStatus.RETRYING));
            case "FROZEN" -> engineStatuses(WAITING.name());
            case "INTERRUPTED" -> Optional.of(EnumSet.noneOf(RunStatus.class));
            default ->
                Arrays.stream(values())
                        .filter(status -> status.name().equals(name))
                        .findFirst()
                        .map(ApiRunStatus::engineStatuses);
        };
    }

    private static Set<RunStatus> engineStatuses(ApiRunStatus api) {
        EnumSet<RunStatus> statuses = EnumSet.noneOf(RunStatus.class);
        for (RunStatus status : RunStatus.values()) {
            if (status != RunStatus.NEW && of(status) == api) statuses.add(status);
        }
        return statuses;
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
