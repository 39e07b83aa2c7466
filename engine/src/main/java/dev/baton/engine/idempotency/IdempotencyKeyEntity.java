package dev.baton.engine.idempotency;

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
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Instant;
import java.util.HexFormat;

/**
 * One idempotency key of one task in one environment: which run it stands for, until when. All
 * triggers with the key meet in this entity, so concurrent duplicates agree on one run id. The
 * entity id is a hash of (environment, task, kind, key), so keys of any length fit the journal.
 */
public final class IdempotencyKeyEntity
        extends EventSourcedBehaviorWithEnforcedReplies<
                IdempotencyKeyEntity.Command, IdempotencyKeyEntity.Event, IdempotencyKeyEntity.State> {

    public static final EntityTypeKey<Command> ENTITY_TYPE_KEY = EntityTypeKey.create(Command.class, "IdempotencyKey");

    /**
     * Run keys ({@code options.idempotencyKey}), request keys ({@code x-trigger-request-idempotency-key}),
     * waitpoint token keys and debounce keys ({@code options.debounce.key}) never collide. A token key's claim
     * names the token's id instead of a run's. A debounce key's claim names the run its triggers push back, and
     * is replaced (with {@code replacing}) once that run has left DELAYED.
     */
    public enum Kind {
        RUN,
        REQUEST,
        TOKEN,
        DEBOUNCE
    }

    public sealed interface Command extends CborSerializable {}

    /**
     * Claim the key for {@code candidateRunId} unless it holds an unexpired claim; with {@code replacing}
     * set, take over a claim that still names that run (its run freed the key by failing).
     */
    public record Claim(String candidateRunId, String replacing, Instant expiresAt, ActorRef<Claimed> replyTo)
            implements Command {}

    public record Reset(ActorRef<Done> replyTo) implements Command {}

    /** @param isNew true when the caller's candidate now holds the key */
    public record Claimed(String runId, boolean isNew) implements CborSerializable {}

    public sealed interface Event extends CborSerializable {}

    public record KeyClaimed(String runId, Instant expiresAt, Instant at) implements Event {}

    public record KeyReset(Instant at) implements Event {}

    /** @param runId null when the key holds no claim */
    public record State(String runId, Instant expiresAt) implements CborSerializable {
        boolean holds(Instant now) {
            return runId != null && expiresAt.isAfter(now);
        }
    }

    public static void init(ActorSystem<?> system, Clock clock) {
        ClusterSharding.get(system)
                .init(Entity.of(ENTITY_TYPE_KEY, ctx -> new IdempotencyKeyEntity(ctx.getEntityId(), clock)));
    }

    public static String entityId(String environmentId, String taskId, Kind kind, String key) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            for (String part : new String[] {environmentId, taskId, kind.name(), key}) {
                digest.update(part.getBytes(StandardCharsets.UTF_8));
                digest.update((byte) 0);
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private final Clock clock;

    public IdempotencyKeyEntity(String entityId, Clock clock) {
        super(PersistenceId.of(ENTITY_TYPE_KEY.name(), entityId));
        this.clock = clock;
    }

    @Override
    public State emptyState() {
        return new State(null, null);
    }

    @Override
    public CommandHandlerWithReply<Command, Event, State> commandHandler() {
        return newCommandHandlerWithReplyBuilder()
                .forAnyState()
                .onCommand(Claim.class, this::claim)
                .onCommand(
                        Reset.class,
                        (state, cmd) -> state.runId() == null
                                ? Effect().reply(cmd.replyTo(), Done.getInstance())
                                : Effect()
                                        .persist(new KeyReset(clock.instant()))
                                        .thenReply(cmd.replyTo(), s -> Done.getInstance()))
                .build();
    }

    private ReplyEffect<Event, State> claim(State state, Claim cmd) {
        Instant now = clock.instant();
        boolean takeOver = cmd.replacing() != null && cmd.replacing().equals(state.runId());
        if (state.holds(now) && !takeOver) {
            return Effect().reply(cmd.replyTo(), new Claimed(state.runId(), false));
        }
        return Effect()
                .persist(new KeyClaimed(cmd.candidateRunId(), cmd.expiresAt(), now))
                .thenReply(cmd.replyTo(), s -> new Claimed(cmd.candidateRunId(), true));
    }

    @Override
    public EventHandler<State, Event> eventHandler() {
        return newEventHandlerBuilder()
                .forAnyState()
                .onEvent(KeyClaimed.class, (state, e) -> new State(e.runId(), e.expiresAt()))
                .onEvent(KeyReset.class, (state, e) -> new State(null, null))
                .build();
    }
}
