package dev.baton.gateway.session;

import akka.Done;
import dev.baton.engine.run.RunError;
import dev.baton.engine.run.RunService;
import java.util.concurrent.CompletionStage;

/** One worker message about an attempt, as the engine call it turns into. */
sealed interface AttemptCall {

  CompletionStage<Done> send(RunService runs, String runId, String attemptId);

  /** True for the worker's answer to an execution ({@code completed} / {@code failed}). */
  default boolean finishesAttempt() {
    return false;
  }

  record Start() implements AttemptCall {
    @Override
    public CompletionStage<Done> send(RunService runs, String runId, String attemptId) {
      return runs.startAttempt(runId, attemptId);
    }
  }

  record Beat() implements AttemptCall {
    @Override
    public CompletionStage<Done> send(RunService runs, String runId, String attemptId) {
      return runs.heartbeat(runId, attemptId);
    }
  }

  record Complete(String outputJson) implements AttemptCall {
    @Override
    public CompletionStage<Done> send(RunService runs, String runId, String attemptId) {
      return runs.complete(runId, attemptId, outputJson);
    }

    @Override
    public boolean finishesAttempt() {
      return true;
    }
  }

  record Fail(RunError error, boolean retryable) implements AttemptCall {
    @Override
    public CompletionStage<Done> send(RunService runs, String runId, String attemptId) {
      return runs.fail(runId, attemptId, error, retryable);
    }

    @Override
    public boolean finishesAttempt() {
      return true;
    }
  }
}
