package dev.baton.engine.ratelimit;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.DispatcherSelector;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.StashBuffer;
import akka.actor.typed.javadsl.TimerScheduler;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import akka.cluster.sharding.typed.javadsl.EntityTypeKey;
import dev.baton.engine.common.CborSerializable;
import dev.baton.engine.environment.EnvironmentSettings;
import dev.baton.engine.environment.EnvironmentSettings.TriggerRateLimit;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Function;

/**
 * One environment's trigger rate bucket for the whole cluster (a sharded entity per environment). Nodes do not
 * ask it per trigger: each asks for a share of tokens ({@link Take}), spends them locally, and gives back
 * ({@link GiveBack}) what it did not spend within a short while, so tokens are never counted twice.
 *
 * <p>The limit is the environment's own ({@link EnvironmentSettings#triggerRateLimit()}, read when the bucket
 * starts, on {@link ApplyLimit}, and every {@code reloadInterval} so a lost message heals) or else the node's
 * default. Nothing is persisted: a bucket lost with its node or on a rebalance starts full again, which lets an
 * environment trigger up to one extra burst; acceptable for a limit that protects the cluster. For the same
 * reason the bucket stops itself only when it is full and was idle for a reload interval (then it holds nothing
 * a fresh one would not), never by sharding's idle passivation.
 */
public final class TriggerRateBucket {

    public static final EntityTypeKey<Command> ENTITY_TYPE_KEY =
            EntityTypeKey.create(Command.class, "TriggerRateBucket");

    /** Messages kept at most while the environment's settings are read at start. */
    private static final int STASH_CAPACITY = 1000;

    public sealed interface Command extends CborSerializable {}

    /**
     * Asks for tokens: {@code wanted}, or a share of the limit's rate if that is more ({@link Setup#grantFraction}),
     * or what the bucket has if that is less. Zero asks only for the bucket's view.
     */
    public record Take(long wanted, ActorRef<Granted> replyTo) implements Command {}

    /** Tokens a node was granted and did not spend. */
    public record GiveBack(long tokens) implements Command {}

    /** The environment's limit changed: {@code limit} is its new override, null for the node's default. */
    public record ApplyLimit(TriggerRateLimit limit) implements Command {}

    /**
     * The answer to {@link Take}: {@code granted} tokens, the limit in force, the whole tokens left in the bucket
     * (none: it ran dry) and when its next token arrives (unix ms).
     */
    public record Granted(long granted, TriggerRateLimit limit, long remaining, long resetAtMillis)
            implements CborSerializable {}

    /** @param limit the override read, null when none; {@code failure} set when it could not be read */
    private record Loaded(long generation, TriggerRateLimit limit, Throwable failure) implements Command {}

    private enum Tick implements Command {
        INSTANCE
    }

    /**
     * What every bucket of the node needs: the default limit, the share of a limit's {@code refill} granted per
     * {@link Take} at least (one token at least), how to read an environment's settings and how often.
     */
    public record Setup(
            TriggerRateLimit defaultLimit,
            double grantFraction,
            Function<String, EnvironmentSettings> settingsLoader,
            Duration reloadInterval,
            Clock clock) {

        public Setup {
            if (!TokenBucket.usable(defaultLimit)) {
                throw new IllegalArgumentException("the default trigger rate limit needs a positive burst, refill"
                        + " and interval: " + defaultLimit);
            }
            if (!(grantFraction > 0)) throw new IllegalArgumentException("grantFraction must be positive");
            if (reloadInterval.isZero() || reloadInterval.isNegative()) {
                throw new IllegalArgumentException("reloadInterval must be positive");
            }
        }

        long grantSize(TriggerRateLimit limit) {
            return Math.max(1, Math.round(limit.refill() * grantFraction));
        }
    }

    public static Behavior<Command> create(
            String environmentId, Setup setup, ActorRef<ClusterSharding.ShardCommand> shard) {
        return Behaviors.setup(context -> Behaviors.withTimers(timers -> Behaviors.withStash(
                STASH_CAPACITY,
                stash -> new TriggerRateBucket(context, timers, stash, environmentId, setup, shard).loading())));
    }

    private final ActorContext<Command> context;
    private final StashBuffer<Command> stash;
    private final String environmentId;
    private final Setup setup;
    private final ActorRef<ClusterSharding.ShardCommand> shard;
    private final Executor blockingIo;
    private TokenBucket bucket;
    /** Bumped by every {@link ApplyLimit}: a read begun before it is older than what it applied. */
    private long generation;

    private boolean takenSinceTick;

    private TriggerRateBucket(
            ActorContext<Command> context,
            TimerScheduler<Command> timers,
            StashBuffer<Command> stash,
            String environmentId,
            Setup setup,
            ActorRef<ClusterSharding.ShardCommand> shard) {
        this.context = context;
        this.stash = stash;
        this.environmentId = environmentId;
        this.setup = setup;
        this.shard = shard;
        this.blockingIo = context.getSystem().dispatchers().lookup(DispatcherSelector.blocking());
        timers.startTimerWithFixedDelay(Tick.INSTANCE, setup.reloadInterval());
    }

    /** Reads the environment's settings first; what arrives meanwhile waits (a give-back or take alike). */
    private Behavior<Command> loading() {
        load();
        return Behaviors.receive(Command.class)
                .onMessage(Loaded.class, loaded -> {
                    bucket = new TokenBucket(limitFrom(loaded), now());
                    return stash.unstashAll(active());
                })
                .onMessage(Tick.class, tick -> Behaviors.same())
                .onAnyMessage(message -> {
                    if (stash.isFull()) {
                        context.getLog()
                                .warn("Trigger rate bucket {} is still loading; dropped {}", environmentId, message);
                    } else {
                        stash.stash(message);
                    }
                    return Behaviors.same();
                })
                .build();
    }

    private Behavior<Command> active() {
        return Behaviors.receive(Command.class)
                .onMessage(Take.class, this::take)
                .onMessage(GiveBack.class, back -> {
                    bucket.giveBack(back.tokens(), now());
                    return Behaviors.same();
                })
                .onMessage(ApplyLimit.class, apply -> {
                    generation++;
                    bucket.limit(effective(apply.limit()), now());
                    return Behaviors.same();
                })
                .onMessage(Loaded.class, loaded -> {
                    if (loaded.generation() == generation) bucket.limit(limitFrom(loaded), now());
                    return Behaviors.same();
                })
                .onMessage(Tick.class, tick -> {
                    if (!takenSinceTick && bucket.full(now())) {
                        shard.tell(new ClusterSharding.Passivate<>(context.getSelf()));
                    } else {
                        load();
                    }
                    takenSinceTick = false;
                    return Behaviors.same();
                })
                .build();
    }

    private Behavior<Command> take(Take take) {
        takenSinceTick = true;
        long now = now();
        long wanted = take.wanted() < 1 ? 0 : Math.max(take.wanted(), setup.grantSize(bucket.limit()));
        long granted = bucket.take(wanted, now);
        take.replyTo().tell(new Granted(granted, bucket.limit(), bucket.remaining(now), bucket.resetAtMillis(now)));
        return Behaviors.same();
    }

    private void load() {
        long asOf = generation;
        context.pipeToSelf(
                CompletableFuture.supplyAsync(() -> setup.settingsLoader().apply(environmentId), blockingIo),
                (settings, failure) ->
                        new Loaded(asOf, settings == null ? null : settings.triggerRateLimit(), failure));
    }

    /** An environment whose settings cannot be read keeps its limit (the default at first) until the next read. */
    private TriggerRateLimit limitFrom(Loaded loaded) {
        if (loaded.failure() != null) {
            context.getLog()
                    .warn(
                            "Could not read the trigger rate limit of environment {}; keeping {}",
                            environmentId,
                            bucket == null ? setup.defaultLimit() : bucket.limit(),
                            loaded.failure());
            return bucket == null ? setup.defaultLimit() : bucket.limit();
        }
        return effective(loaded.limit());
    }

    private TriggerRateLimit effective(TriggerRateLimit override) {
        if (override == null) return setup.defaultLimit();
        if (!TokenBucket.usable(override)) {
            context.getLog()
                    .warn(
                            "Environment {} has an unusable trigger rate limit {}; using the default {}",
                            environmentId,
                            override,
                            setup.defaultLimit());
            return setup.defaultLimit();
        }
        return override;
    }

    private long now() {
        return setup.clock().millis();
    }
}
