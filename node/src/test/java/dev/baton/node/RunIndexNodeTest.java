package dev.baton.node;

import com.typesafe.config.Config;
import dev.baton.sdk.client.Run;
import dev.baton.sdk.worker.BatonWorker;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real node keeps the run index: runs completed over HTTP end up COMPLETED in baton_runs, with no wake time. */
class RunIndexNodeTest {

    @Test
    void completedRunsAreIndexedOnPostgres() throws Exception {
        completedRunsAreIndexed(TestNodes.postgresConfig(TestNodes.freshPostgresSchema("index_node")));
    }

    @Test
    void completedRunsAreIndexedOnTheEmbeddedStore(@TempDir Path data) throws Exception {
        completedRunsAreIndexed(TestNodes.h2Config(data));
    }

    private static void completedRunsAreIndexed(Config config) throws Exception {
        BatonNode node = TestNodes.start("index-node", config);
        try (BatonWorker worker = HappyPathScenario.worker(node, 4)) {
            List<Run> completed = HappyPathScenario.triggerAndComplete(node, 5);
            Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
            while (!allIndexedAsCompleted(config, completed)) {
                if (Instant.now().isAfter(deadline)) throw new AssertionError("runs not indexed as COMPLETED in time");
                Thread.sleep(200);
            }
        } finally {
            TestNodes.stop(node);
        }
    }

    private static boolean allIndexedAsCompleted(Config config, List<Run> runs) throws Exception {
        try (Connection connection = DriverManager.getConnection(
                        config.getString("baton.db.url"),
                        config.getString("baton.db.user"),
                        config.getString("baton.db.password"));
                PreparedStatement select =
                        connection.prepareStatement("SELECT status, wake_at FROM baton_runs WHERE run_id = ?")) {
            for (Run run : runs) {
                select.setString(1, run.id());
                try (ResultSet row = select.executeQuery()) {
                    if (!row.next() || !"COMPLETED".equals(row.getString(1)) || row.getObject(2) != null) return false;
                }
            }
            return true;
        }
    }
}
