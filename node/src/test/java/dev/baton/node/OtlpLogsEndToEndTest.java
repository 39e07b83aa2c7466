package dev.baton.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.common.v1.KeyValueList;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.opentelemetry.proto.resource.v1.Resource;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Log records a worker exports over OTLP/HTTP ({@code POST /otel/v1/logs}) on a real node (PostgreSQL), with a Java
 * SDK worker running the runs they name: stored before the answer, under the attempt they name, and read back through
 * {@code GET /api/v1/runs/{id}/logs} (and its follow stream) with their level, attributes and error. A record naming
 * no run, an attempt the run does not have, or a run of another environment is refused in {@code partialSuccess}.
 */
class OtlpLogsEndToEndTest {

    private static final String ADMIN_TOKEN = "tr_pat_otlp_logs_test_admin_token_01234567";
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The attempt ids the handler saw, by run id and attempt number. */
    private static final Map<String, String> ATTEMPTS = new ConcurrentHashMap<>();

    private static final CountDownLatch RELEASE_HELD = new CountDownLatch(1);
    private static final CountDownLatch HELD_STARTED = new CountDownLatch(1);

    private static BatonNode node;
    private static BatonWorker worker;
    private static String otherKey;

    @BeforeAll
    static void start() throws Exception {
        // A follower wakes only on a notice here (not every 2 s), so the follow test shows the receiver publishes one.
        node = TestNodes.start(
                "otlp-logs",
                ConfigFactory.parseMap(
                                Map.of("baton.bootstrap.admin-token", ADMIN_TOKEN, "baton.logs.follow-interval", "1h"))
                        .withFallback(TestNodes.postgresConfig(TestNodes.freshPostgresSchema("otlplogs"))));
        Task<Map, Map> retried = Task.<Map, Map>define("otlp-retried", Map.class, (payload, ctx) -> {
                    ATTEMPTS.put(ctx.runId() + "/" + ctx.attemptNumber(), ctx.attemptId());
                    if (ctx.attemptNumber() == 1) throw new IllegalStateException("first attempt fails");
                    return Map.of();
                })
                .retry(new RetryPolicy(2, 1, 100, 100, false))
                .build();
        Task<Map, Map> held = Task.<Map, Map>define("otlp-held", Map.class, (payload, ctx) -> {
                    ATTEMPTS.put(ctx.runId() + "/" + ctx.attemptNumber(), ctx.attemptId());
                    HELD_STARTED.countDown();
                    if (!RELEASE_HELD.await(60, TimeUnit.SECONDS)) throw new IllegalStateException("never released");
                    return Map.of();
                })
                .build();
        worker = BatonWorker.builder(HappyPathScenario.url(node), TestNodes.WORKER_TOKEN)
                .slots(2)
                .register(retried)
                .register(held)
                .build();
        worker.start();
        assertTrue(worker.awaitConnected(Duration.ofSeconds(30)), "the worker connects");

        otherKey = TestNodes.otherEnvironment(node, ADMIN_TOKEN).secretKey();
    }

    @AfterAll
    static void stop() {
        RELEASE_HELD.countDown();
        if (worker != null) worker.close();
        if (node != null) TestNodes.stop(node);
    }

    @Test
    void aRecordedJsonExportComesBackAsTheRunsLinesInOrder() throws Exception {
        String runId = finishedRetriedRun();
        // Recorded from @opentelemetry/exporter-logs-otlp-http 0.219.0 (compat/trigger-sdk's pin) with the attributes
        // the Trigger.dev SDK 4.8.3 adds: $metadata.ctx.run.id, $metadata.ctx.attempt.number (1),
        // $metadata.ctx.task.id.
        String recorded;
        try (InputStream in = OtlpLogsEndToEndTest.class.getResourceAsStream("/otlp/logs-export-recorded.json")) {
            recorded = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        HttpResponse<String> exported = post(
                TestNodes.SECRET_KEY,
                "application/json",
                recorded.replace("RUN_ID", runId).getBytes());
        assertEquals(200, exported.statusCode(), exported.body());
        assertEquals("{}", exported.body(), "every record was taken");

        List<JsonNode> lines = lines(runId, "");
        assertEquals(
                List.of("charging card", "card expires soon", "charge failed"),
                lines.stream().map(line -> line.get("message").asText()).toList());
        assertEquals(
                List.of("info", "warn", "error"),
                lines.stream().map(line -> line.get("level").asText()).toList());
        for (JsonNode line : lines) {
            assertEquals(1, line.get("attemptNumber").asInt(), line.toString());
            assertEquals(
                    ATTEMPTS.get(runId + "/1"), line.get("attemptId").asText(), "attempt 1's id, from the journal");
        }
        assertEquals("2026-12-06T10:00:00.123Z", lines.get(0).get("timestamp").asText());
        assertEquals(
                JSON.readTree("{\"orderId\":\"o-7\",\"cents\":250}"),
                lines.get(0).get("attributes"),
                "the task context ($metadata.ctx.*) is not kept as attributes");
        assertEquals(JSON.readTree("{\"retries\":[1,2]}"), lines.get(1).get("attributes"));
        JsonNode error = lines.get(2).get("error");
        assertEquals("CardDeclined", error.get("name").asText());
        assertEquals("card declined", error.get("message").asText());
        assertTrue(error.get("stackTrace").asText().contains("at charge (task.ts:12:9)"), error.toString());
        assertEquals(JSON.createObjectNode(), lines.get(2).get("attributes"), "exception.* went into the error");
    }

    @Test
    void aProtobufExportIsAttributedByItsResourceAndRefusesAnAttemptTheRunNeverHad() throws Exception {
        String runId = finishedRetriedRun();
        long at = 1_796_551_200_000_000_000L;
        ExportLogsServiceRequest request = ExportLogsServiceRequest.newBuilder()
                .addResourceLogs(ResourceLogs.newBuilder()
                        .setResource(Resource.newBuilder().addAttributes(attribute("ctx.run.id", text(runId))))
                        .addScopeLogs(ScopeLogs.newBuilder()
                                // no attempt named: the run's latest, attempt 2
                                .addLogRecords(LogRecord.newBuilder()
                                        .setTimeUnixNano(at)
                                        .setSeverityText("WARNING")
                                        .setBody(AnyValue.newBuilder()
                                                .setKvlistValue(KeyValueList.newBuilder()
                                                        .addValues(attribute("step", text("ship"))))))
                                .addLogRecords(LogRecord.newBuilder()
                                        .setObservedTimeUnixNano(at + 1_000_000)
                                        .setSeverityNumberValue(5)
                                        .setBody(text("by attempt 1"))
                                        .addAttributes(attribute(
                                                "ctx.attempt.number",
                                                AnyValue.newBuilder()
                                                        .setIntValue(1)
                                                        .build())))
                                .addLogRecords(LogRecord.newBuilder()
                                        .setTimeUnixNano(at + 2_000_000)
                                        .setSeverityNumberValue(21)
                                        .setBody(text("from an attempt that never was"))
                                        .addAttributes(attribute(
                                                "ctx.attempt.number",
                                                AnyValue.newBuilder()
                                                        .setIntValue(7)
                                                        .build())))))
                .build();
        HttpResponse<byte[]> exported = HTTP.send(
                HttpRequest.newBuilder(uri("/otel/v1/logs"))
                        .header("authorization", "Bearer " + TestNodes.SECRET_KEY)
                        .header("content-type", "application/x-protobuf")
                        .POST(BodyPublishers.ofByteArray(request.toByteArray()))
                        .build(),
                BodyHandlers.ofByteArray());
        assertEquals(200, exported.statusCode());
        assertTrue(exported.headers().firstValue("content-type").orElse("").startsWith("application/x-protobuf"));
        ExportLogsServiceResponse answer = ExportLogsServiceResponse.parseFrom(exported.body());
        assertEquals(1, answer.getPartialSuccess().getRejectedLogRecords());
        assertTrue(
                answer.getPartialSuccess().getErrorMessage().contains("attempt"),
                answer.getPartialSuccess().getErrorMessage());

        List<JsonNode> lines = lines(runId, "");
        assertEquals(2, lines.size(), lines.toString());
        assertEquals("{\"step\":\"ship\"}", lines.get(0).get("message").asText(), "a map body as its JSON");
        assertEquals("warn", lines.get(0).get("level").asText(), "from the severity text");
        assertEquals(2, lines.get(0).get("attemptNumber").asInt());
        assertEquals(ATTEMPTS.get(runId + "/2"), lines.get(0).get("attemptId").asText());
        assertEquals("by attempt 1", lines.get(1).get("message").asText());
        assertEquals("debug", lines.get(1).get("level").asText());
        assertEquals(ATTEMPTS.get(runId + "/1"), lines.get(1).get("attemptId").asText());
        assertEquals("2026-12-06T10:00:00.001Z", lines.get(1).get("timestamp").asText(), "the observed time");
        assertEquals(1, lines(runId, "?attempt=1").size());
    }

    @Test
    void anotherEnvironmentsKeyCannotWriteIntoTheRun() throws Exception {
        String runId = finishedRetriedRun();
        String record = "{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{\"timeUnixNano\":\"1796551200000000000\","
                + "\"severityNumber\":9,\"body\":{\"stringValue\":\"intruder\"},\"attributes\":[{\"key\":\"ctx.run.id\","
                + "\"value\":{\"stringValue\":\"" + runId + "\"}}]},{\"body\":{\"stringValue\":\"nobody's\"}}]}]}]}";
        HttpResponse<String> refused = post(otherKey, "application/json", record.getBytes());
        assertEquals(200, refused.statusCode(), refused.body());
        JsonNode partial = json(refused).get("partialSuccess");
        assertEquals(2, partial.get("rejectedLogRecords").asInt(), partial.toString());
        assertTrue(partial.get("errorMessage").asText().contains("ctx.run.id"), "the first refusal: no run named");
        assertEquals(List.of(), lines(runId, ""), "nothing was written into the run");

        // The run's own key writes the same record; the one naming no run is still refused.
        HttpResponse<String> taken = post(TestNodes.SECRET_KEY, "application/json", record.getBytes());
        assertEquals(1, json(taken).at("/partialSuccess/rejectedLogRecords").asInt(), taken.body());
        assertEquals(1, lines(runId, "").size());

        assertEquals(
                415, post(TestNodes.SECRET_KEY, "text/plain", record.getBytes()).statusCode());
        assertEquals(
                400,
                post(TestNodes.SECRET_KEY, "application/json", "[1]".getBytes()).statusCode());
        assertEquals(
                401,
                HTTP.send(
                                HttpRequest.newBuilder(uri("/otel/v1/logs"))
                                        .header("content-type", "application/json")
                                        .POST(BodyPublishers.ofString(record))
                                        .build(),
                                BodyHandlers.ofString())
                        .statusCode());
    }

    @Test
    void aFollowerOfARunningRunSeesExportedLinesAtOnce() throws Exception {
        BatonClient client = HappyPathScenario.client(node);
        String runId = client.trigger("otlp-held", Map.of()).id();
        assertTrue(HELD_STARTED.await(30, TimeUnit.SECONDS), "the handler runs");
        HttpResponse<Stream<String>> follow = HTTP.send(
                HttpRequest.newBuilder(uri("/api/v1/runs/" + runId + "/logs?follow=true"))
                        .header("authorization", "Bearer " + TestNodes.SECRET_KEY)
                        .build(),
                BodyHandlers.ofLines());
        assertEquals(200, follow.statusCode());
        Thread.sleep(500); // the follower's first read (of nothing yet) is done: what comes next must be woken
        String record = "{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{\"severityNumber\":9,"
                + "\"body\":{\"stringValue\":\"while it runs\"},\"attributes\":[{\"key\":\"ctx.run.id\","
                + "\"value\":{\"stringValue\":\"" + runId + "\"}}]}]}]}]}";
        assertEquals(
                "{}",
                post(TestNodes.SECRET_KEY, "application/json", record.getBytes())
                        .body());
        List<String> seen = new ArrayList<>();
        Thread reader = new Thread(() ->
                follow.body().takeWhile(line -> !line.contains("while it runs")).forEach(seen::add));
        reader.start();
        // The follow interval is an hour: only the receiver's notice can wake the follower this soon.
        reader.join(10_000);
        assertFalse(reader.isAlive(), "the follower got the line at once: " + seen);
        RELEASE_HELD.countDown();
        JsonNode line = lines(runId, "").get(0);
        assertEquals(ATTEMPTS.get(runId + "/1"), line.get("attemptId").asText(), "the running attempt");
        assertEquals(1, line.get("attemptNumber").asInt());
    }

    private static String finishedRetriedRun() throws Exception {
        BatonClient client = HappyPathScenario.client(node);
        Run run = client.poll(client.trigger("otlp-retried", Map.of()).id(), Duration.ofSeconds(60));
        assertEquals(RunStatus.COMPLETED, run.status());
        return run.id();
    }

    private static List<JsonNode> lines(String runId, String query) throws Exception {
        HttpResponse<String> page = send("GET", "/api/v1/runs/" + runId + "/logs" + query, TestNodes.SECRET_KEY, null);
        assertEquals(200, page.statusCode(), page.body());
        List<JsonNode> lines = new ArrayList<>();
        json(page).get("data").forEach(lines::add);
        return lines;
    }

    private static KeyValue attribute(String key, AnyValue value) {
        return KeyValue.newBuilder().setKey(key).setValue(value).build();
    }

    private static AnyValue text(String value) {
        return AnyValue.newBuilder().setStringValue(value).build();
    }

    private static HttpResponse<String> post(String key, String contentType, byte[] body) throws Exception {
        return HTTP.send(
                HttpRequest.newBuilder(uri("/otel/v1/logs"))
                        .header("authorization", "Bearer " + key)
                        .header("content-type", contentType)
                        .POST(BodyPublishers.ofByteArray(body))
                        .build(),
                BodyHandlers.ofString());
    }

    private static HttpResponse<String> send(String method, String path, String key, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(30));
        request.header("Authorization", "Bearer " + key);
        if (body != null) request.header("Content-Type", "application/json");
        return HTTP.send(
                request.method(method, body == null ? BodyPublishers.noBody() : BodyPublishers.ofString(body))
                        .build(),
                BodyHandlers.ofString());
    }

    private static URI uri(String path) {
        return URI.create("http://127.0.0.1:" + node.httpPort() + path);
    }

    private static JsonNode json(HttpResponse<String> response) throws Exception {
        return JSON.readTree(response.body());
    }
}
