package dev.baton.engine.dispatch;

import static org.junit.jupiter.api.Assertions.assertEquals;

import akka.actor.testkit.typed.javadsl.SerializationTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import dev.baton.engine.run.TriggerRequest;
import dev.baton.engine.task.TaskDefinition;
import dev.baton.engine.testkit.TestNode;
import dev.baton.engine.worker.WorkerChannel;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Demand-driven dispatch: a worker never gets more executions than the free slots it reported. */
class EnvironmentDispatcherTest {

    private static TestNode node;

    @BeforeAll
    static void start() {
        node = TestNode.start("EnvironmentDispatcherTest");
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    private static void triggerRuns(String env, String taskId, int count) throws Exception {
        node.engine()
                .declareTasks(env, List.of(new TaskDefinition(taskId, null, null, null, null)))
                .toCompletableFuture()
                .get();
        for (int i = 0; i < count; i++) {
            node.engine()
                    .runs()
                    .trigger(env, TriggerRequest.of(taskId, "{}"))
                    .toCompletableFuture()
                    .get();
        }
    }

    private static WorkerChannel.Execute expectExecute(TestProbe<WorkerChannel.Message> probe) {
        return probe.expectMessageClass(WorkerChannel.Execute.class, Duration.ofSeconds(5));
    }

    @Test
    void offersNoMoreThanTheReportedFreeSlots() throws Exception {
        String env = "env_slots";
        triggerRuns(env, "t-slots", 5);
        TestProbe<WorkerChannel.Message> worker = node.testKit().createTestProbe();
        node.engine()
                .reportWorker(
                        env,
                        new EnvironmentDispatcher.WorkerReport(
                                "ws_a", "w-a", worker.ref(), Set.of("t-slots"), Map.of(), 2, 0, "test-sdk/1", 0, null));
        Set<String> runs = new HashSet<>();
        runs.add(expectExecute(worker).runId());
        runs.add(expectExecute(worker).runId());
        assertEquals(2, runs.size());
        worker.expectNoMessage(Duration.ofMillis(300));

        // The session saw both executions and has no slot free: still nothing more.
        node.engine()
                .reportWorker(
                        env,
                        new EnvironmentDispatcher.WorkerReport(
                                "ws_a", "w-a", worker.ref(), Set.of("t-slots"), Map.of(), 0, 2, "test-sdk/1", 0, null));
        worker.expectNoMessage(Duration.ofMillis(300));

        // One finished: exactly one more.
        node.engine()
                .reportWorker(
                        env,
                        new EnvironmentDispatcher.WorkerReport(
                                "ws_a", "w-a", worker.ref(), Set.of("t-slots"), Map.of(), 1, 2, "test-sdk/1", 0, null));
        runs.add(expectExecute(worker).runId());
        assertEquals(3, runs.size());
        worker.expectNoMessage(Duration.ofMillis(300));
    }

    @Test
    void onlyWorkersServingTheTaskGetItsRuns() throws Exception {
        String env = "env_tasks";
        TestProbe<WorkerChannel.Message> other = node.testKit().createTestProbe();
        node.engine()
                .reportWorker(
                        env,
                        new EnvironmentDispatcher.WorkerReport(
                                "ws_o",
                                "w-o",
                                other.ref(),
                                Set.of("something-else"),
                                Map.of(),
                                4,
                                0,
                                "test-sdk/1",
                                0,
                                null));
        triggerRuns(env, "t-served", 2);
        other.expectNoMessage(Duration.ofMillis(300));

        TestProbe<WorkerChannel.Message> serving = node.testKit().createTestProbe();
        node.engine()
                .reportWorker(
                        env,
                        new EnvironmentDispatcher.WorkerReport(
                                "ws_s",
                                "w-s",
                                serving.ref(),
                                Set.of("t-served"),
                                Map.of(),
                                4,
                                0,
                                "test-sdk/1",
                                0,
                                null));
        expectExecute(serving);
        expectExecute(serving);
        other.expectNoMessage(Duration.ofMillis(100));
    }

    @Test
    void runsOfOneEnvironmentNeverReachAnotherEnvironmentsWorkers() throws Exception {
        TestProbe<WorkerChannel.Message> foreign = node.testKit().createTestProbe();
        node.engine()
                .reportWorker(
                        "env_b",
                        new EnvironmentDispatcher.WorkerReport(
                                "ws_b",
                                "w-b",
                                foreign.ref(),
                                Set.of("shared-task"),
                                Map.of(),
                                4,
                                0,
                                "test-sdk/1",
                                0,
                                null));
        triggerRuns("env_a", "shared-task", 2);
        foreign.expectNoMessage(Duration.ofMillis(500));
    }

    @Test
    void listsTheSessionsItKnowsWithTheirSlotsInUse() throws Exception {
        String env = "env_list";
        triggerRuns(env, "t-list", 1);
        TestProbe<WorkerChannel.Message> worker = node.testKit().createTestProbe();
        Instant connectedAt = Instant.parse("2026-01-02T03:04:05Z");
        node.engine()
                .reportWorker(
                        env,
                        new EnvironmentDispatcher.WorkerReport(
                                "ws_l",
                                "w-l",
                                worker.ref(),
                                Set.of("t-list", "a-task"),
                                Map.of(),
                                3,
                                0,
                                "sdk/2",
                                3,
                                connectedAt));
        expectExecute(worker);

        List<EnvironmentDispatcher.ConnectedWorker> listed =
                node.engine().workers(env).toCompletableFuture().get().workers();
        assertEquals(1, listed.size());
        EnvironmentDispatcher.ConnectedWorker session = listed.get(0);
        assertEquals("ws_l", session.sessionId());
        assertEquals("w-l", session.workerId());
        assertEquals("sdk/2", session.sdk());
        assertEquals(List.of("a-task", "t-list"), session.taskIds());
        assertEquals(3, session.slots());
        assertEquals(2, session.freeSlots(), "the offered run is counted before the session reports it");
        assertEquals(1, session.runningRuns());
        assertEquals(connectedAt, session.connectedAt());
        // The question and its answer cross nodes: both must survive serialization.
        SerializationTestKit serialization = new SerializationTestKit(node.system());
        serialization.verifySerialization(new EnvironmentDispatcher.ConnectedWorkers(listed), true);
        serialization.verifySerialization(
                new EnvironmentDispatcher.WorkerReport(
                        "ws_l", "w-l", worker.ref(), Set.of("t-list"), Map.of(), 3, 0, "sdk/2", 3, connectedAt),
                true);

        node.engine().workerLeft(env, "ws_l");
        assertEquals(
                List.of(),
                node.engine().workers(env).toCompletableFuture().get().workers());
        assertEquals(
                List.of(),
                node.engine().workers("env_none").toCompletableFuture().get().workers());
    }
}
