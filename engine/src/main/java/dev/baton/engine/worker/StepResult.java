package dev.baton.engine.worker;

import dev.baton.engine.common.CborSerializable;

/**
 * The memoized result of one durable operation of a run (a step, a wait, a child run, a token),
 * kept in the run's journal and handed to every later attempt.
 *
 * @param outputJson the operation's result as JSON text (null for none); for a wait on runs, an array
 *     of {@code {ok, id, output|error}}
 * @param error the operation's error, or null when it succeeded
 */
public record StepResult(String outputJson, RunError error) implements CborSerializable {

    public static StepResult success(String outputJson) {
        return new StepResult(outputJson, null);
    }

    public static StepResult failure(RunError error) {
        return new StepResult(null, error);
    }

    public boolean ok() {
        return error == null;
    }
}
