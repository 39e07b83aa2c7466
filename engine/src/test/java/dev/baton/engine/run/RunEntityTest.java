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
import akka.pattern.StatusReply;
import akka.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import akka.persistence.testkit.javadsl.EventSourcedBehaviorTestKit.CommandResultWithReply;
import com.typesafe.config.ConfigFactory;
import dev.baton.engine.dispatch.EnvironmentDispatcher;
import dev.baton.engine.dispatch.WorkerChannel;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** Every command in every state of a run, with serialization of commands, events, state and replies verified. */
class RunEntityTest {

  private static final String ENV = "env_test_dev";
  private static final Duration LEASE = Duration.ofMillis(400);
  private static final RunSettings SETTINGS = new RunSettings(LEASE, Duration.ofMillis(100), 4, 10, 256 * 1024);

  private static ActorTestKit testKit;

  private final MutableClock clock = new MutableClock(Instant.parse("2026-11-28T10:00:00Z"));
  private TestProbe<EnvironmentDispatcher.Command> dispatcher;
  private TestProbe<WorkerChannel.Message> worker;
  private TestProbe<RunEntity.DispatchReply> dispatchReplies;
  private EventSourcedBehaviorTestKit<RunEntity.Command, RunEntity.Event, RunState> run;

  @BeforeAll
  static void startTestKit() {
    testKit = ActorTestKit.create("RunEntityTest",
        EventSourcedBehaviorTestKit.config().withFallback(ConfigFactory.load()));
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
    run = EventSourcedBehaviorTestKit.create(testKit.system(),
        RunEntity.create("run_abc", SETTINGS, clock, RandomGenerator.of("L64X128MixRandom"), env -> dispatcher.ref()),
        EventSourcedBehaviorTestKit.enabledSerializationSettings());
  }

  private static RunSpec spec(RetryPolicy retry) {
    return new RunSpec(ENV, "hello-world", "task/hello-world", "{\"name\":\"Ada\"}", "application/json",
        List.of("a", "b"), "{\"k\":1}", null, retry, null, false, null, 0, null, null, null);
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
      EnvironmentDispatcher.Command message = dispatcher.receiveMessage(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
      if (message instanceof EnvironmentDispatcher.Enqueue enqueue) {
        assertEquals("run_abc", enqueue.runId());
        assertEquals("hello-world", enqueue.taskId());
        return enqueue;
      }
    }
  }

  private WorkerChannel.Execute lease() {
    var result = run.<RunEntity.DispatchReply>runCommand(replyTo -> new RunEntity.Dispatch("ws_1", "worker-1", worker.ref(), replyTo));
    assertEquals(new RunEntity.DispatchReply("run_abc", "ws_1", true), result.reply());
    return worker.expectMessageClass(WorkerChannel.Execute.class);
  }

  private String executing(RetryPolicy retry) {
    trigger(retry);
    String attemptId = lease().attemptId();
    clock.advance(Duration.ofMillis(50));
    assertTrue(run.<StatusReply<Done>>runCommand(replyTo -> new RunEntity.StartAttempt(attemptId, replyTo))
        .reply().isSuccess());
    return attemptId;
  }

  private StatusReply<Done> complete(String attemptId, String output) {
    return run.<StatusReply<Done>>runCommand(replyTo -> new RunEntity.CompleteAttempt(attemptId, output, replyTo))
        .reply();
  }

  private void assertStale(StatusReply<Done> reply) {
    assertTrue(reply.isError());
    assertEquals(RunEntity.STALE_ATTEMPT, reply.getError().getMessage());
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
      var result = run.<RunEntity.DispatchReply>runCommand(replyTo -> new RunEntity.Dispatch("ws_1", "w", worker.ref(), replyTo));
      assertTrue(result.hasNoEvents());
      assertFalse(result.reply().accepted());
    }

    @Test
    void attemptMessagesAreErrors() {
      for (var reply : List.of(
          run.<StatusReply<Done>>runCommand(r -> new RunEntity.StartAttempt("att_x", r)),
          run.<StatusReply<Done>>runCommand(r -> new RunEntity.Heartbeat("att_x", r)),
          run.<StatusReply<Done>>runCommand(r -> new RunEntity.CompleteAttempt("att_x", "1", r)),
          run.<StatusReply<Done>>runCommand(r -> new RunEntity.FailAttempt("att_x", new RunError("E", "m", null), true, r)))) {
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
    void dispatchLeasesAnAttemptAndSendsItToTheWorker() {
      trigger(RetryPolicy.DEFAULT);
      var result = run.<RunEntity.DispatchReply>runCommand(replyTo -> new RunEntity.Dispatch("ws_1", "worker-1", worker.ref(), replyTo));
      RunEntity.AttemptLeased leased = result.eventOfType(RunEntity.AttemptLeased.class);
      assertEquals(1, leased.attempt().number());
      assertEquals("ws_1", leased.attempt().sessionId());
      assertEquals(RunStatus.DEQUEUED, result.state().status());
      assertTrue(result.reply().accepted());
      WorkerChannel.Execute execute = worker.expectMessageClass(WorkerChannel.Execute.class);
      assertEquals(leased.attempt().id(), execute.attemptId());
      assertEquals("{\"name\":\"Ada\"}", execute.payloadJson());
      assertEquals(List.of("a", "b"), execute.tags());
      assertEquals(3, execute.maxAttempts());
    }

    @Test
    void attemptMessagesAreStale() {
      trigger(RetryPolicy.DEFAULT);
      assertStale(run.<StatusReply<Done>>runCommand(r -> new RunEntity.StartAttempt("att_x", r)).reply());
      assertStale(run.<StatusReply<Done>>runCommand(r -> new RunEntity.Heartbeat("att_x", r)).reply());
      assertStale(complete("att_x", "1"));
      assertEquals(RunStatus.QUEUED, run.getState().status());
    }
  }

  @Nested
  class WhenDequeued {
    @Test
    void startPersistsAttemptStarted() {
      trigger(RetryPolicy.DEFAULT);
      String attemptId = lease().attemptId();
      var result = run.<StatusReply<Done>>runCommand(r -> new RunEntity.StartAttempt(attemptId, r));
      assertEquals(attemptId, result.eventOfType(RunEntity.AttemptStarted.class).attemptId());
      assertEquals(RunStatus.EXECUTING, result.state().status());
      assertNotNull(result.state().startedAt());
    }

    @Test
    void startOfAnotherAttemptIsStale() {
      trigger(RetryPolicy.DEFAULT);
      lease();
      var result = run.<StatusReply<Done>>runCommand(r -> new RunEntity.StartAttempt("att_other", r));
      assertTrue(result.hasNoEvents());
      assertStale(result.reply());
    }

    @Test
    void secondDispatchIsDeclined() {
      trigger(RetryPolicy.DEFAULT);
      lease();
      var result = run.<RunEntity.DispatchReply>runCommand(replyTo -> new RunEntity.Dispatch("ws_2", "w2", worker.ref(), replyTo));
      assertTrue(result.hasNoEvents());
      assertFalse(result.reply().accepted());
      worker.expectNoMessage(Duration.ofMillis(50));
    }

    @Test
    void completionWithoutStartSucceeds() {
      trigger(RetryPolicy.DEFAULT);
      String attemptId = lease().attemptId();
      var result = run.<StatusReply<Done>>runCommand(r -> new RunEntity.CompleteAttempt(attemptId, "42", r));
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
      for (int i = 0; i < 4; i++) {
        var result = run.<StatusReply<Done>>runCommand(r -> new RunEntity.Heartbeat(attemptId, r));
        assertTrue(result.hasNoEvents());
        assertTrue(result.reply().isSuccess());
        sleep(LEASE.dividedBy(2));
      }
      assertEquals(RunStatus.EXECUTING, run.getState().status());
    }

    @Test
    void duplicateStartIsAcknowledgedWithoutEvents() {
      String attemptId = executing(RetryPolicy.DEFAULT);
      var result = run.<StatusReply<Done>>runCommand(r -> new RunEntity.StartAttempt(attemptId, r));
      assertTrue(result.hasNoEvents());
      assertTrue(result.reply().isSuccess());
    }

    @Test
    void completionEndsTheRunWithItsOutput() {
      String attemptId = executing(RetryPolicy.DEFAULT);
      clock.advance(Duration.ofMillis(250));
      var result = run.<StatusReply<Done>>runCommand(r -> new RunEntity.CompleteAttempt(attemptId, "{\"ok\":true}", r));
      assertEquals(new RunEntity.RunSucceeded(attemptId, "{\"ok\":true}", clock.instant()),
          result.eventOfType(RunEntity.RunSucceeded.class));
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
      var result = run.<StatusReply<Done>>runCommand(r -> new RunEntity.CompleteAttempt("att_zombie", "1", r));
      assertTrue(result.hasNoEvents());
      assertStale(result.reply());
    }

    @Test
    void retryableFailureWithAttemptsLeftWaitsThenRequeues() {
      RetryPolicy retry = new RetryPolicy(3, 2, 100, 1000, false);
      String attemptId = executing(retry);
      RunError error = new RunError("Error", "boom", "at x");
      var result = run.<StatusReply<Done>>runCommand(r -> new RunEntity.FailAttempt(attemptId, error, true, r));
      RunEntity.AttemptFailed failed = result.eventOfType(RunEntity.AttemptFailed.class);
      assertEquals(clock.instant().plusMillis(100), failed.retryAt());
      assertEquals(RunStatus.RETRYING, result.state().status());
      expectEnqueue();
      assertEquals(RunStatus.QUEUED, run.getState().status());
      assertEquals(2, lease().attemptNumber());
    }

    @Test
    void lastFailureEndsTheRunFailed() {
      String attemptId = executing(noBackoff(1));
      RunError error = new RunError("Error", "boom", null);
      var result = run.<StatusReply<Done>>runCommand(r -> new RunEntity.FailAttempt(attemptId, error, true, r));
      assertEquals(2, result.events().size());
      assertEquals(new RunEntity.RunFailed(error, RunStatus.FAILED, clock.instant()), result.events().get(1));
      assertEquals(RunStatus.FAILED, result.state().status());
      assertEquals(error, result.state().error());
    }

    @Test
    void nonRetryableFailureEndsTheRunAtOnce() {
      String attemptId = executing(noBackoff(5));
      var result = run.<StatusReply<Done>>runCommand(
          r -> new RunEntity.FailAttempt(attemptId, new RunError("BadPayload", "no", null), false, r));
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
      assertEquals(RunStatus.EXECUTING, run.getState().status());
    }

    @Test
    void leaseExpiresWithoutHeartbeats() {
      executing(noBackoff(1));
      sleep(LEASE.multipliedBy(3));
      assertEquals(RunStatus.CRASHED, run.getState().status());
    }
  }

  @Nested
  class WhenRetrying {
    @Test
    void dispatchIsDeclinedAndOldAttemptIsStale() {
      String attemptId = executing(new RetryPolicy(2, 1, 60_000, 60_000, false));
      run.<StatusReply<Done>>runCommand(r -> new RunEntity.FailAttempt(attemptId, new RunError("E", "m", null), true, r));
      assertEquals(RunStatus.RETRYING, run.getState().status());
      var dispatch = run.<RunEntity.DispatchReply>runCommand(replyTo -> new RunEntity.Dispatch("ws_1", "w", worker.ref(), replyTo));
      assertFalse(dispatch.reply().accepted());
      assertStale(complete(attemptId, "1"));
      assertNoEventsFor(new RunEntity.WorkerLost(attemptId, "late"));
    }
  }

  @Nested
  class WhenFinished {
    @Test
    void everythingAfterTheTerminalEventIsRejectedOrIgnored() {
      String attemptId = executing(RetryPolicy.DEFAULT);
      assertTrue(complete(attemptId, "1").isSuccess());
      assertStale(complete(attemptId, "2"));
      assertStale(run.<StatusReply<Done>>runCommand(r -> new RunEntity.Heartbeat(attemptId, r)).reply());
      assertStale(run.<StatusReply<Done>>runCommand(
          r -> new RunEntity.FailAttempt(attemptId, new RunError("E", "m", null), true, r)).reply());
      assertNoEventsFor(new RunEntity.WorkerLost(attemptId, "late"));
      var dispatch = run.<RunEntity.DispatchReply>runCommand(replyTo -> new RunEntity.Dispatch("ws_2", "w", worker.ref(), replyTo));
      assertFalse(dispatch.reply().accepted());
      var retrigger = run.<StatusReply<RunState>>runCommand(
          replyTo -> new RunEntity.Trigger(spec(RetryPolicy.DEFAULT), replyTo));
      assertTrue(retrigger.hasNoEvents());
      assertEquals(RunStatus.COMPLETED, retrigger.reply().getValue().status());
      assertEquals("1", run.getState().outputJson());
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
    void anExecutingRunGetsAFreshLeaseAfterRecoveryAndIsRetriedWhenItLapses() {
      executing(noBackoff(2));
      run.restart();
      expectEnqueue();
      assertEquals(RunStatus.QUEUED, run.getState().status());
      assertEquals(1, run.getState().attemptCount());
    }
  }

  private static void sleep(Duration duration) {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A clock the test moves by hand, so event timestamps and durations are exact. */
  static final class MutableClock extends Clock {
    private volatile Instant now;

    MutableClock(Instant start) {
      this.now = start;
    }

    void advance(Duration duration) {
      now = now.plus(duration);
    }

    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public java.time.ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }
  }
}
