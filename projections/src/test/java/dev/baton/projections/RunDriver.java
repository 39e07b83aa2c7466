package dev.baton.projections;

import akka.Done;
import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import akka.cluster.sharding.typed.javadsl.EntityRef;
import akka.pattern.StatusReply;
import dev.baton.engine.dispatch.DispatchReply;
import dev.baton.engine.run.RunEntity;
import dev.baton.engine.run.RunSpec;
import dev.baton.engine.run.RunState;
import dev.baton.engine.run.Wait;
import dev.baton.engine.task.RetryPolicy;
import dev.baton.engine.worker.RunError;
import dev.baton.engine.worker.WorkerChannel;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/** Drives real run entities through their lifecycle, as the API and the gateway would. */
public final class RunDriver {

    private static final Duration TIMEOUT = Duration.ofSeconds(15);

    private final ClusterSharding sharding;

    public RunDriver(ActorSystem<?> system) {
        this.sharding = ClusterSharding.get(system);
    }

    public static RunSpec spec(
            String environmentId, RetryPolicy retry, Instant delayUntil, Duration ttl, Integer maxDurationSeconds) {
        return new RunSpec(
                environmentId,
                "task-a",
                "task/task-a",
                "{}",
                "application/json",
                List.of(),
                null,
                null,
                retry,
                maxDurationSeconds,
                false,
                null,
                0,
                delayUntil,
                ttl,
                null);
    }

    public static RunSpec spec(String environmentId) {
        return spec(environmentId, RetryPolicy.DEFAULT, null, null, null);
    }

    private EntityRef<RunEntity.Command> run(String runId) {
        return sharding.entityRefFor(RunEntity.ENTITY_TYPE_KEY, runId);
    }

    private static <T> T await(CompletionStage<T> stage) {
        try {
            return stage.toCompletableFuture().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static <T> T value(StatusReply<T> reply) {
        if (reply.isError()) throw new IllegalStateException(reply.getError().getMessage());
        return reply.getValue();
    }

    public RunState trigger(String runId, RunSpec spec) {
        return value(
                await(run(runId).<StatusReply<RunState>>ask(reply -> new RunEntity.Trigger(spec, reply), TIMEOUT)));
    }

    public RunState get(String runId) {
        return await(run(runId).ask(RunEntity.Get::new, TIMEOUT));
    }

    /** Leases the queued run to {@code worker}; returns the attempt id. */
    public String lease(String runId, ActorRef<WorkerChannel.Message> worker) {
        DispatchReply reply = await(run(runId)
                .<DispatchReply>ask(replyTo -> new RunEntity.Dispatch("ws_test", "w_test", worker, replyTo), TIMEOUT));
        if (!reply.accepted()) throw new IllegalStateException("run " + runId + " refused the lease");
        return get(runId).currentAttempt().id();
    }

    public void start(String runId, String attemptId) {
        value(await(run(runId)
                .<StatusReply<Done>>ask(reply -> new RunEntity.StartAttempt(attemptId, null, reply), TIMEOUT)));
    }

    public void complete(String runId, String attemptId) {
        value(await(run(runId)
                .<StatusReply<Done>>ask(
                        reply -> new RunEntity.CompleteAttempt(attemptId, "{\"ok\":true}", null, reply), TIMEOUT)));
    }

    public void fail(String runId, String attemptId) {
        value(await(run(runId)
                .<StatusReply<Done>>ask(
                        reply -> new RunEntity.FailAttempt(
                                attemptId, new RunError("Error", "boom", null), true, null, reply),
                        TIMEOUT)));
    }

    /** The attempt suspends the run until {@code wait} is over, as a worker's durable wait does. */
    public void suspend(String runId, String attemptId, Wait wait) {
        value(await(
                run(runId).<StatusReply<Done>>ask(reply -> new RunEntity.Suspend(attemptId, wait, reply), TIMEOUT)));
    }

    public RunState cancel(String runId) {
        return value(await(run(runId).<StatusReply<RunState>>ask(RunEntity.Cancel::new, TIMEOUT)));
    }

    public RunState reschedule(String runId, Instant delayUntil) {
        return value(await(
                run(runId).<StatusReply<RunState>>ask(reply -> new RunEntity.Reschedule(delayUntil, reply), TIMEOUT)));
    }

    public RunState addTags(String runId, List<String> tags) {
        return value(
                await(run(runId).<StatusReply<RunState>>ask(reply -> new RunEntity.AddTags(tags, reply), TIMEOUT)));
    }
}
