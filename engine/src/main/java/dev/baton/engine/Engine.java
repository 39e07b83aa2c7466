package dev.baton.engine;

import akka.Done;
import akka.actor.typed.ActorSystem;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import com.typesafe.config.Config;
import dev.baton.engine.batch.BatchEntity;
import dev.baton.engine.batch.BatchService;
import dev.baton.engine.batch.BatchSettings;
import dev.baton.engine.bulk.BulkActionRuns;
import dev.baton.engine.bulk.BulkActionSettings;
import dev.baton.engine.bulk.BulkActions;
import dev.baton.engine.changes.RunChangeFeed;
import dev.baton.engine.dispatch.EnvironmentDispatcher;
import dev.baton.engine.dispatch.EnvironmentSettingsSource;
import dev.baton.engine.dispatch.QueueDescription;
import dev.baton.engine.environment.EnvironmentSettings;
import dev.baton.engine.environment.QueueSettings;
import dev.baton.engine.idempotency.IdempotencyKeyEntity;
import dev.baton.engine.run.RunEntity;
import dev.baton.engine.run.RunService;
import dev.baton.engine.run.RunSettings;
import dev.baton.engine.schedule.ScheduleService;
import dev.baton.engine.task.QueueLimits;
import dev.baton.engine.task.TaskCatalog;
import dev.baton.engine.task.TaskDefinition;
import dev.baton.engine.waitpoint.WaitpointTokenEntity;
import dev.baton.engine.waitpoint.WaitpointTokens;
import java.time.Clock;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletionStage;

/**
 * The engine on one node: starts sharding for runs, task catalogs and dispatchers, and offers the
 * calls the HTTP API and the worker gateway need.
 */
public final class Engine {

    private final ClusterSharding sharding;
    private final RunSettings runSettings;
    private final Duration askTimeout;
    private final RunService runs;
    private final BatchService batches;
    private final WaitpointTokens tokens;
    private final ScheduleService schedules;
    private final RunChangeFeed changes;
    private final BulkActions bulkActions;

    private Engine(
            ActorSystem<?> system,
            RunSettings runSettings,
            Duration askTimeout,
            RunService runs,
            WaitpointTokens tokens,
            BatchService batches,
            RunChangeFeed changes,
            BulkActions bulkActions) {
        this.sharding = ClusterSharding.get(system);
        this.bulkActions = bulkActions;
        this.changes = changes;
        this.runSettings = runSettings;
        this.askTimeout = askTimeout;
        this.runs = runs;
        this.batches = batches;
        this.tokens = tokens;
        this.schedules = new ScheduleService(system, askTimeout);
    }

    /** Reads {@code baton.engine} and starts the sharded entities on this node; no environment overrides. */
    public static Engine init(ActorSystem<?> system, Clock clock) {
        return init(system, clock, EnvironmentSettingsSource.DEFAULTS);
    }

    /** @param environmentSettings where dispatchers read their environment's limit and paused flag */
    public static Engine init(ActorSystem<?> system, Clock clock, EnvironmentSettingsSource environmentSettings) {
        return init(system, clock, environmentSettings, BulkActionRuns.UNAVAILABLE);
    }

    /** @param bulkActionRuns where bulk actions read the runs a filter selects (the node's run index) */
    public static Engine init(
            ActorSystem<?> system,
            Clock clock,
            EnvironmentSettingsSource environmentSettings,
            BulkActionRuns bulkActionRuns) {
        Config config = system.settings().config().getConfig("baton.engine");
        RunSettings runSettings = RunSettings.fromConfig(config);
        Duration askTimeout = config.getDuration("ask-timeout");
        RunService runs = new RunService(
                system,
                clock,
                askTimeout,
                config.getString("read-journal-plugin"),
                config.getDuration("idempotency.default-key-ttl"),
                config.getDuration("idempotency.request-key-ttl"),
                config.getDuration("task-cache-ttl"));
        ScheduleService.init(system, clock, config.getDuration("schedule.fire-retry"), ScheduleService.firer(runs));
        WaitpointTokens tokens = new WaitpointTokens(
                system,
                clock,
                askTimeout,
                config.getDuration("waitpoint.default-idempotency-key-ttl"),
                runs::tokenCompleted);
        WaitpointTokenEntity.init(system, clock, runs::tokenCompleted);
        RunChangeFeed changes = new RunChangeFeed(system);
        RunEntity.init(system, runSettings, clock, new ShardedRunLinks(system, runs, tokens, changes, askTimeout));
        TaskCatalog.init(system);
        IdempotencyKeyEntity.init(system, clock);
        EnvironmentDispatcher.init(system, clock, new ShardedQueuedRuns(system, askTimeout), environmentSettings);
        BatchService batches = new BatchService(system, runs, clock, askTimeout, BatchSettings.fromConfig(config));
        BatchEntity.init(system, clock, batches::resumeParentAfterRecovery);
        BulkActions bulkActions = BulkActions.init(
                system, clock, runs, bulkActionRuns, BulkActionSettings.fromConfig(config), askTimeout);
        return new Engine(system, runSettings, askTimeout, runs, tokens, batches, changes, bulkActions);
    }

    public RunService runs() {
        return runs;
    }

    /** Batch triggers: create a batch, add its items (each becomes a run), read it. */
    public BatchService batches() {
        return batches;
    }

    /** Bulk actions: cancel or replay many runs in the background. */
    public BulkActions bulkActions() {
        return bulkActions;
    }

    /** Every change of a run of an environment, cluster-wide: what realtime subscriptions listen to. */
    public RunChangeFeed changes() {
        return changes;
    }

    public ScheduleService schedules() {
        return schedules;
    }

    /** Waitpoint tokens: create, read, complete; runs wait for them. */
    public WaitpointTokens tokens() {
        return tokens;
    }

    public RunSettings runSettings() {
        return runSettings;
    }

    /**
     * Registers (or updates) the tasks a worker serves, as the version their content hash names; completes once
     * persisted.
     */
    public CompletionStage<Done> declareTasks(String environmentId, List<TaskDefinition> tasks) {
        return declareVersion(environmentId, null, tasks).thenApply(number -> Done.getInstance());
    }

    /**
     * Registers (or updates) the tasks of one version of a worker ({@code version} null: their content hash names it);
     * completes once persisted, with the version's number (the higher, the newer: see {@link TaskCatalog}).
     */
    public CompletionStage<Long> declareVersion(String environmentId, String version, List<TaskDefinition> tasks) {
        return sharding.entityRefFor(TaskCatalog.ENTITY_TYPE_KEY, environmentId)
                .ask(replyTo -> new TaskCatalog.DeclareTasks(tasks, version, replyTo), askTimeout);
    }

    /**
     * Registers the tasks of a new build (a trigger.dev CLI's background worker) as the day's next version,
     * {@code <yyyyMMdd>.<n>}; completes once persisted, with the version and its number.
     */
    public CompletionStage<TaskCatalog.Build> declareBuild(
            String environmentId, String day, List<TaskDefinition> tasks) {
        return sharding.entityRefFor(TaskCatalog.ENTITY_TYPE_KEY, environmentId)
                .ask(replyTo -> new TaskCatalog.DeclareBuild(tasks, day, replyTo), askTimeout);
    }

    public void reportWorker(String environmentId, EnvironmentDispatcher.WorkerReport report) {
        sharding.entityRefFor(EnvironmentDispatcher.ENTITY_TYPE_KEY, environmentId)
                .tell(report);
    }

    /** Tells the environment's dispatcher of new settings (they are stored already), on whichever node it lives. */
    public void applyEnvironmentSettings(String environmentId, EnvironmentSettings settings) {
        sharding.entityRefFor(EnvironmentDispatcher.ENTITY_TYPE_KEY, environmentId)
                .tell(new EnvironmentDispatcher.ApplySettings(settings));
    }

    /**
     * Every queue of the environment: the dispatcher's (with its counts and overrides) and those of every task ever
     * declared there, whose limits fill in the declared ones the dispatcher has not been told since it started.
     * Sorted by name.
     */
    public CompletionStage<List<QueueDescription>> describeQueues(String environmentId) {
        CompletionStage<EnvironmentDispatcher.Queues> live = sharding.entityRefFor(
                        EnvironmentDispatcher.ENTITY_TYPE_KEY, environmentId)
                .ask(EnvironmentDispatcher.DescribeQueues::new, askTimeout);
        CompletionStage<TaskCatalog.State> declared = sharding.entityRefFor(TaskCatalog.ENTITY_TYPE_KEY, environmentId)
                .ask(TaskCatalog.GetTasks::new, askTimeout);
        return live.thenCombine(declared, Engine::mergeQueues);
    }

    private static List<QueueDescription> mergeQueues(EnvironmentDispatcher.Queues live, TaskCatalog.State catalog) {
        Map<String, QueueLimits> declaredLimits = new HashMap<>();
        catalog.tasks().values().stream()
                .sorted(Comparator.comparing(TaskDefinition::taskId))
                .forEach(task -> declaredLimits.merge(task.queue(), task.queueLimits(), (first, next) -> first));
        Map<String, QueueDescription> merged = new TreeMap<>();
        declaredLimits.forEach(
                (name, limits) -> merged.put(name, new QueueDescription(name, 0, 0, limits, QueueSettings.DEFAULTS)));
        for (QueueDescription queue : live.queues()) {
            QueueLimits limits = queue.declared() != null ? queue.declared() : declaredLimits.get(queue.name());
            merged.put(
                    queue.name(),
                    new QueueDescription(queue.name(), queue.queued(), queue.running(), limits, queue.settings()));
        }
        return List.copyOf(merged.values());
    }

    /** Tells the environment's dispatcher of a queue's new overrides (they are stored already), wherever it lives. */
    public void applyQueueSettings(String environmentId, String queue, QueueSettings settings) {
        sharding.entityRefFor(EnvironmentDispatcher.ENTITY_TYPE_KEY, environmentId)
                .tell(new EnvironmentDispatcher.ApplyQueueSettings(queue, settings));
    }

    /** The environment's connected worker sessions, as its dispatcher (one per environment, cluster-wide) knows them. */
    public CompletionStage<EnvironmentDispatcher.ConnectedWorkers> workers(String environmentId) {
        return sharding.entityRefFor(EnvironmentDispatcher.ENTITY_TYPE_KEY, environmentId)
                .ask(EnvironmentDispatcher.ListWorkers::new, askTimeout);
    }

    public void workerLeft(String environmentId, String sessionId) {
        sharding.entityRefFor(EnvironmentDispatcher.ENTITY_TYPE_KEY, environmentId)
                .tell(new EnvironmentDispatcher.WorkerLeft(sessionId));
    }
}
