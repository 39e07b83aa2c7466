package dev.baton.engine.waitpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import dev.baton.engine.dispatch.DispatchReply;
import dev.baton.engine.environment.Environment;
import dev.baton.engine.run.RunEntity;
import dev.baton.engine.run.RunState;
import dev.baton.engine.run.RunStatus;
import dev.baton.engine.run.TriggerRequest;
import dev.baton.engine.run.Wait;
import dev.baton.engine.task.TaskDefinition;
import dev.baton.engine.testkit.TestNode;
import dev.baton.engine.waitpoint.WaitpointTokenEntity.State;
import dev.baton.engine.waitpoint.WaitpointTokenEntity.Status;
import dev.baton.engine.waitpoint.WaitpointTokens.CallbackOutcome;
import dev.baton.engine.waitpoint.WaitpointTokens.CreateRequest;
import dev.baton.engine.waitpoint.WaitpointTokens.Created;
import dev.baton.engine.worker.StepResult;
import dev.baton.engine.worker.WorkerChannel;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The token service on a node (sharding, the idempotency key entity) and tokens with real runs waiting
 * for them: a run suspended on a token resumes with its data, its timeout error, or TOKEN_NOT_FOUND.
 */
class WaitpointTokensTest {

    private static TestNode node;
    private static Environment env;
    private static Environment other;
    private static WaitpointTokens tokens;

    @BeforeAll
    static void start() throws Exception {
        node = TestNode.start("WaitpointTokensTest");
        env = node.createEnvironment("proj_wp", "dev", "tr_dev_wp_key", "bw_wp");
        other = node.createEnvironment("proj_wp_other", "dev", "tr_dev_wp_other", "bw_wp_other");
        tokens = node.engine().tokens();
        node.engine()
                .declareTasks(env.id(), List.of(new TaskDefinition("approval", null, null, null, null)))
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    private static <T> T await(CompletionStage<T> stage) throws Exception {
        return stage.toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private static State create(CreateRequest request) throws Exception {
        return await(tokens.create(env.id(), request)).token();
    }

    private static CreateRequest plain() {
        return new CreateRequest(null, List.of(), null, null);
    }

    @Test
    void aTokenIsCreatedReadAndCompletedInItsEnvironmentOnly() throws Exception {
        State token = create(new CreateRequest(null, List.of("a"), null, null));
        assertTrue(WaitpointTokens.looksLikeTokenId(token.tokenId()), token.tokenId());
        assertEquals(40, token.spec().callbackHash().length());
        assertEquals(
                Status.WAITING,
                await(tokens.get(env.id(), token.tokenId())).orElseThrow().status());
        assertTrue(await(tokens.get(other.id(), token.tokenId())).isEmpty());
        assertTrue(await(tokens.get(env.id(), "waitpoint_nosuchtoken")).isEmpty());
        assertTrue(await(tokens.get(env.id(), "run_notatoken")).isEmpty());

        assertTrue(await(tokens.complete(other.id(), token.tokenId(), "{}")).isEmpty());
        State completed =
                await(tokens.complete(env.id(), token.tokenId(), "{\"ok\":1}")).orElseThrow();
        assertEquals(Status.COMPLETED, completed.status());
        assertEquals(
                "{\"ok\":1}",
                await(tokens.complete(env.id(), token.tokenId(), "{\"ok\":2}"))
                        .orElseThrow()
                        .outputJson());
        assertTrue(await(tokens.complete(env.id(), "waitpoint_", "{}")).isEmpty());
    }

    @Test
    void theCallbackCompletesWithTheRightHashOnly() throws Exception {
        State token = create(plain());
        assertEquals(CallbackOutcome.INVALID_HASH, await(tokens.completeByCallback(token.tokenId(), "wrong", "{}")));
        assertEquals(
                CallbackOutcome.NOT_FOUND,
                await(tokens.completeByCallback(
                        "waitpoint_nosuchtoken", token.spec().callbackHash(), "{}")));
        assertEquals(CallbackOutcome.NOT_FOUND, await(tokens.completeByCallback("../x", "h", "{}")));
        assertEquals(
                Status.WAITING,
                await(tokens.get(env.id(), token.tokenId())).orElseThrow().status());
        assertEquals(
                CallbackOutcome.COMPLETED,
                await(tokens.completeByCallback(
                        token.tokenId(), token.spec().callbackHash(), "{\"via\":\"callback\"}")));
        assertEquals(
                "{\"via\":\"callback\"}",
                await(tokens.get(env.id(), token.tokenId())).orElseThrow().outputJson());
    }

    @Test
    void anIdempotencyKeyReturnsTheSameTokenUntilItExpires() throws Exception {
        Created first =
                await(tokens.create(env.id(), new CreateRequest(null, List.of(), "order-1", Duration.ofSeconds(1))));
        Created second = await(tokens.create(env.id(), new CreateRequest(null, List.of(), "order-1", null)));
        assertFalse(first.cached());
        assertTrue(second.cached());
        assertEquals(first.token().tokenId(), second.token().tokenId());
        assertEquals("order-1", second.token().spec().idempotencyKey());
        assertTrue(second.token().spec().idempotencyKeyExpiresAt().isAfter(Instant.now()));

        Created otherEnv = await(tokens.create(other.id(), new CreateRequest(null, List.of(), "order-1", null)));
        assertFalse(otherEnv.cached());
        assertNotEquals(first.token().tokenId(), otherEnv.token().tokenId());

        Thread.sleep(1_100);
        Created afterExpiry = await(tokens.create(env.id(), new CreateRequest(null, List.of(), "order-1", null)));
        assertFalse(afterExpiry.cached());
        assertNotEquals(first.token().tokenId(), afterExpiry.token().tokenId());
    }

    // ---------------------------------------------------------------- runs waiting for tokens

    @Test
    void aRunWaitingForATokenResumesWithItsData() throws Exception {
        State token = create(plain());
        String runId = suspendedOn(token.tokenId());
        Thread.sleep(200);
        assertEquals(RunStatus.WAITING, run(runId).status());
        await(tokens.complete(env.id(), token.tokenId(), "{\"approved\":true}"));
        RunState resumed = awaitRun(runId, run -> run.steps().containsKey("token#1"));
        assertEquals(StepResult.success("{\"approved\":true}"), resumed.steps().get("token#1"));
        assertEquals(
                List.of(runId),
                await(tokens.get(env.id(), token.tokenId())).orElseThrow().waiters());
    }

    @Test
    void aRunWaitingForACompletedTokenResumesAtOnce() throws Exception {
        State token = create(plain());
        await(tokens.complete(env.id(), token.tokenId(), "42"));
        String runId = suspendedOn(token.tokenId());
        assertEquals(
                StepResult.success("42"),
                awaitRun(runId, run -> run.steps().containsKey("token#1"))
                        .steps()
                        .get("token#1"));
    }

    @Test
    void aRunWaitingForATokenThatTimesOutResumesWithTheTimeoutError() throws Exception {
        State token = create(new CreateRequest(Instant.now().plusMillis(1_500), List.of(), null, null));
        String runId = suspendedOn(token.tokenId());
        StepResult result = awaitRun(runId, run -> run.steps().containsKey("token#1"))
                .steps()
                .get("token#1");
        assertEquals(WaitpointTokenEntity.TIMEOUT_ERROR, result.error().name());
        assertEquals(
                Status.TIMED_OUT,
                await(tokens.get(env.id(), token.tokenId())).orElseThrow().status());
    }

    @Test
    void aRunWaitingForAnUnknownTokenOrOneOfAnotherEnvironmentGetsTokenNotFound() throws Exception {
        String unknown = suspendedOn("waitpoint_doesnotexist");
        assertEquals(
                WaitpointTokenEntity.TOKEN_NOT_FOUND,
                awaitRun(unknown, run -> run.steps().containsKey("token#1"))
                        .steps()
                        .get("token#1")
                        .error()
                        .name());
        State foreign = await(tokens.create(other.id(), plain())).token();
        String stranger = suspendedOn(foreign.tokenId());
        assertEquals(
                WaitpointTokenEntity.TOKEN_NOT_FOUND,
                awaitRun(stranger, run -> run.steps().containsKey("token#1"))
                        .steps()
                        .get("token#1")
                        .error()
                        .name());
        assertTrue(await(tokens.get(other.id(), foreign.tokenId()))
                .orElseThrow()
                .waiters()
                .isEmpty());
    }

    /** Triggers a run, leases it to a probe standing in for a worker, starts it and suspends it on the token. */
    private static String suspendedOn(String tokenId) throws Exception {
        String runId = await(node.engine().runs().trigger(env.id(), TriggerRequest.of("approval", "{}")))
                .run()
                .runId();
        TestProbe<WorkerChannel.Message> worker = node.testKit().createTestProbe();
        TestProbe<DispatchReply> reply = node.testKit().createTestProbe();
        ClusterSharding.get(node.system())
                .entityRefFor(RunEntity.ENTITY_TYPE_KEY, runId)
                .tell(new RunEntity.Dispatch("session-" + runId, "worker-1", worker.ref(), reply.ref()));
        assertTrue(reply.receiveMessage().accepted());
        String attemptId =
                worker.expectMessageClass(WorkerChannel.Execute.class).attemptId();
        await(node.engine().runs().startAttempt(runId, attemptId));
        await(node.engine().runs().suspend(runId, attemptId, Wait.token("token#1", tokenId)));
        return runId;
    }

    private static RunState run(String runId) throws Exception {
        return await(node.engine().runs().get(env.id(), runId)).orElseThrow();
    }

    private static RunState awaitRun(String runId, Predicate<RunState> until) throws Exception {
        Instant deadline = Instant.now().plusSeconds(10);
        RunState state = run(runId);
        while (!until.test(state)) {
            if (Instant.now().isAfter(deadline)) throw new AssertionError("run never got there: " + state);
            Thread.sleep(50);
            state = run(runId);
        }
        return state;
    }
}
