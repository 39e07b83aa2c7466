package dev.baton.engine.schedule;

import akka.Done;
import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import akka.japi.function.Function;
import akka.pattern.StatusReply;
import dev.baton.engine.common.Failures;
import dev.baton.engine.common.Ids;
import dev.baton.engine.run.RunLineage;
import dev.baton.engine.run.RunService;
import dev.baton.engine.run.TriggerRequest;
import dev.baton.engine.task.TaskCatalog;
import dev.baton.engine.task.TaskDefinition;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.regex.Pattern;

/**
 * The engine's API for schedules (Trigger.dev's {@code schedules.*}), used by the HTTP API. Reads and
 * writes go to the schedule's entity, so they are consistent; listing reads the schedule index (a
 * projection) instead. A schedule of another environment is as absent as an unknown id.
 */
public final class ScheduleService {

    private static final Pattern SCHEDULE_ID = Pattern.compile("sched_[0-9a-z]{1,64}");

    /** A request the engine refuses as unprocessable (422): the task is unknown, or the schedule is declarative. */
    public static final class InvalidScheduleException extends RuntimeException {
        public InvalidScheduleException(String message) {
            super(message, null, false, false);
        }
    }

    private final ClusterSharding sharding;
    private final Duration askTimeout;

    public ScheduleService(ActorSystem<?> system, Duration askTimeout) {
        this.sharding = ClusterSharding.get(system);
        this.askTimeout = askTimeout;
    }

    /** Starts the schedule entities and their deduplication-key index on this node; they fire through {@code firer}. */
    public static void init(ActorSystem<?> system, java.time.Clock clock, Duration fireRetry, ScheduleFirer firer) {
        ScheduleEntity.init(system, clock, fireRetry, firer);
        ScheduleKeyEntity.init(system);
        DeclaredSchedulesEntity.init(system);
    }

    /**
     * Fires through {@link RunService#trigger}: a request key (the first answer, whatever the run became) and an
     * idempotency key, both derived from the occurrence, make a fire repeated after a crash reach the same run.
     */
    public static ScheduleFirer firer(RunService runs) {
        return occurrence -> runs.trigger(
                        occurrence.environmentId(),
                        TriggerRequest.builder(occurrence.taskId())
                                .payload(occurrence.payloadJson(), "application/json")
                                .idempotencyKey(occurrence.key(), null)
                                .build(),
                        occurrence.key(),
                        RunLineage.ofSchedule(occurrence.scheduleId()))
                .thenApply(triggered -> triggered.run().runId());
    }

    /**
     * Creates the schedule, or updates the one its deduplication key already names (Trigger.dev's upsert).
     * Fails with {@link InvalidScheduleException} when the environment has no such task.
     */
    public CompletionStage<ScheduleState> upsert(String environmentId, ScheduleSpec spec) {
        spec.validated();
        return requireTask(environmentId, spec.taskId()).thenCompose(known -> {
            if (spec.deduplicationKey() == null) return upsertInto(Ids.newId("sched"), environmentId, spec);
            return claim(environmentId, spec.deduplicationKey(), Ids.newId("sched"), null)
                    .thenCompose(claimed -> upsertInto(claimed.scheduleId(), environmentId, spec)
                            .handle((state, failure) -> {
                                if (failure == null) return CompletableFuture.completedFuture(state);
                                if (!isNotFound(failure)) return CompletableFuture.<ScheduleState>failedFuture(failure);
                                // The key still names a deleted schedule: it now stands for a new one.
                                return claim(
                                                environmentId,
                                                spec.deduplicationKey(),
                                                Ids.newId("sched"),
                                                claimed.scheduleId())
                                        .thenCompose(taken -> upsertInto(taken.scheduleId(), environmentId, spec));
                            })
                            .thenCompose(stage -> stage));
        });
    }

    public CompletionStage<Optional<ScheduleState>> get(String environmentId, String scheduleId) {
        if (!looksLikeScheduleId(scheduleId)) return CompletableFuture.completedFuture(Optional.empty());
        return sharding.entityRefFor(ScheduleEntity.ENTITY_TYPE_KEY, scheduleId)
                .<ScheduleState>ask(ScheduleEntity.Get::new, askTimeout)
                .thenApply(state -> state.belongsTo(environmentId) ? Optional.of(state) : Optional.empty());
    }

    /** Replaces the definition (Trigger.dev's update is a full replace); the deduplication key stays. */
    public CompletionStage<Optional<ScheduleState>> update(String environmentId, String scheduleId, ScheduleSpec spec) {
        spec.validated();
        if (!looksLikeScheduleId(scheduleId)) return CompletableFuture.completedFuture(Optional.empty());
        return requireTask(environmentId, spec.taskId())
                .thenCompose(
                        known -> ask(scheduleId, replyTo -> new ScheduleEntity.Update(environmentId, spec, replyTo)));
    }

    public CompletionStage<Optional<ScheduleState>> setActive(String environmentId, String scheduleId, boolean active) {
        return ask(scheduleId, replyTo -> new ScheduleEntity.SetActive(environmentId, active, replyTo));
    }

    /** Deletes the schedule; its deduplication key then creates a new one. */
    public CompletionStage<Optional<ScheduleState>> delete(String environmentId, String scheduleId) {
        return ask(scheduleId, replyTo -> new ScheduleEntity.Delete(environmentId, replyTo));
    }

    /**
     * Brings the environment's declarative schedules to a task manifest's: {@code specs} by task id (each of type
     * {@link ScheduleSpec#DECLARATIVE}). A task keeps its schedule across manifests, updated when its cron, timezone
     * or window changed and untouched otherwise; the schedule of a task the manifest no longer schedules is deleted,
     * as Trigger.dev does. Completes once every change is persisted; a failure leaves the rest to the next manifest
     * (each step is idempotent).
     */
    public CompletionStage<Done> declare(String environmentId, Map<String, ScheduleSpec> specs) {
        specs.values().forEach(spec -> {
            spec.validated();
            if (!spec.declarative()) throw new IllegalArgumentException("a manifest declares declarative schedules");
        });
        return sharding.entityRefFor(DeclaredSchedulesEntity.ENTITY_TYPE_KEY, environmentId)
                .<DeclaredSchedulesEntity.Assignment>ask(
                        replyTo -> new DeclaredSchedulesEntity.Assign(Set.copyOf(specs.keySet()), replyTo), askTimeout)
                .thenCompose(assignment -> {
                    List<CompletableFuture<?>> changes = new ArrayList<>();
                    assignment
                            .declared()
                            .forEach((taskId, scheduleId) ->
                                    changes.add(sharding.entityRefFor(ScheduleEntity.ENTITY_TYPE_KEY, scheduleId)
                                            .<StatusReply<ScheduleState>>ask(
                                                    replyTo -> new ScheduleEntity.Declare(
                                                            environmentId, specs.get(taskId), replyTo),
                                                    askTimeout)
                                            .thenApply(reply -> {
                                                if (reply.isError())
                                                    throw new IllegalStateException("declarative schedule " + scheduleId
                                                            + " of task " + taskId + ": "
                                                            + reply.getError().getMessage());
                                                return reply;
                                            })
                                            .toCompletableFuture()));
                    // Deleting one already deleted (a retry) answers not found: done all the same.
                    assignment
                            .dropped()
                            .forEach((taskId, scheduleId) -> changes.add(sharding.entityRefFor(
                                            ScheduleEntity.ENTITY_TYPE_KEY, scheduleId)
                                    .<StatusReply<ScheduleState>>ask(
                                            replyTo -> new ScheduleEntity.Undeclare(environmentId, replyTo), askTimeout)
                                    .toCompletableFuture()));
                    return CompletableFuture.allOf(changes.toArray(CompletableFuture[]::new))
                            .thenCompose(done -> assignment.dropped().isEmpty()
                                    ? CompletableFuture.completedFuture(Done.getInstance())
                                    : sharding.entityRefFor(DeclaredSchedulesEntity.ENTITY_TYPE_KEY, environmentId)
                                            .<Done>ask(
                                                    replyTo -> new DeclaredSchedulesEntity.Forget(
                                                            assignment.dropped(), replyTo),
                                                    askTimeout));
                });
    }

    /** The environment's declarative schedule ids, by task id. */
    public CompletionStage<Map<String, String>> declared(String environmentId) {
        return sharding.entityRefFor(DeclaredSchedulesEntity.ENTITY_TYPE_KEY, environmentId)
                .<DeclaredSchedulesEntity.State>ask(DeclaredSchedulesEntity.Get::new, askTimeout)
                .thenApply(DeclaredSchedulesEntity.State::scheduleIdsByTask);
    }

    private CompletionStage<ScheduleState> upsertInto(String scheduleId, String environmentId, ScheduleSpec spec) {
        return sharding.entityRefFor(ScheduleEntity.ENTITY_TYPE_KEY, scheduleId)
                .<StatusReply<ScheduleState>>ask(
                        replyTo -> new ScheduleEntity.Upsert(environmentId, spec, replyTo), askTimeout)
                .thenApply(reply -> {
                    if (reply.isError()) throw refusalOrNotFound(reply);
                    return reply.getValue();
                });
    }

    private CompletionStage<Optional<ScheduleState>> ask(
            String scheduleId, Function<ActorRef<StatusReply<ScheduleState>>, ScheduleEntity.Command> command) {
        if (!looksLikeScheduleId(scheduleId)) return CompletableFuture.completedFuture(Optional.empty());
        return sharding.entityRefFor(ScheduleEntity.ENTITY_TYPE_KEY, scheduleId)
                .ask(command, askTimeout)
                .thenApply(reply -> {
                    if (!reply.isError()) return Optional.of(reply.getValue());
                    RuntimeException failure = refusalOrNotFound(reply);
                    if (failure instanceof NotFound) return Optional.empty();
                    throw failure;
                });
    }

    /** The entity answers an error for an absent schedule, or refuses an API change to a declarative one. */
    private static RuntimeException refusalOrNotFound(StatusReply<ScheduleState> reply) {
        String message = reply.getError().getMessage();
        return ScheduleEntity.NOT_FOUND.equals(message) ? new NotFound() : new InvalidScheduleException(message);
    }

    private CompletionStage<ScheduleKeyEntity.Claimed> claim(
            String environmentId, String key, String candidate, String replacing) {
        return sharding.entityRefFor(ScheduleKeyEntity.ENTITY_TYPE_KEY, ScheduleKeyEntity.entityId(environmentId, key))
                .ask(replyTo -> new ScheduleKeyEntity.Claim(candidate, replacing, replyTo), askTimeout);
    }

    private CompletionStage<TaskDefinition> requireTask(String environmentId, String taskId) {
        return sharding.entityRefFor(TaskCatalog.ENTITY_TYPE_KEY, environmentId)
                .<StatusReply<TaskDefinition>>ask(replyTo -> new TaskCatalog.GetTask(taskId, replyTo), askTimeout)
                .thenApply(found -> {
                    if (found.isError()) {
                        throw new InvalidScheduleException("Task with identifier " + taskId + " not found in project.");
                    }
                    return found.getValue();
                });
    }

    private static boolean isNotFound(Throwable failure) {
        return Failures.cause(failure) instanceof NotFound;
    }

    /** Ids come from outside; anything that cannot be a schedule id must not start an entity. */
    public static boolean looksLikeScheduleId(String scheduleId) {
        return scheduleId != null && SCHEDULE_ID.matcher(scheduleId).matches();
    }

    private static final class NotFound extends RuntimeException {
        NotFound() {
            super(ScheduleEntity.NOT_FOUND, null, false, false);
        }
    }
}
