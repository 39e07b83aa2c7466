package dev.baton.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.http.javadsl.Http;
import akka.http.javadsl.ServerBinding;
import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.engine.common.Ids;
import dev.baton.engine.environment.CredentialKind;
import dev.baton.engine.environment.Environment;
import dev.baton.engine.run.RunState;
import dev.baton.engine.run.RunStatus;
import dev.baton.engine.run.TriggerRequest;
import dev.baton.engine.task.TaskDefinition;
import dev.baton.engine.testkit.TestNode;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The worker protocol keeps environments apart: a worker token opens one environment, whose runs only its workers
 * receive, and a worker cannot start, complete or annotate an attempt it was not handed, even knowing its id.
 */
class WorkerIsolationTest {

    private static final String TASKS = "[{\"id\":\"shared-task\"}]";

    private static TestNode node;
    private static ServerBinding binding;
    private static int port;

    @BeforeAll
    static void start() throws Exception {
        node = TestNode.start("worker-isolation-test");
        binding = Http.get(node.system())
                .newServerAt("127.0.0.1", 0)
                .bind(new WorkerGateway(node.system(), node.engine(), node.directory()).route())
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
        port = binding.localAddress().getPort();
    }

    @AfterAll
    static void stop() throws Exception {
        binding.unbind().toCompletableFuture().get(10, TimeUnit.SECONDS);
        node.close();
    }

    @Test
    void aWorkerOfAnotherEnvironmentNeitherReceivesNorCompletesARun() throws Exception {
        String tokenA = "bw_dev_" + Ids.random(32);
        String tokenB = "bw_dev_" + Ids.random(32);
        Environment a = node.createEnvironment("iso-a-" + Ids.random(6), "dev", "tr_dev_" + Ids.random(32), tokenA);
        node.createEnvironment("iso-b-" + Ids.random(6), "dev", "tr_dev_" + Ids.random(32), tokenB);

        // Only A declares the task: the intruder's declaration of the same id stays in B's catalog.
        node.engine()
                .declareTasks(a.id(), List.of(new TaskDefinition("shared-task", null, null, null, null)))
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
        try (RawWorker intruder = RawWorker.connectAndHello(port, tokenB, "intruder", 4, TASKS)) {
            String runId = node.engine()
                    .runs()
                    .trigger(a.id(), TriggerRequest.builder("shared-task").build())
                    .toCompletableFuture()
                    .get(10, TimeUnit.SECONDS)
                    .run()
                    .runId();
            assertTrue(
                    intruder.poll(Duration.ofSeconds(2)).isEmpty(),
                    "a worker of environment B must not receive environment A's run");

            try (RawWorker owner = RawWorker.connectAndHello(port, tokenA, "owner", 1, TASKS)) {
                JsonNode execute = owner.expect("execute");
                assertEquals(runId, execute.path("runId").asText());
                String attemptId = execute.path("attemptId").asText();

                for (String forged : new String[] {
                    "{\"type\":\"started\",\"attemptId\":\"%s\"}",
                    "{\"type\":\"metadata\",\"attemptId\":\"%s\",\"requestId\":\"m1\",\"operations\":[]}",
                    "{\"type\":\"completed\",\"attemptId\":\"%s\",\"output\":{\"by\":\"intruder\"}}"
                }) {
                    intruder.send(forged.formatted(attemptId));
                    JsonNode answer = intruder.next(Duration.ofSeconds(10));
                    assertEquals("rejected", answer.path("type").asText(), answer.toString());
                }
                assertEquals(RunStatus.DEQUEUED, run(a, runId).status(), "the intruder did not even start it");

                owner.send("{\"type\":\"started\",\"attemptId\":\"" + attemptId + "\"}");
                owner.send(
                        "{\"type\":\"completed\",\"attemptId\":\"" + attemptId + "\",\"output\":{\"by\":\"owner\"}}");
                Optional<RunState> done = awaitCompleted(a, runId);
                assertTrue(done.isPresent());
                assertTrue(done.get().outputJson().contains("owner"), done.get().outputJson());
            }
        }
    }

    @Test
    void aRevokedWorkerTokenEndsItsOpenConnection() throws Exception {
        String token = "bw_dev_" + Ids.random(32);
        Environment environment =
                node.createEnvironment("iso-revoke-" + Ids.random(6), "dev", "tr_dev_" + Ids.random(32), token);
        try (RawWorker worker = RawWorker.connectAndHello(port, token, "revoked", 1, TASKS)) {
            node.directory().replaceCredential(environment, CredentialKind.WORKER_TOKEN, "bw_dev_" + Ids.random(32));
            JsonNode error = worker.next(Duration.ofSeconds(10));
            assertEquals("error", error.path("type").asText(), error.toString());
            assertTrue(error.path("message").asText().contains("revoked"), error.toString());
            assertTrue(worker.awaitClosed(Duration.ofSeconds(10)), "the gateway closes the connection");
        }
    }

    private static RunState run(Environment environment, String runId) throws Exception {
        return node.engine()
                .runs()
                .get(environment.id(), runId)
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS)
                .orElseThrow();
    }

    private static Optional<RunState> awaitCompleted(Environment environment, String runId) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (System.nanoTime() < deadline) {
            RunState state = run(environment, runId);
            if (state.status() == RunStatus.COMPLETED) return Optional.of(state);
            TestNode.sleep(Duration.ofMillis(50));
        }
        return Optional.empty();
    }
}
