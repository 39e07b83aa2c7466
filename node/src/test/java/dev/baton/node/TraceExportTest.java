package dev.baton.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import dev.baton.sdk.client.BatonClient;
import dev.baton.sdk.client.Run;
import dev.baton.sdk.client.RunStatus;
import dev.baton.sdk.task.RetryPolicy;
import dev.baton.sdk.task.Task;
import dev.baton.sdk.worker.BatonWorker;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodyHandlers;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A node with {@code baton.traces.export.endpoint} set sends every finished run's trace over OTLP/HTTP with
 * opentelemetry-java's exporter. The collector here is a second node's OTLP receiver (a real one, on its own
 * database): it ends up holding exactly the spans the first node draws for the run, with the same parents.
 */
class TraceExportTest {

    private static final String COLLECTOR_KEY = "tr_dev_sk_traceExportCollector01";

    @Test
    void aFinishedRunsTraceReachesTheCollector() throws Exception {
        String collectorDb = TestNodes.freshPostgresSchema("collector");
        BatonNode collector = TestNodes.start(
                "collector",
                ConfigFactory.parseMap(Map.of("baton.bootstrap.secret-key", COLLECTOR_KEY))
                        .withFallback(TestNodes.postgresConfig(collectorDb)));
        BatonNode node = null;
        BatonWorker worker = null;
        try {
            node = TestNodes.start(
                    "exporting",
                    ConfigFactory.parseMap(Map.of(
                                    "baton.traces.export.endpoint",
                                    "http://127.0.0.1:" + collector.httpPort() + "/otel",
                                    "baton.traces.export.headers",
                                    "authorization=Bearer " + COLLECTOR_KEY,
                                    "baton.traces.export.group-after-duration",
                                    "100ms"))
                            .withFallback(TestNodes.postgresConfig(TestNodes.freshPostgresSchema("exporting"))));
            Task<Map, Map> flaky = Task.<Map, Map>define("exported", Map.class, (payload, ctx) -> {
                        if (ctx.attemptNumber() == 1) throw new IllegalStateException("first attempt fails");
                        return Map.of();
                    })
                    .retry(RetryPolicy.attempts(2))
                    .build();
            worker = BatonWorker.builder(HappyPathScenario.url(node), TestNodes.WORKER_TOKEN)
                    .register(flaky)
                    .build();
            worker.start();
            assertTrue(worker.awaitConnected(Duration.ofSeconds(30)));
            BatonClient client = HappyPathScenario.client(node);
            Run run = client.poll(client.trigger("exported", Map.of()).id(), Duration.ofSeconds(60));
            assertEquals(RunStatus.COMPLETED, run.status());

            JsonNode trace = new ObjectMapper()
                    .readTree(HttpClient.newHttpClient()
                            .send(
                                    HttpRequest.newBuilder(HappyPathScenario.url(node)
                                                    .resolve("/api/v1/runs/" + run.id() + "/trace"))
                                            .header("authorization", "Bearer " + TestNodes.SECRET_KEY)
                                            .build(),
                                    BodyHandlers.ofString())
                            .body());
            Map<String, String> drawn = new HashMap<>(); // span id → parent span id ("" for the root)
            trace.get("spans")
                    .forEach(span -> drawn.put(
                            span.get("spanId").asText(),
                            span.path("parentSpanId").asText("")));
            assertTrue(drawn.size() >= 5, "run, queued, attempt 1, retry backoff, queued, attempt 2: " + trace);

            Map<String, String> received = new HashMap<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (received.size() < drawn.size() && System.nanoTime() < deadline) {
                received = receivedSpans(collectorDb, trace.get("traceId").asText());
                Thread.sleep(200);
            }
            assertEquals(drawn, received, "the collector holds the run's spans with their parents");
        } finally {
            if (worker != null) worker.close();
            if (node != null) TestNodes.stop(node);
            TestNodes.stop(collector);
        }
    }

    private static Map<String, String> receivedSpans(String jdbcUrl, String traceId) throws Exception {
        Map<String, String> spans = new HashMap<>();
        try (Connection connection = DriverManager.getConnection(jdbcUrl, TestNodes.user(), TestNodes.password());
                PreparedStatement select = connection.prepareStatement(
                        "SELECT span_id, parent_span_id FROM baton_spans WHERE trace_id = ?")) {
            select.setString(1, traceId);
            try (ResultSet result = select.executeQuery()) {
                while (result.next()) {
                    String parent = result.getString(2);
                    spans.put(result.getString(1), parent == null ? "" : parent);
                }
            }
        }
        return spans;
    }
}
