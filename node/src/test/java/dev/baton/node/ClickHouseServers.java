package dev.baton.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.baton.engine.common.Ids;
import dev.baton.projections.clickhouse.ClickHouseSettings;
import dev.baton.projections.clickhouse.ClickHouseStore;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * ClickHouse for the node tests: the shared test server (BATON_TEST_CLICKHOUSE_URL, which ./scripts/test
 * sets, else 127.0.0.1:8123; skipped with a message when neither is there), or a private server this JVM
 * starts and stops itself through scripts/clickhouse-start and clickhouse-stop, on its own ports and data
 * folder under target/.
 */
final class ClickHouseServers {

    static final String URL_VARIABLE = "BATON_TEST_CLICKHOUSE_URL";
    private static final String FALLBACK_URL = "http://127.0.0.1:8123";
    private static final Path SCRIPTS = Path.of("..", "scripts");

    private ClickHouseServers() {}

    /** The shared test server's URL; aborts the calling test (skipped) when there is none. */
    static String url() {
        String configured = System.getenv(URL_VARIABLE);
        if (configured != null && !configured.isBlank()) {
            if (!answers(configured)) Assertions.fail(URL_VARIABLE + "=" + configured + " does not answer /ping");
            return configured;
        }
        if (answers(FALLBACK_URL)) return FALLBACK_URL;
        Assumptions.abort("ClickHouse tests skipped: " + URL_VARIABLE + " is not set and no ClickHouse answers on "
                + FALLBACK_URL + " (./scripts/test starts one)");
        throw new IllegalStateException("unreachable");
    }

    static boolean answers(String url) {
        try {
            HttpResponse<String> response = HttpClient.newBuilder()
                    .connectTimeout(Duration.ofSeconds(2))
                    .build()
                    .send(
                            HttpRequest.newBuilder(URI.create(url + "/ping"))
                                    .timeout(Duration.ofSeconds(2))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            return response.statusCode() == 200 && response.body().startsWith("Ok.");
        } catch (Exception e) {
            return false;
        }
    }

    static String freshDatabase(String prefix) {
        return (prefix + "_" + Ids.random(8)).toLowerCase();
    }

    /** Node configuration: {@code base} with the sink on, writing to {@code database} of {@code url}. */
    static Config withClickHouse(Config base, String url, String database, String overrides) {
        return ConfigFactory.parseString(overrides)
                .withFallback(ConfigFactory.parseMap(
                        Map.of("baton.clickhouse.url", url, "baton.clickhouse.database", database)))
                .withFallback(base)
                .resolve();
    }

    /** A store for reading the node's tables back, on threads of its own. */
    static Reader reader(Config nodeConfig) {
        ExecutorService executor = Executors.newFixedThreadPool(2);
        return new Reader(new ClickHouseStore(ClickHouseSettings.fromConfig(nodeConfig), executor), executor);
    }

    record Reader(ClickHouseStore store, ExecutorService executor) implements AutoCloseable {
        /** Event type → rows in run_events (FINAL). */
        Map<String, Long> eventCounts() {
            Map<String, Long> counts = new TreeMap<>();
            store.select("SELECT event_type, count() AS events FROM run_events FINAL GROUP BY event_type")
                    .rows()
                    .forEach(row -> counts.put(row.get(0), Long.parseLong(row.get(1))));
            return counts;
        }

        void dropDatabase() {
            store.execute("DROP DATABASE IF EXISTS " + store.database(), null);
        }

        @Override
        public void close() {
            store.close();
            executor.shutdownNow();
        }
    }

    /** Event type → run events in the node's journal (PostgreSQL). */
    static Map<String, Long> journalCounts(Config nodeConfig) throws Exception {
        Map<String, Long> counts = new TreeMap<>();
        try (Connection connection = DriverManager.getConnection(
                        nodeConfig.getString("baton.db.url"),
                        nodeConfig.getString("baton.db.user"),
                        nodeConfig.getString("baton.db.password"));
                Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery("SELECT event_ser_manifest, count(*) FROM event_journal"
                        + " WHERE persistence_id LIKE 'Run|%' GROUP BY event_ser_manifest")) {
            while (result.next()) {
                String manifest = result.getString(1);
                counts.put(manifest.substring(manifest.lastIndexOf('$') + 1), result.getLong(2));
            }
        }
        return counts;
    }

    /** Starts a private server on free ports with its data under target/ (installs the package if missing). */
    static PrivateServer startPrivate(String name) throws Exception {
        PrivateServer server = new PrivateServer(
                Path.of("target", name + "-" + Ids.random(6)).toAbsolutePath(), freePort(), freePort());
        server.start();
        return server;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    /** A ClickHouse server of this test's own, started and stopped with the project's scripts. */
    record PrivateServer(Path dir, int httpPort, int tcpPort) {

        String url() {
            return "http://127.0.0.1:" + httpPort;
        }

        void start() throws Exception {
            script("clickhouse-start");
            if (!answers(url())) throw new IllegalStateException("private ClickHouse did not answer on " + url());
        }

        void stop() throws Exception {
            script("clickhouse-stop");
        }

        private void script(String script) throws Exception {
            Files.createDirectories(dir);
            Path log = dir.resolveSibling(dir.getFileName() + "-" + script + ".log");
            ProcessBuilder builder = new ProcessBuilder(
                            SCRIPTS.resolve(script).toAbsolutePath().toString(), dir.toString())
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile());
            builder.environment().put("CLICKHOUSE_HTTP_PORT", String.valueOf(httpPort));
            builder.environment().put("CLICKHOUSE_TCP_PORT", String.valueOf(tcpPort));
            Process process = builder.start();
            if (!process.waitFor(180, TimeUnit.SECONDS) || process.exitValue() != 0) {
                process.destroyForcibly();
                throw new IllegalStateException(script + " failed: " + Files.readString(log));
            }
        }
    }
}
