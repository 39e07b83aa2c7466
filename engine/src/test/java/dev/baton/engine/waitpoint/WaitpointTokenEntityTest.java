package dev.baton.engine.waitpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.pattern.StatusReply;
import akka.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import com.typesafe.config.ConfigFactory;
import dev.baton.engine.common.Ids;
import dev.baton.engine.testkit.MutableClock;
import dev.baton.engine.waitpoint.WaitpointTokenEntity.AwaitToken;
import dev.baton.engine.waitpoint.WaitpointTokenEntity.Command;
import dev.baton.engine.waitpoint.WaitpointTokenEntity.Complete;
import dev.baton.engine.waitpoint.WaitpointTokenEntity.CompleteByCallback;
import dev.baton.engine.waitpoint.WaitpointTokenEntity.Create;
import dev.baton.engine.waitpoint.WaitpointTokenEntity.Event;
import dev.baton.engine.waitpoint.WaitpointTokenEntity.State;
import dev.baton.engine.waitpoint.WaitpointTokenEntity.Status;
import dev.baton.engine.waitpoint.WaitpointTokenEntity.TokenCompleted;
import dev.baton.engine.waitpoint.WaitpointTokenEntity.TokenCreated;
import dev.baton.engine.waitpoint.WaitpointTokenEntity.TokenTimedOut;
import dev.baton.engine.waitpoint.WaitpointTokenEntity.WaiterAdded;
import dev.baton.engine.waitpoint.WaitpointTokenEntity.Wake;
import dev.baton.engine.worker.StepResult;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Every command in every state of a token, with serialization of commands, events, state and replies verified. */
class WaitpointTokenEntityTest {

    private static final String ENV = "env_test_dev";
    private static final String HASH = "callbackhash0123456789abcdefghijklmnopqr";
    private static final Instant NOW = Instant.parse("2026-11-28T10:00:00Z");

    /** What the token told a run. */
    record Told(String runId, String tokenId, StepResult result) {}

    private static ActorTestKit testKit;

    private final String tokenId = "waitpoint_" + Ids.random(12);
    private final MutableClock clock = new MutableClock(NOW);
    private TestProbe<Told> runs;
    private EventSourcedBehaviorTestKit<Command, Event, State> token;

    @BeforeAll
    static void startTestKit() {
        testKit = ActorTestKit.create(
                "WaitpointTokenEntityTest", EventSourcedBehaviorTestKit.config().withFallback(ConfigFactory.load()));
    }

    @AfterAll
    static void stopTestKit() {
        testKit.shutdownTestKit();
    }

    @BeforeEach
    void newToken() {
        runs = testKit.createTestProbe();
        TestProbe<Told> told = runs;
        token = EventSourcedBehaviorTestKit.create(
                testKit.system(),
                WaitpointTokenEntity.create(
                        tokenId, clock, (runId, id, result) -> told.ref().tell(new Told(runId, id, result))),
                EventSourcedBehaviorTestKit.enabledSerializationSettings());
    }

    private static TokenSpec spec(Instant timeoutAt) {
        return new TokenSpec(ENV, timeoutAt, List.of("user:1", "approval"), null, null, HASH);
    }

    private State create(Instant timeoutAt) {
        var result = token.<StatusReply<State>>runCommand(r -> new Create(spec(timeoutAt), r));
        assertEquals(new TokenCreated(tokenId, spec(timeoutAt), NOW), result.event());
        return result.reply().getValue();
    }

    private StatusReply<State> complete(String env, String output) {
        return token.<StatusReply<State>>runCommand(r -> new Complete(env, output, r))
                .reply();
    }

    // ---------------------------------------------------------------- NEW

    @Test
    void anUnknownTokenIsNotFoundForEveryone() {
        assertEquals(
                Status.NEW,
                token.<State>runCommand(WaitpointTokenEntity.Get::new).reply().status());
        var completed = token.<StatusReply<State>>runCommand(r -> new Complete(ENV, "{}", r));
        assertTrue(completed.hasNoEvents());
        assertEquals(
                WaitpointTokenEntity.NOT_FOUND, completed.reply().getError().getMessage());
        var callback = token.<StatusReply<State>>runCommand(r -> new CompleteByCallback(HASH, "{}", r));
        assertEquals(WaitpointTokenEntity.NOT_FOUND, callback.reply().getError().getMessage());

        assertTrue(token.runCommand(new AwaitToken(ENV, "run_a")).hasNoEvents());
        Told told = runs.receiveMessage();
        assertEquals("run_a", told.runId());
        assertEquals(WaitpointTokenEntity.TOKEN_NOT_FOUND, told.result().error().name());
    }

    @Test
    void createIsIdempotent() {
        State created = create(null);
        assertEquals(Status.WAITING, created.status());
        assertEquals(NOW, created.createdAt());
        assertEquals(List.of("user:1", "approval"), created.spec().tags());
        var again = token.<StatusReply<State>>runCommand(r -> new Create(spec(NOW.plusSeconds(5)), r));
        assertTrue(again.hasNoEvents());
        assertEquals(created, again.reply().getValue());
    }

    // ---------------------------------------------------------------- WAITING

    @Test
    void completingAWaitingTokenKeepsItsDataAndTellsEveryWaiter() {
        create(null);
        assertEquals(
                new WaiterAdded("run_a", NOW),
                token.runCommand(new AwaitToken(ENV, "run_a")).event());
        assertTrue(token.runCommand(new AwaitToken(ENV, "run_a")).hasNoEvents(), "registering twice changes nothing");
        assertEquals(
                new WaiterAdded("run_b", NOW),
                token.runCommand(new AwaitToken(ENV, "run_b")).event());
        runs.expectNoMessage(Duration.ofMillis(50));

        clock.advance(Duration.ofSeconds(3));
        var result = token.<StatusReply<State>>runCommand(r -> new Complete(ENV, "{\"approved\":true}", r));
        assertEquals(new TokenCompleted("{\"approved\":true}", NOW.plusSeconds(3)), result.event());
        State completed = result.reply().getValue();
        assertEquals(Status.COMPLETED, completed.status());
        assertEquals(NOW.plusSeconds(3), completed.completedAt());

        StepResult expected = StepResult.success("{\"approved\":true}");
        assertEquals(new Told("run_a", tokenId, expected), runs.receiveMessage());
        assertEquals(new Told("run_b", tokenId, expected), runs.receiveMessage());
    }

    @Test
    void aWaitingTokenOfAnotherEnvironmentIsNotFound() {
        create(null);
        var completed = token.<StatusReply<State>>runCommand(r -> new Complete("env_other", "{}", r));
        assertTrue(completed.hasNoEvents());
        assertEquals(
                WaitpointTokenEntity.NOT_FOUND, completed.reply().getError().getMessage());
        assertTrue(token.runCommand(new AwaitToken("env_other", "run_a")).hasNoEvents());
        assertEquals(
                WaitpointTokenEntity.TOKEN_NOT_FOUND,
                runs.receiveMessage().result().error().name());
    }

    @Test
    void theCallbackNeedsTheTokensHash() {
        create(null);
        var wrong = token.<StatusReply<State>>runCommand(r -> new CompleteByCallback("nope", "{}", r));
        assertTrue(wrong.hasNoEvents());
        assertEquals(
                WaitpointTokenEntity.INVALID_CALLBACK, wrong.reply().getError().getMessage());
        var missing = token.<StatusReply<State>>runCommand(r -> new CompleteByCallback(null, "{}", r));
        assertEquals(
                WaitpointTokenEntity.INVALID_CALLBACK,
                missing.reply().getError().getMessage());

        var right = token.<StatusReply<State>>runCommand(r -> new CompleteByCallback(HASH, "[1,2]", r));
        assertEquals(new TokenCompleted("[1,2]", NOW), right.event());
        assertEquals(Status.COMPLETED, right.reply().getValue().status());
    }

    @Test
    void aWakeBeforeTheTimeoutChangesNothing() {
        create(NOW.plusSeconds(60));
        assertTrue(token.runCommand(new Wake()).hasNoEvents());
        assertEquals(Status.WAITING, token.getState().status());
    }

    @Test
    void aWakeAfterTheTimeoutTimesTheTokenOut() {
        create(NOW.plusSeconds(60));
        token.runCommand(new AwaitToken(ENV, "run_a"));
        clock.advance(Duration.ofSeconds(61));
        var woken = token.runCommand(new Wake());
        assertEquals(new TokenTimedOut(NOW.plusSeconds(61)), woken.event());
        Told told = runs.receiveMessage();
        assertEquals(WaitpointTokenEntity.TIMEOUT_ERROR, told.result().error().name());
        assertEquals(
                "Waitpoint timed out at " + NOW.plusSeconds(60),
                told.result().error().message());
    }

    @Test
    void theTimeoutTimerTimesTheTokenOut() {
        create(NOW.plusMillis(300));
        token.runCommand(new AwaitToken(ENV, "run_a"));
        clock.advance(Duration.ofSeconds(1));
        Told told = runs.receiveMessage(Duration.ofSeconds(5));
        assertEquals("run_a", told.runId());
        assertEquals(WaitpointTokenEntity.TIMEOUT_ERROR, told.result().error().name());
        assertEquals(Status.TIMED_OUT, token.getState().status());
        assertNull(token.getState().outputJson());
    }

    @Test
    void aTimeoutInThePastFiresAtOnce() {
        create(NOW.minusSeconds(1));
        token.runCommand(new AwaitToken(ENV, "run_a"));
        assertEquals(
                WaitpointTokenEntity.TIMEOUT_ERROR,
                runs.receiveMessage(Duration.ofSeconds(5)).result().error().name());
    }

    // ---------------------------------------------------------------- COMPLETED, TIMED_OUT

    @Test
    void aCompletedTokenKeepsItsFirstOutcome() {
        create(null);
        complete(ENV, "{\"n\":1}");
        var again = token.<StatusReply<State>>runCommand(r -> new Complete(ENV, "{\"n\":2}", r));
        assertTrue(again.hasNoEvents());
        assertEquals("{\"n\":1}", again.reply().getValue().outputJson());
        var callback = token.<StatusReply<State>>runCommand(r -> new CompleteByCallback(HASH, "{\"n\":3}", r));
        assertTrue(callback.hasNoEvents());
        assertEquals("{\"n\":1}", callback.reply().getValue().outputJson());
        var wrongHash = token.<StatusReply<State>>runCommand(r -> new CompleteByCallback("x", "{}", r));
        assertEquals(
                WaitpointTokenEntity.INVALID_CALLBACK,
                wrongHash.reply().getError().getMessage());
        assertEquals(
                WaitpointTokenEntity.NOT_FOUND,
                complete("env_other", "{}").getError().getMessage());
    }

    @Test
    void aRunRegisteringWithAFinalTokenIsToldAtOnce() {
        create(null);
        complete(ENV, null);
        assertTrue(token.runCommand(new AwaitToken(ENV, "run_late")).hasNoEvents());
        assertEquals(new Told("run_late", tokenId, StepResult.success(null)), runs.receiveMessage());
        token.runCommand(new AwaitToken("env_other", "run_other"));
        assertEquals(
                WaitpointTokenEntity.TOKEN_NOT_FOUND,
                runs.receiveMessage().result().error().name());
    }

    @Test
    void completingATimedOutTokenChangesNothing() {
        create(NOW.plusSeconds(1));
        clock.advance(Duration.ofSeconds(2));
        token.runCommand(new Wake());
        var completed = token.<StatusReply<State>>runCommand(r -> new Complete(ENV, "{}", r));
        assertTrue(completed.hasNoEvents());
        assertEquals(Status.TIMED_OUT, completed.reply().getValue().status());
        token.runCommand(new AwaitToken(ENV, "run_late"));
        assertInstanceOf(StepResult.class, runs.receiveMessage().result());
    }

    // ---------------------------------------------------------------- recovery

    @Test
    void recoveryArmsTheTimeoutAgain() {
        create(NOW.plusSeconds(30));
        token.runCommand(new AwaitToken(ENV, "run_a"));
        clock.advance(Duration.ofSeconds(31));
        token.restart();
        Told told = runs.receiveMessage(Duration.ofSeconds(5));
        assertEquals(WaitpointTokenEntity.TIMEOUT_ERROR, told.result().error().name());
        assertEquals(Status.TIMED_OUT, token.getState().status());
    }

    @Test
    void aRecoveredFinalTokenTellsItsWaitersAgain() {
        create(null);
        token.runCommand(new AwaitToken(ENV, "run_a"));
        complete(ENV, "\"yes\"");
        assertEquals("run_a", runs.receiveMessage().runId());
        token.restart();
        assertEquals(new Told("run_a", tokenId, StepResult.success("\"yes\"")), runs.receiveMessage());
        assertEquals(Status.COMPLETED, token.getState().status());
        assertEquals(List.of("run_a"), token.getState().waiters());
    }
}
