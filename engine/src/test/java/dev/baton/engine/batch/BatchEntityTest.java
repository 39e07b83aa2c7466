package dev.baton.engine.batch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.pattern.StatusReply;
import akka.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import com.typesafe.config.ConfigFactory;
import dev.baton.engine.batch.BatchEntity.BatchCreated;
import dev.baton.engine.batch.BatchEntity.HeldItem;
import dev.baton.engine.batch.BatchEntity.ItemsHeld;
import dev.baton.engine.batch.BatchEntity.ItemsRecorded;
import dev.baton.engine.batch.BatchEntity.Recorded;
import dev.baton.engine.batch.BatchEntity.RecordedItem;
import dev.baton.engine.common.Ids;
import dev.baton.engine.run.TriggerRequest;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class BatchEntityTest {

    private static final Instant NOW = Instant.parse("2026-11-28T10:00:00Z");
    private static ActorTestKit testKit;
    /** The batches a recovered entity asked to make their parent wait. */
    private static final List<BatchState> RESUMED = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void start() {
        testKit = ActorTestKit.create(
                "BatchEntityTest", EventSourcedBehaviorTestKit.config().withFallback(ConfigFactory.load()));
    }

    @AfterAll
    static void stop() {
        testKit.shutdownTestKit();
    }

    private static EventSourcedBehaviorTestKit<BatchEntity.Command, BatchEntity.Event, BatchState> batch(String id) {
        return EventSourcedBehaviorTestKit.create(
                testKit.system(),
                new BatchEntity(id, Clock.fixed(NOW, ZoneOffset.UTC), RESUMED::add),
                EventSourcedBehaviorTestKit.enabledSerializationSettings());
    }

    private static EventSourcedBehaviorTestKit<BatchEntity.Command, BatchEntity.Event, BatchState> created(
            String id, int runCount) {
        var batch = batch(id);
        batch.<StatusReply<BatchState>>runCommand(r -> new BatchEntity.Create("env_1", runCount, "key-1", r));
        return batch;
    }

    private static RecordedItem run(int index) {
        return RecordedItem.created(index, "hello-world", "run_" + index);
    }

    @Test
    void createPersistsTheBatchOnceAndAnswersWithItAgain() {
        String id = Ids.newId("batch");
        var batch = batch(id);
        var first = batch.<StatusReply<BatchState>>runCommand(r -> new BatchEntity.Create("env_1", 3, "key-1", r));
        assertEquals(new BatchCreated(id, "env_1", 3, "key-1", NOW), first.event());
        BatchState state = first.reply().getValue();
        assertEquals(BatchStatus.PENDING, state.status());
        assertEquals(3, state.runCount());
        assertEquals("key-1", state.idempotencyKey());
        assertEquals(NOW, state.createdAt());

        var again = batch.<StatusReply<BatchState>>runCommand(r -> new BatchEntity.Create("env_1", 7, null, r));
        assertTrue(again.hasNoEvents());
        assertEquals(3, again.reply().getValue().runCount());
    }

    @Test
    void aRunCountBelowOneIsRefused() {
        var result = batch(Ids.newId("batch"))
                .<StatusReply<BatchState>>runCommand(r -> new BatchEntity.Create("env_1", 0, null, r));
        assertTrue(result.hasNoEvents());
        assertTrue(result.reply().isError());
    }

    @Test
    void anUnknownBatchRecordsNothing() {
        var batch = batch(Ids.newId("batch"));
        var result = batch.<StatusReply<Recorded>>runCommand(r -> new BatchEntity.RecordItems(List.of(run(0)), r));
        assertTrue(result.hasNoEvents());
        assertEquals(BatchEntity.UNKNOWN_BATCH, result.reply().getError().getMessage());
        assertEquals(
                BatchStatus.NEW,
                batch.<BatchState>runCommand(BatchEntity.Get::new).reply().status());
    }

    @Test
    void itemsAreRecordedOnceByIndexInOneEventPerCommand() {
        var batch = created(Ids.newId("batch"), 3);
        var first = batch.<StatusReply<Recorded>>runCommand(
                r -> new BatchEntity.RecordItems(List.of(run(0), run(2), run(0)), r));
        assertEquals(new ItemsRecorded(List.of(run(0), run(2)), NOW), first.event());
        Recorded recorded = first.reply().getValue();
        assertEquals(2, recorded.recorded());
        assertEquals(1, recorded.deduplicated());
        assertEquals(BatchStatus.PROCESSING, recorded.batch().status());
        assertEquals(List.of("run_0", "run_2"), recorded.batch().runIds());

        var resent = batch.<StatusReply<Recorded>>runCommand(r -> new BatchEntity.RecordItems(List.of(run(2)), r));
        assertTrue(resent.hasNoEvents());
        assertEquals(0, resent.reply().getValue().recorded());
        assertEquals(1, resent.reply().getValue().deduplicated());
    }

    @Test
    void theLastItemSealsTheBatchAndFailedItemsMakeItPartiallyFailed() {
        var batch = created(Ids.newId("batch"), 2);
        batch.<StatusReply<Recorded>>runCommand(r -> new BatchEntity.RecordItems(List.of(run(0)), r));
        assertNull(batch.getState().completedAt());
        var last = batch.<StatusReply<Recorded>>runCommand(
                r -> new BatchEntity.RecordItems(List.of(RecordedItem.failed(1, "nope", "Task not found: nope")), r));
        BatchState state = last.reply().getValue().batch();
        assertTrue(state.isSealed());
        assertEquals(BatchStatus.PARTIAL_FAILED, state.status());
        assertEquals(NOW, state.completedAt());
        assertEquals(List.of(new BatchState.ItemError(1, "nope", "Task not found: nope")), state.errors());
        assertEquals(List.of("run_0"), state.runIds());

        var complete = created(Ids.newId("batch"), 1);
        complete.<StatusReply<Recorded>>runCommand(r -> new BatchEntity.RecordItems(List.of(run(0)), r));
        assertEquals(BatchStatus.COMPLETED, complete.getState().status());
    }

    @Test
    void anIndexOutsideTheBatchIsRefusedAndNothingOfTheCommandIsRecorded() {
        var batch = created(Ids.newId("batch"), 2);
        var result =
                batch.<StatusReply<Recorded>>runCommand(r -> new BatchEntity.RecordItems(List.of(run(0), run(2)), r));
        assertTrue(result.hasNoEvents());
        assertTrue(result.reply().getError().getMessage().startsWith(BatchEntity.INDEX_OUT_OF_RANGE));
        assertEquals(0, batch.getState().recordedCount());
    }

    /**
     * An item's run may be created without asking the journal only by the first call that starts it: any later call (a
     * retry after a crash or a timeout, a concurrent duplicate) might find a run the first one created.
     */
    @Test
    void anItemIsStartedForTheFirstTimeOnceEvenAcrossARestartAndNeverOnceRecorded() {
        var batch = created(Ids.newId("batch"), 4);
        batch.<StatusReply<Recorded>>runCommand(r -> new BatchEntity.RecordItems(List.of(run(3)), r));

        var first = batch.<StatusReply<BatchEntity.Started>>runCommand(
                r -> new BatchEntity.StartItems(List.of(0, 1, 3, 9), r));
        assertEquals(new BatchEntity.ItemsStarted(List.of(0, 1), NOW), first.event());
        assertEquals(List.of(0, 1), first.reply().getValue().firstTime());

        batch.restart();
        var again = batch.<StatusReply<BatchEntity.Started>>runCommand(
                r -> new BatchEntity.StartItems(List.of(1, 2, 0), r));
        assertEquals(List.of(2), again.reply().getValue().firstTime());
        var resent = batch.<StatusReply<BatchEntity.Started>>runCommand(
                r -> new BatchEntity.StartItems(List.of(0, 1, 2, 3), r));
        assertTrue(resent.hasNoEvents());
        assertEquals(List.of(), resent.reply().getValue().firstTime());
        assertEquals(BatchStatus.PROCESSING, batch.getState().status());
    }

    @Test
    void theBatchSurvivesARestart() {
        var batch = created(Ids.newId("batch"), 3);
        batch.<StatusReply<Recorded>>runCommand(
                r -> new BatchEntity.RecordItems(List.of(run(1), RecordedItem.failed(2, "x", "Task not found: x")), r));
        BatchState before = batch.getState();
        batch.restart();
        assertEquals(before, batch.getState());
        assertEquals(BatchStatus.PROCESSING, batch.getState().status());
    }

    @Test
    void aParentsBatchHoldsItsItemsOnceByIndexUntilTheyAreRecordedWithTheirRuns() {
        String id = Ids.newId("batch");
        var batch = batch(id);
        var created = batch.<StatusReply<BatchState>>runCommand(
                r -> new BatchEntity.Create("env_1", 2, null, "run_parent", "wait-3", r));
        assertEquals(new BatchCreated(id, "env_1", 2, null, NOW, "run_parent", "wait-3"), created.event());
        assertTrue(created.state().resumesParent());

        HeldItem first = new HeldItem(1, TriggerRequest.of("child", "{\"n\":1}"));
        var held = batch.<StatusReply<Recorded>>runCommand(r -> new BatchEntity.HoldItems(List.of(first, first), r));
        assertEquals(new ItemsHeld(List.of(first), NOW), held.event());
        assertEquals(1, held.reply().getValue().recorded());
        assertEquals(1, held.reply().getValue().deduplicated());
        assertEquals(BatchStatus.PROCESSING, held.state().status());

        HeldItem second = new HeldItem(0, TriggerRequest.of("child", "{\"n\":0}"));
        var all = batch.<StatusReply<Recorded>>runCommand(r -> new BatchEntity.HoldItems(List.of(second, first), r));
        assertEquals(1, all.reply().getValue().deduplicated());
        assertTrue(all.state().awaitsParent());
        assertEquals(2, all.state().receivedCount());

        // A restart between "every item in" and "the parent waits" drives the parent's wait again.
        RESUMED.clear();
        batch.restart();
        assertEquals(1, RESUMED.size());
        assertEquals(
                List.of(second.request(), first.request()),
                List.copyOf(RESUMED.get(0).held().values()));

        var recorded =
                batch.<StatusReply<Recorded>>runCommand(r -> new BatchEntity.RecordItems(List.of(run(0), run(1)), r));
        assertEquals(2, recorded.reply().getValue().recorded());
        assertEquals(BatchStatus.COMPLETED, recorded.state().status());
        assertTrue(recorded.state().held().isEmpty());
        assertFalse(recorded.state().awaitsParent());
        RESUMED.clear();
        batch.restart();
        assertTrue(RESUMED.isEmpty());
    }

    @Test
    void aBatchWithoutAParentHoldsNothing() {
        var batch = created(Ids.newId("batch"), 1);
        var refused = batch.<StatusReply<Recorded>>runCommand(r ->
                new BatchEntity.HoldItems(List.of(new HeldItem(0, TriggerRequest.of("child", "{}"))), r));
        assertTrue(refused.reply().isError());
        assertTrue(refused.events().isEmpty());
    }
}
