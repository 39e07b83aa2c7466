package dev.baton.engine;

import akka.Done;
import akka.actor.typed.ActorSystem;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import com.typesafe.config.Config;
import dev.baton.engine.batch.BatchEntity;
import dev.baton.engine.batch.BatchService;
import dev.baton.engine.batch.BatchSettings;
import dev.baton.engine.changes.RunChangeFeed;
import dev.baton.engine.dispatch.EnvironmentDispatcher;
import dev.baton.engine.dispatch.EnvironmentSettingsSource;
import dev.baton.engine.environment.EnvironmentSettings;
import dev.baton.engine.idempotency.IdempotencyKeyEntity;
import dev.baton.engine.run.RunEntity;
import dev.baton.engine.run.RunService;
import dev.baton.engine.run.RunSettings;
import dev.baton.engine.schedule.ScheduleService;
import dev.baton.engine.task.TaskCatalog;
import dev.baton.engine.task.TaskDefinition;
import dev.baton.engine.waitpoint.WaitpointTokenEntity;
import dev.baton.engine.waitpoint.WaitpointTokens;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
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

    private Engine(
            ActorSystem<?> system,
            RunSettings runSettings,
            Duration askTimeout,
            RunService runs,
            WaitpointTokens tokens,
            BatchService batches,
            RunChangeFeed changes) {
        this.sharding = ClusterSharding.get(system);
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
        RunEntity.init(system, runSettings, clock, new ShardedRunLinks(system, runs, tokens, changes));
        TaskCatalog.init(system);
        IdempotencyKeyEntity.init(system, clock);
        EnvironmentDispatcher.init(system, clock, new ShardedQueuedRuns(system, askTimeout), environmentSettings);
        BatchEntity.init(system, clock);
        BatchService batches = new BatchService(system, runs, clock, askTimeout, BatchSettings.fromConfig(config));
        return new Engine(system, runSettings, askTimeout, runs, tokens, batches, changes);
    }

    public RunService runs() {
        return runs;
    }

    /** Batch triggers: create a batch, add its items (each becomes a run), read it. */
    public BatchService batches() {
        return batches;
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

    /** Registers (or updates) the tasks a worker serves; completes once persisted. */
    public CompletionStage<Done> declareTasks(String environmentId, List<TaskDefinition> tasks) {
        return sharding.entityRefFor(TaskCatalog.ENTITY_TYPE_KEY, environmentId)
                .ask(replyTo -> new TaskCatalog.DeclareTasks(tasks, replyTo), askTimeout);
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
