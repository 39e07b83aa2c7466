package dev.baton.gateway.session;

import dev.baton.engine.run.MetadataOperation;
import dev.baton.engine.run.RunRejectedException;
import dev.baton.engine.run.RunService;
import dev.baton.engine.run.Wait;
import dev.baton.engine.worker.RunError;
import dev.baton.engine.worker.StepResult;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** One worker message about an attempt, as the engine call it turns into. */
public sealed interface AttemptCall {

    /** Sends the call; the stage completes with the engine's answer ({@code Done}, or a {@code RunState}). */
    CompletionStage<?> send(RunService runs, String runId, String attemptId);

    /**
     * How a session sends its calls: {@link #DIRECT} on every node. A test passes one that loses a call on the way, as
     * a run's shard moving between nodes can (see WorkerGateway's package-private constructor).
     */
    @FunctionalInterface
    interface Sender {
        Sender DIRECT = (runs, runId, attemptId, call) -> call.send(runs, runId, attemptId);

        CompletionStage<?> send(RunService runs, String runId, String attemptId, AttemptCall call);
    }

    /** True for the worker's answer to an execution ({@code completed} / {@code failed}). */
    default boolean finishesAttempt() {
        return false;
    }

    /**
     * True for {@code started} and {@code heartbeat}: they only keep the attempt's lease, and the worker hears nothing
     * back, so the next call need not wait long for their answer.
     */
    default boolean keepsLease() {
        return false;
    }

    /** @param runningFor how long the handler had run when the worker said so; null when it did not say */
    record Start(Duration runningFor) implements AttemptCall {
        @Override
        public CompletionStage<?> send(RunService runs, String runId, String attemptId) {
            return runs.startAttempt(runId, attemptId, runningFor);
        }

        @Override
        public boolean keepsLease() {
            return true;
        }
    }

    record Beat() implements AttemptCall {
        @Override
        public CompletionStage<?> send(RunService runs, String runId, String attemptId) {
            return runs.heartbeat(runId, attemptId);
        }

        @Override
        public boolean keepsLease() {
            return true;
        }
    }

    record Complete(String outputJson, Duration ranFor) implements AttemptCall {
        @Override
        public CompletionStage<?> send(RunService runs, String runId, String attemptId) {
            return runs.complete(runId, attemptId, outputJson, ranFor);
        }

        @Override
        public boolean finishesAttempt() {
            return true;
        }
    }

    record Fail(RunError error, boolean retryable, Duration ranFor) implements AttemptCall {
        @Override
        public CompletionStage<?> send(RunService runs, String runId, String attemptId) {
            return runs.fail(runId, attemptId, error, retryable, ranFor);
        }

        @Override
        public boolean finishesAttempt() {
            return true;
        }
    }

    /**
     * A {@code metadata} message. One whose operations did not validate ({@code invalidReason} set)
     * still waits its turn, so the worker gets the answers to one attempt's metadata messages in the
     * order it sent them; it fails without reaching the engine.
     */
    record UpdateMetadata(String requestId, List<MetadataOperation> operations, String invalidReason)
            implements AttemptCall {
        @Override
        public CompletionStage<?> send(RunService runs, String runId, String attemptId) {
            if (invalidReason != null) {
                return CompletableFuture.failedFuture(
                        new RunRejectedException(RunRejectedException.Reason.INVALID, invalidReason));
            }
            return runs.updateMetadataFromAttempt(runId, attemptId, operations);
        }
    }

    /** A {@code step}: its result is memoized under {@code key}. */
    record RecordStep(String key, StepResult result) implements AttemptCall {
        @Override
        public CompletionStage<?> send(RunService runs, String runId, String attemptId) {
            return runs.completeStep(runId, attemptId, key, result);
        }
    }

    /**
     * A {@code suspend}. One that did not validate ({@code invalidReason} set, {@code waitFor} null) waits
     * its turn like {@link UpdateMetadata} and fails without reaching the engine.
     */
    record Suspend(String key, Wait waitFor, String invalidReason) implements AttemptCall {
        @Override
        public CompletionStage<?> send(RunService runs, String runId, String attemptId) {
            if (invalidReason != null) {
                return CompletableFuture.failedFuture(
                        new RunRejectedException(RunRejectedException.Reason.INVALID, invalidReason));
            }
            return runs.suspend(runId, attemptId, waitFor);
        }
    }
}
