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

/**
 * A Baton node in its own JVM (the test's classpath, {@link Main}), so a test can kill it the hard
 * way ({@code SIGKILL}: no coordinated shutdown, no flushing) and start another on the same database.
 */
final class NodeProcess implements AutoCloseable {

  private final Process process;
  private final int httpPort;

  private NodeProcess(Process process, int httpPort) {
    this.process = process;
    this.httpPort = httpPort;
  }

  static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  /** Starts a node on the given database and HTTP port with the test credentials; waits until it is healthy. */
  static NodeProcess start(String jdbcUrl, int httpPort, Map<String, String> settings, Path log) throws Exception {
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx512m",
        "-cp", System.getProperty("java.class.path"),
        "-Dbaton.db.url=" + jdbcUrl,
        "-Dbaton.db.user=" + TestNodes.user(),
        "-Dbaton.db.password=" + TestNodes.password(),
        "-Dbaton.node.http.interface=127.0.0.1",
        "-Dbaton.node.http.port=" + httpPort,
        "-Dakka.remote.artery.canonical.port=0",
        "-Dbaton.management.enabled=off",
        "-Dbaton.bootstrap.secret-key=" + TestNodes.SECRET_KEY,
        "-Dbaton.bootstrap.worker-token=" + TestNodes.WORKER_TOKEN));
    settings.forEach((key, value) -> command.add("-D" + key + "=" + value));
    command.add(Main.class.getName());
    Process process = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    NodeProcess node = new NodeProcess(process, httpPort);
    node.awaitHealthy(Duration.ofSeconds(90));
    return node;
  }

  URI url() {
    return URI.create("http://127.0.0.1:" + httpPort);
  }

  private void awaitHealthy(Duration timeout) throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    Instant deadline = Instant.now().plus(timeout);
    while (Instant.now().isBefore(deadline)) {
      if (!process.isAlive()) throw new IllegalStateException("node exited with " + process.exitValue());
      try {
        HttpResponse<String> health = http.send(HttpRequest.newBuilder(url().resolve("/health")).build(),
            HttpResponse.BodyHandlers.ofString());
        if (health.statusCode() == 200) return;
      } catch (IOException notYet) {
        // not listening yet
      }
      Thread.sleep(200);
    }
    process.destroyForcibly();
    throw new IllegalStateException("node did not become healthy within " + timeout);
  }

  /** SIGKILL: the node gets no chance to finish anything. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor();
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      process.destroy();
      if (!process.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) process.destroyForcibly();
    }
  }
}
