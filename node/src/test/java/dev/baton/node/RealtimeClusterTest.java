package dev.baton.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import akka.actor.typed.javadsl.AskPattern;
import akka.cluster.sharding.ShardRegion.CurrentShardRegionState;
import akka.cluster.sharding.typed.ClusterShardingQuery;
import akka.cluster.sharding.typed.GetShardRegionState;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import dev.baton.engine.run.RunEntity;
import dev.baton.engine.task.TaskDefinition;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Realtime across a cluster: a live request held by one node is answered when a run changes, wherever the run's
 * entity lives. Its runs land on either node (sharding decides), so some of their notices cross nodes on the
 * environment's pub-sub topic. A held request whose hold ends answers {@code up-to-date} alone, so an answer
 * with the change was caused by a notice.
 */
class RealtimeClusterTest {

    private static final String TASK = "realtime-cluster-task";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final Duration HOLD = Duration.ofSeconds(5);

    private static BatonNode nodeA;
    private static BatonNode nodeB;

    @BeforeAll
    static void startCluster() throws Exception {
        Config config = ConfigFactory.parseString("baton.http.realtime.live-hold = " + HOLD.toSeconds() + "s")
                .withFallback(TestNodes.postgresConfig(TestNodes.freshPostgresSchema("realtime")));
        nodeA = TestNodes.start("realtime", config);
        String seed = nodeA.system().address().toString();
        nodeB = TestNodes.start(
                "realtime",
                config.withValue("akka.cluster.seed-nodes", ConfigValueFactory.fromIterable(List.of(seed))));
        nodeA.engine()
                .declareTasks(
                        nodeA.credentials().environment().id(),
                        List.of(new TaskDefinition(TASK, null, null, null, null, null)))
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
    }

    @AfterAll
    static void stopCluster() {
        if (nodeB != null) TestNodes.stop(nodeB);
        if (nodeA != null) TestNodes.stop(nodeA);
    }

    @Test
    void aRequestHeldByOneNodeIsAnsweredWhenARunChangesOnEitherNode() throws Exception {
        warmUp();
        Set<String> runIds = new HashSet<>();
        for (int i = 0; i < 8; i++) {
            String runId = trigger();
            runIds.add(runId);
            HttpResponse<String> snapshot = send(nodeB, "GET", "/realtime/v1/runs/" + runId + "?offset=-1", null);
            assertEquals(200, snapshot.statusCode(), snapshot.body());
            String live = "/realtime/v1/runs/" + runId + "?live=true&offset="
                    + snapshot.headers().firstValue("electric-offset").orElseThrow() + "&handle="
                    + snapshot.headers().firstValue("electric-handle").orElseThrow();
            CompletableFuture<HttpResponse<String>> held = sendAsync(nodeB, "GET", live, null);
            Thread.sleep(500);
            assertFalse(held.isDone(), "nothing changed yet, so the request must be held");

            HttpResponse<String> updated =
                    send(nodeA, "PUT", "/api/v1/runs/" + runId + "/metadata", "{\"metadata\":{\"round\":" + i + "}}");
            assertEquals(200, updated.statusCode(), updated.body());
            HttpResponse<String> answered = held.get(HOLD.toSeconds() + 10, TimeUnit.SECONDS);
            JsonNode messages = JSON.readTree(answered.body());
            assertEquals(2, messages.size(), "the change, then up-to-date; got " + answered.body());
            assertEquals(
                    "{\"round\":" + i + "}",
                    messages.get(0).get("value").get("metadata").asText());
        }
        // Node B held every request: the runs node A hosts published their notices across the cluster.
        runIds.retainAll(hostedRuns(nodeA));
        assertFalse(runIds.isEmpty(), "no run landed on node A, so no notice crossed nodes");
    }

    private static Set<String> hostedRuns(BatonNode node) throws Exception {
        CurrentShardRegionState state = AskPattern.<ClusterShardingQuery, CurrentShardRegionState>ask(
                        ClusterSharding.get(node.system()).shardState(),
                        replyTo -> new GetShardRegionState(RunEntity.ENTITY_TYPE_KEY, replyTo),
                        Duration.ofSeconds(10),
                        node.system().scheduler())
                .toCompletableFuture()
                .get(15, TimeUnit.SECONDS);
        Set<String> hosted = new HashSet<>();
        state.getShards().forEach(shard -> hosted.addAll(shard.getEntityIds()));
        return hosted;
    }

    /**
     * A node's first subscriber of an environment subscribes its topic; the other node learns of it through the
     * receptionist a moment later, and a notice published before is not delivered there (the subscriber then
     * sees the change when its hold ends and it asks again, as the SDK does). Waits until a notice arrives.
     */
    private static void warmUp() throws Exception {
        String runId = trigger();
        for (int round = 0; round < 10; round++) {
            HttpResponse<String> snapshot = send(nodeB, "GET", "/realtime/v1/runs/" + runId + "?offset=-1", null);
            CompletableFuture<HttpResponse<String>> held = sendAsync(
                    nodeB,
                    "GET",
                    "/realtime/v1/runs/" + runId + "?live=true&offset="
                            + snapshot.headers().firstValue("electric-offset").orElseThrow() + "&handle="
                            + snapshot.headers().firstValue("electric-handle").orElseThrow(),
                    null);
            Thread.sleep(500);
            send(nodeA, "PUT", "/api/v1/runs/" + runId + "/metadata", "{\"metadata\":{\"warmUp\":" + round + "}}");
            if (JSON.readTree(held.get(60, TimeUnit.SECONDS).body()).size() == 2) return;
        }
        throw new AssertionError("no notice reached node B's subscriber in 10 rounds");
    }

    private static String trigger() throws Exception {
        HttpResponse<String> triggered = send(nodeA, "POST", "/api/v1/tasks/" + TASK + "/trigger", "{\"payload\":{}}");
        assertEquals(200, triggered.statusCode(), triggered.body());
        return JSON.readTree(triggered.body()).get("id").asText();
    }

    private static HttpResponse<String> send(BatonNode node, String method, String path, String body) throws Exception {
        return sendAsync(node, method, path, body).get(60, TimeUnit.SECONDS);
    }

    private static CompletableFuture<HttpResponse<String>> sendAsync(
            BatonNode node, String method, String path, String body) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.httpPort() + path))
                .header("Authorization", "Bearer " + TestNodes.SECRET_KEY)
                .timeout(Duration.ofSeconds(60));
        if (body != null) request.header("Content-Type", "application/json");
        return HTTP.sendAsync(
                request.method(
                                method,
                                body == null
                                        ? HttpRequest.BodyPublishers.noBody()
                                        : HttpRequest.BodyPublishers.ofString(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
