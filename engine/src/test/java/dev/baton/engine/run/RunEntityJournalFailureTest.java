package dev.baton.engine.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.Done;
import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import akka.pattern.StatusReply;
import akka.persistence.testkit.PersistenceTestKitPlugin;
import akka.persistence.testkit.javadsl.PersistenceTestKit;
import com.typesafe.config.ConfigFactory;
import dev.baton.engine.dispatch.DispatchReply;
import dev.baton.engine.dispatch.EnvironmentDispatcher;
import dev.baton.engine.task.RetryPolicy;
import dev.baton.engine.worker.WorkerChannel;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * A run entity stopped by a failed journal write (its database went away) while a worker held its attempt: the
 * lease dies with it, so the dispatcher must free the slot at once. Otherwise the dispatcher ignores the run's
 * enqueue when it recovers within 2 s of its offer (it still counts the run as running) until its reconcile, half a
 * minute later.
 */
class RunEntityJournalFailureTest {

    private static final ActorTestKit testKit = ActorTestKit.create(
            "RunEntityJournalFailureTest",
            PersistenceTestKitPlugin.getInstance().config().withFallback(ConfigFactory.load()));
    private static final RunSettings SETTINGS = new RunSettings(
            Duration.ofSeconds(30),
            Duration.ofSeconds(5),
            4,
            10,
            256 * 1024,
            Duration.ofSeconds(10),
            Duration.ofSeconds(30));

    @AfterAll
    static void stop() {
        testKit.shutdownTestKit();
    }

    @Test
    void aRunStoppedByAFailedWriteFreesTheDispatcherSlotItsLeaseHeld() {
        PersistenceTestKit journal = PersistenceTestKit.create(testKit.system());
        TestProbe<EnvironmentDispatcher.Command> dispatcher = testKit.createTestProbe();
        TestProbe<WorkerChannel.Message> worker = testKit.createTestProbe();
        String runId = "run_" + dev.baton.engine.common.Ids.random(12);
        ActorRef<RunEntity.Command> run = testKit.spawn(RunEntity.create(
                runId,
                SETTINGS,
                Clock.systemUTC(),
                RandomGenerator.of("L64X128MixRandom"),
                new TestLinks(dispatcher.ref(), testKit.createTestProbe()),
                null));
        TestProbe<StatusReply<RunState>> triggered = testKit.createTestProbe();
        run.tell(new RunEntity.Trigger(
                new RunSpec(
                        "env_test_dev",
                        "hello-world",
                        "task/hello-world",
                        "{}",
                        "application/json",
                        List.of(),
                        null,
                        null,
                        new RetryPolicy(3, 2, 0, 0, false),
                        null,
                        false,
                        null,
                        0,
                        null,
                        null,
                        null),
                triggered.ref()));
        assertTrue(triggered.receiveMessage().isSuccess());
        dispatcher.expectMessageClass(EnvironmentDispatcher.Enqueue.class);
        TestProbe<DispatchReply> offered = testKit.createTestProbe();
        run.tell(new RunEntity.Dispatch("ws_1", "worker-1", worker.ref(), offered.ref()));
        assertTrue(offered.receiveMessage().accepted());
        String attemptId =
                worker.expectMessageClass(WorkerChannel.Execute.class).attemptId();

        journal.failNextPersisted();
        TestProbe<StatusReply<Done>> completed = testKit.createTestProbe();
        run.tell(new RunEntity.CompleteAttempt(attemptId, "{}", null, completed.ref()));
        completed.expectTerminated(run, Duration.ofSeconds(5));
        assertEquals(new EnvironmentDispatcher.Withdraw(runId), nextWithdraw(dispatcher));
    }

    /** The next Withdraw, skipping the run's other notices (Occupying). */
    private static EnvironmentDispatcher.Command nextWithdraw(TestProbe<EnvironmentDispatcher.Command> dispatcher) {
        long deadline = System.nanoTime() + Duration.ofSeconds(3).toNanos();
        while (true) {
            EnvironmentDispatcher.Command message =
                    dispatcher.receiveMessage(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
            if (message instanceof EnvironmentDispatcher.Withdraw) return message;
        }
    }
}
