package dev.baton.engine.idempotency;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.Done;
import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import com.typesafe.config.ConfigFactory;
import dev.baton.engine.common.Ids;
import dev.baton.engine.idempotency.IdempotencyKeyEntity.Claimed;
import dev.baton.engine.idempotency.IdempotencyKeyEntity.Kind;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class IdempotencyKeyEntityTest {

    private static ActorTestKit testKit;
    private static final Instant NOW = Instant.parse("2026-11-28T10:00:00Z");

    @BeforeAll
    static void start() {
        testKit = ActorTestKit.create(
                "IdempotencyKeyEntityTest", EventSourcedBehaviorTestKit.config().withFallback(ConfigFactory.load()));
    }

    @AfterAll
    static void stop() {
        testKit.shutdownTestKit();
    }

    private static EventSourcedBehaviorTestKit<
                    IdempotencyKeyEntity.Command, IdempotencyKeyEntity.Event, IdempotencyKeyEntity.State>
            key() {
        return EventSourcedBehaviorTestKit.create(
                testKit.system(),
                new IdempotencyKeyEntity(Ids.random(16), Clock.fixed(NOW, ZoneOffset.UTC)),
                EventSourcedBehaviorTestKit.enabledSerializationSettings());
    }

    @Test
    void theFirstClaimWinsUntilItExpires() {
        var key = key();
        var first = key.<Claimed>runCommand(r -> new IdempotencyKeyEntity.Claim("run_a", null, NOW.plusSeconds(60), r));
        assertEquals(new Claimed("run_a", true), first.reply());
        var second =
                key.<Claimed>runCommand(r -> new IdempotencyKeyEntity.Claim("run_b", null, NOW.plusSeconds(60), r));
        assertTrue(second.hasNoEvents());
        assertEquals(new Claimed("run_a", false), second.reply());

        var expired = key();
        expired.<Claimed>runCommand(r -> new IdempotencyKeyEntity.Claim("run_a", null, NOW.minusSeconds(1), r));
        assertEquals(
                new Claimed("run_c", true),
                expired.<Claimed>runCommand(r -> new IdempotencyKeyEntity.Claim("run_c", null, NOW.plusSeconds(60), r))
                        .reply());
    }

    @Test
    void aClaimIsTakenOverOnlyFromTheRunItNames() {
        var key = key();
        key.<Claimed>runCommand(r -> new IdempotencyKeyEntity.Claim("run_a", null, NOW.plusSeconds(60), r));
        var stale = key.<Claimed>runCommand(
                r -> new IdempotencyKeyEntity.Claim("run_x", "run_other", NOW.plusSeconds(60), r));
        assertEquals(new Claimed("run_a", false), stale.reply());
        var takeOver =
                key.<Claimed>runCommand(r -> new IdempotencyKeyEntity.Claim("run_b", "run_a", NOW.plusSeconds(60), r));
        assertEquals(new Claimed("run_b", true), takeOver.reply());
        key.restart();
        assertEquals("run_b", key.getState().runId());
    }

    @Test
    void resetFreesTheKey() {
        var key = key();
        key.<Claimed>runCommand(r -> new IdempotencyKeyEntity.Claim("run_a", null, NOW.plusSeconds(60), r));
        key.<Done>runCommand(IdempotencyKeyEntity.Reset::new);
        assertEquals(
                new Claimed("run_b", true),
                key.<Claimed>runCommand(r -> new IdempotencyKeyEntity.Claim("run_b", null, NOW.plusSeconds(60), r))
                        .reply());
    }

    @Test
    void entityIdsSeparateEnvironmentsTasksAndKinds() {
        String id = IdempotencyKeyEntity.entityId("env", "task", Kind.RUN, "k");
        assertEquals(64, id.length());
        assertNotEquals(id, IdempotencyKeyEntity.entityId("env2", "task", Kind.RUN, "k"));
        assertNotEquals(id, IdempotencyKeyEntity.entityId("env", "task2", Kind.RUN, "k"));
        assertNotEquals(id, IdempotencyKeyEntity.entityId("env", "task", Kind.REQUEST, "k"));
        assertNotEquals(
                IdempotencyKeyEntity.entityId("a", "bc", Kind.RUN, "k"),
                IdempotencyKeyEntity.entityId("ab", "c", Kind.RUN, "k"));
    }
}
