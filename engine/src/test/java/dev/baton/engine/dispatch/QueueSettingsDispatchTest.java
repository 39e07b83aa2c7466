package dev.baton.engine.dispatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import akka.actor.testkit.typed.javadsl.TestProbe;
import dev.baton.engine.environment.QueueSettings;
import dev.baton.engine.environment.QueueSettingsStore;
import dev.baton.engine.run.TriggerRequest;
import dev.baton.engine.task.QueueLimits;
import dev.baton.engine.task.RateLimit;
import dev.baton.engine.task.TaskDefinition;
import dev.baton.engine.testkit.TestNode;
import dev.baton.engine.worker.WorkerChannel;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A queue's settings steer its dispatcher: a paused queue offers nothing while another queue's runs go, and resuming
 * offers its runs; an overridden limit caps the queue until reset. The dispatcher's description counts them.
 */
class QueueSettingsDispatchTest {

    private static TestNode node;

    @BeforeAll
    static void start() {
        node = TestNode.start("QueueSettingsDispatchTest");
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    private static void declare(String env, TaskDefinition... tasks) throws Exception {
        node.engine().declareTasks(env, List.of(tasks)).toCompletableFuture().get();
    }

    private static void trigger(String env, String taskId, int count) throws Exception {
        for (int i = 0; i < count; i++) {
            node.engine()
                    .runs()
                    .trigger(env, TriggerRequest.of(taskId, "{}"))
                    .toCompletableFuture()
                    .get();
        }
    }

    /** As the queues API does: stored first, then told to the dispatcher. */
    private static void change(String env, String queue, QueueSettings settings) {
        new QueueSettingsStore(node.directory()).save(env, queue, settings);
        node.engine().applyQueueSettings(env, queue, settings);
    }

    private static QueueDescription describe(String env, String queue) throws Exception {
        return node.engine().describeQueues(env).toCompletableFuture().get().stream()
                .filter(described -> described.name().equals(queue))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no queue " + queue));
    }

    private static WorkerChannel.Execute expectExecute(TestProbe<WorkerChannel.Message> probe) {
        return probe.expectMessageClass(WorkerChannel.Execute.class, Duration.ofSeconds(5));
    }

    @Test
    void aPausedQueueHoldsItsRunsWhileAnotherQueueRuns() throws Exception {
        String env = "env_queue_paused";
        declare(
                env,
                new TaskDefinition("held", null, null, null, null),
                new TaskDefinition("free", "others", 3, null, null));
        change(env, "task/held", QueueSettings.DEFAULTS.withPaused(true));
        trigger(env, "held", 2);
        trigger(env, "free", 1);
        TestProbe<WorkerChannel.Message> worker = node.testKit().createTestProbe();
        node.engine()
                .reportWorker(
                        env,
                        new EnvironmentDispatcher.WorkerReport(
                                "ws_p",
                                "w-p",
                                worker.ref(),
                                Set.of("held", "free"),
                                Map.of(),
                                8,
                                0,
                                "test-sdk/1",
                                0,
                                null));
        assertEquals("free", expectExecute(worker).taskId(), "the other queue runs");
        worker.expectNoMessage(Duration.ofMillis(500));

        QueueDescription held = describe(env, "task/held");
        assertEquals(2, held.queued());
        assertEquals(0, held.running());
        assertEquals(true, held.settings().paused());
        QueueDescription others = describe(env, "others");
        assertEquals(0, others.queued());
        assertEquals(1, others.running());
        assertEquals(new QueueLimits(3, null), others.declared(), "the catalog's declaration fills in");

        change(env, "task/held", QueueSettings.DEFAULTS);
        assertEquals("held", expectExecute(worker).taskId());
        assertEquals("held", expectExecute(worker).taskId());
        assertEquals(2, describe(env, "task/held").running());
        assertEquals(0, describe(env, "task/held").queued());
    }

    @Test
    void theDescriptionCrossesNodes() {
        // A dispatcher may live on another node than the route that asks it: its answer must serialize.
        EnvironmentDispatcher.Queues answer = new EnvironmentDispatcher.Queues(List.of(
                new QueueDescription(
                        "task/a",
                        2,
                        1,
                        new QueueLimits(3, null, RateLimit.of(10, "1m")),
                        new QueueSettings(true, 1, Instant.parse("2026-01-02T03:04:05.678Z"))
                                .withRateLimit(RateLimit.of(3, "1s"), Instant.parse("2026-01-02T03:04:06Z"))),
                new QueueDescription("b", 0, 0, null, QueueSettings.DEFAULTS)));
        akka.serialization.Serialization serialization =
                akka.serialization.SerializationExtension.get(node.testKit().system());
        akka.serialization.Serializer serializer = serialization.findSerializerFor(answer);
        Object read = serialization
                .deserialize(
                        serialization.serialize(answer).get(),
                        serializer.identifier(),
                        akka.serialization.Serializers.manifestFor(serializer, answer))
                .get();
        assertEquals(answer, read);
    }

    @Test
    void anOverriddenLimitCapsTheQueueUntilReset() throws Exception {
        String env = "env_queue_override";
        declare(env, new TaskDefinition("capped", "capped", 5, null, null));
        QueueSettings overridden = QueueSettings.DEFAULTS.withConcurrencyLimit(1, Instant.now());
        change(env, "capped", overridden);
        trigger(env, "capped", 3);
        TestProbe<WorkerChannel.Message> worker = node.testKit().createTestProbe();
        node.engine()
                .reportWorker(
                        env,
                        new EnvironmentDispatcher.WorkerReport(
                                "ws_c",
                                "w-c",
                                worker.ref(),
                                Set.of("capped"),
                                Map.of("capped", new QueueLimits(5, null)),
                                8,
                                0,
                                "test-sdk/1",
                                0,
                                null));
        expectExecute(worker);
        worker.expectNoMessage(Duration.ofMillis(500));
        QueueDescription capped = describe(env, "capped");
        assertEquals(1, capped.effectiveConcurrencyLimit());
        assertEquals(1, capped.running());
        assertEquals(2, capped.queued());

        change(env, "capped", overridden.withConcurrencyLimit(null, null));
        expectExecute(worker);
        expectExecute(worker);
        assertEquals(5, describe(env, "capped").effectiveConcurrencyLimit(), "the declared limit again");
        assertNull(describe(env, "capped").settings().concurrencyLimit());
    }
}
