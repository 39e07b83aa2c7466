package dev.baton.engine.batch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.persistence.testkit.javadsl.PersistenceTestKit;
import dev.baton.engine.batch.BatchService.Created;
import dev.baton.engine.batch.BatchService.Item;
import dev.baton.engine.batch.BatchService.ItemsAdded;
import dev.baton.engine.environment.Environment;
import dev.baton.engine.run.RunEntity;
import dev.baton.engine.run.RunState;
import dev.baton.engine.run.RunStatus;
import dev.baton.engine.run.TriggerRequest;
import dev.baton.engine.task.TaskDefinition;
import dev.baton.engine.testkit.TestNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The batch service on a real node: runs created once per item, whatever is resent. */
class BatchServiceTest {

    private static TestNode node;
    private static Environment environment;
    private static Environment other;

    @BeforeAll
    static void start() throws Exception {
        node = TestNode.start("BatchServiceTest");
        environment = node.createEnvironment("batches", "dev", "tr_dev_batches", "bw_batches");
        other = node.createEnvironment("batches", "prod", "tr_prod_batches", "bw_batches_prod");
        node.engine()
                .declareTasks(environment.id(), List.of(new TaskDefinition("hello-world", null, null, null, null)))
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    private static BatchService batches() {
        return node.engine().batches();
    }

    private static <T> T await(CompletionStage<T> stage) throws Exception {
        return stage.toCompletableFuture().get(60, TimeUnit.SECONDS);
    }

    private static List<Item> items(int count, String taskId) {
        List<Item> items = new ArrayList<>();
        for (int i = 0; i < count; i++) items.add(new Item(i, TriggerRequest.of(taskId, "{\"i\":" + i + "}")));
        return items;
    }

    @Test
    void aThousandItemsSentTwiceMakeAThousandRunsOnce() throws Exception {
        Created created = await(batches().create(environment.id(), 1000, null, null));
        String batchId = created.batch().batchId();
        assertFalse(created.cached());
        assertEquals(BatchStatus.PENDING, created.batch().status());

        ItemsAdded first = await(batches().addItems(environment.id(), batchId, items(1000, "hello-world")))
                .orElseThrow();
        assertEquals(1000, first.accepted());
        assertEquals(0, first.deduplicated());
        assertEquals(0, first.unavailable());
        assertTrue(first.batch().isSealed());
        assertEquals(BatchStatus.COMPLETED, first.batch().status());

        PersistenceTestKit journal = PersistenceTestKit.create(node.system());
        List<String> runIds = first.batch().runIds();
        assertEquals(1000, new HashSet<>(runIds).size());
        for (int i = 0; i < 1000; i += 97) {
            String runId = BatchService.itemRunId(batchId, i);
            assertEquals(runId, runIds.get(i));
            List<Object> events =
                    journal.persistedInStorage(RunEntity.persistenceId(runId).id());
            assertTrue(events.get(0) instanceof RunEntity.RunTriggered, events.toString());
            RunState run =
                    await(node.engine().runs().get(environment.id(), runId)).orElseThrow();
            assertEquals(batchId, run.spec().lineage().batchId());
            assertEquals(i, run.spec().lineage().batchIndex());
            assertEquals("batchTrigger", run.spec().lineage().triggerFunction());
            assertEquals("{\"i\":" + i + "}", run.spec().payloadJson());
        }
        // Few events: one per chunk of items, not one per item.
        List<Object> batchEvents =
                journal.persistedInStorage(BatchEntity.persistenceId(batchId).id());
        assertTrue(batchEvents.size() <= 1 + 1000 / 100 + 1, "batch events: " + batchEvents.size());

        ItemsAdded second = await(batches().addItems(environment.id(), batchId, items(1000, "hello-world")))
                .orElseThrow();
        assertEquals(0, second.accepted());
        assertEquals(1000, second.deduplicated());
        assertTrue(second.batch().isSealed());
        for (int i = 0; i < 1000; i += 97) {
            String runId = BatchService.itemRunId(batchId, i);
            assertEquals(
                    1,
                    journal.persistedInStorage(RunEntity.persistenceId(runId).id()).stream()
                            .filter(event -> event instanceof RunEntity.RunTriggered)
                            .count());
        }
    }

    @Test
    void itemsMayComeInSeveralCallsAndTheBatchSealsWithTheLast() throws Exception {
        String batchId =
                await(batches().create(environment.id(), 4, null, null)).batch().batchId();
        List<Item> all = items(4, "hello-world");
        ItemsAdded part = await(batches().addItems(environment.id(), batchId, List.of(all.get(3), all.get(1))))
                .orElseThrow();
        assertEquals(2, part.accepted());
        assertFalse(part.batch().isSealed());
        assertEquals(BatchStatus.PROCESSING, part.batch().status());
        ItemsAdded rest =
                await(batches().addItems(environment.id(), batchId, all)).orElseThrow();
        assertEquals(2, rest.accepted());
        assertEquals(2, rest.deduplicated());
        assertEquals(BatchStatus.COMPLETED, rest.batch().status());
        assertTrue(rest.batch().completedAt() != null);
    }

    @Test
    void anUndeclaredTaskWaitsPendingVersionAndAnImpossibleIdFailsItsItemOnly() throws Exception {
        String batchId =
                await(batches().create(environment.id(), 3, null, null)).batch().batchId();
        List<Item> items = List.of(
                new Item(0, TriggerRequest.of("hello-world", null)),
                new Item(1, TriggerRequest.of("not-declared-yet", null)),
                new Item(2, TriggerRequest.of("bad task id!", null)));
        ItemsAdded added =
                await(batches().addItems(environment.id(), batchId, items)).orElseThrow();
        assertEquals(3, added.accepted());
        assertEquals(BatchStatus.PARTIAL_FAILED, added.batch().status());
        assertEquals(
                List.of(BatchService.itemRunId(batchId, 0), BatchService.itemRunId(batchId, 1)),
                added.batch().runIds());
        assertEquals(
                List.of(2),
                added.batch().errors().stream().map(BatchState.ItemError::index).toList());
        assertTrue(added.batch().errors().get(0).error().startsWith("Task not found"));
        RunState pending = await(node.engine().runs().get(environment.id(), BatchService.itemRunId(batchId, 1)))
                .orElseThrow();
        assertEquals(RunStatus.PENDING_VERSION, pending.status());
    }

    @Test
    void anIdempotencyKeyReturnsTheSameBatch() throws Exception {
        Created first = await(batches().create(environment.id(), 2, "batch-key-1", null));
        Created second = await(batches().create(environment.id(), 2, "batch-key-1", null));
        assertFalse(first.cached());
        assertTrue(second.cached());
        assertEquals(first.batch().batchId(), second.batch().batchId());
        assertEquals("batch-key-1", second.batch().idempotencyKey());
        Created otherEnvironment = await(batches().create(other.id(), 2, "batch-key-1", null));
        assertNotEquals(first.batch().batchId(), otherEnvironment.batch().batchId());
        assertFalse(otherEnvironment.cached());
    }

    @Test
    void aRequestKeyAnswersARetriedCreateWithTheFirstBatch() throws Exception {
        Created first = await(batches().create(environment.id(), 2, null, "request-1"));
        Created retried = await(batches().create(environment.id(), 2, null, "request-1"));
        assertEquals(first.batch().batchId(), retried.batch().batchId());
        assertFalse(retried.cached());
        assertNotEquals(
                first.batch().batchId(),
                await(batches().create(environment.id(), 2, null, "request-2"))
                        .batch()
                        .batchId());
    }

    @Test
    void aBatchOfAnotherEnvironmentIsAbsent() throws Exception {
        String batchId =
                await(batches().create(environment.id(), 1, null, null)).batch().batchId();
        assertTrue(await(batches().get(environment.id(), batchId)).isPresent());
        assertEquals(Optional.empty(), await(batches().get(other.id(), batchId)));
        assertEquals(Optional.empty(), await(batches().addItems(other.id(), batchId, items(1, "hello-world"))));
        assertEquals(Optional.empty(), await(batches().get(environment.id(), "batch_doesnotexist")));
        assertEquals(Optional.empty(), await(batches().get(environment.id(), "../etc")));
        assertEquals(
                BatchStatus.PENDING,
                await(batches().get(environment.id(), batchId)).orElseThrow().status());
    }

    @Test
    void runCountAndIndicesAreChecked() throws Exception {
        assertThrows(IllegalArgumentException.class, () -> batches().create(environment.id(), 0, null, null));
        assertThrows(IllegalArgumentException.class, () -> batches().create(environment.id(), 1001, null, null));
        String batchId =
                await(batches().create(environment.id(), 2, null, null)).batch().batchId();
        Exception failure = assertThrows(
                Exception.class, () -> await(batches().addItems(environment.id(), batchId, items(3, "hello-world"))));
        assertTrue(String.valueOf(failure.getMessage()).contains("runCount"), failure.toString());
        assertEquals(
                0, await(batches().get(environment.id(), batchId)).orElseThrow().recordedCount());
    }

    @Test
    void theOldSingleCallBatchCreatesEveryRun() throws Exception {
        List<TriggerRequest> requests =
                List.of(TriggerRequest.of("hello-world", "1"), TriggerRequest.of("hello-world", "2"));
        Created created = await(batches().createWithItems(environment.id(), requests, null, "single-call-1"));
        assertEquals(BatchStatus.COMPLETED, created.batch().status());
        Set<String> runIds = new HashSet<>(created.batch().runIds());
        assertEquals(2, runIds.size());
        for (String runId : runIds) {
            assertEquals(
                    RunStatus.QUEUED,
                    await(node.engine().runs().get(environment.id(), runId))
                            .orElseThrow()
                            .status());
        }
        // A retried request (same request key) reaches the same batch and creates nothing new.
        Created retried = await(batches().createWithItems(environment.id(), requests, null, "single-call-1"));
        assertEquals(created.batch().batchId(), retried.batch().batchId());
        assertEquals(runIds, new HashSet<>(retried.batch().runIds()));
    }
}
