package dev.baton.sdk.worker;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.FutureTask;

/** An execution received from the gateway, queued or running on a handler thread. */
final class RunningAttempt {

    private final String attemptId;
    private volatile FutureTask<Void> execution;
    private volatile boolean started;
    private volatile boolean interrupted;

    RunningAttempt(String attemptId) {
        this.attemptId = attemptId;
    }

    String attemptId() {
        return attemptId;
    }

    void submit(Runnable work, ExecutorService executor) {
        FutureTask<Void> task = new FutureTask<>(work, null);
        execution = task;
        if (interrupted) { // fenced between being received and being submitted
            task.cancel(true);
        }
        executor.execute(task);
    }

    /** The handler is running, so heartbeats must keep its lease alive. */
    void markStarted() {
        started = true;
    }

    boolean hasStarted() {
        return started;
    }

    /** Stops the handler: a queued one never starts, a running one gets its thread interrupted. */
    void interrupt() {
        interrupted = true;
        FutureTask<Void> task = execution;
        if (task != null) {
            task.cancel(true);
        }
    }
}
