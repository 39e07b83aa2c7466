package dev.baton.sdk.task;

/**
 * An error as Baton reports it to a waiting task: a child run's failure, or why a waitpoint token
 * did not complete.
 *
 * @param name       the error's name or code, e.g. the exception's class name, {@code TRIGGER_WAITPOINT_TIMEOUT};
 *                   may be null
 * @param message    what went wrong
 * @param stackTrace the failing code's stack trace, or null
 */
public record TaskError(String name, String message, String stackTrace) {}
