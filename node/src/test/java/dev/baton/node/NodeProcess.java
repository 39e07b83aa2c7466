package dev.baton.node;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A Baton node in its own JVM (the test's classpath, {@link Main}), so a test can kill it the hard
 * way ({@code SIGKILL}: no coordinated shutdown, no flushing) and start another on the same store.
 * Used by this module's crash tests and by the loadtest module's fault suite.
 */
public final class NodeProcess implements AutoCloseable {

    /**
     * Where a node keeps its journal: how to start a node on it, and the JDBC URL, user and password an
     * observer (the invariant checker) reads it with while the node runs.
     */
    public record Store(String name, List<String> nodeArguments, String jdbcUrl, String user, String password) {

        /** The test PostgreSQL at {@code url} (e.g. a fresh schema), with the production configuration. */
        public static Store postgres(String url) {
            return postgres(url, TestNodes.user(), TestNodes.password());
        }

        /** A PostgreSQL server with credentials of its own (e.g. a test's private server), production configuration. */
        public static Store postgres(String url, String user, String password) {
            return new Store(
                    "postgres",
                    List.of("-Dbaton.db.url=" + url, "-Dbaton.db.user=" + user, "-Dbaton.db.password=" + password),
                    url,
                    user,
                    password);
        }

        /**
         * The embedded H2 store as {@code baton dev} configures it (dev.conf), with H2's AUTO_SERVER so an
         * observer in another process can read the file the node holds open. AUTO_SERVER refuses
         * DB_CLOSE_ON_EXIT=FALSE, which only decides who closes the database on a graceful exit: neither changes
         * how a commit is written, which is what a kill tests.
         */
        public static Store h2(Path dataDir) {
            String devUrl = TestNodes.h2Config(dataDir).getString("baton.db.url");
            String url = devUrl.replace(";DB_CLOSE_ON_EXIT=FALSE", "") + ";AUTO_SERVER=TRUE";
            return new Store(
                    "h2",
                    List.of(
                            "-Dconfig.resource=dev.conf",
                            "-Dbaton.data-dir=" + dataDir.toAbsolutePath(),
                            "-Dbaton.db.url=" + url),
                    url,
                    "sa",
                    "");
        }
    }

    private final Process process;
    private final int httpPort;

    private NodeProcess(Process process, int httpPort) {
        this.process = process;
        this.httpPort = httpPort;
    }

    public static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    /**
     * Starts a node on the store and HTTP port with the test credentials ({@link TestNodes#SECRET_KEY},
     * {@link TestNodes#WORKER_TOKEN}); {@code settings} become system properties. Waits until it is healthy;
     * its output is appended to {@code log}.
     */
    public static NodeProcess start(Store store, int httpPort, Map<String, String> settings, Path log)
            throws Exception {
        return start(store, httpPort, settings, List.of(), log);
    }

    /**
     * The same with JVM options of the test's own after the defaults (a later {@code -Xmx} wins: several nodes on one
     * small machine need smaller heaps).
     */
    public static NodeProcess start(
            Store store, int httpPort, Map<String, String> settings, List<String> jvmOptions, Path log)
            throws Exception {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m", "-XX:+UseParallelGC"));
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path")));
        command.addAll(store.nodeArguments());
        command.addAll(List.of(
                "-Dbaton.node.http.interface=127.0.0.1",
                "-Dbaton.node.http.port=" + httpPort,
                "-Dakka.remote.artery.canonical.port=0",
                "-Dbaton.management.enabled=off",
                "-Dbaton.bootstrap.secret-key=" + TestNodes.SECRET_KEY,
                "-Dbaton.bootstrap.worker-token=" + TestNodes.WORKER_TOKEN));
        settings.forEach((key, value) -> command.add("-D" + key + "=" + value));
        command.add(Main.class.getName());
        Process process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
        NodeProcess node = new NodeProcess(process, httpPort);
        node.awaitHealthy(Duration.ofSeconds(120));
        return node;
    }

    public URI url() {
        return URI.create("http://127.0.0.1:" + httpPort);
    }

    public long pid() {
        return process.pid();
    }

    private void awaitHealthy(Duration timeout) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        Instant deadline = Instant.now().plus(timeout);
        while (Instant.now().isBefore(deadline)) {
            if (!process.isAlive()) throw new Exited("node exited with " + process.exitValue());
            try {
                HttpResponse<String> health = http.send(
                        HttpRequest.newBuilder(url().resolve("/health")).build(), HttpResponse.BodyHandlers.ofString());
                if (health.statusCode() == 200) return;
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(200);
        }
        process.destroyForcibly();
        throw new IllegalStateException("node did not become healthy within " + timeout);
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** SIGKILL: the node gets no chance to finish anything. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) process.destroyForcibly();
        }
    }

    /** The node's process ended while a test waited for it (to answer healthy, to join). */
    public static final class Exited extends IllegalStateException {
        public Exited(String message) {
            super(message);
        }
    }
}
