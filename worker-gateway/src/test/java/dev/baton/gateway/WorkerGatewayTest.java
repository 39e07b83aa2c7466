package dev.baton.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.typed.javadsl.Adapter;
import akka.http.javadsl.Http;
import akka.http.javadsl.ServerBinding;
import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.engine.Engine;
import dev.baton.engine.Ids;
import dev.baton.engine.environment.Environment;
import dev.baton.engine.run.RunEntity;
import dev.baton.engine.run.RunStatus;
import dev.baton.engine.run.TriggerRequest;
import dev.baton.engine.testkit.TestNode;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocketHandshakeException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The gateway end to end: a real node, a real port, raw JSON workers. */
class WorkerGatewayTest {

  private static final Duration WAIT = Duration.ofSeconds(15);
  /** Short backoff so retries show up quickly. */
  private static final String FAST_RETRY = """
      "retry":{"maxAttempts":3,"factor":2,"minTimeoutInMs":10,"maxTimeoutInMs":100,"randomize":false}""";

  private static TestNode node;
  private static WorkerGateway gateway;
  private static ServerBinding binding;
  private static int port;

  private Environment environment;
  private String token;

  @BeforeAll
  static void start() throws Exception {
    node = TestNode.start("worker-gateway-test");
    gateway = new WorkerGateway(node.system(), node.engine(), node.directory());
    binding = Http.get(node.system()).newServerAt("127.0.0.1", 0).bind(gateway.route())
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
    port = binding.localAddress().getPort();
  }

  @AfterAll
  static void stop() throws Exception {
    binding.unbind().toCompletableFuture().get(10, TimeUnit.SECONDS);
    node.close();
  }

  @BeforeEach
  void freshEnvironment() {
    String project = "p" + Ids.random(10);
    token = "bw_dev_" + Ids.random(32);
    environment = node.createEnvironment(project, "dev", "tr_dev_" + Ids.random(32), token);
  }

  // ---------------------------------------------------------------- (a) authentication

  @Test
  void refusesMissingOrWrongTokenBeforeUpgrading() throws Exception {
    HttpResponse<String> missing = RawWorker.HTTP.send(
        HttpRequest.newBuilder(httpUri()).GET().build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(401, missing.statusCode());
    assertEquals("Invalid or missing worker token", RawWorker.JSON.readTree(missing.body()).path("error").asText());

    ExecutionException wrong = assertThrows(ExecutionException.class, () -> RawWorker.HTTP.newWebSocketBuilder()
        .header("Authorization", "Bearer bw_dev_wrong")
        .buildAsync(RawWorker.connectUri(port), new java.net.http.WebSocket.Listener() {})
        .get(10, TimeUnit.SECONDS));
    WebSocketHandshakeException handshake = assertInstanceOf(WebSocketHandshakeException.class, wrong.getCause());
    assertEquals(401, handshake.getResponse().statusCode());
  }

  @Test
  void answersPlainRequestsWith400() throws Exception {
    HttpResponse<String> plain = RawWorker.HTTP.send(
        HttpRequest.newBuilder(httpUri()).header("Authorization", "Bearer " + token).GET().build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(400, plain.statusCode());
    assertFalse(RawWorker.JSON.readTree(plain.body()).path("error").asText().isEmpty());
  }

  // ---------------------------------------------------------------- (b) hello, execute, complete

  @Test
  void runsATriggeredRunEndToEnd() throws Exception {
    try (RawWorker worker = RawWorker.connect(port, token)) {
      worker.send("""
          {"type":"hello","workerId":"w-1","sdk":"raw-test/1","slots":2,"tasks":[{"id":"hello-world"}]}""");
      JsonNode welcome = worker.expect("welcome");
      assertTrue(welcome.path("sessionId").asText().startsWith("ws_"));
      assertEquals(environment.id(), welcome.path("environmentId").asText());
      assertEquals(500, welcome.path("heartbeatIntervalMs").asLong());
      assertEquals(3000, welcome.path("leaseTimeoutMs").asLong());

      String runId = trigger(new TriggerRequest("hello-world", "{\"name\":\"Ada\"}", "application/json",
          List.of("a"), "{\"k\":1}", "idem-1", null, false));

      JsonNode execute = worker.expect("execute");
      String attemptId = execute.path("attemptId").asText();
      assertEquals(runId, execute.path("runId").asText());
      assertTrue(attemptId.startsWith("att_"));
      assertEquals(1, execute.path("attemptNumber").asInt());
      assertEquals("hello-world", execute.path("taskId").asText());
      assertEquals(RawWorker.JSON.readTree("{\"name\":\"Ada\"}"), execute.path("payload"));
      assertEquals("application/json", execute.path("payloadType").asText());
      JsonNode context = execute.path("context");
      assertEquals(runId, context.path("run").path("id").asText());
      assertEquals("[\"a\"]", context.path("run").path("tags").toString());
      Instant.parse(context.path("run").path("createdAt").asText());
      assertFalse(context.path("run").path("isTest").asBoolean(true));
      assertEquals(3, context.path("run").path("maxAttempts").asInt());
      assertEquals(RawWorker.JSON.readTree("{\"k\":1}"), context.path("run").path("metadata"));
      assertEquals("idem-1", context.path("run").path("idempotencyKey").asText());
      assertEquals(attemptId, context.path("attempt").path("id").asText());
      assertEquals(1, context.path("attempt").path("number").asInt());
      assertEquals("hello-world", context.path("task").path("id").asText());
      assertEquals("task/hello-world", context.path("queue").path("name").asText());
      assertEquals(environment.id(), context.path("environment").path("id").asText());
      assertEquals("dev", context.path("environment").path("slug").asText());

      worker.send(started(attemptId));
      awaitRun(runId, state -> state.status() == RunStatus.EXECUTING);
      worker.send(completed(attemptId, "{\"greeting\":\"Hello, Ada!\"}"));
      RunEntity.State done = awaitRun(runId, state -> state.status() == RunStatus.COMPLETED);
      assertEquals(RawWorker.JSON.readTree("{\"greeting\":\"Hello, Ada!\"}"), RawWorker.JSON.readTree(done.outputJson()));
      assertEquals(1, done.attemptCount());
    }
  }

  @Test
  void leavesPayloadOutWhenTheRunHasNoneAndStoresANullOutput() throws Exception {
    try (RawWorker worker = RawWorker.connectAndHello(port, token, "w-1", 1, "[{\"id\":\"no-payload\"}]")) {
      String runId = trigger(new TriggerRequest("no-payload", null, null, List.of(), null, null, null, false));
      JsonNode execute = worker.expect("execute");
      assertFalse(execute.has("payload"));
      assertFalse(execute.path("context").path("run").has("metadata"));
      assertFalse(execute.path("context").path("run").has("idempotencyKey"));
      worker.send("{\"type\":\"completed\",\"attemptId\":\"" + execute.path("attemptId").asText() + "\",\"output\":null}");
      assertEquals("null", awaitRun(runId, state -> state.status() == RunStatus.COMPLETED).outputJson());
    }
  }

  // ---------------------------------------------------------------- (c) fencing

  @Test
  void rejectsAndCountsASecondCompletedWithoutApplyingIt() throws Exception {
    try (RawWorker worker = RawWorker.connectAndHello(port, token, "w-1", 1, "[{\"id\":\"fenced\"}]")) {
      String runId = trigger(request("fenced"));
      String attemptId = worker.expect("execute").path("attemptId").asText();
      worker.send(started(attemptId));
      worker.send(completed(attemptId, "{\"n\":1}"));
      RunEntity.State done = awaitRun(runId, state -> state.status() == RunStatus.COMPLETED);

      long before = gateway.staleMessagesRejected();
      worker.send(completed(attemptId, "{\"n\":2}"));
      JsonNode rejected = worker.expect("rejected");
      assertEquals(attemptId, rejected.path("attemptId").asText());
      assertEquals("stale attempt", rejected.path("reason").asText());
      assertEquals(before + 1, gateway.staleMessagesRejected());
      assertEquals(done, run(runId));
    }
  }

  @Test
  void rejectsAHeartbeatTheEngineFencedAndFreesItsSlot() throws Exception {
    try (RawWorker worker = RawWorker.connectAndHello(port, token, "w-1", 1,
        "[{\"id\":\"slow\"," + FAST_RETRY + "}]")) {
      String runId = trigger(request("slow"));
      String first = worker.expect("execute").path("attemptId").asText();
      // no started: the lease (3s) expires and the run waits for a free slot for attempt 2
      awaitRun(runId, state -> state.attemptCount() == 1 && state.status() == RunStatus.QUEUED);
      assertTrue(worker.poll(Duration.ofMillis(300)).isEmpty(), "the only slot is still held by attempt 1");

      long before = gateway.staleMessagesRejected();
      worker.send(heartbeat(first));
      assertEquals(first, worker.expect("rejected").path("attemptId").asText());
      assertEquals(before + 1, gateway.staleMessagesRejected());

      JsonNode second = worker.expect("execute");
      assertEquals(2, second.path("attemptNumber").asInt());
      worker.send(completed(second.path("attemptId").asText(), "2"));
      assertEquals(2, awaitRun(runId, state -> state.status() == RunStatus.COMPLETED).attemptCount());
    }
  }

  // ---------------------------------------------------------------- (d) slots

  @Test
  void neverSendsMoreExecutionsThanFreeSlots() throws Exception {
    try (RawWorker worker = RawWorker.connectAndHello(port, token, "w-1", 1, "[{\"id\":\"one-at-a-time\"}]")) {
      List<String> runIds = List.of(trigger(request("one-at-a-time")), trigger(request("one-at-a-time")),
          trigger(request("one-at-a-time")));
      for (int i = 0; i < runIds.size(); i++) {
        JsonNode execute = worker.expect("execute");
        Optional<JsonNode> extra = worker.poll(Duration.ofMillis(300));
        assertTrue(extra.isEmpty(), () -> "a second unanswered execute arrived: " + extra.get());
        String attemptId = execute.path("attemptId").asText();
        worker.send(started(attemptId));
        worker.send(completed(attemptId, String.valueOf(i)));
      }
      for (String runId : runIds) awaitRun(runId, state -> state.status() == RunStatus.COMPLETED);
    }
  }

  // ---------------------------------------------------------------- (e) disconnect

  @Test
  void retriesTheRunOfADisconnectedWorkerOnAnotherWorker() throws Exception {
    String tasks = "[{\"id\":\"fragile\"," + FAST_RETRY + "}]";
    try (RawWorker first = RawWorker.connectAndHello(port, token, "w-1", 1, tasks)) {
      String runId = trigger(request("fragile"));
      String attempt1 = first.expect("execute").path("attemptId").asText();
      first.send(started(attempt1));
      awaitRun(runId, state -> state.status() == RunStatus.EXECUTING);

      try (RawWorker second = RawWorker.connectAndHello(port, token, "w-2", 1, tasks)) {
        first.abort();
        JsonNode execute = second.expect("execute");
        assertEquals(runId, execute.path("runId").asText());
        assertEquals(2, execute.path("attemptNumber").asInt());
        String attempt2 = execute.path("attemptId").asText();
        assertNotEquals(attempt1, attempt2);
        second.send(started(attempt2));
        second.send(completed(attempt2, "\"ok\""));
        RunEntity.State done = awaitRun(runId, state -> state.status() == RunStatus.COMPLETED);
        assertEquals(2, done.attemptCount());
        assertEquals("\"ok\"", done.outputJson());
      }
      awaitSessionStopped(first.sessionId());
    }
  }

  // ---------------------------------------------------------------- (f) failures

  @Test
  void retriesAFailedAttemptAndEndsTheRunOnANonRetryableFailure() throws Exception {
    try (RawWorker worker = RawWorker.connectAndHello(port, token, "w-1", 1,
        "[{\"id\":\"flaky\"," + FAST_RETRY + "}]")) {
      String runId = trigger(request("flaky"));
      String attempt1 = worker.expect("execute").path("attemptId").asText();
      worker.send(started(attempt1));
      worker.send("""
          {"type":"failed","attemptId":"%s","error":{"message":"boom","name":"Error"}}""".formatted(attempt1));

      JsonNode retry = worker.expect("execute");
      assertEquals(runId, retry.path("runId").asText());
      assertEquals(2, retry.path("attemptNumber").asInt());
      String attempt2 = retry.path("attemptId").asText();
      worker.send(started(attempt2));
      worker.send("""
          {"type":"failed","attemptId":"%s","error":{"message":"nope","name":"Fatal","stackTrace":"at x"},
           "retryable":false}""".formatted(attempt2));

      RunEntity.State failed = awaitRun(runId, state -> state.status() == RunStatus.FAILED);
      assertEquals(2, failed.attemptCount());
      assertEquals("nope", failed.error().message());
      assertEquals("Fatal", failed.error().name());
      assertEquals("at x", failed.error().stackTrace());
    }
  }

  // ---------------------------------------------------------------- (g) protocol errors

  @Test
  void answersAMalformedFirstMessageWithErrorAndCloses() throws Exception {
    try (RawWorker worker = RawWorker.connect(port, token)) {
      worker.send("{not json");
      assertTrue(worker.expect("error").path("message").asText().contains("malformed"));
      assertTrue(worker.awaitClosed(WAIT), "the gateway closes the socket after an error");
    }
  }

  @Test
  void requiresHelloFirstAndValidatesIt() throws Exception {
    try (RawWorker worker = RawWorker.connect(port, token)) {
      worker.send("{\"type\":\"started\",\"attemptId\":\"att_1\"}");
      assertTrue(worker.expect("error").path("message").asText().contains("hello"));
      assertTrue(worker.awaitClosed(WAIT));
    }
    try (RawWorker worker = RawWorker.connect(port, token)) {
      worker.send("{\"type\":\"hello\",\"workerId\":\"w\",\"sdk\":\"x\",\"slots\":0,\"tasks\":[{\"id\":\"t\"}]}");
      assertTrue(worker.expect("error").path("message").asText().contains("slots"));
      assertTrue(worker.awaitClosed(WAIT));
    }
    try (RawWorker worker = RawWorker.connect(port, token)) {
      worker.send("{\"type\":\"hello\",\"workerId\":\"w\",\"sdk\":\"x\",\"slots\":1,\"tasks\":[{\"id\":\"bad id!\"}]}");
      assertTrue(worker.expect("error").path("message").asText().contains("invalid task id"));
      assertTrue(worker.awaitClosed(WAIT));
    }
  }

  @Test
  void closesOnAnUnknownMessageTypeAfterHello() throws Exception {
    try (RawWorker worker = RawWorker.connectAndHello(port, token, "w-1", 1, "[{\"id\":\"t\"}]")) {
      worker.send("{\"type\":\"bogus\"}");
      assertTrue(worker.expect("error").path("message").asText().contains("bogus"));
      assertTrue(worker.awaitClosed(WAIT));
    }
  }

  @Test
  void closesOnAnOversizedMessage() throws Exception {
    try (RawWorker worker = RawWorker.connectAndHello(port, token, "w-1", 1, "[{\"id\":\"t\"}]")) {
      String huge = "x".repeat(200 * 1024);
      worker.send("{\"type\":\"heartbeat\",\"attemptId\":\"att_1\",\"pad\":\"" + huge + "\"}");
      assertTrue(worker.expect("error").path("message").asText().contains("larger than"));
      assertTrue(worker.awaitClosed(WAIT));
      awaitSessionStopped(worker.sessionId());
    }
  }

  @Test
  void stopsTheSessionWhenTheWorkerCloses() throws Exception {
    RawWorker worker = RawWorker.connectAndHello(port, token, "w-1", 1, "[{\"id\":\"t\"}]");
    Adapter.toClassic(node.system()).actorSelection("/system/worker-session-" + worker.sessionId())
        .resolveOne(Duration.ofSeconds(5)).toCompletableFuture().get(); // running while connected
    worker.close();
    awaitSessionStopped(worker.sessionId());
  }

  @Test
  void keepsIdleSocketsAliveWithPings() {
    assertEquals(Duration.ofSeconds(10), node.system().settings().config()
        .getDuration("akka.http.server.websocket.periodic-keep-alive-max-idle"));
  }

  // ---------------------------------------------------------------- helpers

  private java.net.URI httpUri() {
    return java.net.URI.create("http://127.0.0.1:" + port + "/api/v1/workers/connect");
  }

  private static TriggerRequest request(String taskId) {
    return new TriggerRequest(taskId, "{}", "application/json", List.of(), null, null, null, false);
  }

  private String trigger(TriggerRequest request) throws Exception {
    return engine().runs().trigger(environment.id(), request).toCompletableFuture().get(10, TimeUnit.SECONDS).runId();
  }

  private RunEntity.State run(String runId) throws Exception {
    return engine().runs().get(environment.id(), runId).toCompletableFuture().get(10, TimeUnit.SECONDS).orElseThrow();
  }

  private RunEntity.State awaitRun(String runId, Predicate<RunEntity.State> condition) throws Exception {
    Instant deadline = Instant.now().plus(WAIT);
    RunEntity.State state = run(runId);
    while (!condition.test(state)) {
      if (Instant.now().isAfter(deadline)) throw new AssertionError("run never reached the expected state: " + state);
      TestNode.sleep(Duration.ofMillis(50));
      state = run(runId);
    }
    return state;
  }

  private static void awaitSessionStopped(String sessionId) {
    var selection = Adapter.toClassic(node.system()).actorSelection("/system/worker-session-" + sessionId);
    Instant deadline = Instant.now().plus(WAIT);
    while (true) {
      try {
        selection.resolveOne(Duration.ofMillis(500)).toCompletableFuture().get();
      } catch (Exception notFound) {
        return;
      }
      if (Instant.now().isAfter(deadline)) throw new AssertionError("session " + sessionId + " is still running");
      TestNode.sleep(Duration.ofMillis(50));
    }
  }

  private static Engine engine() {
    return node.engine();
  }

  private static String started(String attemptId) {
    return "{\"type\":\"started\",\"attemptId\":\"" + attemptId + "\"}";
  }

  private static String heartbeat(String attemptId) {
    return "{\"type\":\"heartbeat\",\"attemptId\":\"" + attemptId + "\"}";
  }

  private static String completed(String attemptId, String outputJson) {
    return "{\"type\":\"completed\",\"attemptId\":\"" + attemptId + "\",\"output\":" + outputJson + "}";
  }
}
