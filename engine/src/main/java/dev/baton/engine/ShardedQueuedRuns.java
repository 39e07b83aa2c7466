package dev.baton.engine;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.AskPattern;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import dev.baton.engine.dispatch.DispatchReply;
import dev.baton.engine.dispatch.QueuedRuns;
import dev.baton.engine.run.RunEntity;
import dev.baton.engine.run.RunState;
import dev.baton.engine.run.RunStatus;
import dev.baton.engine.worker.WorkerChannel;
import java.time.Duration;
import java.util.concurrent.CompletionStage;

/** The dispatchers' way to the runs in a cluster: every run is reached through sharding. */
final class ShardedQueuedRuns implements QueuedRuns {

    private final ActorSystem<?> system;
    private final ClusterSharding sharding;
    private final Duration askTimeout;

    ShardedQueuedRuns(ActorSystem<?> system, Duration askTimeout) {
        this.system = system;
        this.sharding = ClusterSharding.get(system);
        this.askTimeout = askTimeout;
    }

    @Override
    public void offer(
            String runId,
            String sessionId,
            String workerId,
            ActorRef<WorkerChannel.Message> worker,
            String version,
            ActorRef<DispatchReply> replyTo) {
        sharding.entityRefFor(RunEntity.ENTITY_TYPE_KEY, runId)
                .tell(new RunEntity.Dispatch(sessionId, workerId, worker, replyTo, version));
    }

    @Override
    public CompletionStage<Activity> activity(String runId) {
        return AskPattern.<RunEntity.Command, RunState>ask(
                        sharding.entityRefFor(RunEntity.ENTITY_TYPE_KEY, runId),
                        RunEntity.Get::new,
                        askTimeout,
                        system.scheduler())
                .thenApply(state -> state.isRunning()
                        ? Activity.RUNNING
                        : state.status() == RunStatus.QUEUED ? Activity.QUEUED : Activity.ELSEWHERE);
    }

    @Override
    public void wake(String runId) {
        sharding.entityRefFor(RunEntity.ENTITY_TYPE_KEY, runId).tell(new RunEntity.Wake());
    }
}
