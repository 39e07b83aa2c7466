package dev.baton.engine.task;

import akka.Done;
import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import akka.cluster.sharding.typed.javadsl.Entity;
import akka.cluster.sharding.typed.javadsl.EntityTypeKey;
import akka.pattern.StatusReply;
import akka.persistence.typed.PersistenceId;
import akka.persistence.typed.javadsl.CommandHandlerWithReply;
import akka.persistence.typed.javadsl.EventHandler;
import akka.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import akka.persistence.typed.javadsl.ReplyEffect;
import dev.baton.engine.common.CborSerializable;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The tasks an environment's workers have declared. A task is known from its first declaration on,
 * even while no worker serving it is connected (its runs then wait in their queue); the newest
 * declaration wins. One entity per environment.
 */
public final class TaskCatalog
        extends EventSourcedBehaviorWithEnforcedReplies<TaskCatalog.Command, TaskCatalog.Event, TaskCatalog.State> {

    public static final EntityTypeKey<Command> ENTITY_TYPE_KEY = EntityTypeKey.create(Command.class, "TaskCatalog");

    public sealed interface Command extends CborSerializable {}

    public record DeclareTasks(List<TaskDefinition> tasks, ActorRef<Done> replyTo) implements Command {}

    /** Replies with the definition, or an error when the task was never declared. */
    public record GetTask(String taskId, ActorRef<StatusReply<TaskDefinition>> replyTo) implements Command {}

    /** Every task declared in the environment (the queues page lists their queues, with or without a worker). */
    public record GetTasks(ActorRef<State> replyTo) implements Command {}

    public sealed interface Event extends CborSerializable {}

    public record TaskDeclared(TaskDefinition task) implements Event {}

    public record State(Map<String, TaskDefinition> tasks) implements CborSerializable {
        public State {
            tasks = Map.copyOf(tasks);
        }

        State with(TaskDefinition task) {
            Map<String, TaskDefinition> next = new HashMap<>(tasks);
            next.put(task.taskId(), task);
            return new State(next);
        }
    }

    public static void init(ActorSystem<?> system) {
        ClusterSharding.get(system).init(Entity.of(ENTITY_TYPE_KEY, ctx -> new TaskCatalog(ctx.getEntityId())));
    }

    public TaskCatalog(String environmentId) {
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
                .onCommand(DeclareTasks.class, this::declare)
                .onCommand(GetTasks.class, (state, cmd) -> Effect().reply(cmd.replyTo(), state))
                .onCommand(GetTask.class, (state, cmd) -> {
                    TaskDefinition task = state.tasks().get(cmd.taskId());
                    return Effect()
                            .reply(
                                    cmd.replyTo(),
                                    task == null
                                            ? StatusReply.error("Task not found: " + cmd.taskId())
                                            : StatusReply.success(task));
                })
                .build();
    }

    private ReplyEffect<Event, State> declare(State state, DeclareTasks cmd) {
        List<Event> changed = cmd.tasks().stream()
                .filter(task -> !task.equals(state.tasks().get(task.taskId())))
                .<Event>map(TaskDeclared::new)
                .toList();
        if (changed.isEmpty()) return Effect().reply(cmd.replyTo(), Done.getInstance());
        return Effect().persist(changed).thenReply(cmd.replyTo(), s -> Done.getInstance());
    }

    @Override
    public EventHandler<State, Event> eventHandler() {
        return newEventHandlerBuilder()
                .forAnyState()
                .onEvent(TaskDeclared.class, (state, e) -> state.with(e.task()))
                .build();
    }
}
