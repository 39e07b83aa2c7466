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
 * A node that leaves gracefully hands its run entities to another node, and a run a worker is executing meanwhile
 * is not executed again: the entity journals the attempt it hands out before it stops, so its successor holds the
 * same attempt, accepts that attempt's heartbeats and outcome, and does not offer the run to a worker a second time.
 * Runs are triggered until some live on node A; a worker on node B holds them all; node A leaves; then the
 * handlers finish and the invariant checker compares the worker's handler starts with the journal.
 */
@Tag("faults")
class ShardHandOffFaultTest {

    private static final String TASK = "handoff-hold";
    private static final int MOVED_RUNS = 3;
    private static final int MAX_RUNS = 40;

    @Test
    void aRunExecutingWhileItsEntityMovesToAnotherNodeIsExecutedOnce() throws Exception {
        String jdbcUrl = TestDatabases.freshPostgresSchema("handoff");
        Config config = TestNodes.postgresConfig(jdbcUrl);
        Instant since = Instant.now();
        NoopFleet.Recorder recorder = new NoopFleet.Recorder();
        CountDownLatch release = new CountDownLatch(1);
        BatonNode nodeA = TestNodes.start("handoff", config);
        BatonNode nodeB = null;
        BatonWorker worker = null;
        try {
            nodeB = TestNodes.start(
                    "handoff",
                    config.withValue(
                            "akka.cluster.seed-nodes",
                            ConfigValueFactory.fromIterable(
                                    List.of(nodeA.system().address().toString()))));
            awaitMembersUp(nodeA.system(), 2);
            Task<Map, Map> hold = Task.<Map, Map>define(TASK, Map.class, (payload, ctx) -> {
                        recorder.started(ctx.runId(), null, 0);
                        if (!release.await(120, TimeUnit.SECONDS)) throw new IllegalStateException("never released");
                        return Map.of("attemptId", ctx.attemptId());
                    })
                    .build();
            // The worker's session lives on node B, which stays: only the run entities move.
            worker = BatonWorker.builder(url(nodeB), TestNodes.WORKER_TOKEN)
                    .slots(2 * MAX_RUNS)
                    .register(hold)
                    .build();
            worker.start();
            assertTrue(worker.awaitConnected(Duration.ofSeconds(60)), "worker connected to node B");

            BatonClient client = BatonClient.builder(url(nodeB), TestNodes.SECRET_KEY)
                    .requestTimeout(Duration.ofSeconds(30))
                    .build();
            List<String> runIds = new ArrayList<>();
            Set<String> onA = new HashSet<>();
            while (onA.size() < MOVED_RUNS && runIds.size() < MAX_RUNS) {
                runIds.add(client.trigger(TASK, Map.of()).id());
                onA.addAll(runsOn(nodeA.system(), runIds));
            }
            assertTrue(onA.size() >= MOVED_RUNS, "only " + onA.size() + " of " + runIds.size() + " runs on node A");
            awaitTrue(
                    Duration.ofSeconds(60),
                    "every run's handler started",
                    () -> recorder.executions().keySet().containsAll(runIds));

            TestNodes.stop(nodeA); // coordinated shutdown: leaves the cluster, handing its shards over
            nodeA = null;

            // Reading a moved run starts its entity on node B; a successor that forgot the attempt would queue the
            // run again and show it EXECUTING only once a worker had started it a second time.
            for (String runId : runIds) {
                awaitTrue(
                        Duration.ofSeconds(90),
                        runId + " executing on node B",
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
            System.out.println("ShardHandOffFaultTest: " + runIds.size() + " runs, " + onA.size()
                    + " moved from node A, " + report.violations().size() + " violations");
            assertTrue(report.ok(), () -> "invariants violated:\n" + String.join("\n", report.listed(30)));
            for (String runId : runIds) assertEquals(1, recorder.executions().get(runId), runId + " handler starts");
        } finally {
            release.countDown();
            if (worker != null) worker.close();
            if (nodeB != null) TestNodes.stop(nodeB);
            if (nodeA != null) TestNodes.stop(nodeA);
        }
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
