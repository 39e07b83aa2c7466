package dev.baton.api;

import akka.http.javadsl.Http;
import akka.http.javadsl.ServerBinding;
import akka.persistence.testkit.JournalOperation;
import akka.persistence.testkit.ProcessingSuccess;
import akka.persistence.testkit.javadsl.PersistenceTestKit;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.baton.engine.environment.Environment;
import dev.baton.engine.run.RunEntity;
import dev.baton.engine.task.TaskDefinition;
import dev.baton.engine.testkit.TestNode;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A {@link TestNode} with the HTTP API bound on a random local port, a plain JDK HTTP client, and a
 * spy on the journal that records every operation on run entities (so a test can prove a rejected
 * request never reached the engine).
 */
public final class ApiTestServer implements AutoCloseable {

  private static final Duration TIMEOUT = Duration.ofSeconds(30);
  private static final String RUN_PERSISTENCE_PREFIX = RunEntity.persistenceId("x").id().replace("x", "");

  private final TestNode node;
  private final ServerBinding binding;
  private final HttpClient client;
  private final String baseUrl;
  private final PersistenceTestKit journal;
  private final List<String> runJournalOperations = new CopyOnWriteArrayList<>();

  private ApiTestServer(TestNode node) throws Exception {
    this.node = node;
    HttpApi api = new HttpApi(node.system(), node.engine(), node.directory());
    this.binding = Http.get(node.system()).newServerAt("127.0.0.1", 0).bind(api.route())
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
    this.baseUrl = "http://127.0.0.1:" + binding.localAddress().getPort();
    this.client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(TIMEOUT).build();
    this.journal = PersistenceTestKit.create(node.system());
    recordJournal();
  }

  public static ApiTestServer start(String name) throws Exception {
    return start(name, ConfigFactory.empty());
  }

  public static ApiTestServer start(String name, Config overrides) throws Exception {
    return new ApiTestServer(TestNode.start(name, overrides));
  }

  public TestNode node() {
    return node;
  }

  public PersistenceTestKit journal() {
    return journal;
  }

  /** Puts the recording policy (back) in place, e.g. after a test injected journal failures. */
  public void recordJournal() {
    journal.withPolicy((String persistenceId, JournalOperation operation) -> {
      if (persistenceId.startsWith(RUN_PERSISTENCE_PREFIX)) {
        runJournalOperations.add(persistenceId + " " + operation.getClass().getSimpleName());
      }
      return ProcessingSuccess.getInstance();
    });
  }

  /** Every journal operation (write, read, recovery) on any run since the last {@link #forgetJournal()}. */
  public List<String> runJournalOperations() {
    return new ArrayList<>(runJournalOperations);
  }

  public void forgetJournal() {
    runJournalOperations.clear();
  }

  public Environment environment(String projectRef, String slug, String secretKey) {
    return node.createEnvironment(projectRef, slug, secretKey, "bw_" + projectRef + "_" + slug);
  }

  public void declareTask(Environment environment, String taskId) throws Exception {
    node.engine().declareTasks(environment.id(), List.of(new TaskDefinition(taskId, null, null, null, null)))
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  public HttpResponse<String> get(String path, String secretKey) throws Exception {
    return send(request(path, secretKey).GET().build());
  }

  public HttpResponse<String> post(String path, String secretKey, String json) throws Exception {
    return send(request(path, secretKey).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json)).build());
  }

  /** A POST whose body has no Content-Length: the JDK client sends it chunked. */
  public HttpResponse<String> postChunked(String path, String secretKey, byte[] body) throws Exception {
    return send(request(path, secretKey).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body))).build());
  }

  public HttpResponse<String> send(String method, String path, Map<String, String> headers, String body)
      throws Exception {
    HttpRequest.Builder builder = request(path, null).method(method,
        body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    headers.forEach(builder::header);
    return send(builder.build());
  }

  private HttpRequest.Builder request(String path, String secretKey) {
    HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(TIMEOUT);
    if (secretKey != null) builder.header("Authorization", "Bearer " + secretKey);
    return builder;
  }

  private HttpResponse<String> send(HttpRequest request) throws Exception {
    return client.send(request, HttpResponse.BodyHandlers.ofString());
  }

  public static JsonNode json(HttpResponse<String> response) throws Exception {
    return new ObjectMapper().readTree(response.body());
  }

  @Override
  public void close() throws Exception {
    binding.terminate(Duration.ofSeconds(5)).toCompletableFuture().get(10, TimeUnit.SECONDS);
    node.close();
  }
}
