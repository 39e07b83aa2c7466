package dev.baton.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.AskPattern;
import akka.cluster.MemberStatus;
import akka.cluster.sharding.ShardRegion;
import akka.cluster.sharding.typed.GetShardRegionState;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import akka.cluster.typed.Cluster;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigValueFactory;
import dev.baton.engine.run.RunEntity;
import dev.baton.engine.testkit.TestDatabases;
import dev.baton.node.BatonNode;
import dev.baton.node.TestNodes;
import dev.baton.sdk.client.BatonClient;
import dev.baton.sdk.client.Run;
import dev.baton.sdk.client.RunStatus;
import dev.baton.sdk.task.Task;
import dev.baton.sdk.worker.BatonWorker;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A run's entity that moves to another node while a worker executes the run is not executed again: sharding stops
 * the entity with its hand-off message, the entity journals the attempt it handed out, and its successor holds the
 * same attempt, takes that attempt's heartbeats and outcome, and offers the run to no worker a second time. Both ways
 * an entity moves: a node leaving gracefully hands all its shards over, and a node joining gets shards rebalanced to
 * it. In each, a worker on the node that stays holds every run (its handlers wait) while runs move; then the handlers
 * are released and the invariant checker compares the worker's handler starts with the journal.
 */
@Tag("faults")
class ShardHandOffFaultTest {

    private static final String TASK = "handoff-hold";
    private static final int MOVED_RUNS = 3;
    private static final int MAX_RUNS = 40;
    /** Held runs when a node joins: sharding moves one shard every 10 s while the two nodes' counts differ by two. */
    private static final int RUNS_BEFORE_JOIN = 8;

    private final NoopFleet.Recorder recorder = new NoopFleet.Recorder();
    private final CountDownLatch release = new CountDownLatch(1);
    private final Instant since = Instant.now();
    private final String jdbcUrl = TestDatabases.freshPostgresSchema("handoff");
    private final Config config = TestNodes.postgresConfig(jdbcUrl);

    @Test
    void runsHeldOnALeavingNodeAreHandedOverAndExecutedOnce() throws Exception {
        BatonNode nodeA = TestNodes.start("handoff", config);
        BatonNode nodeB = null;
        BatonWorker worker = null;
        try {
            nodeB = TestNodes.start("handoff", joining(nodeA));
            awaitMembersUp(nodeA.system(), 2);
            // The worker's session lives on node B, which stays: only the run entities move.
            worker = startWorker(nodeB);
            BatonClient client = client(nodeB);
            List<String> runIds = new ArrayList<>();
            Set<String> onA = new HashSet<>();
            while (onA.size() < MOVED_RUNS && runIds.size() < MAX_RUNS) {
                runIds.add(client.trigger(TASK, Map.of()).id());
                onA.addAll(runsOn(nodeA.system(), runIds));
            }
            assertTrue(onA.size() >= MOVED_RUNS, "only " + onA.size() + " of " + runIds.size() + " runs on node A");
            awaitEveryHandlerStarted(runIds);

            TestNodes.stop(nodeA); // coordinated shutdown: leaves the cluster, handing its shards over
            nodeA = null;

            releaseAndCheck(client, runIds, onA.size() + " moved from the node that left");
        } finally {
            release.countDown();
            if (worker != null) worker.close();
            if (nodeB != null) TestNodes.stop(nodeB);
            if (nodeA != null) TestNodes.stop(nodeA);
        }
    }

    @Test
    void runsHeldWhileANodeJoinsAreRebalancedAndExecutedOnce() throws Exception {
        BatonNode nodeA = TestNodes.start("handoff", config);
        BatonNode nodeB = null;
        BatonWorker worker = null;
        try {
            // Alone, node A hosts every run; the worker's session stays there.
            worker = startWorker(nodeA);
            BatonClient client = client(nodeA);
            List<String> runIds = new ArrayList<>();
            for (int i = 0; i < RUNS_BEFORE_JOIN; i++)
                runIds.add(client.trigger(TASK, Map.of()).id());
            awaitEveryHandlerStarted(runIds);

            nodeB = TestNodes.start("handoff", joining(nodeA));
            awaitMembersUp(nodeA.system(), 2);
            // A moved run starts on node B at its worker's next heartbeat.
            BatonNode joined = nodeB;
            awaitTrue(
                    Duration.ofSeconds(120),
                    "a held run rebalanced to node B",
                    () -> !runsOn(joined.system(), runIds).isEmpty());

            releaseAndCheck(
                    client, runIds, runsOn(nodeB.system(), runIds).size() + " rebalanced to the node that joined");
        } finally {
            release.countDown();
            if (worker != null) worker.close();
            if (nodeB != null) TestNodes.stop(nodeB);
            if (nodeA != null) TestNodes.stop(nodeA);
        }
    }

    private Config joining(BatonNode seed) {
        return config.withValue(
                "akka.cluster.seed-nodes",
                ConfigValueFactory.fromIterable(List.of(seed.system().address().toString())));
    }

    private BatonWorker startWorker(BatonNode node) {
        Task<Map, Map> hold = Task.<Map, Map>define(TASK, Map.class, (payload, ctx) -> {
                    recorder.started(ctx.runId(), null, 0);
                    if (!release.await(5, TimeUnit.MINUTES)) throw new IllegalStateException("never released");
                    return Map.of("attemptId", ctx.attemptId());
                })
                .build();
        BatonWorker worker = BatonWorker.builder(url(node), TestNodes.WORKER_TOKEN)
                .slots(2 * MAX_RUNS)
                .register(hold)
                .build();
        worker.start();
        assertTrue(worker.awaitConnected(Duration.ofSeconds(60)), "worker connected");
        return worker;
    }

    private static BatonClient client(BatonNode node) {
        return BatonClient.builder(url(node), TestNodes.SECRET_KEY)
                .requestTimeout(Duration.ofSeconds(30))
                .build();
    }

    private void awaitEveryHandlerStarted(List<String> runIds) throws Exception {
        awaitTrue(
                Duration.ofSeconds(60),
                "every run's handler started",
                () -> recorder.executions().keySet().containsAll(runIds));
    }

    /**
     * Waits until the client sees every run EXECUTING (reading a moved run starts its entity where it lives now; a
     * successor that forgot the attempt would queue the run again and show it EXECUTING only once a worker had
     * started it a second time), releases the handlers, and checks each run completed with one attempt and one
     * handler start, and the invariants.
     */
    private void releaseAndCheck(BatonClient client, List<String> runIds, String moved) throws Exception {
        for (String runId : runIds) {
            awaitTrue(
                    Duration.ofSeconds(90),
                    runId + " executing",
                    () -> client.retrieve(runId).status() == RunStatus.EXECUTING);
        }
        release.countDown();
        for (String runId : runIds) {
            Run run = client.poll(runId, Duration.ofSeconds(90));
            assertEquals(RunStatus.COMPLETED, run.status(), runId);
            assertEquals(1, run.attemptCount(), runId + " attempts");
        }
        InvariantChecker.Report report = new InvariantChecker(
                        jdbcUrl, TestDatabases.user(), TestDatabases.password(), null, null)
                .check(
                        new InvariantChecker.Expectation(
                                since,
                                runIds.size(),
                                0,
                                Set.copyOf(runIds),
                                recorder.executions(),
                                Set.of(TASK),
                                Set.of(),
                                0),
                        Duration.ofSeconds(60));
        System.out.println("ShardHandOffFaultTest: " + runIds.size() + " runs, " + moved + ", "
                + report.violations().size() + " violations");
        assertTrue(report.ok(), () -> "invariants violated:\n" + String.join("\n", report.listed(30)));
        for (String runId : runIds) assertEquals(1, recorder.executions().get(runId), runId + " handler starts");
    }

    private static URI url(BatonNode node) {
        return URI.create("http://127.0.0.1:" + node.httpPort());
    }

    /** The given runs whose entities live on {@code system}'s node now. */
    private static Set<String> runsOn(ActorSystem<?> system, List<String> runIds) throws Exception {
        ShardRegion.CurrentShardRegionState state =
                AskPattern.<akka.cluster.sharding.typed.ClusterShardingQuery, ShardRegion.CurrentShardRegionState>ask(
                                ClusterSharding.get(system).shardState(),
                                replyTo -> new GetShardRegionState(RunEntity.ENTITY_TYPE_KEY, replyTo),
                                Duration.ofSeconds(10),
                                system.scheduler())
                        .toCompletableFuture()
                        .get(15, TimeUnit.SECONDS);
        Set<String> here = new HashSet<>();
        for (ShardRegion.ShardState shard : state.getShards()) here.addAll(shard.getEntityIds());
        here.retainAll(runIds);
        return here;
    }

    private static void awaitMembersUp(ActorSystem<?> system, int members) throws Exception {
        awaitTrue(Duration.ofSeconds(60), members + " members up", () -> {
            var state = Cluster.get(system).state();
            return StreamSupport.stream(state.getMembers().spliterator(), false)
                            .filter(member -> member.status() == MemberStatus.up())
                            .count()
                    == members;
        });
    }

    interface Condition {
        boolean holds() throws Exception;
    }

    private static void awaitTrue(Duration timeout, String what, Condition condition) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.holds()) {
            if (System.nanoTime() > deadline) throw new AssertionError("timed out waiting: " + what);
            Thread.sleep(200);
        }
    }
}
