package dev.baton.projections;

import static org.junit.jupiter.api.Assertions.assertEquals;

import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import akka.pattern.StatusReply;
import com.typesafe.config.Config;
import dev.baton.engine.batch.BatchEntity;
import dev.baton.engine.batch.BatchService;
import dev.baton.engine.batch.BatchService.Item;
import dev.baton.engine.batch.BatchService.ItemsAdded;
import dev.baton.engine.metrics.BatonMetrics;
import dev.baton.engine.run.RunEntity;
import dev.baton.engine.run.RunLineage;
import dev.baton.engine.run.TriggerRequest;
import dev.baton.engine.testkit.TestDatabases;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A batch item's run is created without asking the journal whether it exists only the first time anyone starts it
 * (the batch notes every start before the run is created): on the node's real journal (PostgreSQL, Baton's journal
 * DAO), a node that dies between creating items' runs and recording them leaves the next node runs to find, never a
 * second run nor a failed item. Should a run exist that the batch never saw start, the journal's key refuses its
 * second first event and the trigger is sent again reading the journal.
 */
class BatchFirstCreationEndToEndTest {

    private static final String ENV = "env_first_creation";

    private TestCluster node;

    @AfterEach
    void stop() {
        if (node != null) node.close();
    }

    private static <T> T await(CompletionStage<T> stage) throws Exception {
        return stage.toCompletableFuture().get(60, TimeUnit.SECONDS);
    }

    private int firstEvents(String runId) throws Exception {
        try (Connection connection = node.database().dataSource().getConnection();
                PreparedStatement query = connection.prepareStatement(
                        "SELECT count(*) FROM event_journal WHERE persistence_id = ? AND sequence_number = 1")) {
            query.setString(1, RunEntity.persistenceId(runId).id());
            try (ResultSet result = query.executeQuery()) {
                result.next();
                return result.getInt(1);
            }
        }
    }

    @Test
    void itemsWhoseRunsAnEarlierNodeCreatedEndAsOneRunEach() throws Exception {
        // A short ask timeout: a refused first event leaves its entity stopped and the first ask unanswered.
        Config config = TestCluster.postgresConfig(TestDatabases.freshPostgresSchema("first_creation"), """
        jdbc-journal.dao = "dev.baton.engine.storage.NewEntityJournalDao"
        baton.engine.ask-timeout = 3s
        """);
        List<Item> items = List.of(
                new Item(0, TriggerRequest.of("hello-world", "{\"i\":0}")),
                new Item(1, TriggerRequest.of("hello-world", "{\"i\":1}")),
                new Item(2, TriggerRequest.of("hello-world", "{\"i\":2}")));

        node = TestCluster.start("BatchFirstCreationEndToEndTest-1", config);
        String batchId = await(node.engine().batches().create(ENV, 3, null, null))
                .batch()
                .batchId();
        // Item 0 as an items call leaves it when its node dies after creating the run: started, not recorded.
        StatusReply<BatchEntity.Started> started = await(ClusterSharding.get(node.system())
                .entityRefFor(BatchEntity.ENTITY_TYPE_KEY, batchId)
                .ask(replyTo -> new BatchEntity.StartItems(List.of(0), replyTo), Duration.ofSeconds(10)));
        assertEquals(List.of(0), started.getValue().firstTime());
        createRun(batchId, items.get(0));
        // Item 1's run exists though the batch never noted its start (no path of Baton's does this).
        createRun(batchId, items.get(1));
        node.close();

        node = TestCluster.start("BatchFirstCreationEndToEndTest-2", config);
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        BatonMetrics.get(node.system()).registry().add(meters);
        ItemsAdded added =
                await(node.engine().batches().addItems(ENV, batchId, items)).orElseThrow();

        assertEquals(3, added.accepted());
        assertEquals(0, added.unavailable());
        for (int i = 0; i < 3; i++) {
            String runId = BatchService.itemRunId(batchId, i);
            assertEquals(runId, added.batch().runs().get(i));
            assertEquals(1, firstEvents(runId), "first events of item " + i + "'s run");
            assertEquals(
                    "{\"i\":" + i + "}",
                    await(node.engine().runs().get(ENV, runId))
                            .orElseThrow()
                            .spec()
                            .payloadJson());
        }
        // Only item 1 was sent a second time: item 0's run was looked up in the journal from the start.
        assertEquals(
                1.0, meters.get("baton.runs.first-creations.retried").counter().count());
    }

    private void createRun(String batchId, Item item) throws Exception {
        await(node.engine()
                .runs()
                .triggerWithId(
                        ENV,
                        item.request(),
                        BatchService.itemRunId(batchId, item.index()),
                        RunLineage.ofBatch(batchId, item.index())));
    }
}
