package dev.baton.sdk.task;

/**
 * The task's code and its run's journal disagree: a durable call found a memoized result that a
 * different kind of call (or a different number of child runs) recorded under its key. It happens
 * when the code changed between executions of one run, or when it does not make its durable calls
 * in the same order each time (see {@link TaskContext}). Running the same code again fails the same
 * way, so the worker fails the attempt without retry.
 */
public class NonDeterminismException extends RuntimeException {

    private final String key;

    public NonDeterminismException(String key, String message) {
        super("non-deterministic task code at durable key '" + key + "': " + message);
        this.key = key;
    }

    /** The key whose memoized result did not fit, e.g. {@code charge}, {@code wait#2}, {@code runs#1}. */
    public String key() {
        return key;
    }
}
