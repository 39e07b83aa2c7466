package dev.baton.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.Behaviors;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.baton.engine.testkit.TestDatabases;
import dev.baton.node.BatonNode;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The benchmark in miniature, for CI: a real node in this JVM on a fresh PostgreSQL schema, every phase with a
 * few hundred runs, then the invariant checker, which must find nothing wrong, and must find a planted fault.
 * Asserts correctness, never speed.
 */
@Tag("smoke")
class LoadSmokeTest {

    private static final String SECRET_KEY = "tr_prod_loadtest_secret_key_0123456789abcdef";
    private static final String WORKER_TOKEN = "bw_prod_loadtest_worker_token_0123456789abcdef";

    private static String jdbcUrl;
    private static BatonNode node;

    @BeforeAll
    static void startNode() {
        jdbcUrl = TestDatabases.freshPostgresSchema("loadtest");
        Config config = ConfigFactory.parseMap(Map.of(
                        "baton.db.url", jdbcUrl,
                        "baton.db.user", TestDatabases.user(),
                        "baton.db.password", TestDatabases.password(),
                        "baton.bootstrap.secret-key", SECRET_KEY,
                        "baton.bootstrap.worker-token", WORKER_TOKEN))
                .withFallback(ConfigFactory.parseString("""
            baton.node.http.interface = "127.0.0.1"
            baton.node.http.port = 0
            akka.remote.artery.canonical.port = 0
            akka.coordinated-shutdown.exit-jvm = off
            baton.management.enabled = off
            """))
                .withFallback(ConfigFactory.defaultApplication())
                .withFallback(ConfigFactory.defaultReference())
                .resolve();
        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "loadtest-smoke", config);
        try {
            node = BatonNode.start(system);
        } catch (RuntimeException e) {
            system.terminate();
            throw e;
        }
    }

    @AfterAll
    static void stopNode() throws Exception {
        if (node != null) {
            node.system().terminate();
            node.system().getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
        }
    }

    @Test
    void aFewHundredRunsKeepEveryInvariantAndAPlantedFaultIsFound() throws Exception {
        BenchOptions options = BenchOptions.parse(
                new String[] {
                    "--url",
                    "http://127.0.0.1:" + node.httpPort(),
                    "--secret-key",
                    SECRET_KEY,
                    "--worker-token",
                    WORKER_TOKEN,
                    "--db-url",
                    jdbcUrl,
                    "--db-user",
                    TestDatabases.user(),
                    "--db-password",
                    TestDatabases.password(),
                    "--n",
                    "120",
                    "--batch",
                    "50",
                    "--inflight",
                    "16",
                    "--concurrency",
                    "8",
                    "--workers",
                    "2",
                    "--rate",
                    "40",
                    "--duration",
                    "2",
                    "--phase-timeout",
                    "30",
                    "--label",
                    "smoke",
                    "--warmup",
                    "40",
                    "--log-lines",
                    "2"
                },
                Map.of());

        Bench.Outcome outcome = Bench.run(options, System.out);

        InvariantChecker.Report report = outcome.report();
        assertTrue(report.ok(), () -> "invariants violated:\n" + String.join("\n", report.listed(20)));
        assertEquals(40 + 40 + 120 + 120 + 80, report.runs(), "warm-up runs are checked too");
        assertEquals(report.runs(), report.readModelRuns());
        assertEquals(0, report.executedElsewhere());
        assertEquals("false", outcome.result("drain_batch").get("timed_out"));
        assertEquals("false", outcome.result("drain_single").get("timed_out"));
        assertEquals("0", outcome.result("enqueue_single").get("errors"));
        ResultLine latency = outcome.result("latency_e2e");
        assertEquals("80", latency.get("sent"));
        assertEquals("80", latency.get("received"));
        assertEquals("0", latency.get("remaining_after"));
        ResultLine logs = outcome.result("run_logs");
        assertEquals(String.valueOf(2 * report.runs()), logs.get("lines_logged"), "no run retried");
        assertEquals(logs.get("lines_logged"), logs.get("lines_stored"), "every line a handler logged is stored");
        assertTrue(outcome.result("invariants")
                .toString()
                .startsWith("RESULT peer=baton:smoke metric=invariants ok=true"));

        // Plant a second terminal event after one run's last one: the checker must report it.
        String runId;
        try (Connection connection =
                        DriverManager.getConnection(jdbcUrl, TestDatabases.user(), TestDatabases.password());
                Statement statement = connection.createStatement()) {
            var rows = statement.executeQuery(
                    "SELECT persistence_id FROM event_journal WHERE persistence_id LIKE 'Run|%' LIMIT 1");
            rows.next();
            String persistenceId = rows.getString(1);
            runId = persistenceId.substring("Run|".length());
            try (PreparedStatement copy = connection.prepareStatement("""
          INSERT INTO event_journal(persistence_id, sequence_number, deleted, writer, write_timestamp, adapter_manifest,
                                    event_ser_id, event_ser_manifest, event_payload)
          SELECT persistence_id, sequence_number + 1, deleted, writer, write_timestamp, adapter_manifest,
                 event_ser_id, event_ser_manifest, event_payload
          FROM event_journal WHERE persistence_id = ?
          ORDER BY sequence_number DESC LIMIT 1""")) {
                copy.setString(1, persistenceId);
                assertEquals(1, copy.executeUpdate());
            }
        }
        InvariantChecker checker =
                new InvariantChecker(jdbcUrl, TestDatabases.user(), TestDatabases.password(), null, null);
        InvariantChecker.Report planted = checker.check(outcome.expectation(), Duration.ZERO);
        assertFalse(planted.ok(), "the planted second terminal event went unnoticed");
        assertTrue(
                planted.violations().stream().anyMatch(v -> v.contains(runId) && v.contains("2 terminal events")),
                () -> String.join("\n", planted.violations()));
    }
}
