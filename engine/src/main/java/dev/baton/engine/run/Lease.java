package dev.baton.engine.run;

import akka.actor.typed.ActorRef;
import dev.baton.engine.run.RunState.Attempt;
import dev.baton.engine.trace.TraceContext;
import dev.baton.engine.worker.WorkerChannel;
import java.time.Instant;

/**
 * The attempt a worker holds now, and its session (to tell it about a cancel or a timeout). Not journaled: an
 * attempt is written once, with its outcome ({@link RunEntity.RunSucceeded}, {@link RunEntity.AttemptFailed},
 * {@link RunEntity.RunSuspended}, {@link RunEntity.RunCanceled}), like Temporal writes ActivityTaskStarted lazily,
 * so executing a run costs one event. A node that crashes loses only the lease: the run recovers QUEUED and a later
 * attempt runs it (at-least-once, as after any crash mid-attempt), and the lost attempt's messages are fenced
 * because its id is unknown. A run stopped gracefully (its shard moves, or it is passivated) journals the lease
 * first ({@link RunEntity.HandOff}) and recovers holding it, with no session.
 *
 * @param worker the session holding the attempt; null for an attempt recovered from the journal
 */
record Lease(Attempt attempt, ActorRef<WorkerChannel.Message> worker) {

    boolean holds(String attemptId) {
        return attempt.id().equals(attemptId);
    }

    Lease started(Instant at) {
        return attempt.startedAt() == null ? new Lease(attempt.started(at), worker) : this;
    }

    /** What the worker is told to run. */
    WorkerChannel.Execute execute(RunState state) {
        RunSpec spec = state.spec();
        return new WorkerChannel.Execute(
                state.runId(),
                attempt.id(),
                attempt.number(),
                spec.taskId(),
                spec.queue(),
                spec.environmentId(),
                spec.payloadJson(),
                spec.payloadType(),
                state.tags(),
                state.metadataJson(),
                spec.idempotencyKey(),
                spec.retry().maxAttempts(),
                state.createdAt(),
                spec.test(),
                spec.maxDurationSeconds(),
                state.steps(),
                // The handler's spans (and the child runs it starts) hang under this attempt's span.
                spec.traceContext(state.runId()).traceparent(TraceContext.attemptSpanId(attempt.id())));
    }

    /** The run was canceled or timed out: the worker stops, and its slot is free. */
    void stopWorker(String reason, String runId) {
        if (worker != null) worker.tell(new WorkerChannel.CancelAttempt(runId, attempt.id(), reason));
    }
}
