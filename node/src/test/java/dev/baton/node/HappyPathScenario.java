package dev.baton.node;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.baton.examples.ExampleTasks;
import dev.baton.sdk.client.BatonClient;
import dev.baton.sdk.client.Run;
import dev.baton.sdk.client.RunStatus;
import dev.baton.sdk.worker.BatonWorker;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The walking skeleton's promise, store-independent: runs triggered over HTTP are executed by a
 * remote worker through the gateway, complete with the right outputs, and read back identically
 * from a restarted node (which also proves the schema bootstrap is idempotent).
 */
final class HappyPathScenario {

    private HappyPathScenario() {}

    static URI url(BatonNode node) {
        return URI.create("http://127.0.0.1:" + node.httpPort());
    }

    static BatonClient client(BatonNode node) {
        return BatonClient.builder(url(node), TestNodes.SECRET_KEY).build();
    }

    static BatonWorker worker(BatonNode node, int slots) {
        BatonWorker worker = BatonWorker.builder(url(node), TestNodes.WORKER_TOKEN)
                .slots(slots)
                .register(ExampleTasks.helloWorld())
                .register(ExampleTasks.sleep())
                .register(ExampleTasks.fail())
                .build();
        worker.start();
        if (!worker.awaitConnected(Duration.ofSeconds(30))) throw new AssertionError("worker did not connect");
        return worker;
    }

    /** Triggers {@code count} hello-world runs (16 in flight), waits for all, returns them in trigger order. */
    static List<Run> triggerAndComplete(BatonNode node, int count) throws Exception {
        BatonClient client = client(node);
        ExecutorService callers = Executors.newFixedThreadPool(16);
        try {
            List<CompletableFuture<Run>> runs = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                String name = "caller-" + i;
                runs.add(CompletableFuture.supplyAsync(
                        () -> {
                            String id = client.trigger("hello-world", Map.of("name", name))
                                    .id();
                            return client.poll(id, Duration.ofSeconds(120));
                        },
                        callers));
            }
            List<Run> completed = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                Run run = runs.get(i).get();
                assertEquals(RunStatus.COMPLETED, run.status(), () -> "run " + run.id() + " " + run.error());
                assertEquals(
                        "Hello, caller-" + i + "!", run.output().get("greeting").asText());
                assertEquals(1, run.attemptCount());
                completed.add(run);
            }
            return completed;
        } finally {
            callers.shutdownNow();
        }
    }

    static void assertReadBackIdentically(BatonNode restarted, List<Run> before) {
        BatonClient client = client(restarted);
        for (Run run : before) {
            assertEquals(run, client.retrieve(run.id()), "run " + run.id() + " after restart");
        }
    }
}
