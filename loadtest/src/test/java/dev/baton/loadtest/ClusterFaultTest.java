package dev.baton.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.cluster.sharding.typed.HashCodeMessageExtractor;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.engine.testkit.TestDatabases;
import dev.baton.node.NodeProcess;
import dev.baton.node.TestNodes;
import dev.baton.sdk.worker.BatonWorker;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Three node JVMs on one PostgreSQL, under a steady load of triggers (clients spread over the nodes, moving to the
 * next node when theirs does not answer) and executions (a worker on each node), each scenario followed by the
 * invariant checker:
 *
 * <ul>
 *   <li>one node is killed with SIGKILL: the split brain resolver downs it after {@code stable-after}, its runs
 *       continue on the others (its leased attempts are lost and retried), its worker is started again against a
 *       live node. The test prints how long the resolver took, the failover time (kill to the first event a live
 *       node journaled for a run whose shard the dead node held) and the triggers refused meanwhile;
 *   <li>every node is restarted in turn (SIGTERM: coordinated shutdown, hand-off of its shards; then started again
 *       and waited for until Up), while a client that sends every call again after a 503 or a lost connection, with
 *       a request idempotency key as the SDK does, sees no trigger fail.
 * </ul>
 *
 * Node logs stay under {@code target/faults/cluster-*}.
 */
@Tag("faults")
class ClusterFaultTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int NODES = 3;
    /** Three JVMs and the test's on two cores: small heaps, as scripts/cluster runs them. */
    private static final List<String> NODE_JVM = List.of("-Xmx320m");
    /** A run's shard as sharding computes it: Akka's default of 1000 shards, the id's hash modulo that. */
    private static final HashCodeMessageExtractor<Object> SHARD_OF = new HashCodeMessageExtractor<>(1000);

    private static final int CLIENTS = 10;
    private static final int WORKER_SLOTS = 16;

    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final NoopFleet.Recorder recorder = new NoopFleet.Recorder();
    private final long seed = Long.getLong("baton.faults.seed", System.currentTimeMillis());
    private final Instant since = Instant.now();
    private final NodeProcess.Store store =
            NodeProcess.Store.postgres(TestDatabases.freshPostgresSchema("cluster_faults"));
    private final int[] httpPorts = new int[NODES];
    private final int[] clusterPorts = new int[NODES];
    private final int[] managementPorts = new int[NODES];
    /** Relays in front of the cluster ports, for the partition: the nodes' canonical addresses name them. */
    private final PartitionProxy[] proxies = new PartitionProxy[NODES];

    private final int[] proxyPorts = new int[NODES];
    private final NodeProcess[] nodes = new NodeProcess[NODES];
    private final BatonWorker[] workers = new BatonWorker[NODES];
    private Path dir;

    @AfterEach
    void stopEverything() throws Exception {
        for (BatonWorker worker : workers) if (worker != null) worker.close();
        for (NodeProcess node : nodes) if (node != null) node.kill();
        for (PartitionProxy proxy : proxies) if (proxy != null) proxy.close();
    }

    @Test
    void aKilledNodesRunsContinueOnTheOthers() throws Exception {
        startCluster("cluster-kill-" + seed);
        Instant loadStarted = Instant.now();
        try (FaultLoad load = new FaultLoad(urls(), TestNodes.SECRET_KEY, seed).start(CLIENTS)) {
            Thread.sleep(8_000);
            // The node hosting the environment's dispatcher: its failover is measured with the runs'.
            int victim = dispatcherHost().orElse(1);
            boolean dispatcherHost = dispatcherHost().isPresent();
            // The kill must find runs under way on the victim to prove anything; a loaded machine has few at a time.
            awaitTrue(
                    Duration.ofSeconds(90),
                    "3 runs under way in node " + victim + "'s shards before the kill",
                    () -> runsUnderWayIn(localShards(victim, "Run")) >= 3);
            long acceptedBeforeKill = load.acceptedSoFar();
            long refusedBeforeKill = load.refusedSends();
            Set<String> victimShards = localShards(victim, "Run");
            Instant killedAt = Instant.now();
            nodes[victim].kill();
            nodes[victim] = null;
            int survivor = (victim + 1) % NODES; // the victim's worker moves on to it by itself
            awaitTrue(Duration.ofSeconds(90), "the killed node downed and removed", () -> {
                JsonNode members = members(survivor);
                for (JsonNode member : members.path("members"))
                    if (member.path("node").asText().endsWith(":" + proxyPorts[victim])) return false;
                return true;
            });
            Duration downedAfter = Duration.between(killedAt, Instant.now());
            Thread.sleep(15_000);
            load.stop();
            String rate = rate(load, loadStarted);
            long refusedAfterKill = load.refusedSends() - refusedBeforeKill;
            load.resolveBatchRuns();

            InvariantChecker.Expectation expectation = load.expectation(since, recorder.executions(), 1);
            InvariantChecker.Report report = new InvariantChecker(
                            store.jdbcUrl(), store.user(), store.password(), null, null)
                    .check(expectation, Duration.ofSeconds(120));
            // After the check, which waits until every run has ended: a held run that never went on shows.
            Failover failover = failover(killedAt, victimShards, expectation.pendingRunIds());
            System.out.println("ClusterFaultTest[kill -9]: seed " + seed + "; " + acceptedBeforeKill
                    + " runs accepted before the kill; the node held " + victimShards.size() + " shards"
                    + (dispatcherHost ? " and the environment's dispatcher" : "")
                    + "; the first run triggered after the"
                    + " kill succeeded " + describe(firstNewRunSucceededAfter(killedAt)) + " after it; the node held "
                    + failover.held() + " unfinished runs, " + failover.resumed() + " resumed on the others;"
                    + " downed and removed after " + downedAfter.toMillis() + " ms; failover (kill to the first"
                    + " event of a held run on a live node) " + describe(failover.firstResumed())
                    + "; sends refused or unanswered"
                    + " after the kill " + refusedAfterKill + "; " + rate + load.summary() + "; " + summary(report));
            assertTrue(acceptedBeforeKill > 0, "no run was accepted before the kill");
            assertTrue(failover.held() > 0, "the killed node held no unfinished run: the kill proved nothing");
            assertTrue(
                    report.ok(),
                    () -> "seed " + seed + ", invariants violated:\n" + String.join("\n", report.listed(30)));
            assertEquals(failover.held(), failover.resumed(), "every run the killed node held went on elsewhere");
            assertEquals(List.of(), load.unclearRefusals(), "every refusal is a clear 503, 504 or 429");
        }
    }

    @Test
    void aRollingRestartFailsNoTrigger() throws Exception {
        startCluster("cluster-rolling-" + seed);
        List<String> timeline = new ArrayList<>();
        Instant loadStarted = Instant.now();
        try (FaultLoad load = new FaultLoad(urls(), TestNodes.SECRET_KEY, seed)
                .retryingEveryCall()
                .start(CLIENTS)) {
            Thread.sleep(5_000);
            for (int index = 0; index < NODES; index++) {
                long acceptedBefore = load.acceptedSoFar();
                Instant stopping = Instant.now();
                nodes[index].close(); // SIGTERM: coordinated shutdown leaves the cluster, handing its shards over
                assertTrue(!nodes[index].isAlive(), "node " + index + " did not stop within 30 s of SIGTERM");
                Duration stopped = Duration.between(stopping, Instant.now());
                List<String> restarts = startAndRejoin(index, index);
                timeline.add("node " + index + " stopped in " + stopped.toMillis() + " ms, Up again after "
                        + Duration.between(stopping, Instant.now()).toMillis() + " ms" + restartsNote(restarts) + ", "
                        + (load.acceptedSoFar() - acceptedBefore) + " runs accepted meanwhile");
            }
            Thread.sleep(5_000);
            load.stop();
            String rate = rate(load, loadStarted);
            load.resolveBatchRuns();
            InvariantChecker.Report report = new InvariantChecker(
                            store.jdbcUrl(), store.user(), store.password(), null, null)
                    .check(load.expectation(since, recorder.executions(), 0), Duration.ofSeconds(120));
            System.out.println("ClusterFaultTest[rolling restart]: seed " + seed + "; " + String.join(", ", timeline)
                    + "; failed triggers " + load.failedCalls() + ", sends refused or unanswered (then sent again) "
                    + load.refusedSends() + "; " + rate + load.summary() + "; " + summary(report));
            assertNothingFailedOrLost(load, report);
        }
    }

    @Test
    void aPartitionedNodeStopsServingAndTheMajorityCarriesOn() throws Exception {
        startCluster("cluster-partition-" + seed);
        int cutOff = 2;
        Instant loadStarted = Instant.now();
        try (FaultLoad load = new FaultLoad(urls(), TestNodes.SECRET_KEY, seed)
                .retryingEveryCall()
                .start(CLIENTS)) {
            Thread.sleep(8_000);
            long acceptedBefore = load.acceptedSoFar();
            // The oldest member hosts the cluster's singletons (the shard coordinators): cutting it off stalls more.
            boolean oldest = members(0).path("oldest").asText().endsWith(":" + proxyPorts[cutOff]);
            Instant cutAt = Instant.now();
            proxies[cutOff].cut();
            awaitTrue(Duration.ofSeconds(60), "node " + cutOff + " refusing requests as cut off", () -> {
                HttpResponse<String> answer = listRuns(cutOff);
                return answer.statusCode() == 503 && answer.body().contains("cut off from the majority");
            });
            Duration refusingAfter = Duration.between(cutAt, Instant.now());
            awaitTrue(Duration.ofSeconds(90), "the majority removing node " + cutOff, () -> {
                for (JsonNode member : members(0).path("members"))
                    if (member.path("node").asText().endsWith(":" + proxyPorts[cutOff])) return false;
                return true;
            });
            Duration removedAfter = Duration.between(cutAt, Instant.now());
            // The minority side downs itself at about the same time (keep-majority) and its JVM exits.
            awaitTrue(
                    Duration.ofSeconds(60),
                    "node " + cutOff + " downing itself and exiting",
                    () -> !nodes[cutOff].isAlive());
            Duration exitedAfter = Duration.between(cutAt, Instant.now());
            long acceptedWhileCut = load.acceptedSoFar() - acceptedBefore;

            proxies[cutOff].heal();
            List<String> restarts = startAndRejoin(cutOff, 0);
            Duration rejoinedAfter = Duration.between(cutAt, Instant.now());
            Thread.sleep(5_000);
            load.stop();
            String rate = rate(load, loadStarted);
            load.resolveBatchRuns();
            InvariantChecker.Report report = new InvariantChecker(
                            store.jdbcUrl(), store.user(), store.password(), null, null)
                    .check(load.expectation(since, recorder.executions(), 1), Duration.ofSeconds(120));
            System.out.println("ClusterFaultTest[partition]: seed " + seed + "; node " + cutOff
                    + (oldest ? " (the oldest)" : "")
                    + " cut off after "
                    + acceptedBefore + " runs accepted; it refused with 503 after " + refusingAfter.toMillis()
                    + " ms, the majority removed it after " + removedAfter.toMillis() + " ms, it exited after "
                    + exitedAfter.toMillis() + " ms, " + acceptedWhileCut + " runs accepted meanwhile; healed, it was"
                    + " Up again " + rejoinedAfter.toMillis() + " ms after the cut" + restartsNote(restarts)
                    + "; failed triggers "
                    + load.failedCalls() + ", sends refused or unanswered (then sent again) " + load.refusedSends()
                    + "; " + rate + load.summary() + "; " + summary(report));
            assertNothingFailedOrLost(load, report);
        }
    }

    /** For clients that send again after a 503 or a lost connection: no call failed, the invariants hold. */
    private void assertNothingFailedOrLost(FaultLoad load, InvariantChecker.Report report) {
        assertEquals(0, load.failedCalls(), "triggers that failed although sent again: " + load.summary());
        assertTrue(
                report.ok(), () -> "seed " + seed + ", invariants violated:\n" + String.join("\n", report.listed(30)));
        assertEquals(List.of(), load.unclearRefusals(), "every refusal is a clear 503, 504 or 429");
    }

    /**
     * After every scenario: no entity was ever started twice at once. A second writer of one persistence id is
     * refused by the journal's primary key, and says so in its node's log.
     */
    @AfterEach
    void oneWriterPerEntity() throws IOException {
        if (dir == null) return;
        for (int index = 0; index < NODES; index++) {
            Path log = dir.resolve("node-" + index + ".log");
            if (!Files.exists(log)) continue;
            try (var lines = Files.lines(log)) {
                List<String> secondWriters = lines.filter(line -> line.contains("event_journal_pkey"))
                        .limit(3)
                        .toList();
                assertEquals(List.of(), secondWriters, "node " + index + " met a second writer of an entity");
            }
        }
    }

    private HttpResponse<String> listRuns(int index) throws IOException, InterruptedException {
        return http.send(
                HttpRequest.newBuilder(url(index).resolve("/api/v1/runs"))
                        .header("Authorization", "Bearer " + TestNodes.SECRET_KEY)
                        .timeout(Duration.ofSeconds(5))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    // ---------------------------------------------------------------- the cluster

    private void startCluster(String scenario) throws Exception {
        dir = FaultRuns.directory(scenario);
        Set<Integer> taken = new HashSet<>();
        for (int index = 0; index < NODES; index++) {
            httpPorts[index] = unusedPort(taken);
            clusterPorts[index] = unusedPort(taken);
            managementPorts[index] = unusedPort(taken);
            proxyPorts[index] = unusedPort(taken);
            proxies[index] = new PartitionProxy(proxyPorts[index], clusterPorts[index]);
        }
        // All at once: a node forms the cluster only when every contact point has answered that it is in none.
        List<CompletableFuture<NodeProcess>> starting = new ArrayList<>();
        for (int index = 0; index < NODES; index++) {
            int node = index;
            starting.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return startNode(node);
                } catch (Exception e) {
                    throw new IllegalStateException("node " + node + " did not start", e);
                }
            }));
        }
        for (int index = 0; index < NODES; index++)
            nodes[index] = starting.get(index).join();
        awaitMembersUp(0);
        for (int index = 0; index < NODES; index++)
            workers[index] = FaultTasks.startWorker(urlsFrom(index), TestNodes.WORKER_TOKEN, WORKER_SLOTS, recorder);
        System.out.println("ClusterFaultTest: " + NODES + " nodes Up on HTTP ports " + httpPorts[0] + ", "
                + httpPorts[1] + ", " + httpPorts[2] + "; logs in " + dir);
    }

    /**
     * A port nothing listens on, below Linux's ephemeral range (32768 and up): a node restarted on its ports must find
     * them free, and an ephemeral port may meanwhile be any process's outgoing connection or another test's server.
     */
    private static int unusedPort(Set<Integer> taken) throws IOException {
        Random random = new Random();
        for (int tries = 0; tries < 1_000; tries++) {
            int port = 20_000 + random.nextInt(12_000);
            if (taken.contains(port)) continue;
            try (ServerSocket socket = new ServerSocket()) {
                socket.bind(new InetSocketAddress("127.0.0.1", port));
                taken.add(port);
                return port;
            } catch (IOException inUse) {
                // try another
            }
        }
        throw new IOException("no unused port found between 20000 and 32000");
    }

    private NodeProcess startNode(int index) throws Exception {
        Map<String, String> settings = new HashMap<>(NodeKillFaultTest.FAST_RECOVERY);
        // The others reach the node through its relay (PartitionProxy); it listens behind it.
        settings.put("akka.remote.artery.canonical.port", String.valueOf(proxyPorts[index]));
        settings.put("akka.remote.artery.bind.hostname", "127.0.0.1");
        settings.put("akka.remote.artery.bind.port", String.valueOf(clusterPorts[index]));
        // Contact points, not seed nodes: a first seed node restarted on a loaded machine can form a second cluster.
        List<String> contactPoints = new ArrayList<>();
        for (int node = 0; node < NODES; node++) contactPoints.add("127.0.0.1:" + managementPorts[node]);
        settings.put("baton.cluster.contact-points", String.join(",", contactPoints));
        settings.put("baton.management.enabled", "on");
        settings.put("akka.management.http.hostname", "127.0.0.1");
        settings.put("akka.management.http.port", String.valueOf(managementPorts[index]));
        return NodeProcess.start(store, httpPorts[index], settings, NODE_JVM, dir.resolve("node-" + index + ".log"));
    }

    private URI url(int index) {
        return URI.create("http://127.0.0.1:" + httpPorts[index]);
    }

    private List<URI> urls() {
        return urlsFrom(0);
    }

    /** Every node's URL, node {@code first}'s first: a worker's list, as docs/operations.md suggests. */
    private List<URI> urlsFrom(int first) {
        List<URI> urls = new ArrayList<>();
        for (int index = 0; index < NODES; index++) urls.add(url((first + index) % NODES));
        return urls;
    }

    private JsonNode management(int index, String path) throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPorts[index] + path))
                        .timeout(Duration.ofSeconds(10))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200)
            throw new IllegalStateException(path + " answered " + response.statusCode() + ": " + response.body());
        return JSON.readTree(response.body());
    }

    private JsonNode members(int index) throws IOException, InterruptedException {
        return management(index, "/cluster/members");
    }

    /**
     * Starts node {@code index} and waits until node {@code observer} sees every node Up; returns the restarts that
     * took, each as "node N". A node that exits meanwhile, this one or another, is started again, as its supervisor
     * would, at most three times in all: on this small machine a node starting beside two loaded ones can miss its
     * own start-up deadlines, and a node whose heartbeats run late while another joins can be downed by the split
     * brain resolver; either then stops itself. The invariant checker still decides whether a run was lost.
     */
    private List<String> startAndRejoin(int index, int observer) throws Exception {
        List<String> restarts = new ArrayList<>();
        int starting = index;
        while (true) {
            try {
                nodes[starting] = startNode(starting);
                awaitMembersUp(observer);
                return restarts;
            } catch (NodeExited exited) {
                if (restarts.size() == 3) throw exited;
                starting = exited.node;
            } catch (NodeProcess.Exited exited) {
                if (restarts.size() == 3) throw exited;
            }
            restarts.add("node " + starting);
            System.out.println("ClusterFaultTest: node " + starting + " exited while node " + index + " rejoined,"
                    + " started again; the last lines of its log:" + lastLogLines(starting));
        }
    }

    private static String restartsNote(List<String> restarts) {
        return restarts.isEmpty()
                ? ""
                : " (exited while it rejoined, so started again as a supervisor would: " + String.join(", ", restarts)
                        + ")";
    }

    /** A node's process ended while the test waited for the cluster to form. */
    private static final class NodeExited extends Exception {
        final int node;

        NodeExited(int node, String message) {
            super(message);
            this.node = node;
        }
    }

    /**
     * Waits until node {@code index} sees every node Up and none unreachable; throws {@link NodeExited} as soon as a
     * node's process has ended.
     */
    private void awaitMembersUp(int index) throws Exception {
        awaitTrue(
                Duration.ofSeconds(120),
                () -> NODES + " members Up, as node " + index + " sees them; " + clusterAsEachNodeSeesIt(),
                () -> {
                    for (int node = 0; node < NODES; node++)
                        if (nodes[node] != null && !nodes[node].isAlive())
                            throw new NodeExited(
                                    node, "node " + node + " exited; the last lines of its log:" + lastLogLines(node));
                    JsonNode members = members(index);
                    int up = 0;
                    for (JsonNode member : members.path("members"))
                        if (member.path("status").asText().equals("Up")) up++;
                    return up == NODES && members.path("unreachable").isEmpty();
                });
    }

    /** For a failed wait: each node's view of the cluster and the last cluster events in its log. */
    private String clusterAsEachNodeSeesIt() {
        StringBuilder views = new StringBuilder();
        for (int index = 0; index < NODES; index++) {
            views.append("\nnode ")
                    .append(index)
                    .append(" (cluster port ")
                    .append(proxyPorts[index])
                    .append("): ");
            if (nodes[index] == null || !nodes[index].isAlive()) {
                views.append("not running");
            } else {
                try {
                    views.append(members(index));
                } catch (Exception e) {
                    views.append("no answer: ").append(e);
                }
            }
            views.append(lastLogLines(index));
        }
        return views.toString();
    }

    /** Node {@code index}'s last cluster events and last warnings or errors, each on a line of its own. */
    private String lastLogLines(int index) {
        try (var lines = Files.lines(dir.resolve("node-" + index + ".log"))) {
            List<String> telling = lines.filter(line -> line.contains("akka.cluster")
                            || line.contains("a.c.s.")
                            || line.contains(" WARN ")
                            || line.contains(" ERROR "))
                    .toList();
            StringBuilder last = new StringBuilder();
            telling.subList(Math.max(0, telling.size() - 12), telling.size())
                    .forEach(line -> last.append("\n  ").append(line));
            return last.toString();
        } catch (IOException e) {
            return "\n  log unreadable: " + e;
        }
    }

    /** The node hosting the environment dispatchers' shard, if one has started. */
    private Optional<Integer> dispatcherHost() throws IOException, InterruptedException {
        for (int index = 0; index < NODES; index++)
            if (!localShards(index, "EnvironmentDispatcher").isEmpty()) return Optional.of(index);
        return Optional.empty();
    }

    /** The shards of an entity type node {@code index} hosts now (Akka Management asks its local shard region). */
    private Set<String> localShards(int index, String entityType) throws IOException, InterruptedException {
        Set<String> shards = new HashSet<>();
        for (JsonNode region :
                management(index, "/cluster/shards/" + entityType).path("regions"))
            shards.add(region.path("shardId").asText());
        return shards;
    }

    // ---------------------------------------------------------------- failover, from the journal

    /**
     * The killed node's unfinished runs (first journaled before the kill, in a shard it hosted, with events after
     * the kill: nothing else writes a run's events than its entity, so those came from a live node) and when the
     * first of them went on.
     */
    private record Failover(int held, int resumed, Duration firstResumed) {}

    private Failover failover(Instant killedAt, Set<String> victimShards, Set<String> delayedByAnHour)
            throws Exception {
        long kill = killedAt.toEpochMilli();
        int held = 0;
        int resumed = 0;
        Long first = null;
        String sql = "SELECT persistence_id, min(CASE WHEN write_timestamp >= ? THEN write_timestamp END)"
                + " FROM event_journal WHERE persistence_id LIKE 'Run|%' GROUP BY persistence_id"
                + " HAVING min(write_timestamp) >= ? AND min(write_timestamp) < ?";
        try (Connection connection = DriverManager.getConnection(store.jdbcUrl(), store.user(), store.password());
                PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setLong(1, kill);
            statement.setLong(2, since.toEpochMilli());
            statement.setLong(3, kill);
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    String runId = rows.getString(1).substring("Run|".length());
                    if (!victimShards.contains(SHARD_OF.shardId(runId))) continue;
                    if (delayedByAnHour.contains(runId)) continue; // rightly quiet until its delay ends
                    long resumedAt = rows.getLong(2);
                    boolean wentOn = !rows.wasNull();
                    if (!wentOn && !unfinishedAtKill(connection, runId, kill)) continue;
                    held++;
                    if (wentOn) {
                        resumed++;
                        if (first == null || resumedAt < first) first = resumedAt;
                    }
                }
            }
        }
        return new Failover(held, resumed, first == null ? null : Duration.ofMillis(first - kill));
    }

    /**
     * When dispatching worked again after the kill: the first success of a run triggered after it (leases are not
     * journaled; such a run was queued with the environment's dispatcher wherever it lived then). Null when none.
     */
    private Duration firstNewRunSucceededAfter(Instant killedAt) throws Exception {
        String sql = "SELECT min(write_timestamp) FROM event_journal WHERE event_ser_manifest LIKE '%$RunSucceeded%'"
                + " AND persistence_id IN (SELECT persistence_id FROM event_journal WHERE persistence_id LIKE 'Run|%'"
                + " GROUP BY persistence_id HAVING min(write_timestamp) >= ?)";
        try (Connection connection = DriverManager.getConnection(store.jdbcUrl(), store.user(), store.password());
                PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setLong(1, killedAt.toEpochMilli());
            try (ResultSet rows = statement.executeQuery()) {
                rows.next();
                long first = rows.getLong(1);
                return rows.wasNull() ? null : Duration.ofMillis(first - killedAt.toEpochMilli());
            }
        }
    }

    /**
     * Whether a run without events after the kill was unfinished then: it is not still delayed, and its last event
     * before the kill is not terminal.
     */
    /** Runs the read model shows queued, leased, executing, waiting or retrying, in one of {@code shards}. */
    private int runsUnderWayIn(Set<String> shards) throws Exception {
        try (Connection connection = DriverManager.getConnection(store.jdbcUrl(), store.user(), store.password());
                PreparedStatement statement = connection.prepareStatement("SELECT run_id FROM baton_runs WHERE status"
                        + " IN ('QUEUED', 'DEQUEUED', 'EXECUTING', 'WAITING', 'RETRYING')");
                ResultSet rows = statement.executeQuery()) {
            int underWay = 0;
            while (rows.next()) if (shards.contains(SHARD_OF.shardId(rows.getString(1)))) underWay++;
            return underWay;
        }
    }

    private boolean unfinishedAtKill(Connection connection, String runId, long kill) throws Exception {
        try (PreparedStatement statement = connection.prepareStatement(
                "SELECT event_ser_manifest FROM event_journal WHERE persistence_id = ? AND write_timestamp < ?"
                        + " ORDER BY sequence_number")) {
            statement.setString(1, "Run|" + runId);
            statement.setLong(2, kill);
            String last = null;
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) last = rows.getString(1);
            }
            if (last == null || stillDelayed(connection, runId)) return false;
            // a manifest names the event's class, e.g. …RunEvent$RunSucceeded, perhaps with a #version
            String type = last.substring(last.lastIndexOf('$') + 1).replaceAll("#.*$", "");
            return !Set.of("RunSucceeded", "RunFailed", "RunCanceled", "RunExpired")
                    .contains(type);
        }
    }

    /**
     * A run delayed by an hour is rightly quiet: one accepted with a 2xx is in the load's pending runs, but one whose
     * answer was lost at the kill is known only to the read model.
     */
    private static boolean stillDelayed(Connection connection, String runId) throws Exception {
        try (PreparedStatement statement =
                connection.prepareStatement("SELECT status FROM baton_runs WHERE run_id = ?")) {
            statement.setString(1, runId);
            try (ResultSet rows = statement.executeQuery()) {
                return rows.next() && rows.getString(1).equals("DELAYED");
            }
        }
    }

    private static String describe(Duration duration) {
        return duration == null ? "never" : duration.toMillis() + " ms";
    }

    private static String rate(FaultLoad load, Instant started) {
        double seconds = Duration.between(started, Instant.now()).toMillis() / 1000.0;
        return String.format("%.0f runs/s over %.0f s, ", load.acceptedSoFar() / seconds, seconds);
    }

    private static String summary(InvariantChecker.Report report) {
        long lost = report.violations().stream()
                .filter(violation -> violation.startsWith("lost trigger"))
                .count();
        long duplicated = report.violations().stream()
                .filter(violation -> violation.contains("succeeded") || violation.contains("started its handler"))
                .count();
        return "checked " + report.runs() + " runs, " + report.journalEvents() + " events, " + report.readModelRuns()
                + " in the read model; runs lost " + lost + ", duplicated " + duplicated + ", "
                + report.violations().size() + " violations";
    }

    interface Condition {
        boolean holds() throws Exception;
    }

    private static void awaitTrue(Duration timeout, String what, Condition condition) throws Exception {
        awaitTrue(timeout, () -> what, condition);
    }

    /** {@code what} is asked for when the wait fails: it may describe the last state seen. */
    private static void awaitTrue(Duration timeout, Supplier<String> what, Condition condition) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try {
                if (condition.holds()) return;
            } catch (IOException notAnswering) {
                // a node starting or stopping: ask again
            }
            if (System.nanoTime() > deadline) throw new AssertionError("timed out waiting: " + what.get());
            Thread.sleep(250);
        }
    }
}
