package dev.baton.sdk.task;

import java.util.concurrent.CancellationException;

/**
 * The attempt is over for this worker: the server canceled the run (or it exceeded its
 * maxDuration), fenced the attempt, or the worker lost its connection or is stopping. Thrown by
 * {@link TaskContext#throwIfCancelled()} and by metadata updates of such an attempt. Handlers may
 * let it propagate: nothing more is sent about the attempt, whatever the handler does.
 */
public class TaskCancelledException extends CancellationException {

    private final String reason;

    public TaskCancelledException(String reason) {
        super("attempt cancelled: " + reason);
        this.reason = reason;
    }

    /** Why, e.g. {@code run canceled}, {@code maxDuration exceeded}, {@code stale attempt}, {@code connection lost}. */
    public String reason() {
        return reason;
    }
}
