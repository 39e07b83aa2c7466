package dev.baton.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigValueFactory;
import dev.baton.sdk.client.BatonClient;
import dev.baton.sdk.client.TriggerOptions;
import dev.baton.sdk.task.Task;
import dev.baton.sdk.worker.BatonWorker;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A follower on one node gets the lines a worker logs through another: the storing node's notice crosses the cluster
 * on the environment's topic. The follow interval is a minute, far beyond the waits here, so only a notice can
 * deliver the second line and the end in time.
 */
class RunLogsClusterTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final Map<String, CountDownLatch> released = new ConcurrentHashMap<>();
    private static final Duration FOLLOW_INTERVAL = Duration.ofSeconds(60);
    /** The follow interval and a margin: a follower's second read brings the first line whatever the notices did. */
    private static final Duration FIRST_LINE_WITHIN = FOLLOW_INTERVAL.plusSeconds(30);

    private static BatonNode nodeA;
    private static BatonNode nodeB;
    private static BatonWorker worker;
    /** A follower on node B that stays for the whole test, so node B's relay of the topic, once warm, stays so. */
    private static InputStream standingFollower;

    @BeforeAll
    static void startCluster() {
        Config config = TestNodes.postgresConfig(TestNodes.freshPostgresSchema("logs_cluster"))
                .withValue(
                        "baton.logs.follow-interval", ConfigValueFactory.fromAnyRef(FOLLOW_INTERVAL.toSeconds() + "s"));
        nodeA = TestNodes.start("logs-cluster", config);
        nodeB = TestNodes.start(
                "logs-cluster",
                config.withValue(
                        "akka.cluster.seed-nodes",
                        ConfigValueFactory.fromIterable(
                                List.of(nodeA.system().address().toString()))));
        Task<Map, Map> task = Task.<Map, Map>define("cluster-logs", Map.class, (payload, ctx) -> {
                    ctx.logger().info("first");
                    CountDownLatch release = released.computeIfAbsent(ctx.runId(), id -> new CountDownLatch(1));
                    // Beyond any wait of the test, which always releases the run: a handler that gave up (it once
                    // waited a minute, as long as the first line may take) would be retried and log "first" again.
                    if (!release.await(5, TimeUnit.MINUTES)) throw new IllegalStateException("never released");
                    ctx.logger().info("second");
                    return Map.of();
                })
                .build();
        // the worker's gateway, and so the writer of its lines, is node A's
        worker = BatonWorker.builder(HappyPathScenario.url(nodeA), TestNodes.WORKER_TOKEN)
                .slots(4)
                .register(task)
                .build();
        worker.start();
        assertTrue(worker.awaitConnected(Duration.ofSeconds(30)));
    }

    @AfterAll
    static void stopCluster() throws Exception {
        if (standingFollower != null) standingFollower.close();
        if (worker != null) worker.close();
        if (nodeB != null) TestNodes.stop(nodeB);
        if (nodeA != null) TestNodes.stop(nodeA);
    }

    @Test
    void aFollowerOnAnotherNodeGetsLinesAndTheEndAsTheyHappen() throws Exception {
        // Node B's first follower subscribes its topic, and its last unsubscribes it; node A learns of a subscription
        // through the receptionist a moment later, and a notice published before that is not delivered. So a follower
        // of a run that waits an hour keeps the subscription, and the rounds warm up until a notice is delivered.
        String waiting = HappyPathScenario.client(nodeA)
                .trigger(
                        "cluster-logs",
                        Map.of(),
                        TriggerOptions.builder().delay("1h").build())
                .id();
        HttpResponse<InputStream> standing = follow(waiting);
        assertEquals(200, standing.statusCode());
        standingFollower = standing.body();
        boolean warm = false;
        for (int round = 0; round < 5 && !warm; round++) warm = followOnB(Duration.ofSeconds(10), true);
        assertTrue(warm, "no notice reached node B's follower in 5 rounds");
        assertTrue(
                followOnB(Duration.ofSeconds(20), false), "a line stored on node A reaches node B's follower at once");
    }

    /**
     * Follows a new run on node B; true when its second line and its end came within {@code within}, and when
     * {@code warmingUp} its first line too (else the first line may take up to a follow interval).
     */
    private static boolean followOnB(Duration within, boolean warmingUp) throws Exception {
        BatonClient client = HappyPathScenario.client(nodeA);
        String runId = client.trigger("cluster-logs", Map.of()).id();
        released.computeIfAbsent(runId, id -> new CountDownLatch(1));
        BlockingQueue<String> events = new LinkedBlockingQueue<>();
        HttpResponse<InputStream> stream = follow(runId);
        assertEquals(200, stream.statusCode());
        Thread reader = new Thread(() -> read(stream.body(), events), "follower-" + runId);
        reader.setDaemon(true);
        reader.start();
        try {
            // The first line comes by a notice or by the follower's first read; when that read came before the line
            // was stored and the notice was lost (the topic still cold), by the next read, a follow interval later:
            // a round warming up does not wait for that.
            String first = events.poll((warmingUp ? within : FIRST_LINE_WITHIN).toMillis(), TimeUnit.MILLISECONDS);
            if (first == null && warmingUp) return false;
            assertEquals("log:first", first);
            released.get(runId).countDown();
            long deadline = System.nanoTime() + within.toNanos();
            String second = events.poll(within.toMillis(), TimeUnit.MILLISECONDS);
            if (second == null) return false;
            assertEquals("log:second", second);
            String end = events.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (end == null) return false;
            assertEquals("end:COMPLETED", end);
            return true;
        } finally {
            released.get(runId).countDown();
            stream.body().close();
        }
    }

    private static HttpResponse<InputStream> follow(String runId) throws Exception {
        return HTTP.send(
                HttpRequest.newBuilder(URI.create(
                                HappyPathScenario.url(nodeB) + "/api/v1/runs/" + runId + "/logs?follow=true"))
                        .header("Authorization", "Bearer " + TestNodes.SECRET_KEY)
                        .build(),
                HttpResponse.BodyHandlers.ofInputStream());
    }

    /** Puts {@code log:<message>} or {@code end:<status>} per event, until the stream ends. */
    private static void read(InputStream body, BlockingQueue<String> events) {
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
            String event = null;
            String data = null;
            String line;
            while ((line = reader.readLine()) != null) {
                if (line.startsWith("event:")) event = line.substring(6).trim();
                else if (line.startsWith("data:")) data = line.substring(5);
                else if (line.isEmpty()) {
                    if ("log".equals(event) || "end".equals(event)) {
                        JsonNode json = JSON.readTree(data);
                        events.add(
                                "log".equals(event)
                                        ? "log:" + json.path("message").asText()
                                        : "end:" + json.path("status").asText());
                    }
                    event = null;
                    data = null;
                }
            }
        } catch (Exception closed) {
            // the test closed the stream
        }
    }
}
