package dev.baton.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.CoordinatedShutdown;
import com.typesafe.config.ConfigFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code /ready} on the API port and on Akka Management's: ready once the node is Up and its journal and read model
 * answer, and not ready as soon as coordinated shutdown begins, while the node still serves (a load balancer then
 * drains it before the port closes). The database being down is PostgresOutageFaultTest's (loadtest).
 */
class ReadinessTest {

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
                                0,
                                "baton.node.http.shutdown-drain",
                                "10s"))
                        .withFallback(TestNodes.postgresConfig(TestNodes.freshPostgresSchema("readiness"))));
        URI api = HappyPathScenario.url(node).resolve("/ready");
        URI management = node.metricsUri().orElseThrow().resolve("/ready");
        try {
            HttpResponse<String> ready = get(api);
            assertEquals(200, ready.statusCode(), ready.body());
            assertEquals("{\"status\":\"ready\"}", ready.body());
            assertEquals(200, get(management).statusCode());

            // The configured drain keeps the port open, answering not ready, before it unbinds: without it the port
            // is closed well before this request (it unbinds in the shutdown's first phases, within milliseconds).
            CoordinatedShutdown.get(node.system()).run(CoordinatedShutdown.unknownReason());
            Thread.sleep(2_000);
            HttpResponse<String> draining = get(api);
            assertEquals(503, draining.statusCode(), draining.body());
            assertTrue(draining.body().contains("\"failing\":[\"shutting down\""), draining.body());
            // Akka Management answers a failing check with a 500.
            assertEquals(500, get(management).statusCode(), "Akka Management's /ready agrees");
        } finally {
            TestNodes.stop(node);
        }
    }

    /** On a new connection each time: an open one is served until the termination deadline, even once unbound. */
    private static HttpResponse<String> get(URI uri) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(uri).build(), BodyHandlers.ofString());
    }
}
