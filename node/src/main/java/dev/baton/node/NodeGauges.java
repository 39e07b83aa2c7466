package dev.baton.node;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.AskPattern;
import akka.cluster.sharding.ShardRegion.CurrentShardRegionState;
import akka.cluster.sharding.typed.GetShardRegionState;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import akka.cluster.sharding.typed.javadsl.EntityTypeKey;
import dev.baton.engine.batch.BatchEntity;
import dev.baton.engine.dispatch.EnvironmentDispatcher;
import dev.baton.engine.dispatch.QueueDescription;
import dev.baton.engine.run.RunEntity;
import dev.baton.engine.schedule.ScheduleEntity;
import dev.baton.engine.waitpoint.WaitpointTokenEntity;
import dev.baton.projections.lag.ProjectionLag;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Gauges that need a question answered (a query, an actor's answer), so they are sampled every
 * {@code baton.node.metrics-sample-interval} rather than read on every scrape: each projection's lag, the entities
 * and shards this node hosts per entity type, and the queues and worker sessions of the environments whose
 * dispatcher this node hosts (each environment's one dispatcher counts its queues and sessions cluster-wide, so
 * summing over the nodes counts each once).
 */
final class NodeGauges {

    private static final List<EntityTypeKey<?>> SHARDED = List.of(
            RunEntity.ENTITY_TYPE_KEY,
            EnvironmentDispatcher.ENTITY_TYPE_KEY,
            BatchEntity.ENTITY_TYPE_KEY,
            ScheduleEntity.ENTITY_TYPE_KEY,
            WaitpointTokenEntity.ENTITY_TYPE_KEY);

    private static final Duration ASK_TIMEOUT = Duration.ofSeconds(5);

    private final ActorSystem<?> system;
    private final ProjectionLag lag;
    private final MultiGauge behind;
    private final MultiGauge sinceUpdate;
    private final MultiGauge entities;
    private final MultiGauge shards;
    private final MultiGauge queueRuns;
    private final MultiGauge queuePaused;
    private final MultiGauge workerSessions;
    private final MultiGauge workerSlots;

    private NodeGauges(ActorSystem<?> system, ProjectionLag lag, MeterRegistry registry) {
        this.system = system;
        this.lag = lag;
        this.behind = MultiGauge.builder("baton.projection.lag")
                .description("Journal orderings of the projection's tag past its stored offset")
                .register(registry);
        this.sinceUpdate = MultiGauge.builder("baton.projection.offset.age")
                .description("Seconds since the projection last stored its offset")
                .baseUnit("seconds")
                .register(registry);
        this.entities = MultiGauge.builder("baton.sharding.entities")
                .description("Entities this node hosts, per entity type")
                .register(registry);
        this.shards = MultiGauge.builder("baton.sharding.shards")
                .description("Shards this node hosts, per entity type")
                .register(registry);
        this.queueRuns = MultiGauge.builder("baton.queue.runs")
                .description("Runs waiting in a queue (state=queued) or executing from it (state=running)")
                .register(registry);
        this.queuePaused = MultiGauge.builder("baton.queue.paused")
                .description("1 while a queue is paused")
                .register(registry);
        this.workerSessions = MultiGauge.builder("baton.worker.sessions")
                .description("Connected worker sessions per environment")
                .register(registry);
        this.workerSlots = MultiGauge.builder("baton.worker.slots")
                .description("Worker slots per environment, free or in use, as the sessions last reported")
                .register(registry);
    }

    static void start(ActorSystem<?> system, ProjectionLag lag, MeterRegistry registry, Duration interval) {
        NodeGauges gauges = new NodeGauges(system, lag, registry);
        system.scheduler().scheduleWithFixedDelay(Duration.ZERO, interval, gauges::sample, system.executionContext());
    }

    private void sample() {
        lag.current().thenAccept(entries -> {
            List<MultiGauge.Row<?>> lagRows = new ArrayList<>();
            List<MultiGauge.Row<?>> ageRows = new ArrayList<>();
            for (ProjectionLag.Entry entry : entries) {
                Tags tags = Tags.of("projection", entry.projection(), "key", entry.key());
                lagRows.add(MultiGauge.Row.of(tags, entry.behind()));
                if (entry.sinceUpdate() != null) {
                    ageRows.add(MultiGauge.Row.of(tags, entry.sinceUpdate().toMillis() / 1000.0));
                }
            }
            behind.register(lagRows, true);
            sinceUpdate.register(ageRows, true);
        });
        List<MultiGauge.Row<?>> entityRows = new ArrayList<>();
        List<MultiGauge.Row<?>> shardRows = new ArrayList<>();
        List<CompletionStage<?>> answers = new ArrayList<>();
        for (EntityTypeKey<?> type : SHARDED) {
            CompletionStage<CurrentShardRegionState> state = AskPattern.ask(
                    ClusterSharding.get(system).shardState(),
                    replyTo -> new GetShardRegionState(type, replyTo),
                    ASK_TIMEOUT,
                    system.scheduler());
            if (type == EnvironmentDispatcher.ENTITY_TYPE_KEY) state.thenAccept(this::sampleDispatchers);
            answers.add(state.thenAccept(region -> {
                synchronized (entityRows) {
                    Tags tags = Tags.of("type", type.name());
                    shardRows.add(MultiGauge.Row.of(tags, region.getShards().size()));
                    entityRows.add(MultiGauge.Row.of(
                            tags,
                            region.getShards().stream()
                                    .mapToInt(shard -> shard.getEntityIds().size())
                                    .sum()));
                }
            }));
        }
        CompletableFuture.allOf(answers.stream()
                        .map(CompletionStage::toCompletableFuture)
                        .toArray(CompletableFuture[]::new))
                .whenComplete((done, failure) -> {
                    synchronized (entityRows) {
                        entities.register(entityRows, true);
                        shards.register(shardRows, true);
                    }
                });
    }

    /** The queues and sessions of each environment whose dispatcher lives here. */
    private void sampleDispatchers(CurrentShardRegionState region) {
        List<String> environments = region.getShards().stream()
                .flatMap(shard -> shard.getEntityIds().stream())
                .sorted()
                .toList();
        List<MultiGauge.Row<?>> runRows = new ArrayList<>();
        List<MultiGauge.Row<?>> pausedRows = new ArrayList<>();
        List<MultiGauge.Row<?>> sessionRows = new ArrayList<>();
        List<MultiGauge.Row<?>> slotRows = new ArrayList<>();
        List<CompletableFuture<?>> answers = new ArrayList<>();
        for (String environment : environments) {
            var dispatcher =
                    ClusterSharding.get(system).entityRefFor(EnvironmentDispatcher.ENTITY_TYPE_KEY, environment);
            answers.add(dispatcher
                    .ask(EnvironmentDispatcher.DescribeQueues::new, ASK_TIMEOUT)
                    .thenAccept(described -> {
                        synchronized (runRows) {
                            for (QueueDescription queue : described.queues()) {
                                Tags tags = Tags.of("environment", environment, "queue", queue.name());
                                runRows.add(MultiGauge.Row.of(tags.and("state", "queued"), queue.queued()));
                                runRows.add(MultiGauge.Row.of(tags.and("state", "running"), queue.running()));
                                pausedRows.add(
                                        MultiGauge.Row.of(tags, queue.settings().paused() ? 1 : 0));
                            }
                        }
                    })
                    .toCompletableFuture());
            answers.add(dispatcher
                    .ask(EnvironmentDispatcher.ListWorkers::new, ASK_TIMEOUT)
                    .thenAccept(connected -> {
                        int free = 0;
                        int total = 0;
                        for (EnvironmentDispatcher.ConnectedWorker worker : connected.workers()) {
                            free += worker.freeSlots();
                            total += worker.slots();
                        }
                        Tags tags = Tags.of("environment", environment);
                        synchronized (runRows) {
                            sessionRows.add(
                                    MultiGauge.Row.of(tags, connected.workers().size()));
                            slotRows.add(MultiGauge.Row.of(tags.and("state", "free"), free));
                            slotRows.add(MultiGauge.Row.of(tags.and("state", "in_use"), Math.max(0, total - free)));
                        }
                    })
                    .toCompletableFuture());
        }
        CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new)).whenComplete((done, failure) -> {
            synchronized (runRows) {
                queueRuns.register(runRows, true);
                queuePaused.register(pausedRows, true);
                workerSessions.register(sessionRows, true);
                workerSlots.register(slotRows, true);
            }
        });
    }
}
