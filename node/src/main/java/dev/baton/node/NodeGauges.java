package dev.baton.node;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.AskPattern;
import akka.cluster.sharding.ShardRegion.CurrentShardRegionState;
import akka.cluster.sharding.typed.GetShardRegionState;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import akka.cluster.sharding.typed.javadsl.EntityTypeKey;
import dev.baton.engine.batch.BatchEntity;
import dev.baton.engine.dispatch.EnvironmentDispatcher;
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
 * {@code baton.node.metrics-sample-interval} rather than read on every scrape: each projection's lag, and the
 * entities and shards this node hosts per entity type.
 */
final class NodeGauges {

    private static final List<EntityTypeKey<?>> SHARDED = List.of(
            RunEntity.ENTITY_TYPE_KEY,
            EnvironmentDispatcher.ENTITY_TYPE_KEY,
            BatchEntity.ENTITY_TYPE_KEY,
            ScheduleEntity.ENTITY_TYPE_KEY,
            WaitpointTokenEntity.ENTITY_TYPE_KEY);

    private final ActorSystem<?> system;
    private final ProjectionLag lag;
    private final MultiGauge behind;
    private final MultiGauge sinceUpdate;
    private final MultiGauge entities;
    private final MultiGauge shards;

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
                    Duration.ofSeconds(5),
                    system.scheduler());
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
}
