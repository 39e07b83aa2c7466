package dev.baton.engine.bulk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.testkit.typed.javadsl.SerializationTestKit;
import dev.baton.engine.bulk.BulkActionEntity.Outcome;
import dev.baton.engine.bulk.BulkActionEntity.RunProcessor;
import dev.baton.engine.bulk.BulkActionEntity.Selection;
import dev.baton.engine.bulk.BulkActionEntity.Type;
import dev.baton.engine.environment.Environment;
import dev.baton.engine.run.RunService;
import dev.baton.engine.run.RunState;
import dev.baton.engine.run.RunStatus;
import dev.baton.engine.run.TriggerRequest;
import dev.baton.engine.task.TaskDefinition;
import dev.baton.engine.testkit.TestNode;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** What a bulk action does to one run, on a real node: cancel, replay, and their outcomes. */
class BulkActionProcessorTest {

    private static TestNode node;
    private static Environment environment;
    private static RunProcessor processor;

    @BeforeAll
    static void start() throws Exception {
        node = TestNode.start("BulkActionProcessorTest");
        environment = node.createEnvironment("bulk", "dev", "tr_dev_bulk", "bw_bulk");
        await(node.engine()
                .declareTasks(environment.id(), List.of(new TaskDefinition("held", null, null, null, null))));
        processor = BulkActions.processor(runs());
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    private static RunService runs() {
        return node.engine().runs();
    }

    private static <T> T await(CompletionStage<T> stage) throws Exception {
        return stage.toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    private static String trigger() throws Exception {
        return await(runs().trigger(
                                environment.id(), TriggerRequest.builder("held").build()))
                .run()
                .runId();
    }

    private static Outcome process(Type type, String runId, Instant resumedSince) throws Exception {
        return await(processor.process(type, "bulk_test", environment.id(), runId, resumedSince));
    }

    @Test
    void aCancelCancelsAnUnfinishedRunAndCountsAFinishedOneAsAFailure() throws Exception {
        String runId = trigger();
        assertTrue(process(Type.CANCEL, runId, null).success());
        assertEquals(
                RunStatus.CANCELED,
                await(runs().get(environment.id(), runId)).orElseThrow().status());
        Outcome again = process(Type.CANCEL, runId, null);
        assertFalse(again.success());
        assertTrue(again.detail().contains("already finished"), again.detail());
        assertFalse(process(Type.CANCEL, "run_doesnotexist0000000000", null).success());
        String unfinished = trigger();
        Environment other = node.createEnvironment("bulk-other", "dev", "tr_dev_bulk_other", "bw_bulk_other");
        Outcome elsewhere = await(processor.process(Type.CANCEL, "bulk_test", other.id(), unfinished, null));
        assertFalse(elsewhere.success(), "another environment's run is not found");
        assertEquals(
                RunStatus.QUEUED,
                await(runs().get(environment.id(), unfinished)).orElseThrow().status());
    }

    @Test
    void afterAResumeARunCanceledSinceTheActionBeganCountsAsTheActions() throws Exception {
        Instant actionCreated = Instant.now();
        String runId = trigger();
        await(runs().cancel(environment.id(), runId));
        assertTrue(process(Type.CANCEL, runId, actionCreated).success());
        assertFalse(
                process(Type.CANCEL, runId, Instant.now().plusSeconds(60)).success(),
                "canceled before the action began: already finished");
    }

    @Test
    void anActionsStateCommandsAndEventsCrossNodes() {
        SerializationTestKit serialization = new SerializationTestKit(node.system());
        BulkRunFilter filter = new BulkRunFilter(
                Set.of(RunStatus.QUEUED, RunStatus.DELAYED),
                Set.of("held"),
                Set.of("a", "b"),
                null,
                Set.of(),
                "batch_1",
                null,
                false,
                Instant.parse("2026-01-01T00:00:00Z"),
                Instant.parse("2026-01-02T00:00:00Z"));
        BulkActionEntity.BulkActionCreated created = new BulkActionEntity.BulkActionCreated(
                environment.id(), "nightly", Type.REPLAY, new Selection(null, filter), 7, "api", Instant.now());
        serialization.verifySerialization(created, true);
        serialization.verifySerialization(
                new BulkActionEntity.BulkActionCreated(
                        environment.id(),
                        null,
                        Type.CANCEL,
                        new Selection(List.of("run_a"), null),
                        1,
                        "api",
                        Instant.now()),
                true);
        serialization.verifySerialization(
                new BulkActionEntity.PageTaken(List.of("run_a", "run_b"), "MTIzOnJ1bl9i", Instant.now()), true);
        serialization.verifySerialization(
                new BulkActionEntity.RunProcessed("run_a", false, "run already finished: COMPLETED", Instant.now()),
                true);
        serialization.verifySerialization(new BulkActionEntity.BulkActionCompleted(Instant.now()), true);
        serialization.verifySerialization(new BulkActionEntity.BulkActionAborted(Instant.now()), true);
        BulkActionEntity.State state = BulkActionEntity.apply(BulkActionEntity.State.empty("bulk_x"), created);
        serialization.verifySerialization(state, true);
        serialization.verifySerialization(new BulkActionEntity.Wake(), true);
    }

    @Test
    void aReplayMakesOneRunPerActionAndOriginal() throws Exception {
        String runId = trigger();
        Outcome first = process(Type.REPLAY, runId, null);
        Outcome repeated = process(Type.REPLAY, runId, null);
        assertTrue(first.success() && repeated.success());
        assertEquals(first.detail(), repeated.detail(), "a repeated replay finds the run it made");
        RunState replay = await(runs().get(environment.id(), first.detail())).orElseThrow();
        assertEquals(runId, replay.spec().replayOf());
        Outcome otherAction = await(processor.process(Type.REPLAY, "bulk_other", environment.id(), runId, null));
        assertFalse(first.detail().equals(otherAction.detail()), "another action replays the run again");
        assertFalse(process(Type.REPLAY, "run_doesnotexist0000000000", null).success());
    }
}
