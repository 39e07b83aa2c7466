package dev.baton.engine.ratelimit;

import akka.actor.typed.ActorSystem;
import akka.cluster.sharding.typed.ClusterShardingSettings;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import akka.cluster.sharding.typed.javadsl.Entity;
import dev.baton.engine.common.Asks;
import dev.baton.engine.environment.EnvironmentSettings;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * The way to the environments' {@link TriggerRateBucket}s through sharding. {@link #init} starts the buckets on
 * this node (every node that serves triggers calls it); {@link #applySettings} tells a bucket its environment's
 * settings changed, and needs only the actor system, so whatever changes them need not be handed this object.
 */
public final class TriggerRateLimits {

    private final ClusterSharding sharding;
    private final Duration askTimeout;

    private TriggerRateLimits(ClusterSharding sharding, Duration askTimeout) {
        this.sharding = sharding;
        this.askTimeout = askTimeout;
    }

    /** Starts the buckets' sharding on this node; answers wait {@code baton.engine.ask-timeout}. */
    public static TriggerRateLimits init(ActorSystem<?> system, TriggerRateBucket.Setup setup) {
        ClusterSharding sharding = ClusterSharding.get(system);
        // A bucket stops itself once it is full and idle: sharding's idle passivation could drop a bucket that is
        // still refilling, which would hand out a fresh burst early.
        sharding.init(Entity.of(
                        TriggerRateBucket.ENTITY_TYPE_KEY,
                        ctx -> TriggerRateBucket.create(ctx.getEntityId(), setup, ctx.getShard()))
                .withSettings(ClusterShardingSettings.create(system).withNoPassivationStrategy()));
        return new TriggerRateLimits(sharding, system.settings().config().getDuration("baton.engine.ask-timeout"));
    }

    /** Up to {@code wanted} tokens of the environment's bucket; completes where the answer arrives. */
    public CompletableFuture<TriggerRateBucket.Granted> take(String environmentId, long wanted) {
        return Asks.direct(sharding.entityRefFor(TriggerRateBucket.ENTITY_TYPE_KEY, environmentId)
                .ask(replyTo -> new TriggerRateBucket.Take(wanted, replyTo), askTimeout));
    }

    /** Returns tokens granted and not spent. */
    public void giveBack(String environmentId, long tokens) {
        if (tokens > 0) {
            sharding.entityRefFor(TriggerRateBucket.ENTITY_TYPE_KEY, environmentId)
                    .tell(new TriggerRateBucket.GiveBack(tokens));
        }
    }

    /**
     * Tells the environment's bucket its settings changed (call after they are saved): it applies their trigger
     * rate limit at once, or the node's default when they have none. A message lost on the way is healed by the
     * bucket's periodic re-read of the settings.
     */
    public static void applySettings(ActorSystem<?> system, String environmentId, EnvironmentSettings settings) {
        ClusterSharding.get(system)
                .entityRefFor(TriggerRateBucket.ENTITY_TYPE_KEY, environmentId)
                .tell(new TriggerRateBucket.ApplyLimit(settings.triggerRateLimit()));
    }
}
