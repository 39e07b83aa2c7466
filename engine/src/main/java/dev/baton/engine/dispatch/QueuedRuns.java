package dev.baton.engine.dispatch;

import akka.actor.typed.ActorRef;
import dev.baton.engine.worker.WorkerChannel;
import java.util.concurrent.CompletionStage;

/**
 * How a dispatcher reaches the runs it queues without knowing what a run is: it offers a run to a worker session,
 * checks on a run it has counted as running for a while, and wakes a run whose enqueue it lost. The engine
 * implements it with the run entities; the runs reach the dispatcher with its own commands.
 */
public interface QueuedRuns {

    /**
     * Offers the run to a worker session with a free slot, of version {@code version}; the run answers {@code replyTo}
     * whether it took it.
     */
    void offer(
            String runId,
            String sessionId,
            String workerId,
            ActorRef<WorkerChannel.Message> worker,
            String version,
            ActorRef<DispatchReply> replyTo);

    /** What the run says it is doing; fails when it does not answer in time. */
    CompletionStage<Activity> activity(String runId);

    /** Asks the run to enqueue or re-register itself (see {@link EnvironmentDispatcher.Enqueue}). */
    void wake(String runId);

    enum Activity {
        /** A worker holds it: it occupies a slot. */
        RUNNING,
        /** It waits in its queue, so it holds no slot. */
        QUEUED,
        /** Anything else (delayed, waiting, retrying, finished): it holds no slot and is not queued. */
        ELSEWHERE
    }
}
