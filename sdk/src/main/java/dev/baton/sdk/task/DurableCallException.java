package dev.baton.sdk.task;

/**
 * A durable call (recording a step's result, suspending the run for a wait) did not go through.
 * The attempt itself goes on; when the handler lets this propagate, the attempt fails and is
 * retried per the task's policy, and the retry returns whatever the server did record. An attempt
 * that is over throws {@link TaskCancelledException} instead.
 */
public class DurableCallException extends RuntimeException {

    public enum Kind {
        /** The server refused the wait ({@code suspendRejected}): invalid, or its key already has a result. */
        REJECTED,
        /** No answer within the worker's durable-call timeout; the call may or may not have been applied. */
        TIMED_OUT,
        /** The handler's thread was interrupted while waiting; the call may or may not have been applied. */
        INTERRUPTED
    }

    private final Kind kind;
    private final String key;

    public DurableCallException(Kind kind, String key, String message) {
        super(message);
        this.kind = kind;
        this.key = key;
    }

    public Kind kind() {
        return kind;
    }

    /** The durable key of the call, e.g. {@code charge} or {@code wait#1}. */
    public String key() {
        return key;
    }
}
