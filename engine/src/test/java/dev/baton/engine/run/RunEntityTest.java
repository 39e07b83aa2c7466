package dev.baton.engine.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.Done;
import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import akka.pattern.StatusReply;
import akka.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import akka.persistence.testkit.javadsl.EventSourcedBehaviorTestKit.CommandResultWithReply;
import com.typesafe.config.ConfigFactory;
import dev.baton.engine.dispatch.DispatchReply;
import dev.baton.engine.dispatch.EnvironmentDispatcher;
import dev.baton.engine.task.RetryPolicy;
import dev.baton.engine.task.TaskDefinition;
import dev.baton.engine.testkit.MutableClock;
import dev.baton.engine.worker.RunError;
import dev.baton.engine.worker.StepResult;
import dev.baton.engine.worker.WorkerChannel;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** Every command in every state of a run, with serialization of commands, events, state and replies verified. */
class RunEntityTest {

    private static final String ENV = "env_test_dev";
    /** Real time: long enough that a stalled test thread (GC, a busy machine) does not lose a lease it renews. */
    private static final Duration LEASE = Duration.ofSeconds(2);

    private static final RunSettings SETTINGS = new RunSettings(
            LEASE, Duration.ofMillis(100), 4, 10, 256 * 1024, Duration.ofSeconds(10), Duration.ofSeconds(30));

    private static ActorTestKit testKit;

    /** Each test its own run: the testkit's in-memory journal outlives a test. */
    private final String runId = "run_" + dev.baton.engine.common.Ids.random(12);

    private final MutableClock clock = new MutableClock(Instant.parse("2026-11-28T10:00:00Z"));
    private TestProbe<EnvironmentDispatcher.Command> dispatcher;
    private TestProbe<WorkerChannel.Message> worker;
    private TestProbe<DispatchReply> dispatchReplies;
    private EventSourcedBehaviorTestKit<RunEntity.Command, RunEntity.Event, RunState> run;
    private TestLinks links;

    @BeforeAll
    static void startTestKit() {
        testKit = ActorTestKit.create(
                "RunEntityTest", EventSourcedBehaviorTestKit.config().withFallback(ConfigFactory.load()));
    }

    @AfterAll
    static void stopTestKit() {
        testKit.shutdownTestKit();
    }

    @BeforeEach
    void newRun() {
        dispatcher = testKit.createTestProbe();
        worker = testKit.createTestProbe();
        dispatchReplies = testKit.createTestProbe();
        links = new TestLinks(dispatcher.ref(), testKit.createTestProbe());
        run = runWithClock(clock);
    }

    /** Delay and TTL tests need the entity's clock to move with its (real-time) timers. */
    private EventSourcedBehaviorTestKit<RunEntity.Command, RunEntity.Event, RunState> runWithClock(Clock entityClock) {
        return EventSourcedBehaviorTestKit.create(
                testKit.system(),
                RunEntity.create(runId, SETTINGS, entityClock, RandomGenerator.of("L64X128MixRandom"), links, null),
                EventSourcedBehaviorTestKit.enabledSerializationSettings());
    }

    private static RunSpec spec(RetryPolicy retry, Instant delayUntil, Duration ttl, Integer maxDurationSeconds) {
        return new RunSpec(
                ENV,
                "hello-world",
                "task/hello-world",
                "{\"name\":\"Ada\"}",
                "application/json",
                List.of("a", "b"),
                "{\"k\":1}",
                null,
                retry,
                maxDurationSeconds,
                false,
                "tenant-1",
                5_000,
                delayUntil,
                ttl,
                null);
    }

    private RunState triggerWith(RunSpec runSpec) {
        var result = run.<StatusReply<RunState>>runCommand(replyTo -> new RunEntity.Trigger(runSpec, replyTo));
        assertTrue(result.reply().isSuccess());
        return result.state();
    }

    private <T> T expectDispatcherMessage(Class<T> type) {
        long deadline = System.nanoTime() + Duration.ofSeconds(3).toNanos();
        while (true) {
            EnvironmentDispatcher.Command message =
                    dispatcher.receiveMessage(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
            if (type.isInstance(message)) return type.cast(message);
        }
    }

    private static RunSpec spec(RetryPolicy retry) {
        return new RunSpec(
                ENV,
                "hello-world",
                "task/hello-world",
                "{\"name\":\"Ada\"}",
                "application/json",
                List.of("a", "b"),
                "{\"k\":1}",
                null,
                retry,
                null,
                false,
                null,
                0,
                null,
                null,
                null);
    }

    private static RetryPolicy noBackoff(int attempts) {
        return new RetryPolicy(attempts, 2, 0, 0, false);
    }

    private RunState trigger(RetryPolicy retry) {
        CommandResultWithReply<RunEntity.Command, RunEntity.Event, RunState, StatusReply<RunState>> result =
                run.runCommand(replyTo -> new RunEntity.Trigger(spec(retry), replyTo));
        assertTrue(result.reply().isSuccess());
        expectEnqueue();
        return result.state();
    }

    /** The next Enqueue the run sends its dispatcher (skipping Withdraw and Occupying notices). */
    private EnvironmentDispatcher.Enqueue expectEnqueue() {
        long deadline = System.nanoTime() + Duration.ofSeconds(3).toNanos();
        while (true) {
            EnvironmentDispatcher.Command message =
                    dispatcher.receiveMessage(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
            if (message instanceof EnvironmentDispatcher.Enqueue enqueue) {
                assertEquals(runId, enqueue.runId());
                assertEquals("hello-world", enqueue.taskId());
                return enqueue;
            }
        }
    }

    private WorkerChannel.Execute lease() {
        var result = run.<DispatchReply>runCommand(
                replyTo -> new RunEntity.Dispatch("ws_1", "worker-1", worker.ref(), replyTo));
        assertEquals(new DispatchReply(runId, "ws_1", true), result.reply());
        return worker.expectMessageClass(WorkerChannel.Execute.class);
    }

    private String executing(RetryPolicy retry) {
        trigger(retry);
        String attemptId = lease().attemptId();
        clock.advance(Duration.ofMillis(50));
        assertTrue(run.<StatusReply<Done>>runCommand(replyTo -> new RunEntity.StartAttempt(attemptId, null, replyTo))
                .reply()
                .isSuccess());
        return attemptId;
    }

    private StatusReply<Done> complete(String attemptId, String output) {
        return run.<StatusReply<Done>>runCommand(
                        replyTo -> new RunEntity.CompleteAttempt(attemptId, output, null, replyTo))
                .reply();
    }

    private void assertStale(StatusReply<Done> reply) {
        assertTrue(reply.isError());
        assertEquals(RunEntity.STALE_ATTEMPT, reply.getError().getMessage());
    }

    /**
     * The run as callers see it (Get): with the attempt a worker holds, which the journal gets only with its outcome.
     */
    private RunState current() {
        return run.<RunState>runCommand(RunEntity.Get::new).reply();
    }

    private void assertNoEventsFor(RunEntity.Command command) {
        assertTrue(run.runCommand(command).hasNoEvents());
    }

    @Nested
    class WhenNew {
        @Test
        void triggerPersistsRunTriggeredAndQueuesTheRun() {
            var result = run.<StatusReply<RunState>>runCommand(
                    replyTo -> new RunEntity.Trigger(spec(RetryPolicy.DEFAULT), replyTo));
            RunEntity.RunTriggered event = result.eventOfType(RunEntity.RunTriggered.class);
            assertEquals(spec(RetryPolicy.DEFAULT), event.spec());
            assertEquals(clock.instant(), event.at());
            assertEquals(RunStatus.QUEUED, result.reply().getValue().status());
            expectEnqueue();
        }

        @Test
        void getAnswersNew() {
            var result = run.<RunState>runCommand(RunEntity.Get::new);
            assertTrue(result.hasNoEvents());
            assertEquals(RunStatus.NEW, result.reply().status());
            assertFalse(result.reply().belongsTo(ENV));
        }

        @Test
        void dispatchIsDeclined() {
            var result = run.<DispatchReply>runCommand(
                    replyTo -> new RunEntity.Dispatch("ws_1", "w", worker.ref(), replyTo));
            assertTrue(result.hasNoEvents());
            assertFalse(result.reply().accepted());
        }

        @Test
        void attemptMessagesAreErrors() {
            for (var reply : List.of(
                    run.<StatusReply<Done>>runCommand(r -> new RunEntity.StartAttempt("att_x", null, r)),
                    run.<StatusReply<Done>>runCommand(r -> new RunEntity.Heartbeat("att_x", r)),
                    run.<StatusReply<Done>>runCommand(r -> new RunEntity.CompleteAttempt("att_x", "1", null, r)),
                    run.<StatusReply<Done>>runCommand(
                            r -> new RunEntity.FailAttempt("att_x", new RunError("E", "m", null), true, null, r)))) {
                assertTrue(reply.hasNoEvents());
                assertTrue(reply.reply().isError());
            }
            assertNoEventsFor(new RunEntity.WorkerLost("att_x", "gone"));
        }
    }

    @Nested
    class WhenQueued {
        @Test
        void triggerAgainIsIdempotent() {
            trigger(RetryPolicy.DEFAULT);
            var result = run.<StatusReply<RunState>>runCommand(
                    replyTo -> new RunEntity.Trigger(spec(RetryPolicy.DEFAULT), replyTo));
            assertTrue(result.hasNoEvents());
            assertEquals(RunStatus.QUEUED, result.reply().getValue().status());
        }

        @Test
        void dispatchLeasesAnAttemptWithoutAnEventAndSendsItToTheWorker() {
            trigger(RetryPolicy.DEFAULT);
            var result = run.<DispatchReply>runCommand(
                    replyTo -> new RunEntity.Dispatch("ws_1", "worker-1", worker.ref(), replyTo));
            assertTrue(result.hasNoEvents(), "an attempt is journaled with its outcome");
            assertTrue(result.reply().accepted());
            RunState leased = current();
            assertEquals(RunStatus.DEQUEUED, leased.status());
            assertEquals(1, leased.currentAttempt().number());
            assertEquals("ws_1", leased.currentAttempt().sessionId());
            WorkerChannel.Execute execute = worker.expectMessageClass(WorkerChannel.Execute.class);
            assertEquals(leased.currentAttempt().id(), execute.attemptId());
            assertEquals(1, execute.attemptNumber());
            assertEquals("{\"name\":\"Ada\"}", execute.payloadJson());
            assertEquals(List.of("a", "b"), execute.tags());
            assertEquals(3, execute.maxAttempts());
        }

        @Test
        void attemptMessagesAreStale() {
            trigger(RetryPolicy.DEFAULT);
            assertStale(run.<StatusReply<Done>>runCommand(r -> new RunEntity.StartAttempt("att_x", null, r))
                    .reply());
            assertStale(run.<StatusReply<Done>>runCommand(r -> new RunEntity.Heartbeat("att_x", r))
                    .reply());
            assertStale(complete("att_x", "1"));
            assertEquals(RunStatus.QUEUED, run.getState().status());
        }
    }

    @Nested
    class WhenDequeued {
        @Test
        void startIsKeptUntilTheOutcomeAndShownAsExecuting() {
            trigger(RetryPolicy.DEFAULT);
            String attemptId = lease().attemptId();
            var result = run.<StatusReply<Done>>runCommand(r -> new RunEntity.StartAttempt(attemptId, null, r));
            assertTrue(result.hasNoEvents());
            assertTrue(result.reply().isSuccess());
            assertEquals(RunStatus.EXECUTING, current().status());
            assertEquals(clock.instant(), current().startedAt());
        }

        @Test
        void startOfAnotherAttemptIsStale() {
            trigger(RetryPolicy.DEFAULT);
            lease();
            var result = run.<StatusReply<Done>>runCommand(r -> new RunEntity.StartAttempt("att_other", null, r));
            assertTrue(result.hasNoEvents());
            assertStale(result.reply());
        }

        @Test
        void secondDispatchIsDeclined() {
            trigger(RetryPolicy.DEFAULT);
            lease();
            var result = run.<DispatchReply>runCommand(
                    replyTo -> new RunEntity.Dispatch("ws_2", "w2", worker.ref(), replyTo));
            assertTrue(result.hasNoEvents());
            assertFalse(result.reply().accepted());
            worker.expectNoMessage(Duration.ofMillis(50));
        }

        @Test
        void completionWithoutStartSucceeds() {
            trigger(RetryPolicy.DEFAULT);
            String attemptId = lease().attemptId();
            var result =
                    run.<StatusReply<Done>>runCommand(r -> new RunEntity.CompleteAttempt(attemptId, "42", null, r));
            result.eventOfType(RunEntity.RunSucceeded.class);
            assertEquals(RunStatus.COMPLETED, result.state().status());
        }

        @Test
        void leaseExpiresWithoutStartAndTheRunIsRetried() {
            trigger(noBackoff(3));
            lease();
            expectEnqueue();
            RunState state = run.getState();
            assertEquals(RunStatus.QUEUED, state.status());
            assertEquals(RunError.WORKER_LOST, state.error().name());
        }
    }

    @Nested
    class WhenExecuting {
        @Test
        void heartbeatRenewsTheLeaseWithoutEvents() {
            String attemptId = executing(noBackoff(3));
            for (int i = 0; i < 3; i++) { // past the lease, renewed every half lease
                var result = run.<StatusReply<Done>>runCommand(r -> new RunEntity.Heartbeat(attemptId, r));
                assertTrue(result.hasNoEvents());
                assertTrue(result.reply().isSuccess());
                sleep(LEASE.dividedBy(2));
            }
            assertEquals(RunStatus.EXECUTING, current().status());
        }

        @Test
        void duplicateStartIsAcknowledgedWithoutEvents() {
            String attemptId = executing(RetryPolicy.DEFAULT);
            var result = run.<StatusReply<Done>>runCommand(r -> new RunEntity.StartAttempt(attemptId, null, r));
            assertTrue(result.hasNoEvents());
            assertTrue(result.reply().isSuccess());
        }

        @Test
        void completionEndsTheRunWithItsOutput() {
            String attemptId = executing(RetryPolicy.DEFAULT);
            clock.advance(Duration.ofMillis(250));
            var result = run.<StatusReply<Done>>runCommand(
                    r -> new RunEntity.CompleteAttempt(attemptId, "{\"ok\":true}", null, r));
            RunEntity.RunSucceeded succeeded = result.eventOfType(RunEntity.RunSucceeded.class);
            assertEquals(attemptId, succeeded.attemptId());
            assertEquals("{\"ok\":true}", succeeded.outputJson());
            assertEquals(clock.instant(), succeeded.at());
            assertEquals(attemptId, succeeded.attempt().id());
            assertEquals(1, succeeded.attempt().number());
            assertEquals(clock.instant().minusMillis(250), succeeded.attempt().startedAt(), "the start rides along");
            RunState state = result.state();
            assertEquals(RunStatus.COMPLETED, state.status());
            assertEquals("{\"ok\":true}", state.outputJson());
            assertEquals(250, state.durationMs());
            assertEquals(clock.instant(), state.finishedAt());
            assertNull(state.currentAttempt());
        }

        @Test
        void completionOfAnotherAttemptIsStale() {
            executing(RetryPolicy.DEFAULT);
            var result =
                    run.<StatusReply<Done>>runCommand(r -> new RunEntity.CompleteAttempt("att_zombie", "1", null, r));
            assertTrue(result.hasNoEvents());
            assertStale(result.reply());
        }

        @Test
        void retryableFailureWithAttemptsLeftWaitsThenRequeues() {
            RetryPolicy retry = new RetryPolicy(3, 2, 100, 1000, false);
            String attemptId = executing(retry);
            RunError error = new RunError("Error", "boom", "at x");
            var result =
                    run.<StatusReply<Done>>runCommand(r -> new RunEntity.FailAttempt(attemptId, error, true, null, r));
            RunEntity.AttemptFailed failed = result.eventOfType(RunEntity.AttemptFailed.class);
            assertEquals(clock.instant().plusMillis(100), failed.retryAt());
            assertEquals(RunStatus.RETRYING, result.state().status());
            clock.advance(Duration.ofMillis(100)); // the backoff is over when the timer fires
            expectEnqueue();
            assertEquals(RunStatus.QUEUED, run.getState().status());
            assertEquals(2, lease().attemptNumber());
        }

        @Test
        void lastFailureEndsTheRunFailed() {
            String attemptId = executing(noBackoff(1));
            RunError error = new RunError("Error", "boom", null);
            var result =
                    run.<StatusReply<Done>>runCommand(r -> new RunEntity.FailAttempt(attemptId, error, true, null, r));
            assertEquals(2, result.events().size());
            assertEquals(
                    new RunEntity.RunFailed(error, RunStatus.FAILED, clock.instant()),
                    result.events().get(1));
            assertEquals(RunStatus.FAILED, result.state().status());
            assertEquals(error, result.state().error());
        }

        @Test
        void nonRetryableFailureEndsTheRunAtOnce() {
            String attemptId = executing(noBackoff(5));
            var result = run.<StatusReply<Done>>runCommand(
                    r -> new RunEntity.FailAttempt(attemptId, new RunError("BadPayload", "no", null), false, null, r));
            assertEquals(RunStatus.FAILED, result.state().status());
            assertEquals(1, result.state().attemptCount());
        }

        @Test
        void workerLostRetriesAndFinallyCrashes() {
            String first = executing(noBackoff(2));
            var lost = run.runCommand(new RunEntity.WorkerLost(first, "socket closed"));
            assertInstanceOf(RunEntity.AttemptFailed.class, lost.events().get(0));
            expectEnqueue();
            String second = lease().attemptId();
            var crashed = run.runCommand(new RunEntity.WorkerLost(second, "socket closed"));
            assertEquals(RunStatus.CRASHED, crashed.state().status());
            assertEquals(RunError.WORKER_LOST, crashed.state().error().name());
        }

        @Test
        void workerLostForAnotherAttemptIsIgnored() {
            executing(noBackoff(2));
            assertNoEventsFor(new RunEntity.WorkerLost("att_old", "socket closed"));
            assertEquals(RunStatus.EXECUTING, current().status());
        }

        @Test
        void leaseExpiresWithoutHeartbeats() {
            executing(noBackoff(1));
            sleep(LEASE);
            long deadline = System.nanoTime() + LEASE.multipliedBy(5).toNanos();
            while (run.getState().status() != RunStatus.CRASHED && System.nanoTime() < deadline)
                sleep(Duration.ofMillis(50));
            assertEquals(RunStatus.CRASHED, run.getState().status());
        }
    }

    @Nested
    class WhenRetrying {
        @Test
        void dispatchIsDeclinedAndOldAttemptIsStale() {
            String attemptId = executing(new RetryPolicy(2, 1, 60_000, 60_000, false));
            run.<StatusReply<Done>>runCommand(
                    r -> new RunEntity.FailAttempt(attemptId, new RunError("E", "m", null), true, null, r));
            assertEquals(RunStatus.RETRYING, run.getState().status());
            var dispatch = run.<DispatchReply>runCommand(
                    replyTo -> new RunEntity.Dispatch("ws_1", "w", worker.ref(), replyTo));
            assertFalse(dispatch.reply().accepted());
            assertStale(complete(attemptId, "1"));
            assertNoEventsFor(new RunEntity.WorkerLost(attemptId, "late"));
        }
    }

    @Nested
    class Versions {
        @Test
        void aRunOfAnUndeclaredTaskIsPendingUntilItsTaskIsDeclaredThenQueuedAsDeclared() {
            RunSpec pending = TriggerRequest.builder("hello-world")
                    .payload("{}", "application/json")
                    .maxDurationSeconds(30)
                    .build()
                    .pendingRunSpec(ENV);
            assertEquals(RunStatus.PENDING_VERSION, triggerWith(pending).status());
            // Nobody declared it: the run asks its dispatcher to wake it when a worker declaring it reports.
            assertEquals(
                    new EnvironmentDispatcher.AwaitTask(runId, "hello-world"),
                    expectDispatcherMessage(EnvironmentDispatcher.AwaitTask.class));
            assertFalse(
                    run.<DispatchReply>runCommand(replyTo -> new RunEntity.Dispatch("ws_1", "w", worker.ref(), replyTo))
                            .reply()
                            .accepted());

            links.declaredTasks.put(
                    "hello-world",
                    new TaskDefinition("hello-world", "greetings", null, RetryPolicy.DEFAULT.withMaxAttempts(7), 60));
            run.runCommand(new RunEntity.Wake());
            EnvironmentDispatcher.Enqueue enqueued = expectEnqueue();
            assertEquals("greetings", enqueued.queue());
            RunState queued = current();
            assertEquals(RunStatus.QUEUED, queued.status());
            assertEquals(7, queued.spec().retry().maxAttempts());
            assertEquals(30, queued.spec().maxDurationSeconds(), "the trigger's maxDuration, not the task's");
            assertNull(queued.spec().pendingTask());
            run.restart();
            assertEquals(RunStatus.QUEUED, run.getState().status());
        }

        @Test
        void aPendingRunCanBeCanceled() {
            RunSpec pending = TriggerRequest.builder("hello-world")
                    .ttl(Duration.ofHours(1))
                    .build()
                    .pendingRunSpec(ENV);
            triggerWith(pending);
            var canceled = run.<StatusReply<RunState>>runCommand(RunEntity.Cancel::new);
            assertEquals(RunStatus.CANCELED, canceled.reply().getValue().status());
        }

        @Test
        void aRetryPrefersTheVersionItsLastAttemptRanOnWithoutBeingLockedToIt() {
            trigger(noBackoff(3));
            var leased = run.<DispatchReply>runCommand(
                    replyTo -> new RunEntity.Dispatch("ws_1", "worker-1", worker.ref(), replyTo, "20260101.2"));
            assertTrue(leased.reply().accepted());
            String attemptId =
                    worker.expectMessageClass(WorkerChannel.Execute.class).attemptId();
            assertEquals("20260101.2", current().version(), "a held attempt shows its version");
            run.<StatusReply<Done>>runCommand(
                    r -> new RunEntity.FailAttempt(attemptId, new RunError("E", "m", null), true, null, r));
            assertEquals("20260101.2", run.getState().version());
            EnvironmentDispatcher.Enqueue retry = expectEnqueue();
            assertEquals("20260101.2", retry.version(), "the retry prefers the version it ran on");
            assertFalse(retry.locked(), "but may go to another version when that one is gone");
        }

        @Test
        void childrenAreTriggeredWithTheVersionTheParentRunsOn() {
            trigger(RetryPolicy.DEFAULT);
            assertTrue(run.<DispatchReply>runCommand(
                            replyTo -> new RunEntity.Dispatch("ws_1", "worker-1", worker.ref(), replyTo, "v9"))
                    .reply()
                    .accepted());
            String attemptId =
                    worker.expectMessageClass(WorkerChannel.Execute.class).attemptId();
            suspend(attemptId, Wait.runs("runs#1", List.of(child("a")), null));
            assertEquals("v9", links.childTriggers.peek().parentVersion());
        }

        @Test
        void aLockedTriggerIsQueuedForItsVersionOnly() {
            RunSpec locked = TriggerRequest.builder("hello-world")
                    .lockToVersion("v7")
                    .build()
                    .toRunSpec(ENV, new TaskDefinition("hello-world", null, null, null, null));
            triggerWith(locked);
            EnvironmentDispatcher.Enqueue enqueued = expectEnqueue();
            assertEquals("v7", enqueued.version());
            assertTrue(enqueued.locked());
        }
    }

    @Nested
    class WhenFinished {
        @Test
        void everythingAfterTheTerminalEventIsRejectedOrIgnored() {
            String attemptId = executing(RetryPolicy.DEFAULT);
            assertTrue(complete(attemptId, "1").isSuccess());
            assertStale(complete(attemptId, "2"));
            assertStale(run.<StatusReply<Done>>runCommand(r -> new RunEntity.Heartbeat(attemptId, r))
                    .reply());
            assertStale(run.<StatusReply<Done>>runCommand(
                            r -> new RunEntity.FailAttempt(attemptId, new RunError("E", "m", null), true, null, r))
                    .reply());
            assertNoEventsFor(new RunEntity.WorkerLost(attemptId, "late"));
            var dispatch = run.<DispatchReply>runCommand(
                    replyTo -> new RunEntity.Dispatch("ws_2", "w", worker.ref(), replyTo));
            assertFalse(dispatch.reply().accepted());
            var retrigger = run.<StatusReply<RunState>>runCommand(
                    replyTo -> new RunEntity.Trigger(spec(RetryPolicy.DEFAULT), replyTo));
            assertTrue(retrigger.hasNoEvents());
            assertEquals(RunStatus.COMPLETED, retrigger.reply().getValue().status());
            assertEquals("1", run.getState().outputJson());
        }
    }

    /**
     * The gateway sends a worker's outcome again when its ask got no answer (the run's shard moving between nodes);
     * the first may have been applied, and its repeat must not read as a second outcome.
     */
    @Nested
    class OutcomeSentAgain {
        @Test
        void aCompletionSentAgainIsAcceptedWithoutEventsAlsoByTheNextIncarnation() {
            String attemptId = executing(RetryPolicy.DEFAULT);
            assertTrue(complete(attemptId, "{\"n\":1}").isSuccess());
            var again = run.<StatusReply<Done>>runCommand(
                    r -> new RunEntity.CompleteAttempt(attemptId, "{\"n\":1}", null, r));
            assertTrue(again.hasNoEvents());
            assertTrue(again.reply().isSuccess());

            run.restart(); // the run's shard moved: its next incarnation knows the outcome from the journal
            assertTrue(complete(attemptId, "{\"n\":1}").isSuccess());
            assertEquals("{\"n\":1}", run.getState().outputJson());
        }

        @Test
        void anotherOutcomeOfAFinishedAttemptIsStillStale() {
            String attemptId = executing(RetryPolicy.DEFAULT);
            assertTrue(complete(attemptId, "1").isSuccess());
            assertStale(complete(attemptId, "2"));
            assertStale(fail(attemptId, new RunError("E", "m", null)));
            assertStale(complete("att_other", "1"));
            assertEquals("1", run.getState().outputJson());
        }

        @Test
        void aFailureSentAgainIsAcceptedWhileTheRunWaitsToRetry() {
            RunError error = new RunError("Error", "boom", "at x");
            String first = executing(new RetryPolicy(2, 1, 60_000, 60_000, false));
            assertTrue(fail(first, error).isSuccess());
            assertEquals(RunStatus.RETRYING, run.getState().status());
            var again = run.<StatusReply<Done>>runCommand(r -> new RunEntity.FailAttempt(first, error, true, null, r));
            assertTrue(again.hasNoEvents());
            assertTrue(again.reply().isSuccess());
            assertStale(fail(first, new RunError("Error", "another", null)));
            assertStale(complete(first, "1"));
        }

        @Test
        void aFailureSentAgainIsAcceptedOnceTheRunFailed() {
            RunError error = new RunError("Error", "boom", null);
            String last = executing(noBackoff(1));
            assertTrue(fail(last, error).isSuccess());
            assertEquals(RunStatus.FAILED, run.getState().status());
            var again = run.<StatusReply<Done>>runCommand(r -> new RunEntity.FailAttempt(last, error, true, null, r));
            assertTrue(again.hasNoEvents());
            assertTrue(again.reply().isSuccess());
        }

        @Test
        void anOutcomeOfAnAttemptTheEngineEndedIsStale() {
            String attemptId = executing(noBackoff(1));
            run.runCommand(new RunEntity.WorkerLost(attemptId, "socket closed"));
            assertEquals(RunStatus.CRASHED, run.getState().status());
            assertStale(complete(attemptId, "1"));
            assertStale(fail(attemptId, new RunError("Error", "boom", null)));
        }

        private StatusReply<Done> fail(String attemptId, RunError error) {
            return run.<StatusReply<Done>>runCommand(r -> new RunEntity.FailAttempt(attemptId, error, true, null, r))
                    .reply();
        }
    }

    @Nested
    class WhenDelayed {
        @Test
        void aDelayedRunWaitsThenQueuesItself() {
            run = runWithClock(Clock.systemUTC());
            Instant until = Instant.now().plusMillis(300);
            RunState state = triggerWith(spec(RetryPolicy.DEFAULT, until, null, null));
            assertEquals(RunStatus.DELAYED, state.status());
            assertEquals(until, state.delayUntil());
            EnvironmentDispatcher.Enqueue enqueue = expectEnqueue();
            assertFalse(Instant.now().isBefore(until), "queued before its delay");
            assertEquals("tenant-1", enqueue.concurrencyKey());
            assertEquals(run.getState().queuedAt().toEpochMilli() - 5_000, enqueue.score(), "priority is a head start");
            assertEquals(RunStatus.QUEUED, run.getState().status());
        }

        @Test
        void rescheduleMovesTheDelayAndIsRefusedOnceQueued() {
            run = runWithClock(Clock.systemUTC());
            triggerWith(spec(RetryPolicy.DEFAULT, Instant.now().plusSeconds(60), null, null));
            Instant sooner = Instant.now().plusMillis(200);
            var moved = run.<StatusReply<RunState>>runCommand(r -> new RunEntity.Reschedule(sooner, r));
            assertEquals(
                    sooner, moved.eventOfType(RunEntity.RunRescheduled.class).delayUntil());
            expectEnqueue();
            var refused = run.<StatusReply<RunState>>runCommand(r -> new RunEntity.Reschedule(Instant.now(), r));
            assertTrue(refused.hasNoEvents());
            assertEquals(RunEntity.NOT_DELAYED, refused.reply().getError().getMessage());
        }

        @Test
        void cancelEndsADelayedRun() {
            triggerWith(spec(RetryPolicy.DEFAULT, clock.instant().plusSeconds(60), null, null));
            var canceled = run.<StatusReply<RunState>>runCommand(RunEntity.Cancel::new);
            canceled.eventOfType(RunEntity.RunCanceled.class);
            assertEquals(RunStatus.CANCELED, canceled.reply().getValue().status());
            expectDispatcherMessage(EnvironmentDispatcher.Withdraw.class);
        }
    }

    @Nested
    class WhenDebounced {
        private final Debounce.TrailingFields latest = new Debounce.TrailingFields(
                "{\"name\":\"Grace\"}", "application/json", "{\"k\":2}", List.of("c"), 7, 30);

        @Test
        void aLeadingPushMovesTheStartAndKeepsThePayload() {
            triggerWith(spec(RetryPolicy.DEFAULT, clock.instant().plusSeconds(10), null, null));
            clock.advance(Duration.ofSeconds(3));
            Instant later = clock.instant().plusSeconds(10);
            var pushed = run.<StatusReply<RunState>>runCommand(r -> new RunEntity.PushBack(later, null, null, r));
            RunEntity.RunDebounced event = pushed.eventOfType(RunEntity.RunDebounced.class);
            assertEquals(later, event.delayUntil());
            assertNull(event.latest());
            RunState state = pushed.reply().getValue();
            assertEquals(RunStatus.DELAYED, state.status());
            assertEquals(later, state.delayUntil());
            assertEquals("{\"name\":\"Ada\"}", state.spec().payloadJson());
            assertEquals(List.of("a", "b"), state.tags());
        }

        @Test
        void aTrailingPushTakesTheLatestTriggersFields() {
            triggerWith(spec(RetryPolicy.DEFAULT, clock.instant().plusSeconds(10), null, null));
            Instant later = clock.instant().plusSeconds(10);
            var pushed = run.<StatusReply<RunState>>runCommand(r -> new RunEntity.PushBack(later, null, latest, r));
            assertEquals(
                    latest, pushed.eventOfType(RunEntity.RunDebounced.class).latest());
            RunState state = pushed.reply().getValue();
            assertEquals("{\"name\":\"Grace\"}", state.spec().payloadJson());
            assertEquals("{\"k\":2}", state.metadataJson());
            assertEquals(List.of("c"), state.tags());
            assertEquals(7, state.maxAttempts());
            assertEquals(30, state.spec().maxDurationSeconds());
            assertEquals("tenant-1", state.spec().concurrencyKey(), "what a trigger cannot replace stays");
        }

        @Test
        void aTrailingPushWithoutMetadataOrTagsKeepsTheRuns() {
            triggerWith(spec(RetryPolicy.DEFAULT, clock.instant().plusSeconds(10), null, null));
            var bare = new Debounce.TrailingFields("{\"n\":3}", "application/json", null, List.of(), null, null);
            RunState state = run.<StatusReply<RunState>>runCommand(
                            r -> new RunEntity.PushBack(clock.instant().plusSeconds(10), null, bare, r))
                    .reply()
                    .getValue();
            assertEquals("{\"n\":3}", state.spec().payloadJson());
            assertEquals("{\"k\":1}", state.metadataJson());
            assertEquals(List.of("a", "b"), state.tags());
            assertEquals(RetryPolicy.DEFAULT.maxAttempts(), state.maxAttempts());
        }

        @Test
        void aPushBeyondMaxDelayFromTheFirstTriggerIsRefused() {
            triggerWith(spec(RetryPolicy.DEFAULT, clock.instant().plusSeconds(10), null, null));
            Duration maxDelay = Duration.ofSeconds(15);
            clock.advance(Duration.ofSeconds(4));
            var inside = run.<StatusReply<RunState>>runCommand(
                    r -> new RunEntity.PushBack(clock.instant().plusSeconds(10), maxDelay, null, r));
            assertTrue(inside.reply().isSuccess());
            clock.advance(Duration.ofSeconds(2));
            Instant before = run.getState().delayUntil();
            var beyond = run.<StatusReply<RunState>>runCommand(
                    r -> new RunEntity.PushBack(clock.instant().plusSeconds(10), maxDelay, latest, r));
            assertTrue(beyond.hasNoEvents());
            assertEquals(
                    RunEntity.DEBOUNCE_WINDOW_CLOSED, beyond.reply().getError().getMessage());
            assertEquals(before, run.getState().delayUntil(), "the run keeps its time");
            assertEquals("{\"name\":\"Ada\"}", run.getState().spec().payloadJson());
        }

        @Test
        void aRunThatLeftDelayedOrNeverExistedRefusesThePush() {
            var unknown = run.<StatusReply<RunState>>runCommand(
                    r -> new RunEntity.PushBack(clock.instant().plusSeconds(10), null, null, r));
            assertEquals(RunEntity.UNKNOWN_RUN, unknown.reply().getError().getMessage());
            triggerWith(spec(RetryPolicy.DEFAULT, null, null, null));
            var queued = run.<StatusReply<RunState>>runCommand(
                    r -> new RunEntity.PushBack(clock.instant().plusSeconds(10), null, latest, r));
            assertTrue(queued.hasNoEvents());
            assertEquals(RunEntity.NOT_DELAYED, queued.reply().getError().getMessage());
        }

        @Test
        void aPushedRunStartsAtItsNewTime() {
            run = runWithClock(Clock.systemUTC());
            triggerWith(spec(RetryPolicy.DEFAULT, Instant.now().plusMillis(200), null, null));
            Instant later = Instant.now().plusMillis(600);
            run.<StatusReply<RunState>>runCommand(r -> new RunEntity.PushBack(later, null, latest, r));
            expectEnqueue();
            assertFalse(Instant.now().isBefore(later), "queued before its pushed-back start");
            assertEquals(RunStatus.QUEUED, run.getState().status());
        }
    }

    @Nested
    class Ttl {
        @Test
        void aRunThatDoesNotStartWithinItsTtlExpires() {
            run = runWithClock(Clock.systemUTC());
            triggerWith(spec(RetryPolicy.DEFAULT, null, Duration.ofMillis(300), null));
            expectDispatcherMessage(EnvironmentDispatcher.Withdraw.class);
            RunState state = run.getState();
            assertEquals(RunStatus.EXPIRED, state.status());
            assertTrue(state.status().isFinal());
            assertNotNull(state.finishedAt());
        }

        @Test
        void anOfferMadeAfterTheTtlExpiresTheRunInsteadOfLeasingIt() {
            // After a downtime the dispatcher's offer can reach the recovered run before its overdue TTL timer does.
            triggerWith(spec(RetryPolicy.DEFAULT, null, Duration.ofMinutes(1), null));
            expectEnqueue();
            clock.advance(Duration.ofMinutes(2)); // the TTL has passed; its timer (real time) has not fired yet
            var offered = run.<DispatchReply>runCommand(
                    replyTo -> new RunEntity.Dispatch("ws_1", "worker-1", worker.ref(), replyTo));
            assertEquals(new DispatchReply(runId, "ws_1", false), offered.reply());
            assertEquals(RunStatus.EXPIRED, offered.state().status());
            worker.expectNoMessage(Duration.ofMillis(200));
            expectDispatcherMessage(EnvironmentDispatcher.Withdraw.class);
        }

        @Test
        void aLeasedRunNoLongerExpires() {
            run = runWithClock(Clock.systemUTC());
            triggerWith(spec(RetryPolicy.DEFAULT, null, Duration.ofSeconds(1), null));
            expectEnqueue();
            String attemptId = lease().attemptId();
            run.<StatusReply<Done>>runCommand(r -> new RunEntity.StartAttempt(attemptId, null, r));
            for (int i = 0; i < 3; i++) { // past the TTL, with the lease kept alive
                sleep(Duration.ofMillis(500));
                run.<StatusReply<Done>>runCommand(r -> new RunEntity.Heartbeat(attemptId, r));
            }
            assertEquals(RunStatus.EXECUTING, current().status());
        }
    }

    @Nested
    class MaxDuration {
        @Test
        void anAttemptRunningTooLongEndsTheRunTimedOutAndStopsTheWorker() {
            run = runWithClock(Clock.systemUTC());
            triggerWith(spec(noBackoff(3), null, null, 1));
            expectEnqueue();
            String attemptId = lease().attemptId();
            run.<StatusReply<Done>>runCommand(r -> new RunEntity.StartAttempt(attemptId, null, r));
            for (int i = 0; i < 6; i++) { // heartbeats keep the lease; only maxDuration may end it
                run.<StatusReply<Done>>runCommand(r -> new RunEntity.Heartbeat(attemptId, r));
                sleep(Duration.ofMillis(250));
            }
            WorkerChannel.CancelAttempt cancel = worker.expectMessageClass(WorkerChannel.CancelAttempt.class);
            assertEquals(attemptId, cancel.attemptId());
            RunState state = run.getState();
            assertEquals(RunStatus.TIMED_OUT, state.status());
            assertEquals(1, state.attemptCount(), "maxDuration is not retried");
            assertStale(complete(attemptId, "late"));
        }
    }

    @Nested
    class Cancel {
        @Test
        void cancelOfAQueuedRunWithdrawsIt() {
            trigger(RetryPolicy.DEFAULT);
            var canceled = run.<StatusReply<RunState>>runCommand(RunEntity.Cancel::new);
            assertEquals(RunStatus.CANCELED, canceled.state().status());
            expectDispatcherMessage(EnvironmentDispatcher.Withdraw.class);
            var dispatch = run.<DispatchReply>runCommand(r -> new RunEntity.Dispatch("ws_1", "w", worker.ref(), r));
            assertFalse(dispatch.reply().accepted());
        }

        @Test
        void cancelOfAnExecutingRunTellsTheWorkerAndFencesItsAttempt() {
            String attemptId = executing(RetryPolicy.DEFAULT);
            clock.advance(Duration.ofMillis(100));
            var canceled = run.<StatusReply<RunState>>runCommand(RunEntity.Cancel::new);
            assertEquals(RunStatus.CANCELED, canceled.state().status());
            assertEquals(100, canceled.state().durationMs());
            assertEquals(
                    new WorkerChannel.CancelAttempt(runId, attemptId, "run canceled"),
                    worker.expectMessageClass(WorkerChannel.CancelAttempt.class));
            assertStale(complete(attemptId, "1"));
        }

        @Test
        void cancelOfARetryingRunEndsIt() {
            String attemptId = executing(new RetryPolicy(3, 1, 60_000, 60_000, false));
            run.<StatusReply<Done>>runCommand(
                    r -> new RunEntity.FailAttempt(attemptId, new RunError("E", "m", null), true, null, r));
            assertEquals(
                    RunStatus.CANCELED,
                    run.<StatusReply<RunState>>runCommand(RunEntity.Cancel::new)
                            .state()
                            .status());
        }

        @Test
        void cancelOfAFinishedRunChangesNothing() {
            String attemptId = executing(RetryPolicy.DEFAULT);
            complete(attemptId, "1");
            var again = run.<StatusReply<RunState>>runCommand(RunEntity.Cancel::new);
            assertTrue(again.hasNoEvents());
            assertEquals(RunStatus.COMPLETED, again.reply().getValue().status());
        }
    }

    /** What realtime subscribers are told: every change they could see, once, and nothing for a read. */
    @Nested
    class Announcements {
        @Test
        void eachVisibleChangeIsAnnouncedOnceAndAReadOrANoOpIsNot() {
            trigger(RetryPolicy.DEFAULT);
            assertEquals(RunStatus.QUEUED, awaitChange(1).status());

            run.runCommand(RunEntity.Get::new);
            // Tags it has already: no event, so nothing to announce.
            run.<StatusReply<RunState>>runCommand(r -> new RunEntity.AddTags(List.of("a"), r));
            run.<StatusReply<RunState>>runCommand(r -> new RunEntity.AddTags(List.of("new"), r));
            assertTrue(awaitChange(2).tags().contains("new"));

            // The lease and the start are not journaled, yet a subscriber sees them.
            String attemptId = lease().attemptId();
            assertEquals(RunStatus.DEQUEUED, awaitChange(3).status());
            run.<StatusReply<Done>>runCommand(r -> new RunEntity.StartAttempt(attemptId, null, r));
            assertEquals(RunStatus.EXECUTING, awaitChange(4).status());
            run.<StatusReply<Done>>runCommand(r -> new RunEntity.Heartbeat(attemptId, r));
            complete(attemptId, "{}");
            assertEquals(RunStatus.COMPLETED, awaitChange(5).status());
            assertEquals(5, links.changes.size());
        }

        /** The {@code count}th announcement: announcements are told after the command, so they are awaited. */
        private RunState awaitChange(int count) {
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (links.changes.size() < count && System.nanoTime() < deadline) sleep(Duration.ofMillis(10));
            assertEquals(count, links.changes.size(), "announcements: " + links.changes);
            return links.changes.stream().skip(count - 1).findFirst().orElseThrow();
        }
    }

    @Nested
    class TagsAndMetadata {
        @Test
        void tagsAreDedupedAndLimited() {
            trigger(RetryPolicy.DEFAULT);
            var added = run.<StatusReply<RunState>>runCommand(r -> new RunEntity.AddTags(List.of("b", "c", "c"), r));
            assertEquals(
                    List.of("c"), added.eventOfType(RunEntity.TagsAdded.class).tags());
            assertEquals(List.of("a", "b", "c"), added.state().tags());
            assertTrue(run.<StatusReply<RunState>>runCommand(r -> new RunEntity.AddTags(List.of("a"), r))
                    .hasNoEvents());
            var tooMany = run.<StatusReply<RunState>>runCommand(
                    r -> new RunEntity.AddTags(List.of("1", "2", "3", "4", "5", "6", "7", "8"), r));
            assertTrue(tooMany.hasNoEvents());
            assertTrue(tooMany.reply().getError().getMessage().startsWith(RunEntity.TOO_MANY_TAGS));
        }

        @Test
        void metadataOperationsApplyInOrderAndTheLimitHolds() {
            trigger(RetryPolicy.DEFAULT);
            var updated = run.<StatusReply<RunState>>runCommand(r -> new RunEntity.UpdateMetadata(
                    List.of(
                            new MetadataOperation(MetadataOperation.Type.INCREMENT, "k", "2"),
                            new MetadataOperation(MetadataOperation.Type.APPEND, "$.log.lines", "\"x\"")),
                    null,
                    r));
            assertEquals(
                    "{\"k\":3,\"log\":{\"lines\":[\"x\"]}}", updated.state().metadataJson());
            String big = "\"" + "x".repeat(300 * 1024) + "\"";
            var tooLarge = run.<StatusReply<RunState>>runCommand(r -> new RunEntity.UpdateMetadata(
                    List.of(new MetadataOperation(MetadataOperation.Type.SET, "big", big)), null, r));
            assertTrue(tooLarge.hasNoEvents());
            assertTrue(tooLarge.reply().getError().getMessage().startsWith(RunEntity.METADATA_TOO_LARGE));
        }

        @Test
        void aWorkerUpdatesMetadataOnlyThroughItsCurrentAttempt() {
            String attemptId = executing(RetryPolicy.DEFAULT);
            var fenced = run.<StatusReply<RunState>>runCommand(r -> new RunEntity.UpdateMetadata(
                    List.of(new MetadataOperation(MetadataOperation.Type.SET, "p", "1")), "att_old", r));
            assertTrue(fenced.hasNoEvents());
            assertEquals(RunEntity.STALE_ATTEMPT, fenced.reply().getError().getMessage());
            var applied = run.<StatusReply<RunState>>runCommand(r -> new RunEntity.UpdateMetadata(
                    List.of(new MetadataOperation(MetadataOperation.Type.SET, "p", "1")), attemptId, r));
            assertEquals("{\"k\":1,\"p\":1}", applied.state().metadataJson());
        }
    }

    @Nested
    class Wake {
        @Test
        void wakeReEnqueuesAQueuedRunAndReRegistersARunningOne() {
            trigger(RetryPolicy.DEFAULT);
            assertNoEventsFor(new RunEntity.Wake());
            expectEnqueue();
            lease();
            assertNoEventsFor(new RunEntity.Wake());
            assertEquals(
                    runId,
                    expectDispatcherMessage(EnvironmentDispatcher.Occupying.class)
                            .runId());
        }

        /** An environment's sweep wakes its next runs only once these have answered. */
        @Test
        void aWakeWithAReplyToIsAnsweredOnceTheRunHasActed() {
            trigger(RetryPolicy.DEFAULT);
            var woken = run.<Done>runCommand(RunEntity.Wake::new);
            assertTrue(woken.hasNoEvents());
            assertEquals(Done.getInstance(), woken.reply());
            expectEnqueue();
        }
    }

    @Nested
    class Recovery {
        @Test
        void stateSurvivesARestart() {
            String attemptId = executing(RetryPolicy.DEFAULT);
            complete(attemptId, "{\"greeting\":\"hi\"}");
            RunState before = run.getState();
            var restarted = run.restart();
            assertEquals(before, restarted.state());
        }

        @Test
        void aQueuedRunReEnqueuesItselfAfterRecovery() {
            trigger(RetryPolicy.DEFAULT);
            run.restart();
            expectEnqueue();
        }

        @Test
        void anExecutingRunIsQueuedAgainAfterRecoveryAndItsLostAttemptIsFenced() {
            String lost = executing(noBackoff(2));
            run.restart();
            expectEnqueue();
            assertEquals(RunStatus.QUEUED, run.getState().status());
            assertEquals(0, run.getState().attemptCount(), "a node crash does not use up an attempt");
            assertStale(complete(lost, "1"));
            assertEquals(1, lease().attemptNumber());
        }

        @Test
        void aJournalFromBeforeLazyAttemptsKeepsItsLeasedAttempt() {
            String legacyRunId = "run_" + dev.baton.engine.common.Ids.random(12);
            RunState.Attempt legacy = new RunState.Attempt("att_legacy", 1, "ws_1", "worker-1", clock.instant(), null);
            var restarted = EventSourcedBehaviorTestKit.<RunEntity.Command, RunEntity.Event, RunState>create(
                    testKit.system(),
                    RunEntity.create(legacyRunId, SETTINGS, clock, RandomGenerator.of("L64X128MixRandom"), links, null),
                    EventSourcedBehaviorTestKit.enabledSerializationSettings());
            restarted.initialize(
                    new RunEntity.RunTriggered(legacyRunId, spec(noBackoff(2)), clock.instant()),
                    new RunEntity.AttemptLeased(legacy));
            assertEquals(RunStatus.DEQUEUED, restarted.getState().status());
            assertTrue(restarted
                    .<StatusReply<Done>>runCommand(r -> new RunEntity.StartAttempt("att_legacy", null, r))
                    .reply()
                    .isSuccess());
            var done = restarted.<StatusReply<Done>>runCommand(
                    r -> new RunEntity.CompleteAttempt("att_legacy", "1", null, r));
            assertEquals(RunStatus.COMPLETED, done.state().status());
            assertEquals(1, done.state().attemptCount());
        }

        @Test
        void aRunHandedOffWhileExecutingKeepsItsAttemptAndTakesItsOutcome() {
            ActorRef<RunEntity.Command> first = incarnation();
            String attemptId = leaseTo(first);
            first.tell(new RunEntity.StartAttempt(attemptId, null, acks.ref()));
            assertTrue(acks.receiveMessage().isSuccess());
            stopAsItsShardDoes(first);
            assertEquals(
                    List.of(
                            RunEntity.RunTriggered.class,
                            RunEntity.AttemptLeased.class,
                            RunEntity.AttemptStarted.class),
                    journaled());

            run.restart();
            // The slot stays taken: no Withdraw between the first incarnation's Enqueue and the next one's Occupying.
            expectEnqueue();
            assertInstanceOf(EnvironmentDispatcher.Occupying.class, dispatcher.receiveMessage());
            assertEquals(RunStatus.EXECUTING, current().status());
            assertTrue(run.<StatusReply<Done>>runCommand(r -> new RunEntity.Heartbeat(attemptId, r))
                    .reply()
                    .isSuccess());
            assertStale(complete("att_other", "2"));
            assertTrue(complete(attemptId, "1").isSuccess());
            assertEquals(RunStatus.COMPLETED, run.getState().status());
            assertEquals(1, run.getState().attemptCount());
            assertEquals("1", run.getState().outputJson());
        }

        @Test
        void aRunHandedOffBeforeItsWorkerStartedItIsStartedInItsNextIncarnation() {
            ActorRef<RunEntity.Command> first = incarnation();
            String attemptId = leaseTo(first);
            stopAsItsShardDoes(first);
            assertEquals(List.of(RunEntity.RunTriggered.class, RunEntity.AttemptLeased.class), journaled());

            ActorRef<RunEntity.Command> second = incarnation();
            second.tell(new RunEntity.StartAttempt(attemptId, null, acks.ref()));
            assertTrue(acks.receiveMessage().isSuccess());
            TestProbe<RunState> states = testKit.createTestProbe();
            second.tell(new RunEntity.Get(states.ref()));
            assertEquals(RunStatus.EXECUTING, states.receiveMessage().status());
            // Handed off again, it journals only what is new: the start.
            stopAsItsShardDoes(second);
            assertEquals(
                    List.of(
                            RunEntity.RunTriggered.class,
                            RunEntity.AttemptLeased.class,
                            RunEntity.AttemptStarted.class),
                    journaled());

            run.restart();
            assertTrue(complete(attemptId, "1").isSuccess());
            assertEquals(1, run.getState().attemptCount());
        }

        @Test
        void aRunNoWorkerHoldsStopsWithoutWritingWhenHandedOff() {
            ActorRef<RunEntity.Command> first = incarnation();
            TestProbe<StatusReply<RunState>> triggered = testKit.createTestProbe();
            first.tell(new RunEntity.Trigger(spec(noBackoff(2)), triggered.ref()));
            assertTrue(triggered.receiveMessage().isSuccess());
            stopAsItsShardDoes(first);
            assertEquals(List.of(RunEntity.RunTriggered.class), journaled());
        }

        private final TestProbe<StatusReply<Done>> acks = testKit.createTestProbe();

        /**
         * The run as sharding runs it, apart from the testkit's incarnation (which sends no stop message): an actor
         * on the same journal.
         */
        private ActorRef<RunEntity.Command> incarnation() {
            return testKit.spawn(
                    RunEntity.create(runId, SETTINGS, clock, RandomGenerator.of("L64X128MixRandom"), links, null));
        }

        /** Triggers the run and leases it to the worker; the attempt's id. */
        private String leaseTo(ActorRef<RunEntity.Command> incarnation) {
            TestProbe<StatusReply<RunState>> triggered = testKit.createTestProbe();
            incarnation.tell(new RunEntity.Trigger(spec(noBackoff(2)), triggered.ref()));
            assertTrue(triggered.receiveMessage().isSuccess());
            incarnation.tell(new RunEntity.Dispatch("ws_1", "worker-1", worker.ref(), dispatchReplies.ref()));
            assertTrue(dispatchReplies.receiveMessage().accepted());
            return worker.expectMessageClass(WorkerChannel.Execute.class).attemptId();
        }

        private void stopAsItsShardDoes(ActorRef<RunEntity.Command> incarnation) {
            incarnation.tell(new RunEntity.HandOff());
            acks.expectTerminated(incarnation, Duration.ofSeconds(5));
        }

        private List<Class<?>> journaled() {
            return run
                    .persistenceTestKit()
                    .persistedInStorage(RunEntity.persistenceId(runId).id())
                    .stream()
                    .<Class<?>>map(Object::getClass)
                    .toList();
        }
    }

    private StatusReply<Done> step(String attemptId, String key, String outputJson) {
        return run.<StatusReply<Done>>runCommand(
                        replyTo -> new RunEntity.CompleteStep(attemptId, key, StepResult.success(outputJson), replyTo))
                .reply();
    }

    private CommandResultWithReply<RunEntity.Command, RunEntity.Event, RunState, StatusReply<Done>> suspend(
            String attemptId, Wait wait) {
        return run.runCommand(replyTo -> new RunEntity.Suspend(attemptId, wait, replyTo));
    }

    private static TriggerRequest child(String name) {
        return TriggerRequest.of("hello-world", "{\"name\":\"" + name + "\"}");
    }

    private static RunState finishedChild(RunStatus status, String output, RunError error) {
        return new RunState(
                "run_child",
                status,
                spec(RetryPolicy.DEFAULT),
                Instant.EPOCH,
                Instant.EPOCH,
                null,
                null,
                1,
                null,
                null,
                Instant.EPOCH,
                null,
                output,
                error,
                0,
                List.of(),
                null,
                Map.of(),
                null,
                List.of(),
                false,
                null,
                null);
    }

    @Nested
    class Steps {
        @Test
        void aStepResultIsJournaledAndHandedToTheNextAttempt() {
            String attemptId = executing(noBackoff(3));
            var result = run.<StatusReply<Done>>runCommand(replyTo ->
                    new RunEntity.CompleteStep(attemptId, "charge", StepResult.success("{\"paid\":true}"), replyTo));
            assertTrue(result.reply().isSuccess());
            assertEquals(
                    "charge", result.eventOfType(RunEntity.StepCompleted.class).key());

            run.runCommand(new RunEntity.WorkerLost(attemptId, "gone"));
            expectEnqueue();
            WorkerChannel.Execute retry = lease();
            assertEquals(2, retry.attemptNumber());
            assertEquals(Map.of("charge", StepResult.success("{\"paid\":true}")), retry.steps());
        }

        @Test
        void aStepReportedTwiceKeepsItsFirstResult() {
            String attemptId = executing(RetryPolicy.DEFAULT);
            assertTrue(step(attemptId, "s", "1").isSuccess());
            var again = run.<StatusReply<Done>>runCommand(
                    replyTo -> new RunEntity.CompleteStep(attemptId, "s", StepResult.success("2"), replyTo));
            assertTrue(again.hasNoEvents());
            assertTrue(again.reply().isSuccess());
            assertEquals("1", run.getState().steps().get("s").outputJson());
        }

        @Test
        void aStepOfAnotherAttemptIsStale() {
            executing(RetryPolicy.DEFAULT);
            assertStale(step("att_old", "s", "1"));
        }
    }

    @Nested
    class DurationWaits {
        @Test
        void aSuspendedRunFreesItsSlotsAndIsQueuedAgainInItsPlaceWhenTheWaitEnds() {
            run = runWithClock(Clock.systemUTC());
            Instant queuedAt = trigger(noBackoff(1)).queuedAt();
            String attemptId = lease().attemptId();
            Instant until = Instant.now().plusMillis(300);

            var result = suspend(attemptId, Wait.duration("wait#1", until));

            assertTrue(result.reply().isSuccess());
            assertEquals(RunStatus.WAITING, result.state().status());
            assertNull(result.state().currentAttempt());
            // the worker holding the attempt learns it suspended, whoever asked (a CLI session keeps its process)
            assertEquals(
                    new AttemptSuspended(runId, attemptId, Wait.duration("wait#1", until)),
                    worker.expectMessageClass(AttemptSuspended.class));
            assertEquals(
                    runId,
                    expectDispatcherMessage(EnvironmentDispatcher.Withdraw.class)
                            .runId());
            EnvironmentDispatcher.Enqueue requeued = expectEnqueue();
            assertEquals(queuedAt.toEpochMilli(), requeued.score(), "the run keeps its place in the queue");
            RunState resumed = run.getState();
            assertEquals(RunStatus.QUEUED, resumed.status());
            assertEquals(
                    "{\"waitedUntil\":\"" + until + "\"}",
                    resumed.steps().get("wait#1").outputJson());

            WorkerChannel.Execute again = lease();
            assertEquals(
                    1, again.attemptNumber(), "a resumed run continues its attempt: maxAttempts 1 still allows it");
            assertTrue(again.steps().containsKey("wait#1"));
            assertTrue(complete(again.attemptId(), "42").isSuccess());
            assertEquals(RunStatus.COMPLETED, run.getState().status());
        }

        @Test
        void theOldAttemptIsStaleOnceSuspended() {
            String attemptId = executing(RetryPolicy.DEFAULT);
            suspend(attemptId, Wait.duration("wait#1", clock.instant().plusSeconds(60)));
            assertStale(complete(attemptId, "1"));
            assertStale(step(attemptId, "s", "1"));
        }

        @Test
        void aWaitWhoseKeyHasAResultIsRefused() {
            String attemptId = executing(RetryPolicy.DEFAULT);
            step(attemptId, "k", "1");
            var result = suspend(attemptId, Wait.duration("k", clock.instant().plusSeconds(60)));
            assertTrue(result.hasNoEvents());
            assertTrue(result.reply().getError().getMessage().startsWith(RunEntity.STEP_ALREADY_RESOLVED));
        }

        @Test
        void invalidWaitsAreRefused() {
            String attemptId = executing(RetryPolicy.DEFAULT);
            for (Wait invalid : List.of(
                    Wait.duration("w", null),
                    Wait.token("t", " "),
                    Wait.runs("r", List.of(), null),
                    Wait.duration(" ", clock.instant()))) {
                var result = suspend(attemptId, invalid);
                assertTrue(result.hasNoEvents());
                assertTrue(
                        result.reply().getError().getMessage().startsWith(RunEntity.INVALID_WAIT), invalid.toString());
            }
        }

        @Test
        void aWaitingRunCanBeCanceled() {
            String attemptId = executing(RetryPolicy.DEFAULT);
            suspend(attemptId, Wait.duration("wait#1", clock.instant().plusSeconds(60)));
            var result = run.<StatusReply<RunState>>runCommand(RunEntity.Cancel::new);
            assertEquals(RunStatus.CANCELED, result.reply().getValue().status());
        }

        @Test
        void aWaitingRunResumesAfterARestart() {
            String attemptId = executing(RetryPolicy.DEFAULT);
            suspend(attemptId, Wait.duration("wait#1", clock.instant().minusMillis(1)));
            // The timer fired at once: the run is queued again, and stays so after recovery.
            expectEnqueue();
            var restarted = run.restart();
            assertEquals(RunStatus.QUEUED, restarted.state().status());
            expectEnqueue();
        }
    }

    @Nested
    class TokenWaits {
        @Test
        void aTokenWaitRegistersWithTheTokenAndResumesWithItsData() {
            String attemptId = executing(RetryPolicy.DEFAULT);
            suspend(attemptId, Wait.token("token#1", "waitpoint_abc"));
            assertEquals(new TestLinks.TokenRegistration(ENV, "waitpoint_abc", runId), links.tokenRegistrations.poll());

            assertNoEventsFor(new RunEntity.TokenCompleted("waitpoint_other", StepResult.success("{}")));
            var result =
                    run.runCommand(new RunEntity.TokenCompleted("waitpoint_abc", StepResult.success("{\"ok\":1}")));
            assertEquals(
                    "token#1", result.eventOfType(RunEntity.RunResumed.class).key());
            assertEquals(RunStatus.QUEUED, result.state().status());
            assertNoEventsFor(new RunEntity.TokenCompleted("waitpoint_abc", StepResult.success("{}")));
        }

        @Test
        void wakeRegistersAgain() {
            String attemptId = executing(RetryPolicy.DEFAULT);
            suspend(attemptId, Wait.token("token#1", "waitpoint_abc"));
            links.tokenRegistrations.clear();
            assertNoEventsFor(new RunEntity.Wake());
            assertEquals("waitpoint_abc", links.tokenRegistrations.poll().tokenId());
        }
    }

    @Nested
    class ChildWaits {
        @Test
        void childrenAreTriggeredWithDerivedIdsAndLineageAndTheirResultsResumeTheParent() {
            String attemptId = executing(RetryPolicy.DEFAULT);
            String batchId = RunService.batchIdOf(runId, "runs#1");
            Wait wait = Wait.runs("runs#1", List.of(child("a"), child("b")), batchId);
            suspend(attemptId, wait);

            List<TestLinks.ChildTrigger> triggers = List.copyOf(links.childTriggers);
            assertEquals(2, triggers.size());
            assertEquals(wait.childRunId(runId, 0), triggers.get(0).childRunId());
            RunLineage lineage = triggers.get(1).lineage();
            assertEquals(runId, lineage.parentRunId());
            assertEquals(runId, lineage.rootRunId());
            assertEquals(1, lineage.depth());
            assertEquals("batchTriggerAndWait", lineage.triggerFunction());
            assertEquals(batchId, lineage.batchId());
            assertEquals(1, lineage.batchIndex());
            assertEquals(
                    List.of(wait.childRunId(runId, 0), wait.childRunId(runId, 1)),
                    run.getState().children());

            var first = run.runCommand(new RunEntity.ChildFinished(
                    "runs#1", 1, wait.childRunId(runId, 1), StepResult.failure(new RunError("Error", "boom", null))));
            assertEquals(RunStatus.WAITING, first.state().status());
            assertNoEventsFor(
                    new RunEntity.ChildFinished("runs#1", 1, wait.childRunId(runId, 1), StepResult.success("1")));
            assertNoEventsFor(new RunEntity.ChildFinished("runs#1", 0, "run_impostor", StepResult.success("1")));

            var last = run.runCommand(new RunEntity.ChildFinished(
                    "runs#1", 0, wait.childRunId(runId, 0), StepResult.success("{\"greeting\":\"Hello, a!\"}")));
            assertEquals(RunStatus.QUEUED, last.state().status());
            assertEquals(
                    "[{\"ok\":true,\"id\":\"" + wait.childRunId(runId, 0)
                            + "\",\"output\":{\"greeting\":\"Hello, a!\"}}," + "{\"ok\":false,\"id\":\""
                            + wait.childRunId(runId, 1) + "\",\"error\":{\"name\":\"Error\",\"message\":\"boom\"}}]",
                    last.state().steps().get("runs#1").outputJson());
        }

        @Test
        void aChildThatAlreadyFinishedOrCannotExistResolvesItsItemAtOnce() throws Exception {
            String attemptId = executing(RetryPolicy.DEFAULT);
            suspend(attemptId, Wait.runs("runs#1", List.of(child("a"), child("b")), null));
            List<TestLinks.ChildTrigger> triggers = List.copyOf(links.childTriggers);
            triggers.get(0).answer().complete(finishedChild(RunStatus.COMPLETED, "7", null));
            triggers.get(1).answer().completeExceptionally(new TaskNotFoundException("hello-world"));

            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (run.getState().status() == RunStatus.WAITING && System.nanoTime() < deadline) Thread.sleep(20);

            RunState state = run.getState();
            assertEquals(RunStatus.QUEUED, state.status());
            String output = state.steps().get("runs#1").outputJson();
            assertTrue(output.contains("\"output\":7") && output.contains("TRIGGER_FAILED"), output);
        }

        @Test
        void cancelingTheParentCancelsItsUnfinishedChildren() {
            String attemptId = executing(RetryPolicy.DEFAULT);
            suspend(attemptId, Wait.runs("runs#1", List.of(child("a"), child("b")), null));
            Wait wait = run.getState().pendingWait();
            run.runCommand(
                    new RunEntity.ChildFinished("runs#1", 0, wait.childRunId(runId, 0), StepResult.success("1")));

            run.<StatusReply<RunState>>runCommand(RunEntity.Cancel::new);

            assertInstanceOf(RunEntity.Cancel.class, links.otherRuns.receiveMessage(Duration.ofSeconds(3)));
            links.otherRuns.expectNoMessage(Duration.ofMillis(200));
        }

        @Test
        void waitsNestAtMostMaxDepth() {
            RunSpec deep = spec(RetryPolicy.DEFAULT)
                    .withLineage(new RunLineage(
                            "run_p", "run_root", RunEntity.MAX_DEPTH, "triggerAndWait", null, 0, "runs#1", null));
            triggerWith(deep);
            expectEnqueue();
            String attemptId = lease().attemptId();
            var result = suspend(attemptId, Wait.runs("runs#1", List.of(child("a")), null));
            assertTrue(result.reply().getError().getMessage().contains("deep"));
        }
    }

    @Nested
    class AsChild {
        private RunSpec childSpec() {
            return spec(noBackoff(1))
                    .withLineage(
                            new RunLineage("run_parent", "run_parent", 1, "triggerAndWait", null, 3, "runs#2", null));
        }

        @Test
        void aFinishedChildTellsItsParentWithItsOutcome() {
            triggerWith(childSpec());
            expectEnqueue();
            String attemptId = lease().attemptId();
            run.<StatusReply<Done>>runCommand(replyTo -> new RunEntity.StartAttempt(attemptId, null, replyTo));
            complete(attemptId, "{\"greeting\":\"hi\"}");

            var told = (RunEntity.ChildFinished) links.otherRuns.receiveMessage(Duration.ofSeconds(3));
            assertEquals(
                    new RunEntity.ChildFinished("runs#2", 3, runId, StepResult.success("{\"greeting\":\"hi\"}")), told);
        }

        @Test
        void aFailedChildTellsItsParentItsErrorAndTellsItAgainAfterRecovery() {
            triggerWith(childSpec());
            expectEnqueue();
            String attemptId = lease().attemptId();
            run.runCommand(new RunEntity.WorkerLost(attemptId, "gone"));
            var told = (RunEntity.ChildFinished) links.otherRuns.receiveMessage(Duration.ofSeconds(3));
            assertFalse(told.result().ok());
            assertEquals(RunError.WORKER_LOST, told.result().error().name());

            run.restart();
            assertEquals(told, links.otherRuns.receiveMessage(Duration.ofSeconds(3)));
        }

        @Test
        void aRootRunTellsNobody() {
            String attemptId = executing(RetryPolicy.DEFAULT);
            complete(attemptId, "1");
            links.otherRuns.expectNoMessage(Duration.ofMillis(200));
        }
    }

    @Nested
    class Passivation {
        @Test
        void aFinishedRunAsksItsShardToPassivateItAndAnUnfinishedOneDoesNot() {
            TestProbe<akka.cluster.sharding.typed.javadsl.ClusterSharding.ShardCommand> shard =
                    testKit.createTestProbe();
            RunSettings quick = new RunSettings(
                    Duration.ofSeconds(5),
                    Duration.ofMillis(100),
                    4,
                    10,
                    256 * 1024,
                    Duration.ofMillis(200),
                    Duration.ofSeconds(30));
            run = EventSourcedBehaviorTestKit.create(
                    testKit.system(),
                    RunEntity.create(runId, quick, clock, RandomGenerator.of("L64X128MixRandom"), links, shard.ref()),
                    EventSourcedBehaviorTestKit.enabledSerializationSettings());
            String attemptId = executing(RetryPolicy.DEFAULT);
            shard.expectNoMessage(Duration.ofMillis(400));

            assertTrue(complete(attemptId, "1").isSuccess());
            assertEquals(RunStatus.COMPLETED, run.getState().status());

            assertInstanceOf(
                    akka.cluster.sharding.typed.javadsl.ClusterSharding.Passivate.class,
                    shard.receiveMessage(Duration.ofSeconds(3)));
        }

        private static final Duration IDLE = Duration.ofSeconds(5);

        /** A run in a shard that passivates once it waits only for a time more than {@link #IDLE} away. */
        private TestProbe<akka.cluster.sharding.typed.javadsl.ClusterSharding.ShardCommand> inShard() {
            return inShard(IDLE);
        }

        private TestProbe<akka.cluster.sharding.typed.javadsl.ClusterSharding.ShardCommand> inShard(
                Duration idlePassivation) {
            TestProbe<akka.cluster.sharding.typed.javadsl.ClusterSharding.ShardCommand> shard =
                    testKit.createTestProbe();
            RunSettings idle = new RunSettings(
                    Duration.ofSeconds(5),
                    Duration.ofMillis(100),
                    4,
                    10,
                    256 * 1024,
                    Duration.ofSeconds(10),
                    idlePassivation);
            run = EventSourcedBehaviorTestKit.create(
                    testKit.system(),
                    RunEntity.create(runId, idle, clock, RandomGenerator.of("L64X128MixRandom"), links, shard.ref()),
                    EventSourcedBehaviorTestKit.enabledSerializationSettings());
            return shard;
        }

        private static void assertPassivates(
                TestProbe<akka.cluster.sharding.typed.javadsl.ClusterSharding.ShardCommand> shard) {
            assertInstanceOf(
                    akka.cluster.sharding.typed.javadsl.ClusterSharding.Passivate.class,
                    shard.receiveMessage(Duration.ofSeconds(3)));
        }

        @Test
        void aRunDelayedBeyondTheIdleTimeLeavesMemoryAndOneDueSoonerStays() {
            var shard = inShard();
            triggerWith(spec(RetryPolicy.DEFAULT, clock.instant().plus(IDLE).plusSeconds(60), null, null));
            assertEquals(RunStatus.DELAYED, run.getState().status());
            assertPassivates(shard);

            // Moved to within the idle time, then woken (as the sweeper does ahead of the time): it stays to fire.
            assertTrue(run.<StatusReply<RunState>>runCommand(
                            r -> new RunEntity.Reschedule(clock.instant().plus(IDLE.minusSeconds(1)), r))
                    .reply()
                    .isSuccess());
            run.runCommand(new RunEntity.Wake());
            shard.expectNoMessage(Duration.ofMillis(400));
        }

        @Test
        void aRunWaitingOutALongRetryBackoffLeavesMemoryButNotWhileAWorkerHoldsIt() {
            var shard = inShard();
            long backoff = IDLE.plusSeconds(60).toMillis();
            String attemptId = executing(new RetryPolicy(2, 1.0, backoff, backoff, false));
            shard.expectNoMessage(Duration.ofMillis(400));

            assertTrue(run.<StatusReply<Done>>runCommand(
                            r -> new RunEntity.FailAttempt(attemptId, new RunError("E", "m", null), true, null, r))
                    .reply()
                    .isSuccess());
            assertEquals(RunStatus.RETRYING, run.getState().status());
            assertPassivates(shard);
        }

        @Test
        void aRunInALongDurationWaitLeavesMemory() {
            var shard = inShard();
            String attemptId = executing(RetryPolicy.DEFAULT);
            assertTrue(suspend(
                            attemptId,
                            Wait.duration("sleep", clock.instant().plus(IDLE).plusSeconds(60)))
                    .reply()
                    .isSuccess());
            assertEquals(RunStatus.WAITING, run.getState().status());
            assertPassivates(shard);
        }

        /** How long a queued run waits in its queue before it leaves memory, in these tests. */
        private static final Duration QUEUED_IDLE = Duration.ofMillis(300);

        @Test
        void aQueuedRunLeavesMemoryAndIsTakenOnceWhenTheDispatchersOfferStartsItAgain() {
            var shard = inShard(QUEUED_IDLE);
            trigger(RetryPolicy.DEFAULT);
            assertEquals(RunStatus.QUEUED, run.getState().status());
            assertPassivates(shard);

            // Sharding starts the run from its journal for the offer: it enqueues itself again, which the dispatcher
            // ignores (it counts the run as offered), then takes the offer; a second offer finds it taken.
            run.restart();
            expectEnqueue();
            lease();
            shard.expectNoMessage(QUEUED_IDLE.multipliedBy(2));
            assertFalse(run.<DispatchReply>runCommand(
                            replyTo -> new RunEntity.Dispatch("ws_2", "worker-2", worker.ref(), replyTo))
                    .reply()
                    .accepted());
            worker.expectNoMessage(Duration.ofMillis(100));
        }

        @Test
        void aQueuedRunStartedAgainAfterItWaitedTheIdleTimeReEnqueuesAndLeavesAtOnce() {
            var shard = inShard(Duration.ofSeconds(30));
            trigger(RetryPolicy.DEFAULT);
            clock.advance(Duration.ofSeconds(31));
            // As the sweeper's recheck starts it: counted from when it was queued, its idle time is over.
            run.restart();
            expectEnqueue();
            assertPassivates(shard);
        }

        @Test
        void aQueuedRunTakenBeforeTheIdleTimeStays() {
            var shard = inShard(QUEUED_IDLE);
            trigger(RetryPolicy.DEFAULT);
            lease();
            shard.expectNoMessage(QUEUED_IDLE.multipliedBy(3));
        }

        @Test
        void aQueuedRunWithATtlStays() {
            var shard = inShard(QUEUED_IDLE);
            // Its TTL timer lives in memory only, and the sweeper's backoff does not keep to the TTL.
            triggerWith(spec(RetryPolicy.DEFAULT, null, Duration.ofHours(1), null));
            assertEquals(RunStatus.QUEUED, run.getState().status());
            shard.expectNoMessage(QUEUED_IDLE.multipliedBy(3));
        }

        @Test
        void aPendingVersionRunStays() {
            var shard = inShard(QUEUED_IDLE);
            // Its dispatcher remembers it (AwaitTask) in memory only: nothing durable would wake it for its task.
            RunSpec pending = TriggerRequest.builder("hello-world")
                    .payload("{}", "application/json")
                    .build()
                    .pendingRunSpec(ENV);
            assertEquals(RunStatus.PENDING_VERSION, triggerWith(pending).status());
            shard.expectNoMessage(QUEUED_IDLE.multipliedBy(3));
        }

        @Test
        void aRunWaitingForATokenStays() {
            var shard = inShard();
            String attemptId = executing(RetryPolicy.DEFAULT);
            assertTrue(
                    suspend(attemptId, Wait.token("approval", "wt_1")).reply().isSuccess());
            assertEquals(RunStatus.WAITING, run.getState().status());
            shard.expectNoMessage(Duration.ofMillis(400));
        }
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }
}
