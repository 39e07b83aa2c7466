package dev.baton.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.http.javadsl.Http;
import akka.http.javadsl.ServerBinding;
import akka.pattern.AskTimeoutException;
import akka.persistence.testkit.javadsl.PersistenceTestKit;
import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.engine.common.Ids;
import dev.baton.engine.environment.Environment;
import dev.baton.engine.logs.RunLogSink;
import dev.baton.engine.run.RunEntity;
import dev.baton.engine.run.RunService;
import dev.baton.engine.run.RunState;
import dev.baton.engine.run.RunStatus;
import dev.baton.engine.run.TriggerRequest;
import dev.baton.engine.testkit.TestNode;
import dev.baton.gateway.session.AttemptCall;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A worker's outcome that gets no answer from the run (as while the run's shard moves between nodes: the message is
 * dropped, or the ask times out while the run recovers elsewhere) is sent again, and the run is executed once; a
 * {@code started} or heartbeat lost so does not cost the attempt its lease. A real node; the sessions' calls pass a
 * sender that loses the next outcome, or the next call of a given kind, once.
 */
class OutcomeSentAgainGatewayTest {

    private static final Duration WAIT = Duration.ofSeconds(15);

    /** What happens to the next outcome a session sends. */
    private enum Loss {
        NONE,
        /** It never reaches the run. */
        ON_THE_WAY,
        /** The run applies it, its answer never comes back. */
        ITS_ANSWER
    }

    private static final AtomicReference<Loss> nextOutcome = new AtomicReference<>(Loss.NONE);
    private static final AtomicReference<Class<? extends AttemptCall>> nextLost = new AtomicReference<>();

    private static TestNode node;
    private static WorkerGateway gateway;
    private static ServerBinding binding;
    private static int port;
    private static PersistenceTestKit journal;

    private Environment environment;
    private String token;

    @BeforeAll
    static void start() throws Exception {
        node = TestNode.start("outcome-sent-again-test");
        gateway = new WorkerGateway(
                node.system(),
                node.engine(),
                node.directory(),
                null,
                RunLogSink.DISCARD,
                OutcomeSentAgainGatewayTest::send);
        binding = Http.get(node.system())
                .newServerAt("127.0.0.1", 0)
                .bind(gateway.route())
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
        port = binding.localAddress().getPort();
        journal = PersistenceTestKit.create(node.system());
    }

    @AfterAll
    static void stop() throws Exception {
        binding.unbind().toCompletableFuture().get(10, TimeUnit.SECONDS);
        node.close();
    }

    @BeforeEach
    void freshEnvironment() {
        String project = "p" + Ids.random(10);
        token = "bw_dev_" + Ids.random(32);
        environment = node.createEnvironment(project, "dev", "tr_dev_" + Ids.random(32), token);
        nextOutcome.set(Loss.NONE);
        nextLost.set(null);
    }

    private static CompletionStage<?> send(RunService runs, String runId, String attemptId, AttemptCall call) {
        if (nextLost.compareAndSet(call.getClass(), null)) {
            // as an ask whose message was dropped: no answer, then the node's ask timeout (10 s, over the lease)
            return new CompletableFuture<>().orTimeout(10, TimeUnit.SECONDS);
        }
        Loss loss = call.finishesAttempt() ? nextOutcome.getAndSet(Loss.NONE) : Loss.NONE;
        return switch (loss) {
            case NONE -> call.send(runs, runId, attemptId);
            case ON_THE_WAY -> CompletableFuture.failedFuture(lost(call));
            case ITS_ANSWER ->
                call.send(runs, runId, attemptId).thenCompose(answer -> CompletableFuture.failedFuture(lost(call)));
        };
    }

    private static AskTimeoutException lost(AttemptCall call) {
        return new AskTimeoutException("Ask timed out on [EntityRef(Run)]. Message of type "
                + call.getClass().getSimpleName() + " (lost)");
    }

    @Test
    void aCompletionLostOnTheWayIsSentAgainAndTheRunExecutesOnce() throws Exception {
        try (RawWorker worker = RawWorker.connectAndHello(port, token, "w-1", 1, "[{\"id\":\"lost-on-the-way\"}]")) {
            String runId = trigger("lost-on-the-way");
            String attemptId = worker.expect("execute").path("attemptId").asText();
            long sentAgainBefore = gateway.outcomesSentAgain();
            nextOutcome.set(Loss.ON_THE_WAY);
            worker.send(started(attemptId));
            worker.send(completed(attemptId, "{\"n\":1}"));

            RunState done = awaitRun(runId, state -> state.status() == RunStatus.COMPLETED);
            assertEquals("{\"n\":1}", done.outputJson());
            assertEquals(1, done.attemptCount());
            assertEquals(sentAgainBefore + 1, gateway.outcomesSentAgain());
            assertExecutedOnce(runId);
            assertNothingMore(worker);
        }
    }

    @Test
    void aCompletionWhoseAnswerIsLostIsSentAgainAndAnsweredAsAccepted() throws Exception {
        try (RawWorker worker = RawWorker.connectAndHello(port, token, "w-1", 1, "[{\"id\":\"answer-lost\"}]")) {
            String runId = trigger("answer-lost");
            String attemptId = worker.expect("execute").path("attemptId").asText();
            long sentAgainBefore = gateway.outcomesSentAgain();
            long staleBefore = gateway.staleMessagesRejected();
            nextOutcome.set(Loss.ITS_ANSWER);
            worker.send(started(attemptId));
            worker.send(completed(attemptId, "{\"n\":1}"));

            awaitRun(runId, state -> state.status() == RunStatus.COMPLETED);
            awaitCondition(() -> gateway.outcomesSentAgain() == sentAgainBefore + 1);
            // the repeat is answered as accepted: the worker hears nothing, and nothing is counted as stale
            assertNothingMore(worker);
            assertEquals(staleBefore, gateway.staleMessagesRejected());
            assertExecutedOnce(runId);
        }
    }

    @Test
    void aFailureLostOnTheWayIsSentAgainAndEndsTheRunWithItsError() throws Exception {
        try (RawWorker worker = RawWorker.connectAndHello(port, token, "w-1", 1, "[{\"id\":\"fails\"}]")) {
            String runId = trigger("fails");
            String attemptId = worker.expect("execute").path("attemptId").asText();
            nextOutcome.set(Loss.ON_THE_WAY);
            worker.send(started(attemptId));
            worker.send("{\"type\":\"failed\",\"attemptId\":\"" + attemptId
                    + "\",\"error\":{\"name\":\"BadInput\",\"message\":\"no\"},\"retryable\":false}");

            RunState failed = awaitRun(runId, state -> state.status() == RunStatus.FAILED);
            assertEquals("BadInput", failed.error().name(), "the worker's failure, not a lapsed lease");
            assertEquals(1, failed.attemptCount());
            List<Object> events =
                    journal.persistedInStorage(RunEntity.persistenceId(runId).id());
            assertEquals(1, count(events, RunEntity.AttemptFailed.class), events::toString);
            assertNothingMore(worker);
        }
    }

    @Test
    void aHeartbeatLostOnTheWayDoesNotCostTheAttemptItsLease() throws Exception {
        runWhileLosing(AttemptCall.Beat.class, "beat-lost");
    }

    @Test
    void aStartedLostOnTheWayDoesNotCostTheAttemptItsLease() throws Exception {
        runWhileLosing(AttemptCall.Start.class, "started-lost");
    }

    /** Starts an attempt and heartbeats it for two leases, losing the first call of the kind given. */
    private void runWhileLosing(Class<? extends AttemptCall> lost, String taskId) throws Exception {
        try (RawWorker worker = RawWorker.connectAndHello(port, token, "w-1", 1, "[{\"id\":\"" + taskId + "\"}]")) {
            String runId = trigger(taskId);
            String attemptId = worker.expect("execute").path("attemptId").asText();
            nextLost.set(lost);
            worker.send(started(attemptId));
            // two leases (3 s on the test node) of heartbeats, one per interval (500 ms)
            for (int beat = 0; beat < 12; beat++) {
                worker.send("{\"type\":\"heartbeat\",\"attemptId\":\"" + attemptId + "\"}");
                TestNode.sleep(Duration.ofMillis(500));
            }
            worker.send(completed(attemptId, "{\"n\":1}"));

            RunState done = awaitRun(runId, state -> state.status() == RunStatus.COMPLETED);
            assertEquals(1, done.attemptCount());
            assertExecutedOnce(runId);
            assertNothingMore(worker);
        }
    }

    /** The journal holds one outcome, the success, and no attempt that was given up on. */
    private void assertExecutedOnce(String runId) {
        List<Object> events =
                journal.persistedInStorage(RunEntity.persistenceId(runId).id());
        assertEquals(1, count(events, RunEntity.RunSucceeded.class), events::toString);
        assertEquals(0, count(events, RunEntity.AttemptFailed.class), events::toString);
    }

    /** Neither a second execution nor a rejection reaches the worker within a lease (3 s on the test node). */
    private static void assertNothingMore(RawWorker worker) throws InterruptedException {
        Optional<JsonNode> more = worker.poll(Duration.ofSeconds(4));
        assertTrue(more.isEmpty(), () -> "unexpected message " + more.get());
    }

    private static long count(List<Object> events, Class<?> type) {
        return events.stream().filter(type::isInstance).count();
    }

    private String trigger(String taskId) throws Exception {
        return node.engine()
                .runs()
                .trigger(environment.id(), TriggerRequest.of(taskId, "{}"))
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS)
                .run()
                .runId();
    }

    private RunState run(String runId) throws Exception {
        return node.run(environment.id(), runId);
    }

    private RunState awaitRun(String runId, Predicate<RunState> condition) throws Exception {
        return node.awaitRun(environment.id(), runId, condition);
    }

    private static void awaitCondition(java.util.function.BooleanSupplier condition) {
        Instant deadline = Instant.now().plus(WAIT);
        while (!condition.getAsBoolean()) {
            if (Instant.now().isAfter(deadline)) throw new AssertionError("never happened");
            TestNode.sleep(Duration.ofMillis(50));
        }
    }

    private static String started(String attemptId) {
        return "{\"type\":\"started\",\"attemptId\":\"" + attemptId + "\"}";
    }

    private static String completed(String attemptId, String outputJson) {
        return "{\"type\":\"completed\",\"attemptId\":\"" + attemptId + "\",\"output\":" + outputJson + "}";
    }
}
