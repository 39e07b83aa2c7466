package dev.baton.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.Done;
import akka.actor.CoordinatedShutdown;
import com.typesafe.config.ConfigFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * {@code /ready} on the API port and on Akka Management's: ready once the node is Up and its journal and read model
 * answer, and not ready as soon as coordinated shutdown begins, while the node still serves (a load balancer then
 * drains it before the port closes). The database being down is PostgresOutageFaultTest's (loadtest).
 */
class ReadinessTest {

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @Test
    void readyWhenUpAndNotReadyOnceShutdownBegins() throws Exception {
        BatonNode node = TestNodes.start(
                "readiness",
                ConfigFactory.parseMap(Map.of(
                                "baton.management.enabled",
                                true,
                                "akka.management.http.hostname",
                                "127.0.0.1",
                                "akka.management.http.port",
                                0))
                        .withFallback(TestNodes.postgresConfig(TestNodes.freshPostgresSchema("readiness"))));
        URI api = HappyPathScenario.url(node).resolve("/ready");
        URI management = node.metricsUri().orElseThrow().resolve("/ready");
        CompletableFuture<Done> drained = new CompletableFuture<>();
        try {
            HttpResponse<String> ready = get(api);
            assertEquals(200, ready.statusCode(), ready.body());
            assertEquals("{\"status\":\"ready\"}", ready.body());
            assertEquals(200, get(management).statusCode());

            // Shutdown waits in its first phase until the test saw the node not ready.
            CoordinatedShutdown shutdown = CoordinatedShutdown.get(node.system());
            shutdown.addTask(CoordinatedShutdown.PhaseBeforeServiceUnbind(), "readiness-test", () -> drained);
            shutdown.run(CoordinatedShutdown.unknownReason());
            HttpResponse<String> draining = get(api);
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (draining.statusCode() == 200 && System.nanoTime() < deadline) {
                Thread.sleep(50);
                draining = get(api);
            }
            assertEquals(503, draining.statusCode(), draining.body());
            assertTrue(draining.body().contains("\"failing\":[\"shutting down\""), draining.body());
            // Akka Management answers a failing check with a 500.
            assertEquals(500, get(management).statusCode(), "Akka Management's /ready agrees");
        } finally {
            drained.complete(Done.getInstance());
            TestNodes.stop(node);
        }
    }

    private static HttpResponse<String> get(URI uri) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(uri).build(), BodyHandlers.ofString());
    }
}
