package dev.baton.api.otel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.api.ApiTestServer;
import dev.baton.engine.metrics.BatonMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse;
import io.opentelemetry.proto.metrics.v1.Gauge;
import io.opentelemetry.proto.metrics.v1.Histogram;
import io.opentelemetry.proto.metrics.v1.HistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code POST /otel/v1/metrics} on a real port: Baton keeps no metrics, so an export is answered with OTLP's partial
 * success rejecting every data point (JSON and protobuf), the points are counted in a meter, and the key is required
 * as on the other receivers.
 */
class OtlpMetricsRoutesTest {

    private static final String KEY = "tr_dev_otlp_metrics";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final String DROPPED = "baton.otel.metrics.data.points.dropped";

    private static ApiTestServer server;
    private static SimpleMeterRegistry meters;

    @BeforeAll
    static void start() throws Exception {
        server = ApiTestServer.start("OtlpMetricsRoutesTest");
        server.environment("otlp-metrics", "dev", KEY);
        meters = new SimpleMeterRegistry();
        BatonMetrics.get(server.node().system()).registry().add(meters);
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    @Test
    void aJsonExportIsAnsweredWithEveryDataPointRejectedAndCounted() throws Exception {
        double before = dropped();
        // The shape @opentelemetry/exporter-metrics-otlp-http sends (a gauge, a sum and a histogram; 4 points).
        String export = """
                {"resourceMetrics":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"trigger.dev"}}]},
                 "scopeMetrics":[{"scope":{"name":"host-metrics"},"metrics":[
                  {"name":"system.cpu.utilization","gauge":{"dataPoints":[
                    {"timeUnixNano":"1765000000000000000","asDouble":0.25},
                    {"timeUnixNano":"1765000000000000000","asDouble":0.5}]}},
                  {"name":"process.memory.usage","sum":{"aggregationTemporality":2,"isMonotonic":false,"dataPoints":[
                    {"timeUnixNano":"1765000000000000000","asInt":"1048576"}]}},
                  {"name":"task.duration","histogram":{"aggregationTemporality":2,"dataPoints":[
                    {"timeUnixNano":"1765000000000000000","count":"1","sum":12.5,"bucketCounts":["1"],"explicitBounds":[]}]}}
                 ]}]}]}""";
        HttpResponse<String> answer = post(KEY, "application/json", export.getBytes());
        assertEquals(200, answer.statusCode(), answer.body());
        JsonNode partial = JSON.readTree(answer.body()).get("partialSuccess");
        assertEquals(4, partial.get("rejectedDataPoints").asLong());
        assertEquals(OtlpMetrics.NOT_KEPT, partial.get("errorMessage").asText());
        assertEquals(before + 4, dropped());

        HttpResponse<String> empty = post(KEY, "application/json", "{\"resourceMetrics\":[]}".getBytes());
        assertEquals(200, empty.statusCode(), empty.body());
        assertEquals("{}", empty.body(), "nothing to reject: a full success");
    }

    @Test
    void aProtobufExportIsAnsweredInProtobuf() throws Exception {
        double before = dropped();
        ExportMetricsServiceRequest export = ExportMetricsServiceRequest.newBuilder()
                .addResourceMetrics(ResourceMetrics.newBuilder()
                        .addScopeMetrics(ScopeMetrics.newBuilder()
                                .addMetrics(Metric.newBuilder()
                                        .setName("system.cpu.utilization")
                                        .setGauge(Gauge.newBuilder()
                                                .addDataPoints(NumberDataPoint.newBuilder()
                                                        .setAsDouble(0.5))))
                                .addMetrics(Metric.newBuilder()
                                        .setName("task.duration")
                                        .setHistogram(Histogram.newBuilder()
                                                .addDataPoints(HistogramDataPoint.newBuilder()
                                                        .setCount(1))
                                                .addDataPoints(HistogramDataPoint.newBuilder()
                                                        .setCount(2))))))
                .build();
        HttpResponse<byte[]> answer = HTTP.send(
                request(KEY, "application/x-protobuf", export.toByteArray()), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, answer.statusCode());
        ExportMetricsServiceResponse response = ExportMetricsServiceResponse.parseFrom(answer.body());
        assertEquals(3, response.getPartialSuccess().getRejectedDataPoints());
        assertEquals(OtlpMetrics.NOT_KEPT, response.getPartialSuccess().getErrorMessage());
        assertEquals(before + 3, dropped());
    }

    @Test
    void theKeyTheContentTypeAndTheBodyAreCheckedAsOnTheOtherReceivers() throws Exception {
        assertEquals(
                401, post("tr_dev_unknown", "application/json", "{}".getBytes()).statusCode());
        assertEquals(415, post(KEY, "text/plain", "{}".getBytes()).statusCode());
        assertEquals(400, post(KEY, "application/json", "{not json".getBytes()).statusCode());
        assertEquals(
                400,
                post(KEY, "application/x-protobuf", new byte[] {(byte) 0xff, 1, 2})
                        .statusCode());
    }

    private static double dropped() {
        return meters.get(DROPPED).counter().count();
    }

    private static HttpResponse<String> post(String key, String contentType, byte[] body) throws Exception {
        return HTTP.send(request(key, contentType, body), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpRequest request(String key, String contentType, byte[] body) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/otel/v1/metrics"))
                .header("Authorization", "Bearer " + key)
                .header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build();
    }
}
