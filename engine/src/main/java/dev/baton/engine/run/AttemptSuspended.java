package dev.baton.engine.run;

import dev.baton.engine.worker.WorkerChannel;

/**
 * Sent to the worker session holding an attempt when the attempt suspended: the run waits for {@code waitFor} and the
 * attempt's slot is free. Sent for every suspend, including one asked for by someone other than the worker (a
 * trigger.dev task's {@code triggerAndWait} arrives as an API trigger naming its parent run), so a session that keeps
 * the task's process alive while it waits knows. The run's next lease continues the same attempt number. It lives
 * here rather than in {@link WorkerChannel} because it carries a {@link Wait}, and the worker port must not depend
 * on the run package.
 */
public record AttemptSuspended(String runId, String attemptId, Wait waitFor) implements WorkerChannel.Message {}
