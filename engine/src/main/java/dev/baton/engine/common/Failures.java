package dev.baton.engine.common;

import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/** What actually failed: futures wrap a stage's exception in {@link CompletionException} as it passes along. */
public final class Failures {

    private Failures() {}

    public static Throwable cause(Throwable thrown) {
        Throwable current = thrown;
        while ((current instanceof CompletionException || current instanceof ExecutionException)
                && current.getCause() != null) {
            current = current.getCause();
        }
        return current;
    }
}
