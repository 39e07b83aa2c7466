package dev.baton.node;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.Config;
import dev.baton.examples.ExampleTasks;
import dev.baton.sdk.client.BatonClient;
import dev.baton.sdk.client.Run;
import dev.baton.sdk.client.RunStatus;
import dev.baton.sdk.worker.BatonWorker;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A real node with the ClickHouse sink on (PostgreSQL journal, HTTP, an SDK worker): after runs that complete
 * and runs that fail after a retry, run_events holds exactly the journal's events, type by type, and runs
 * holds each run's final status.
 */
class ClickHouseNodeTest {

    @Test
    void rowCountsPerEventTypeEqualTheJournalsAfterRealRuns() throws Exception {
        String url = ClickHouseServers.url();
        Config config = ClickHouseServers.withClickHouse(
                TestNodes.postgresConfig(TestNodes.freshPostgresSchema("clickhouse_node")),
                url,
                ClickHouseServers.freshDatabase("baton_node"),
                "baton.clickhouse.group-after-duration = 200ms");
        BatonNode node = TestNodes.start("clickhouse-node", config);
        try (BatonWorker worker = HappyPathScenario.worker(node, 8);
                ClickHouseServers.Reader clickHouse = ClickHouseServers.reader(config)) {
            List<Run> completed = HappyPathScenario.triggerAndComplete(node, 40);
            BatonClient client = HappyPathScenario.client(node);
            List<String> failing = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                failing.add(client.trigger(ExampleTasks.FAIL, Map.of("message", "no " + i))
                        .id());
            }
            for (String id : failing) {
                assertEquals(
                        RunStatus.FAILED,
                        client.poll(id, Duration.ofSeconds(60)).status());
            }

            // run_events is inserted before runs within a group, so wait for both tables, not only the first.
            List<List<String>> expectedStatuses = List.of(List.of("COMPLETED", "40"), List.of("FAILED", "3"));
            String statuses = "SELECT status, count() AS runs FROM runs FINAL GROUP BY status ORDER BY status";
            Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
            while (!clickHouse.eventCounts().equals(ClickHouseServers.journalCounts(config))
                    || !clickHouse.store().select(statuses).rows().equals(expectedStatuses)) {
                if (Instant.now().isAfter(deadline)) {
                    assertEquals(
                            ClickHouseServers.journalCounts(config), clickHouse.eventCounts(), "run_events vs journal");
                    assertEquals(
                            expectedStatuses,
                            clickHouse.store().select(statuses).rows(),
                            "runs by status");
                }
                Thread.sleep(200);
            }
            Map<String, Long> journal = ClickHouseServers.journalCounts(config);
            assertEquals(completed.size(), journal.get("RunSucceeded"));
            assertEquals(3L, journal.get("RunFailed"));
            assertEquals(6L, journal.get("AttemptFailed"), "two attempts per failing run");
            clickHouse.dropDatabase();
        } finally {
            TestNodes.stop(node);
        }
    }
}
