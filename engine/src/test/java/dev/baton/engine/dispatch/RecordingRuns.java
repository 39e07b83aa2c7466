package dev.baton.engine.dispatch;

import akka.actor.typed.ActorRef;
import dev.baton.engine.worker.WorkerChannel;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * Runs for a dispatcher under test: every offer is taken and recorded, but for those of runs {@link #gone}, and so is
 * every wake.
 */
final class RecordingRuns implements QueuedRuns {

    /** The offers the dispatcher made and the runs took: "runId → sessionId (version)". */
    final LinkedBlockingQueue<String> offers = new LinkedBlockingQueue<>();
    /** Runs that answer an offer as no longer queued (canceled, say). */
    final Set<String> gone = ConcurrentHashMap.newKeySet();

    final LinkedBlockingQueue<String> woken = new LinkedBlockingQueue<>();
    /** What each run says it is doing when asked; RUNNING unless set. */
    final Map<String, Activity> activities = new ConcurrentHashMap<>();

    @Override
    public void offer(
            String runId,
            String sessionId,
            String workerId,
            ActorRef<WorkerChannel.Message> worker,
            String version,
            ActorRef<DispatchReply> replyTo) {
        boolean accepted = !gone.contains(runId);
        if (accepted) offers.add(runId + " → " + sessionId + " (" + version + ")");
        replyTo.tell(new DispatchReply(runId, sessionId, accepted));
    }

    @Override
    public CompletionStage<Activity> activity(String runId) {
        return CompletableFuture.completedFuture(activities.getOrDefault(runId, Activity.RUNNING));
    }

    @Override
    public void wake(String runId) {
        woken.add(runId);
    }
}
