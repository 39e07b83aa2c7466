package dev.baton.sdk.task;

/**
 * The code of a task. It runs on a worker thread; it may block, and it should stop promptly when
 * that thread is interrupted (the worker interrupts an attempt whose run was canceled or exceeded
 * its maxDuration, one the server no longer considers current, and every handler when it is
 * killed); {@link TaskContext#isCancelled()} then says so.
 *
 * <p>Returning completes the attempt with the returned value serialized as JSON ({@code null} is
 * fine). Throwing fails the attempt; the server retries it per the task's {@link RetryPolicy}.
 * An attempt may run more than once (see the worker protocol), so handlers should be idempotent.
 *
 * @param <P> the payload type the run's JSON payload is decoded into
 * @param <R> the output type
 */
@FunctionalInterface
public interface TaskHandler<P, R> {

    R run(P payload, TaskContext ctx) throws Exception;
}
