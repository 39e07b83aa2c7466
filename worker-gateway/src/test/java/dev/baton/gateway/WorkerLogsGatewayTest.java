package dev.baton.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.typed.DispatcherSelector;
import akka.http.javadsl.Http;
import akka.http.javadsl.ServerBinding;
import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import dev.baton.engine.common.Ids;
import dev.baton.engine.environment.Environment;
import dev.baton.engine.logs.LogLevel;
import dev.baton.engine.logs.RunLogStore;
import dev.baton.engine.logs.RunLogWriter;
import dev.baton.engine.logs.StoredLogLine;
import dev.baton.engine.run.RunState;
import dev.baton.engine.run.RunStatus;
import dev.baton.engine.run.TriggerRequest;
import dev.baton.engine.storage.Database;
import dev.baton.engine.testkit.TestDatabases;
import dev.baton.engine.testkit.TestNode;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The {@code logs} message (docs/worker-protocol.md): lines of the worker's attempts reach the log store (here H2)
 * without holding up the attempt's result, lines of attempts the session never sent are dropped, and a malformed
 * batch is a protocol error like any malformed message.
 */
class WorkerLogsGatewayTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private static TestNode node;
    private static Database database;
    private static RunLogStore store;
    private static ServerBinding binding;
    private static int port;

    private Environment environment;
    private String token;

    @BeforeAll
    static void start() throws Exception {
        node = TestNode.start("worker-logs-test", ConfigFactory.empty());
        database = Database.open(TestDatabases.dbConfig(TestDatabases.freshH2("gateway-logs")));
        database.runSchemaScript(RunLogStore.SCHEMA_SCRIPT);
        store = new RunLogStore(database.dataSource(), Clock.systemUTC(), 1000);
        RunLogWriter writer = new RunLogWriter(
                store,
                appended -> {},
                node.system().dispatchers().lookup(DispatcherSelector.blocking()),
                Clock.systemUTC(),
                10_000);
        WorkerGateway gateway = new WorkerGateway(node.system(), node.engine(), node.directory(), null, writer);
        binding = Http.get(node.system())
                .newServerAt("127.0.0.1", 0)
                .bind(gateway.route())
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
        port = binding.localAddress().getPort();
    }

    @AfterAll
    static void stop() throws Exception {
        binding.unbind().toCompletableFuture().get(10, TimeUnit.SECONDS);
        node.close();
        database.close();
    }

    @BeforeEach
    void freshEnvironment() {
        token = "bw_dev_" + Ids.random(32);
        environment = node.createEnvironment("p" + Ids.random(10), "dev", "tr_dev_" + Ids.random(32), token);
    }

    @Test
    void linesOfTheWorkersAttemptsAreStoredAndTheResultIsNotHeldUp() throws Exception {
        try (RawWorker worker = RawWorker.connectAndHello(port, token, "w-1", 1, "[{\"id\":\"logger\"}]")) {
            String runId = trigger("logger");
            String attemptId = worker.expect("execute").path("attemptId").asText();
            worker.send(logs(
                    line(attemptId, "info", "charged {}", "{\"orderId\":\"o-1\",\"cents\":250}", null),
                    line("att_never_sent", "info", "not ours", null, null),
                    line(attemptId, "error", "it broke", null, "{\"name\":\"Boom\",\"stackTrace\":\"at x\"}")));
            worker.send("{\"type\":\"completed\",\"attemptId\":\"" + attemptId + "\",\"output\":1}");
            awaitRun(runId, state -> state.status() == RunStatus.COMPLETED);
            // a line sent just after the result still counts: the session remembers the attempts it sent
            worker.send(logs(line(attemptId, "debug", "after the result", null, null)));

            List<StoredLogLine> stored = awaitLines(runId, 3);
            assertEquals(
                    List.of("charged {}", "it broke", "after the result"),
                    stored.stream().map(s -> s.line().message()).toList());
            assertEquals(
                    List.of(LogLevel.INFO, LogLevel.ERROR, LogLevel.DEBUG),
                    stored.stream().map(s -> s.line().level()).toList());
            assertEquals(1, stored.get(0).line().attemptNumber());
            assertEquals(attemptId, stored.get(0).line().attemptId());
            assertEquals(
                    Instant.parse("2026-12-06T10:00:00Z"), stored.get(0).line().timestamp());
            assertEquals(
                    RawWorker.JSON.readTree("{\"orderId\":\"o-1\",\"cents\":250}"),
                    RawWorker.JSON.readTree(stored.get(0).line().attributesJson()));
            assertEquals(
                    "Boom",
                    RawWorker.JSON
                            .readTree(stored.get(1).line().errorJson())
                            .path("name")
                            .asText());
            assertTrue(worker.poll(Duration.ofMillis(300)).isEmpty(), "logs get no answer");
        }
    }

    @Test
    void malformedBatchesAreProtocolErrors() throws Exception {
        String ok = "\"attemptId\":\"att_1\",\"timestamp\":\"2026-12-06T10:00:00Z\",\"level\":\"info\"";
        List<String> malformed = List.of(
                "{\"type\":\"logs\"}",
                "{\"type\":\"logs\",\"lines\":[]}",
                "{\"type\":\"logs\",\"lines\":{}}",
                "{\"type\":\"logs\",\"lines\":[42]}",
                "{\"type\":\"logs\",\"lines\":[{\"timestamp\":\"2026-12-06T10:00:00Z\",\"level\":\"info\","
                        + "\"message\":\"m\"}]}",
                "{\"type\":\"logs\",\"lines\":[{" + ok.replace("info", "fatal") + ",\"message\":\"m\"}]}",
                "{\"type\":\"logs\",\"lines\":[{" + ok.replace("info", "INFO") + ",\"message\":\"m\"}]}",
                "{\"type\":\"logs\",\"lines\":[{" + ok.replace("2026-12-06T10:00:00Z", "yesterday")
                        + ",\"message\":\"m\"}]}",
                "{\"type\":\"logs\",\"lines\":[{" + ok + "}]}",
                "{\"type\":\"logs\",\"lines\":[{" + ok + ",\"message\":7}]}",
                "{\"type\":\"logs\",\"lines\":[{" + ok + ",\"message\":\"m\",\"attributes\":[1]}]}",
                "{\"type\":\"logs\",\"lines\":[{" + ok + ",\"message\":\"m\",\"error\":\"boom\"}]}",
                "{\"type\":\"logs\",\"lines\":[{" + ok + ",\"message\":\"m\",\"error\":{\"stackTrace\":1}}]}",
                "{\"type\":\"logs\",\"lines\":[" + ("{" + ok + ",\"message\":\"m\"},").repeat(1001) + "{" + ok
                        + ",\"message\":\"m\"}]}");
        for (String frame : malformed) {
            try (RawWorker worker = RawWorker.connectAndHello(port, token, "w-bad", 1, "[{\"id\":\"logger\"}]")) {
                worker.send(frame);
                JsonNode answer = worker.next(WAIT);
                assertEquals("error", answer.path("type").asText(), () -> "for " + frame + ": " + answer);
                assertTrue(answer.path("message").asText().startsWith("logs"), () -> "names the message: " + answer);
                assertTrue(worker.awaitClosed(WAIT), () -> "closed after " + frame);
            }
        }
        // a worker that never sends logs (any worker before them) is served as before
        try (RawWorker worker = RawWorker.connectAndHello(port, token, "w-old", 1, "[{\"id\":\"logger\"}]")) {
            String runId = trigger("logger");
            String attemptId = worker.expect("execute").path("attemptId").asText();
            worker.send("{\"type\":\"completed\",\"attemptId\":\"" + attemptId + "\",\"output\":null}");
            awaitRun(runId, state -> state.status() == RunStatus.COMPLETED);
        }
    }

    // ---------------------------------------------------------------- helpers

    private static String logs(String... lines) {
        return "{\"type\":\"logs\",\"lines\":[" + String.join(",", lines) + "]}";
    }

    private static String line(String attemptId, String level, String message, String attributes, String error) {
        return "{\"attemptId\":\"" + attemptId + "\",\"timestamp\":\"2026-12-06T10:00:00Z\",\"level\":\"" + level
                + "\",\"message\":\"" + message + "\""
                + (attributes == null ? "" : ",\"attributes\":" + attributes)
                + (error == null ? "" : ",\"error\":" + error) + "}";
    }

    private String trigger(String taskId) throws Exception {
        return node.engine()
                .runs()
                .trigger(environment.id(), TriggerRequest.of(taskId, "{}"))
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS)
                .run()
                .runId();
    }

    private void awaitRun(String runId, java.util.function.Predicate<RunState> condition) throws Exception {
        awaitTrue(() -> {
            try {
                return condition.test(node.engine()
                        .runs()
                        .get(environment.id(), runId)
                        .toCompletableFuture()
                        .get(10, TimeUnit.SECONDS)
                        .orElseThrow());
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    private List<StoredLogLine> awaitLines(String runId, int count) {
        awaitTrue(() -> store.read(environment.id(), runId, null, null, 0, 100).size() >= count);
        return store.read(environment.id(), runId, null, null, 0, 100);
    }

    private static void awaitTrue(Supplier<Boolean> condition) {
        Instant deadline = Instant.now().plus(WAIT);
        while (!condition.get()) {
            if (Instant.now().isAfter(deadline)) throw new AssertionError("timed out");
            TestNode.sleep(Duration.ofMillis(50));
        }
    }
}
