package dev.baton.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.engine.testkit.TestDatabases;
import dev.baton.node.NodeProcess;
import dev.baton.node.TestNodes;
import dev.baton.sdk.worker.BatonWorker;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A 2xx means stored: the node is killed with SIGKILL at random moments while 16 clients trigger single and
 * batch runs (immediate, delayed, executing, retrying, durably waiting, parents of children), and restarted on
 * the same store each time. Afterwards the invariant checker must find every acknowledged run, each finished
 * exactly once (those delayed by an hour still pending), no fenced attempt's outcome, no attempt beyond its
 * budget, and the read model (and ClickHouse, when the test run has one) in agreement. On the embedded H2 store
 * exactly as {@code baton dev} runs it, and
 * on PostgreSQL. The seed is printed; {@code -Dbaton.faults.seed} replays a timeline, {@code
 * -Dbaton.faults.kills} makes it longer. The node's log and store stay under {@code target/faults}.
 */
@Tag("faults")
class NodeKillFaultTest {

    /** Workers lost with a node are noticed within seconds, so runs move on quickly after each restart. */
    static final Map<String, String> FAST_RECOVERY = Map.of(
            "baton.engine.run.lease-timeout", "4s",
            "baton.engine.run.heartbeat-interval", "1s");

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"h2", "postgres"})
    void noAcknowledgedRunIsLostWhenTheNodeIsKilledUnderLoad(String storeName) throws Exception {
        long seed = Long.getLong("baton.faults.seed", System.currentTimeMillis());
        Path dir = FaultRuns.directory("node-kill-" + storeName + "-" + seed);
        int kills = Integer.getInteger("baton.faults.kills", 3);
        Random random = new Random(seed);
        System.out.println("NodeKillFaultTest[" + storeName + "]: seed " + seed + ", " + kills + " kills");
        NodeProcess.Store store = storeName.equals("h2")
                ? NodeProcess.Store.h2(dir.resolve("data"))
                : NodeProcess.Store.postgres(TestDatabases.freshPostgresSchema("faults"));
        int port = NodeProcess.freePort();
        Path log = dir.resolve("node.log");
        Instant since = Instant.now();
        NoopFleet.Recorder recorder = new NoopFleet.Recorder();
        List<String> timeline = new ArrayList<>();

        // ClickHouse, when the test run has one (./scripts/test starts it): the analytics sink is checked too.
        String clickhouseUrl = System.getenv("BATON_TEST_CLICKHOUSE_URL");
        String clickhouseDatabase = "faults_" + storeName + "_" + seed;
        Map<String, String> settings = new HashMap<>(FAST_RECOVERY);
        if (clickhouseUrl != null && !clickhouseUrl.isBlank()) {
            settings.put("baton.clickhouse.url", clickhouseUrl);
            settings.put("baton.clickhouse.database", clickhouseDatabase);
        } else {
            clickhouseUrl = null;
        }

        NodeProcess node = NodeProcess.start(store, port, settings, log);
        try (BatonWorker worker = FaultTasks.startWorker(node.url(), TestNodes.WORKER_TOKEN, 32, recorder);
                FaultLoad load = new FaultLoad(node.url(), TestNodes.SECRET_KEY, seed).start(16)) {
            for (int kill = 1; kill <= kills; kill++) {
                long acceptedBefore = load.acceptedSoFar();
                Thread.sleep(2_000 + random.nextInt(4_000));
                long acceptedMeanwhile = load.acceptedSoFar() - acceptedBefore;
                node.kill();
                timeline.add("kill " + kill + " after " + acceptedMeanwhile + " runs accepted since the last start");
                // The injector must have fired into load: a kill while nothing was accepted proves nothing.
                assertTrue(acceptedMeanwhile > 0, "no run was accepted before kill " + kill + ": " + timeline);
                node = NodeProcess.start(store, port, settings, log);
                timeline.add("restarted");
            }
            Thread.sleep(2_000);
            load.stop();
            load.resolveBatchRuns();
            System.out.println(
                    "NodeKillFaultTest[" + storeName + "]: " + String.join(", ", timeline) + "; " + load.summary());

            InvariantChecker checker = new InvariantChecker(
                    store.jdbcUrl(), store.user(), store.password(), clickhouseUrl, clickhouseDatabase);
            InvariantChecker.Report report =
                    checker.check(load.expectation(since, recorder.executions(), kills), Duration.ofSeconds(120));
            System.out.println("NodeKillFaultTest[" + storeName + "]: checked " + report.runs() + " runs, "
                    + report.journalEvents() + " events, " + report.readModelRuns() + " in the read model, "
                    + (clickhouseUrl == null ? "no ClickHouse" : report.clickhouseRuns() + " in ClickHouse") + ", "
                    + report.violations().size() + " violations");
            assertTrue(
                    report.ok(),
                    () -> "seed " + seed + ", invariants violated:\n" + String.join("\n", report.listed(30)));
            assertEquals(List.of(), load.unclearRefusals(), "every refusal is a clear 503 or 429");
        } finally {
            node.close();
        }
    }
}
