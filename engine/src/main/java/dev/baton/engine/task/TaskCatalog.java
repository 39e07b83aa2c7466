package dev.baton.engine.task;

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
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The tasks an environment's workers have declared, and the versions that declared them. A task is known from its
 * first declaration on, even while no worker serving it is connected (its runs then wait in their queue); the newest
 * declaration wins. A version is a worker's name for its task set (a build's, or a hash of its declarations); each
 * is numbered in the order it first registered here, which is what makes one version newer than another. One entity
 * per environment.
 */
public final class TaskCatalog
        extends EventSourcedBehaviorWithEnforcedReplies<TaskCatalog.Command, TaskCatalog.Event, TaskCatalog.State> {

    public static final EntityTypeKey<Command> ENTITY_TYPE_KEY = EntityTypeKey.create(Command.class, "TaskCatalog");

    /** Versions are names: printable, no spaces, as long as a build's version or a commit may be. */
    public static final Pattern VERSION_PATTERN = Pattern.compile("^[A-Za-z0-9][A-Za-z0-9_.:+-]{0,127}$");

    public sealed interface Command extends CborSerializable {}

    /**
     * Registers the tasks of one version of a worker. Replies with the version's number: its rank in the order
     * versions first registered in the environment (1 for the first), the higher the newer.
     */
    public record DeclareTasks(List<TaskDefinition> tasks, String version, ActorRef<Long> replyTo) implements Command {}

    /**
     * Registers the tasks of a new build as the next version of the day {@code day} ({@code yyyyMMdd}): {@code
     * <day>.<n>}, n one more than the day's last (Trigger.dev's build versions). Replies with the version and its
     * number.
     */
    public record DeclareBuild(List<TaskDefinition> tasks, String day, ActorRef<Build> replyTo) implements Command {}

    /** @param number as {@link DeclareTasks} answers it */
    public record Build(String version, long number) implements CborSerializable {}

    /** Replies with the definition, or an error when the task was never declared. */
    public record GetTask(String taskId, ActorRef<StatusReply<TaskDefinition>> replyTo) implements Command {}

    /** Replies with the task's definition (null when never declared) and the versions that declared it. */
    public record LookUpTask(String taskId, ActorRef<TaskLookup> replyTo) implements Command {}

    /** @param task null when no worker ever declared the task */
    public record TaskLookup(TaskDefinition task, Set<String> versions) implements CborSerializable {
        public TaskLookup {
            versions = Set.copyOf(versions);
        }
    }

    /** Every task declared in the environment (the queues page lists their queues, with or without a worker). */
    public record GetTasks(ActorRef<State> replyTo) implements Command {}

    public sealed interface Event extends CborSerializable {}

    public record TaskDeclared(TaskDefinition task) implements Event {}

    /** A version registered, or declared tasks it had not declared before; it keeps the number it first got. */
    public record VersionRegistered(String version, List<String> taskIds) implements Event {}

    /** @param number the version's rank among the environment's versions (1 for the first registered) */
    public record VersionEntry(long number, Set<String> taskIds) implements CborSerializable {
        public VersionEntry {
            taskIds = Set.copyOf(taskIds);
        }
    }

    public record State(Map<String, TaskDefinition> tasks, Map<String, VersionEntry> versions)
            implements CborSerializable {
        public State {
            tasks = Map.copyOf(tasks);
            versions = versions == null ? Map.of() : Map.copyOf(versions);
        }

        State with(TaskDefinition task) {
            Map<String, TaskDefinition> next = new HashMap<>(tasks);
            next.put(task.taskId(), task);
            return new State(next, versions);
        }

        State withVersion(String version, List<String> taskIds) {
            Map<String, VersionEntry> next = new HashMap<>(versions);
            VersionEntry known = versions.get(version);
            Set<String> served = new HashSet<>(taskIds);
            if (known != null) served.addAll(known.taskIds());
            next.put(version, new VersionEntry(known != null ? known.number() : versions.size() + 1, served));
            return new State(tasks, next);
        }

        /** The versions that declared the task. */
        Set<String> versionsOf(String taskId) {
            Set<String> serving = new LinkedHashSet<>();
            versions.entrySet().stream()
                    .sorted(Comparator.comparingLong(entry -> entry.getValue().number()))
                    .filter(entry -> entry.getValue().taskIds().contains(taskId))
                    .forEach(entry -> serving.add(entry.getKey()));
            return serving;
        }
    }

    /**
     * The version of a task set whose worker names none: a hash of its declarations, so the same tasks declared alike
     * are one version and any change to them makes another.
     */
    public static String contentVersion(List<TaskDefinition> tasks) {
        List<String> declarations = new ArrayList<>();
        tasks.forEach(task -> declarations.add(task.toString()));
        declarations.sort(null);
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest(String.join("\n", declarations).getBytes(StandardCharsets.UTF_8));
            return "sha256-" + HexFormat.of().formatHex(digest, 0, 6);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
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
        return new State(Map.of(), Map.of());
    }

    @Override
    public CommandHandlerWithReply<Command, Event, State> commandHandler() {
        return newCommandHandlerWithReplyBuilder()
                .forAnyState()
                .onCommand(DeclareTasks.class, this::declare)
                .onCommand(DeclareBuild.class, this::declareBuild)
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
                .onCommand(
                        LookUpTask.class,
                        (state, cmd) -> Effect()
                                .reply(
                                        cmd.replyTo(),
                                        new TaskLookup(
                                                state.tasks().get(cmd.taskId()), state.versionsOf(cmd.taskId()))))
                .build();
    }

    private ReplyEffect<Event, State> declare(State state, DeclareTasks cmd) {
        List<Event> changed = new ArrayList<>();
        cmd.tasks().stream()
                .filter(task -> !task.equals(state.tasks().get(task.taskId())))
                .<Event>map(TaskDeclared::new)
                .forEach(changed::add);
        String version = cmd.version() != null ? cmd.version() : contentVersion(cmd.tasks());
        VersionEntry known = state.versions().get(version);
        List<String> taskIds =
                cmd.tasks().stream().map(TaskDefinition::taskId).sorted().toList();
        if (known == null || !known.taskIds().containsAll(taskIds)) {
            changed.add(new VersionRegistered(version, taskIds));
        }
        if (changed.isEmpty()) return Effect().reply(cmd.replyTo(), known.number());
        return Effect()
                .persist(changed)
                .thenReply(cmd.replyTo(), s -> s.versions().get(version).number());
    }

    private ReplyEffect<Event, State> declareBuild(State state, DeclareBuild cmd) {
        String prefix = cmd.day() + ".";
        long last = 0;
        for (String version : state.versions().keySet()) {
            if (!version.startsWith(prefix)) continue;
            try {
                last = Math.max(last, Long.parseLong(version.substring(prefix.length())));
            } catch (NumberFormatException e) {
                // A version of another form that happens to start like the day's: not a build of it.
            }
        }
        String version = prefix + (last + 1);
        List<Event> changed = new ArrayList<>();
        cmd.tasks().stream()
                .filter(task -> !task.equals(state.tasks().get(task.taskId())))
                .<Event>map(TaskDeclared::new)
                .forEach(changed::add);
        changed.add(new VersionRegistered(
                version,
                cmd.tasks().stream().map(TaskDefinition::taskId).sorted().toList()));
        return Effect()
                .persist(changed)
                .thenReply(
                        cmd.replyTo(),
                        s -> new Build(version, s.versions().get(version).number()));
    }

    @Override
    public EventHandler<State, Event> eventHandler() {
        return newEventHandlerBuilder()
                .forAnyState()
                .onEvent(TaskDeclared.class, (state, e) -> state.with(e.task()))
                .onEvent(VersionRegistered.class, (state, e) -> state.withVersion(e.version(), e.taskIds()))
                .build();
    }
}
