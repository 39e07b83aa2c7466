package dev.baton.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValueFactory;
import dev.baton.sdk.client.BatonClient;
import dev.baton.sdk.client.Run;
import dev.baton.sdk.client.RunStatus;
import dev.baton.sdk.task.Task;
import dev.baton.sdk.worker.BatonWorker;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 19, item 4: a worker and a client given both nodes of a two-node cluster follow it when the node they use
 * stops. The worker connects to node A (first in its list); when A leaves the cluster (coordinated shutdown), the
 * worker reconnects to node B, and runs triggered afterwards through a client whose first URL is A's, now dead,
 * reach B and complete on that worker. With one URL each, neither could: A's port is closed.
 */
class NodeFailoverClusterTest {

    private static final String TASK = "failover-greet";

    private static BatonNode nodeA;
    private static BatonNode nodeB;
    private static BatonWorker worker;

    @BeforeAll
    static void startCluster() {
        Config config = TestNodes.postgresConfig(TestNodes.freshPostgresSchema("failover"));
        nodeA = TestNodes.start("failover", config);
        nodeB = TestNodes.start(
                "failover",
                config.withValue(
                        "akka.cluster.seed-nodes",
                        ConfigValueFactory.fromIterable(
                                List.of(nodeA.system().address().toString()))));
    }

    @AfterAll
    static void stopCluster() {
        if (worker != null) worker.close();
        if (nodeB != null) TestNodes.stop(nodeB);
        if (nodeA != null && !nodeA.system().whenTerminated().isCompleted()) TestNodes.stop(nodeA);
    }

    @Test
    void aWorkerAndAClientMoveToTheOtherNodeWhenTheirNodeStops() throws Exception {
        URI urlA = HappyPathScenario.url(nodeA);
        URI urlB = HappyPathScenario.url(nodeB);
        Task<Map, Map> greet = Task.<Map, Map>define(
                        TASK, Map.class, (payload, ctx) -> Map.of("hello", payload.get("n")))
                .build();
        worker = BatonWorker.builder(List.of(urlA, urlB), TestNodes.WORKER_TOKEN)
                .slots(4)
                .reconnectBackoff(Duration.ofMillis(100), Duration.ofSeconds(2))
                .register(greet)
                .build();
        worker.start();
        assertTrue(worker.awaitConnected(Duration.ofSeconds(60)), "the worker did not connect");
        assertEquals(Optional.of(urlA), worker.connectedNode(), "the worker starts on the first node of its list");
        BatonClient client = BatonClient.builder(List.of(urlA, urlB), TestNodes.SECRET_KEY)
                .maxRetries(0) // a refused connection still goes to the next node; nothing else is retried
                .build();
        assertEquals(
                RunStatus.COMPLETED,
                complete(client, client.trigger(TASK, Map.of("n", 0)).id()).status());

        TestNodes.stop(nodeA);

        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (!worker.connectedNode().equals(Optional.of(urlB)) && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertEquals(Optional.of(urlB), worker.connectedNode(), "the worker did not move to node B");
        List<String> runIds = new ArrayList<>();
        for (int n = 1; n <= 5; n++) {
            runIds.add(client.trigger(TASK, Map.of("n", n)).id());
        }
        for (int n = 1; n <= 5; n++) {
            Run run = complete(client, runIds.get(n - 1));
            assertEquals(RunStatus.COMPLETED, run.status(), "run " + run.id());
            assertEquals(Map.of("hello", n), run.outputAs(Map.class));
        }
    }

    private static Run complete(BatonClient client, String runId) {
        return client.poll(runId, Duration.ofSeconds(90));
    }
}
