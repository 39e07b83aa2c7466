package dev.baton.engine.dispatch;

import akka.actor.testkit.typed.javadsl.TestProbe;
import dev.baton.engine.task.QueueLimits;
import dev.baton.engine.testkit.TestNode;
import dev.baton.engine.worker.WorkerChannel;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * A worker session stand-in: reports its free slots like the gateway does, and finishes attempts through the engine.
 */
final class FakeWorker {

    private final TestNode node;
    private final String environmentId;
    private final String sessionId;
    private final Set<String> taskIds;
    private final Map<String, QueueLimits> queues;
    private final int slots;
    final TestProbe<WorkerChannel.Message> probe;
    private final Set<String> inFlight = new HashSet<>();
    private long received;

    FakeWorker(
            TestNode node,
            String environmentId,
            String sessionId,
            Set<String> taskIds,
            Map<String, QueueLimits> queues,
            int slots) {
        this.node = node;
        this.environmentId = environmentId;
        this.sessionId = sessionId;
        this.taskIds = taskIds;
        this.queues = queues;
        this.slots = slots;
        this.probe = node.testKit().createTestProbe();
        report();
    }

    void report() {
        node.engine()
                .reportWorker(
                        environmentId,
                        new EnvironmentDispatcher.WorkerReport(
                                sessionId,
                                sessionId,
                                probe.ref(),
                                taskIds,
                                queues,
                                slots - inFlight.size(),
                                received,
                                "test-sdk/1",
                                0,
                                null));
    }

    /** The next execution offered to this worker (it then holds a slot). */
    WorkerChannel.Execute next() {
        WorkerChannel.Execute execute = probe.expectMessageClass(WorkerChannel.Execute.class, Duration.ofSeconds(10));
        received++;
        inFlight.add(execute.attemptId());
        report();
        return execute;
    }

    void expectNothing(Duration duration) {
        probe.expectNoMessage(duration);
    }

    /** Completes the attempt the way a worker would (start, complete) and frees its slot. */
    void finish(WorkerChannel.Execute execute) throws Exception {
        node.engine()
                .runs()
                .startAttempt(execute.runId(), execute.attemptId())
                .toCompletableFuture()
                .get();
        node.engine()
                .runs()
                .complete(execute.runId(), execute.attemptId(), "null")
                .toCompletableFuture()
                .get();
        inFlight.remove(execute.attemptId());
        report();
    }

    int inFlight() {
        return inFlight.size();
    }
}
