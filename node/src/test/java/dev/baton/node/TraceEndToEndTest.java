package dev.baton.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import dev.baton.sdk.client.BatonClient;
import dev.baton.sdk.client.Run;
import dev.baton.sdk.client.RunStatus;
import dev.baton.sdk.task.ChildResult;
import dev.baton.sdk.task.RetryPolicy;
import dev.baton.sdk.task.Task;
import dev.baton.sdk.worker.BatonWorker;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A run's trace through the API on a real node (PostgreSQL) with a Java SDK worker: a parent triggered with a
 * {@code traceparent} starts a child that fails once and succeeds; the trace keeps the caller's trace id, hangs the
 * parent under the caller's span, and links run → attempt → wait → child run → its two attempts, with a step and the
 * queue waits in between.
 */
class TraceEndToEndTest {

    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String CALLER_SPAN = "00f067aa0ba902b7";

    /** The traceparent each attempt's handler was given, by run id and attempt number. */
    private static final Map<String, String> HANDED = new java.util.concurrent.ConcurrentHashMap<>();

    private static BatonNode node;
    private static BatonWorker worker;

    @BeforeAll
    static void start() {
        node = TestNodes.start("traces", TestNodes.postgresConfig(TestNodes.freshPostgresSchema("traces")));
        Task<Map, Map> child = Task.<Map, Map>define("traced-child", Map.class, (payload, ctx) -> {
                    HANDED.put(ctx.runId() + "/" + ctx.attemptNumber(), String.valueOf(ctx.traceparent()));
                    if (ctx.attemptNumber() == 1) throw new IllegalStateException("first attempt fails");
                    return Map.of("ok", true);
                })
                .retry(RetryPolicy.attempts(2))
                .build();
        Task<Map, Map> parent = Task.<Map, Map>define("traced-parent", Map.class, (payload, ctx) -> {
                    String prepared = ctx.step("prepare", String.class, () -> "ready");
                    ChildResult result = ctx.triggerAndWait("traced-child", Map.of());
                    return Map.of("prepared", prepared, "child", result.ok());
                })
                .build();
        Task<Map, Map> sleeper = Task.<Map, Map>define("timed", Map.class, (payload, ctx) -> {
                    Thread.sleep(((Number) payload.get("ms")).longValue());
                    return Map.of();
                })
                .build();
        worker = BatonWorker.builder(HappyPathScenario.url(node), TestNodes.WORKER_TOKEN)
                .slots(4)
                .register(parent)
                .register(child)
                .register(sleeper)
                .build();
        worker.start();
        assertTrue(worker.awaitConnected(Duration.ofSeconds(30)), "the worker connects");
    }

    @AfterAll
    static void stop() {
        if (worker != null) worker.close();
        if (node != null) TestNodes.stop(node);
    }

    @Test
    void aTraceLinksTheCallerTheRunsTheirAttemptsAndTheWait() throws Exception {
        HttpResponse<String> triggered = HTTP.send(
                HttpRequest.newBuilder(HappyPathScenario.url(node).resolve("/api/v1/tasks/traced-parent/trigger"))
                        .header("authorization", "Bearer " + TestNodes.SECRET_KEY)
                        .header("content-type", "application/json")
                        .header("traceparent", "00-" + TRACE_ID + "-" + CALLER_SPAN + "-01")
                        .POST(BodyPublishers.ofString("{\"payload\":{}}"))
                        .build(),
                BodyHandlers.ofString());
        assertEquals(200, triggered.statusCode(), triggered.body());
        String parentId = JSON.readTree(triggered.body()).get("id").asText();
        BatonClient client = HappyPathScenario.client(node);
        Run parent = client.poll(parentId, Duration.ofSeconds(60));
        assertEquals(RunStatus.COMPLETED, parent.status(), () -> String.valueOf(parent.error()));

        JsonNode trace =
                JSON.readTree(get("/api/v1/runs/" + parentId + "/trace").body());
        assertEquals(TRACE_ID, trace.get("traceId").asText());
        assertEquals(parentId, trace.get("rootRunId").asText());
        assertEquals(2, trace.get("runIds").size(), trace.toString());
        assertFalse(trace.get("truncated").asBoolean());
        String childId = trace.get("runIds").get(1).asText();

        Map<String, JsonNode> byId = new HashMap<>();
        List<JsonNode> spans = new ArrayList<>();
        trace.get("spans").forEach(span -> {
            byId.put(span.get("spanId").asText(), span);
            spans.add(span);
        });
        JsonNode parentRun = single(spans, "traced-parent");
        assertEquals(CALLER_SPAN, parentRun.get("parentSpanId").asText(), "the run hangs under the caller's span");
        assertEquals("ok", parentRun.get("status").asText());
        // A wait is not a failed attempt: the execution resumed after it is attempt 1 again, with its own span.
        List<JsonNode> parentAttempts = children(spans, parentRun, "attempt 1");
        assertEquals(2, parentAttempts.size(), spans::toString);
        JsonNode parentAttempt = parentAttempts.get(0);
        JsonNode step = child(spans, parentAttempt, "step prepare");
        JsonNode wait = child(spans, parentAttempt, "wait runs");
        assertEquals(childId, wait.at("/attributes/baton.wait.child_run_ids").asText());
        assertTrue(step.get("endTime").asText().compareTo(wait.get("startTime").asText()) <= 0, "the step came first");
        assertTrue(parentAttempts
                        .get(1)
                        .get("startTime")
                        .asText()
                        .compareTo(wait.get("endTime").asText())
                >= 0);

        JsonNode childRun = single(spans, "traced-child");
        assertEquals(
                wait.get("spanId").asText(), childRun.get("parentSpanId").asText(), "the child hangs under the wait");
        JsonNode failed = child(spans, childRun, "attempt 1");
        assertEquals("error", failed.get("status").asText());
        assertTrue(failed.get("statusMessage").asText().contains("first attempt fails"), failed.toString());
        JsonNode secondAttempt = child(spans, childRun, "attempt 2");
        assertEquals("ok", secondAttempt.get("status").asText());
        assertEquals(
                "00-" + TRACE_ID + "-" + secondAttempt.get("spanId").asText() + "-01",
                HANDED.get(childId + "/2"),
                "the handler was given its attempt span's traceparent");
        assertTrue(spans.stream()
                .anyMatch(span -> span.get("name").asText().equals("retry backoff")
                        && span.get("parentSpanId")
                                .asText()
                                .equals(childRun.get("spanId").asText())));
        for (JsonNode span : spans) {
            assertTrue(
                    span.path("endTime")
                                    .asText()
                                    .compareTo(span.get("startTime").asText())
                            >= 0,
                    span::toString);
            if (span == parentRun) continue;
            assertTrue(
                    byId.containsKey(span.get("parentSpanId").asText()), "every other span's parent is drawn: " + span);
        }

        // The child's trace, asked for directly, is the same tree from its root.
        JsonNode fromChild =
                JSON.readTree(get("/api/v1/runs/" + childId + "/trace").body());
        assertEquals(parentId, fromChild.get("rootRunId").asText());
        assertEquals(trace.get("spans").size(), fromChild.get("spans").size());
        assertEquals(404, get("/api/v1/runs/run_doesnotexist/trace").statusCode());
    }

    @Test
    void spansAWorkerExportsOverOtlpJoinTheirRunsTrace() throws Exception {
        BatonClient client = HappyPathScenario.client(node);
        Run run = client.poll(client.trigger("traced-child", Map.of()).id(), Duration.ofSeconds(60));
        JsonNode drawn =
                JSON.readTree(get("/api/v1/runs/" + run.id() + "/trace").body());
        String traceId = drawn.get("traceId").asText();
        String attemptSpan =
                single(asList(drawn.get("spans")), "attempt 2").get("spanId").asText();
        long now = System.currentTimeMillis() * 1_000_000L;

        // OTLP/JSON as the Trigger.dev SDK's exporter writes it: hex ids, times as decimal strings, ctx.* attributes.
        String json = "{\"resourceSpans\":[{\"resource\":{\"attributes\":[{\"key\":\"service.name\","
                + "\"value\":{\"stringValue\":\"trigger.dev\"}}]},\"scopeSpans\":[{\"scope\":{\"name\":\"task\"},"
                + "\"spans\":[{\"traceId\":\"" + traceId + "\",\"spanId\":\"aaaaaaaaaaaaaaa1\",\"parentSpanId\":\""
                + attemptSpan + "\",\"name\":\"fetch prices\",\"kind\":3,\"startTimeUnixNano\":\"" + now
                + "\",\"endTimeUnixNano\":\"" + (now + 5_000_000) + "\",\"attributes\":[{\"key\":\"ctx.run.id\","
                + "\"value\":{\"stringValue\":\"" + run.id() + "\"}},{\"key\":\"http.status_code\",\"value\":"
                + "{\"intValue\":\"200\"}}],\"status\":{\"code\":0}},{\"traceId\":\"" + traceId + "\","
                + "\"spanId\":\"aaaaaaaaaaaaaaa2\",\"name\":\"orphan\",\"startTimeUnixNano\":\"" + now
                + "\",\"endTimeUnixNano\":\"" + now + "\"}]}]}]}";
        HttpResponse<String> exported = post("/otel/v1/traces", "application/json", json.getBytes());
        assertEquals(200, exported.statusCode(), exported.body());
        JsonNode partial = JSON.readTree(exported.body()).get("partialSuccess");
        assertEquals(1, partial.get("rejectedSpans").asInt(), "the span naming no run is refused");
        assertTrue(partial.get("errorMessage").asText().contains("ctx.run.id"), partial.toString());

        // The same in protobuf, the encoding OTLP/HTTP exporters default to.
        var request = ExportTraceServiceRequest.newBuilder()
                .addResourceSpans(ResourceSpans.newBuilder()
                        .addScopeSpans(ScopeSpans.newBuilder()
                                .addSpans(Span.newBuilder()
                                        .setTraceId(ByteString.fromHex(traceId))
                                        .setSpanId(ByteString.fromHex("bbbbbbbbbbbbbbb1"))
                                        .setParentSpanId(ByteString.fromHex(attemptSpan))
                                        .setName("write report")
                                        .setStartTimeUnixNano(now + 6_000_000)
                                        .setEndTimeUnixNano(now + 9_000_000)
                                        .setStatus(Status.newBuilder()
                                                .setCode(Status.StatusCode.STATUS_CODE_ERROR)
                                                .setMessage("disk full"))
                                        .addAttributes(KeyValue.newBuilder()
                                                .setKey("ctx.run.id")
                                                .setValue(AnyValue.newBuilder().setStringValue(run.id()))))))
                .build();
        HttpResponse<String> protobuf = post("/otel/v1/traces", "application/x-protobuf", request.toByteArray());
        assertEquals(200, protobuf.statusCode(), protobuf.body());
        assertTrue(protobuf.headers().firstValue("content-type").orElse("").startsWith("application/x-protobuf"));

        List<JsonNode> spans = asList(
                JSON.readTree(get("/api/v1/runs/" + run.id() + "/trace").body()).get("spans"));
        JsonNode fetch = single(spans, "fetch prices");
        assertEquals("worker", fetch.get("source").asText());
        assertEquals(attemptSpan, fetch.get("parentSpanId").asText(), "under the attempt that ran it");
        assertEquals(5, fetch.get("durationMs").asInt());
        assertEquals("200", fetch.at("/attributes/http.status_code").asText());
        JsonNode report = single(spans, "write report");
        assertEquals("error", report.get("status").asText());
        assertEquals("disk full", report.get("statusMessage").asText());

        // Refused: another encoding, a body that is no OTLP, and a request without the environment's key.
        assertEquals(415, post("/otel/v1/traces", "text/plain", "x".getBytes()).statusCode());
        HttpResponse<String> malformed = post("/otel/v1/traces", "application/x-protobuf", new byte[] {(byte) 0xff});
        assertEquals(400, malformed.statusCode(), malformed.body());
        assertTrue(malformed.body().contains("\"error\""), malformed.body());
        assertEquals(
                401,
                HTTP.send(
                                HttpRequest.newBuilder(
                                                HappyPathScenario.url(node).resolve("/otel/v1/traces"))
                                        .header("content-type", "application/json")
                                        .POST(BodyPublishers.ofString(json))
                                        .build(),
                                BodyHandlers.ofString())
                        .statusCode());
    }

    /**
     * The worker reports how long its handler ran, so an attempt's span and the run's duration hold the handler's
     * time, not when messages arrived: the Java SDK sends {@code started} only after a handler ran 50 ms, and not at
     * all for a shorter one.
     */
    @Test
    void anAttemptLastsAtLeastAsLongAsItsHandlerRan() throws Exception {
        BatonClient client = HappyPathScenario.client(node);
        for (int ms : new int[] {30, 300}) {
            Run run = client.poll(client.trigger("timed", Map.of("ms", ms)).id(), Duration.ofSeconds(60));
            assertEquals(RunStatus.COMPLETED, run.status());
            JsonNode retrieved = JSON.readTree(get("/api/v3/runs/" + run.id()).body());
            assertTrue(retrieved.get("durationMs").asLong() >= ms, ms + " ms handler: " + retrieved);
            JsonNode attempt = single(
                    asList(JSON.readTree(
                                    get("/api/v1/runs/" + run.id() + "/trace").body())
                            .get("spans")),
                    "attempt 1");
            assertTrue(attempt.get("durationMs").asLong() >= ms, ms + " ms handler's attempt: " + attempt);
            assertTrue(
                    attempt.get("startTime")
                                    .asText()
                                    .compareTo(attempt.at("/attributes/baton.attempt.leased_at")
                                            .asText())
                            >= 0,
                    "an attempt starts after its lease: " + attempt);
        }
    }

    @Test
    void aRunTriggeredWithoutTraceparentIsARootOfItsOwnTrace() throws Exception {
        BatonClient client = HappyPathScenario.client(node);
        Run run = client.poll(client.trigger("traced-child", Map.of()).id(), Duration.ofSeconds(60));
        JsonNode trace =
                JSON.readTree(get("/api/v1/runs/" + run.id() + "/trace").body());
        assertTrue(trace.get("traceId").asText().matches("[0-9a-f]{32}"), trace.toString());
        assertNull(single(asList(trace.get("spans")), "traced-child").get("parentSpanId"));
    }

    private static List<JsonNode> asList(JsonNode array) {
        List<JsonNode> list = new ArrayList<>();
        array.forEach(list::add);
        return list;
    }

    private static JsonNode single(List<JsonNode> spans, String name) {
        List<JsonNode> named = spans.stream()
                .filter(span -> span.get("name").asText().equals(name))
                .toList();
        assertEquals(1, named.size(), () -> name + " in " + spans);
        return named.get(0);
    }

    private static JsonNode child(List<JsonNode> spans, JsonNode parent, String name) {
        List<JsonNode> named = spans.stream()
                .filter(span -> span.get("name").asText().equals(name)
                        && span.path("parentSpanId")
                                .asText()
                                .equals(parent.get("spanId").asText()))
                .toList();
        assertEquals(1, named.size(), () -> name + " under " + parent + " in " + spans);
        return named.get(0);
    }

    private static List<JsonNode> children(List<JsonNode> spans, JsonNode parent, String name) {
        return spans.stream()
                .filter(span -> span.get("name").asText().equals(name)
                        && span.path("parentSpanId")
                                .asText()
                                .equals(parent.get("spanId").asText()))
                .toList();
    }

    private static HttpResponse<String> post(String path, String contentType, byte[] body) throws Exception {
        return HTTP.send(
                HttpRequest.newBuilder(HappyPathScenario.url(node).resolve(path))
                        .header("authorization", "Bearer " + TestNodes.SECRET_KEY)
                        .header("content-type", contentType)
                        .POST(BodyPublishers.ofByteArray(body))
                        .build(),
                BodyHandlers.ofString());
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(
                HttpRequest.newBuilder(HappyPathScenario.url(node).resolve(path))
                        .header("authorization", "Bearer " + TestNodes.SECRET_KEY)
                        .build(),
                BodyHandlers.ofString());
    }
}
