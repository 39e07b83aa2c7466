package dev.baton.engine.schedule;

import akka.Done;
import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import akka.cluster.sharding.typed.javadsl.Entity;
import akka.cluster.sharding.typed.javadsl.EntityTypeKey;
import akka.persistence.typed.PersistenceId;
import akka.persistence.typed.javadsl.CommandHandlerWithReply;
import akka.persistence.typed.javadsl.EventHandler;
import akka.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import akka.persistence.typed.javadsl.ReplyEffect;
import dev.baton.engine.common.CborSerializable;
import dev.baton.engine.common.Ids;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * An environment's declarative schedules: which schedule each task's {@code schedules.task} is, one per task and
 * environment as in Trigger.dev. Every task manifest of the environment meets here, so registering the same manifest
 * again finds the same schedules, and a manifest that drops a task's schedule learns which one to delete.
 */
public final class DeclaredSchedulesEntity
        extends EventSourcedBehaviorWithEnforcedReplies<
                DeclaredSchedulesEntity.Command, DeclaredSchedulesEntity.Event, DeclaredSchedulesEntity.State> {

    public static final EntityTypeKey<Command> ENTITY_TYPE_KEY =
            EntityTypeKey.create(Command.class, "DeclaredSchedules");

    public sealed interface Command extends CborSerializable {}

    /** A manifest declares schedules for {@code taskIds}: name each one's schedule, new ids for new ones. */
    public record Assign(Set<String> taskIds, ActorRef<Assignment> replyTo) implements Command {}

    /**
     * @param declared the schedule of each task in the manifest, by task id
     * @param dropped the schedules of tasks the manifest no longer schedules, by task id: to delete, then forget
     */
    public record Assignment(Map<String, String> declared, Map<String, String> dropped) implements CborSerializable {}

    /** The dropped schedules are deleted: forget them (a task declared again later gets a new schedule). */
    public record Forget(Map<String, String> dropped, ActorRef<Done> replyTo) implements Command {}

    public record Get(ActorRef<State> replyTo) implements Command {}

    public sealed interface Event extends CborSerializable {}

    public record SchedulesAssigned(Map<String, String> scheduleIdsByTask) implements Event {}

    public record SchedulesForgotten(Set<String> taskIds) implements Event {}

    /** The schedule id of every task that declares one. */
    public record State(Map<String, String> scheduleIdsByTask) implements CborSerializable {}

    public static void init(ActorSystem<?> system) {
        ClusterSharding.get(system)
                .init(Entity.of(ENTITY_TYPE_KEY, context -> new DeclaredSchedulesEntity(context.getEntityId())));
    }

    private DeclaredSchedulesEntity(String environmentId) {
        super(PersistenceId.of(ENTITY_TYPE_KEY.name(), environmentId));
    }

    @Override
    public State emptyState() {
        return new State(Map.of());
    }

    @Override
    public CommandHandlerWithReply<Command, Event, State> commandHandler() {
        return newCommandHandlerWithReplyBuilder()
                .forAnyState()
                .onCommand(Assign.class, this::assign)
                .onCommand(Forget.class, this::forget)
                .onCommand(Get.class, (state, cmd) -> Effect().reply(cmd.replyTo(), state))
                .build();
    }

    private ReplyEffect<Event, State> assign(State state, Assign cmd) {
        Map<String, String> fresh = new LinkedHashMap<>();
        for (String taskId : cmd.taskIds()) {
            if (!state.scheduleIdsByTask().containsKey(taskId)) fresh.put(taskId, Ids.newId("sched"));
        }
        if (fresh.isEmpty()) return Effect().reply(cmd.replyTo(), assignment(state, cmd.taskIds()));
        return Effect()
                .persist(new SchedulesAssigned(fresh))
                .thenReply(cmd.replyTo(), updated -> assignment(updated, cmd.taskIds()));
    }

    private static Assignment assignment(State state, Set<String> taskIds) {
        Map<String, String> declared = new LinkedHashMap<>();
        Map<String, String> dropped = new LinkedHashMap<>();
        state.scheduleIdsByTask()
                .forEach((taskId, scheduleId) ->
                        (taskIds.contains(taskId) ? declared : dropped).put(taskId, scheduleId));
        return new Assignment(declared, dropped);
    }

    private ReplyEffect<Event, State> forget(State state, Forget cmd) {
        Set<String> gone = new java.util.HashSet<>();
        // Only a mapping that still names the deleted schedule: a newer manifest may have assigned another.
        cmd.dropped().forEach((taskId, scheduleId) -> {
            if (scheduleId.equals(state.scheduleIdsByTask().get(taskId))) gone.add(taskId);
        });
        if (gone.isEmpty()) return Effect().reply(cmd.replyTo(), Done.getInstance());
        return Effect().persist(new SchedulesForgotten(gone)).thenReply(cmd.replyTo(), updated -> Done.getInstance());
    }

    @Override
    public EventHandler<State, Event> eventHandler() {
        return newEventHandlerBuilder()
                .forAnyState()
                .onEvent(SchedulesAssigned.class, (state, e) -> {
                    Map<String, String> next = new LinkedHashMap<>(state.scheduleIdsByTask());
                    next.putAll(e.scheduleIdsByTask());
                    return new State(Map.copyOf(next));
                })
                .onEvent(SchedulesForgotten.class, (state, e) -> {
                    Map<String, String> next = new LinkedHashMap<>(state.scheduleIdsByTask());
                    e.taskIds().forEach(next::remove);
                    return new State(Map.copyOf(next));
                })
                .build();
    }
}
