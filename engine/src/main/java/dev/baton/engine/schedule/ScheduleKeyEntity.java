package dev.baton.engine.schedule;

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
import java.util.HexFormat;

/**
 * The per-environment deduplication-key index of schedules: one entity per (environment, key), naming
 * the schedule the key stands for. Every create with the key meets here, so concurrent duplicates agree
 * on one schedule id. The entity id is a hash, so keys of any length fit the journal.
 */
public final class ScheduleKeyEntity
        extends EventSourcedBehaviorWithEnforcedReplies<
                ScheduleKeyEntity.Command, ScheduleKeyEntity.Event, ScheduleKeyEntity.State> {

    public static final EntityTypeKey<Command> ENTITY_TYPE_KEY = EntityTypeKey.create(Command.class, "ScheduleKey");

    public sealed interface Command extends CborSerializable {}

    /**
     * Claim the key for {@code candidateId} unless it already names a schedule; with {@code replacing} set,
     * take over a claim that still names that schedule (it was deleted).
     */
    public record Claim(String candidateId, String replacing, ActorRef<Claimed> replyTo) implements Command {}

    /** @param isNew true when the caller's candidate now holds the key */
    public record Claimed(String scheduleId, boolean isNew) implements CborSerializable {}

    public sealed interface Event extends CborSerializable {}

    public record KeyClaimed(String scheduleId) implements Event {}

    public record State(String scheduleId) implements CborSerializable {}

    public static void init(ActorSystem<?> system) {
        ClusterSharding.get(system).init(Entity.of(ENTITY_TYPE_KEY, ctx -> new ScheduleKeyEntity(ctx.getEntityId())));
    }

    public static String entityId(String environmentId, String deduplicationKey) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update(environmentId.getBytes(StandardCharsets.UTF_8));
            digest.update((byte) 0);
            digest.update(deduplicationKey.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    public ScheduleKeyEntity(String entityId) {
        super(PersistenceId.of(ENTITY_TYPE_KEY.name(), entityId));
    }

    @Override
    public State emptyState() {
        return new State(null);
    }

    @Override
    public CommandHandlerWithReply<Command, Event, State> commandHandler() {
        return newCommandHandlerWithReplyBuilder()
                .forAnyState()
                .onCommand(Claim.class, this::claim)
                .build();
    }

    private ReplyEffect<Event, State> claim(State state, Claim cmd) {
        boolean takeOver = cmd.replacing() != null && cmd.replacing().equals(state.scheduleId());
        if (state.scheduleId() != null && !takeOver) {
            return Effect().reply(cmd.replyTo(), new Claimed(state.scheduleId(), false));
        }
        return Effect()
                .persist(new KeyClaimed(cmd.candidateId()))
                .thenReply(cmd.replyTo(), s -> new Claimed(cmd.candidateId(), true));
    }

    @Override
    public EventHandler<State, Event> eventHandler() {
        return newEventHandlerBuilder()
                .forAnyState()
                .onEvent(KeyClaimed.class, (state, e) -> new State(e.scheduleId()))
                .build();
    }
}
