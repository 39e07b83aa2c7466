package dev.baton.sdk.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.baton.sdk.internal.json.Json;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The client against a JDK HttpServer that plays the Baton HTTP API. */
class BatonClientTest {

    private record Recorded(String method, String rawPath, String authorization, JsonNode body) {}

    private record Greeting(String greeting) {}

    private static final String RUN_JSON = """
            {"id":"run_1","status":"QUEUED","taskIdentifier":"hello-world","isQueued":true,"isExecuting":false,
             "isCompleted":false,"isSuccess":false,"isFailed":false,"isCancelled":false,"isTest":false,
             "createdAt":"2026-11-28T01:00:00Z","updatedAt":"2026-11-28T01:00:00Z","tags":[],"attemptCount":0,
             "durationMs":0,"costInCents":0}""";

    private HttpServer server;
    private BatonClient client;
    private final ConcurrentLinkedQueue<Recorded> requests = new ConcurrentLinkedQueue<>();

    @BeforeEach
    void startServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.start();
        client = BatonClient.builder(
                        URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/"), "tr_dev_secret")
                .requestTimeout(Duration.ofSeconds(5))
                .maxRetries(0)
                .build();
    }

    @AfterEach
    void stopServer() {
        server.stop(0);
    }

    /** Answers every request under {@code path} with the given status and body, recording it. */
    private void respond(String path, int status, String body, Map<String, String> headers) {
        server.createContext(path, exchange -> reply(exchange, status, body, headers));
    }

    private void reply(HttpExchange exchange, int status, String body, Map<String, String> headers) throws IOException {
        byte[] requestBody = exchange.getRequestBody().readAllBytes();
        requests.add(new Recorded(
                exchange.getRequestMethod(),
                exchange.getRequestURI().getRawPath(),
                exchange.getRequestHeaders().getFirst("Authorization"),
                requestBody.length == 0 ? null : Json.mapper().readTree(requestBody)));
        headers.forEach((name, value) -> exchange.getResponseHeaders().add(name, value));
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        exchange.getResponseBody().write(bytes);
        exchange.close();
    }

    private static JsonNode json(String text) throws IOException {
        return Json.mapper().readTree(text);
    }

    @Test
    void triggerPostsPayloadAndOptionsWithTheSecretKey() throws Exception {
        respond("/api/v1/tasks/", 200, "{\"id\":\"run_1\",\"isCached\":true,\"extra\":1}", Map.of());

        TriggerResult result = client.trigger(
                "images/resize",
                Map.of("name", "Ada"),
                TriggerOptions.builder()
                        .tags("a", "b")
                        .metadata(Map.of("user", 42))
                        .maxAttempts(5)
                        .idempotencyKey("k-1")
                        .queue("images")
                        .concurrencyKey("user-42")
                        .delay("10s")
                        .ttl("1h")
                        .priority(3)
                        .maxDuration(60)
                        .idempotencyKeyTTL("1h")
                        .build());

        assertEquals(new TriggerResult("run_1", true), result);
        Recorded request = requests.remove();
        assertEquals("POST", request.method());
        assertEquals("/api/v1/tasks/images%2Fresize/trigger", request.rawPath());
        assertEquals("Bearer tr_dev_secret", request.authorization());
        assertEquals(json("""
                {"payload":{"name":"Ada"},
                 "options":{"tags":["a","b"],"metadata":{"user":42},"maxAttempts":5,"idempotencyKey":"k-1",
                            "queue":{"name":"images"},"concurrencyKey":"user-42","delay":"10s","ttl":"1h",
                            "priority":3,"maxDuration":60,"idempotencyKeyTTL":"1h"}}"""), request.body());
    }

    @Test
    void triggerOmitsAbsentOptions() throws Exception {
        respond("/api/v1/tasks/", 200, "{\"id\":\"run_1\",\"isCached\":false}", Map.of());

        client.trigger("hello-world", null);
        client.trigger(
                "hello-world", List.of(1), TriggerOptions.builder().delay("1m").build());

        assertEquals(json("{\"payload\":null}"), requests.remove().body());
        assertEquals(
                json("{\"payload\":[1],\"options\":{\"delay\":\"1m\"}}"),
                requests.remove().body());
    }

    @Test
    void retrieveReadsTheRun() {
        respond("/api/v3/runs/run_1", 200, """
                {"id":"run_1","status":"COMPLETED","taskIdentifier":"hello-world","version":"x",
                 "isQueued":false,"isExecuting":false,"isCompleted":true,"isSuccess":true,"isFailed":false,
                 "isCancelled":false,"isTest":false,
                 "createdAt":"2026-11-28T01:00:00Z","updatedAt":"2026-11-28T01:00:02.5Z",
                 "startedAt":"2026-11-28T01:00:01Z","finishedAt":"2026-11-28T01:00:02Z",
                 "tags":["a"],"attemptCount":1,"durationMs":120,"costInCents":0,
                 "payload":{"name":"Ada"},"output":{"greeting":"Hello, Ada!"},
                 "metadata":{"k":"v"},"idempotencyKey":"key","attempts":[]}""", Map.of());

        Run run = client.retrieve("run_1");

        assertEquals("run_1", run.id());
        assertEquals(RunStatus.COMPLETED, run.status());
        assertEquals("hello-world", run.taskIdentifier());
        assertTrue(run.isCompleted() && run.isSuccess());
        assertFalse(run.isFailed() || run.isCancelled() || run.isQueued() || run.isExecuting() || run.isWaiting());
        assertEquals(Instant.parse("2026-11-28T01:00:00Z"), run.createdAt());
        assertEquals(Instant.parse("2026-11-28T01:00:02.5Z"), run.updatedAt());
        assertEquals(List.of("a"), run.tags());
        assertEquals(1, run.attemptCount());
        assertEquals(120, run.durationMs());
        assertEquals(new Greeting("Hello, Ada!"), run.outputAs(Greeting.class));
        assertEquals("v", run.metadata().get("k").asText());
        assertEquals("key", run.idempotencyKey());
        assertNull(run.error());
        assertNull(run.delayedUntil());
        assertNull(run.expiredAt());
        assertNull(run.ttl());
        assertEquals("Bearer tr_dev_secret", requests.remove().authorization());
    }

    @Test
    void cancelPostsToV2AndReturnsTheId() {
        respond("/api/v2/runs/", 200, "{\"id\":\"run_1\"}", Map.of());

        assertEquals("run_1", client.cancel("run_1"));

        Recorded request = requests.remove();
        assertEquals("POST", request.method());
        assertEquals("/api/v2/runs/run_1/cancel", request.rawPath());
        assertEquals("Bearer tr_dev_secret", request.authorization());
        assertNull(request.body());
    }

    @Test
    void replayReturnsTheNewRunsId() {
        respond("/api/v1/runs/", 200, "{\"id\":\"run_2\"}", Map.of());

        assertEquals("run_2", client.replay("run_1"));

        Recorded request = requests.remove();
        assertEquals("POST", request.method());
        assertEquals("/api/v1/runs/run_1/replay", request.rawPath());
    }

    @Test
    void rescheduleSendsTheDelayAndReadsTheRun() throws Exception {
        respond("/api/v1/runs/", 200, """
                {"id":"run_1","status":"DELAYED","taskIdentifier":"t","createdAt":"2026-11-28T01:00:00Z",
                 "delayedUntil":"2026-11-28T02:00:00Z","ttl":"10m"}""", Map.of());

        Run run = client.reschedule("run_1", "1h");
        client.reschedule("run_1", Instant.parse("2026-12-01T00:00:00Z"));
        client.reschedule("run_1", Duration.ofMillis(90_500));

        assertEquals(RunStatus.DELAYED, run.status());
        assertTrue(run.isQueued());
        assertEquals(Instant.parse("2026-11-28T02:00:00Z"), run.delayedUntil());
        assertEquals("10m", run.ttl());
        Recorded request = requests.remove();
        assertEquals("POST", request.method());
        assertEquals("/api/v1/runs/run_1/reschedule", request.rawPath());
        assertEquals(json("{\"delay\":\"1h\"}"), request.body());
        assertEquals(
                json("{\"delay\":\"2026-12-01T00:00:00Z\"}"), requests.remove().body());
        assertEquals(json("{\"delay\":\"91s\"}"), requests.remove().body());
        assertThrows(IllegalArgumentException.class, () -> client.reschedule("run_1", " "));
    }

    @Test
    void rescheduleOfARunThatIsNotDelayedIsAnApiError() {
        respond("/api/v1/runs/", 400, "{\"error\":\"only a DELAYED run can be rescheduled\"}", Map.of());

        BadRequestException e = assertThrows(BadRequestException.class, () -> client.reschedule("run_1", "1h"));
        assertEquals("only a DELAYED run can be rescheduled", e.getMessage());
    }

    @Test
    void addTagsPostsTheTags() throws Exception {
        respond("/api/v1/runs/", 200, "{\"message\":\"Successfully set 2 new tags.\"}", Map.of());

        client.addTags("run_1", "a", "b");

        Recorded request = requests.remove();
        assertEquals("POST", request.method());
        assertEquals("/api/v1/runs/run_1/tags", request.rawPath());
        assertEquals(json("{\"tags\":[\"a\",\"b\"]}"), request.body());
        assertThrows(IllegalArgumentException.class, () -> client.addTags("run_1"));
    }

    @Test
    void updateMetadataPutsTheWholeObject() throws Exception {
        respond("/api/v1/runs/", 200, "{\"metadata\":{\"user\":42}}", Map.of());

        JsonNode stored = client.updateMetadata("run_1", Map.of("user", 42));

        assertEquals(json("{\"user\":42}"), stored);
        Recorded request = requests.remove();
        assertEquals("PUT", request.method());
        assertEquals("/api/v1/runs/run_1/metadata", request.rawPath());
        assertEquals(json("{\"metadata\":{\"user\":42}}"), request.body());
        assertThrows(IllegalArgumentException.class, () -> client.updateMetadata("run_1", List.of(1)));
    }

    @Test
    void resetIdempotencyKeyNamesTheTask() throws Exception {
        respond("/api/v1/idempotencyKeys/", 200, "{\"id\":\"welcome/42\"}", Map.of());

        client.resetIdempotencyKey("emails/welcome", "welcome/42");

        Recorded request = requests.remove();
        assertEquals("POST", request.method());
        assertEquals("/api/v1/idempotencyKeys/welcome%2F42/reset", request.rawPath());
        assertEquals(json("{\"taskIdentifier\":\"emails/welcome\"}"), request.body());
    }

    @Test
    void managementCallsMapErrorsLikeEveryCall() {
        respond("/api/v2/runs/", 404, "{\"error\":\"Run not found\"}", Map.of());
        assertThrows(NotFoundException.class, () -> client.cancel("run_missing"));
    }

    @Test
    void retrieveReadsExpiry() {
        respond("/api/v3/runs/run_9", 200, """
                {"id":"run_9","status":"EXPIRED","taskIdentifier":"t","ttl":"1m",
                 "expiredAt":"2026-11-28T01:01:00Z"}""", Map.of());

        Run run = client.retrieve("run_9");

        assertTrue(run.isCompleted());
        assertEquals(Instant.parse("2026-11-28T01:01:00Z"), run.expiredAt());
        assertEquals("1m", run.ttl());
    }

    @Test
    void retrieveDerivesMissingFlagsAndReadsErrors() {
        respond("/api/v3/runs/run_2", 200, """
                {"id":"run_2","status":"FAILED","taskIdentifier":"fail","createdAt":"2026-11-28T01:00:00Z",
                 "error":{"message":"boom","name":"RuntimeException","stackTrace":"at x"},"output":null}""", Map.of());

        Run run = client.retrieve("run_2");

        assertTrue(run.isCompleted() && run.isFailed());
        assertFalse(run.isSuccess());
        assertEquals(new RunError("boom", "RuntimeException", "at x"), run.error());
        assertNull(run.output());
        assertNull(run.outputAs(Greeting.class));
        assertNull(run.startedAt());
        assertNull(run.metadata());
        assertEquals(List.of(), run.tags());
    }

    @Test
    void pollWaitsUntilTheRunFinishes() {
        AtomicInteger calls = new AtomicInteger();
        server.createContext(
                "/api/v3/runs/run_3",
                exchange -> reply(
                        exchange,
                        200,
                        calls.incrementAndGet() < 3
                                ? "{\"id\":\"run_3\",\"status\":\"EXECUTING\"}"
                                : "{\"id\":\"run_3\",\"status\":\"COMPLETED\",\"output\":1}",
                        Map.of()));

        Run run = client.poll("run_3", Duration.ofSeconds(5), Duration.ofMillis(10));

        assertEquals(RunStatus.COMPLETED, run.status());
        assertEquals(3, calls.get());
        assertEquals(1, run.outputAs(Integer.class));
    }

    @Test
    void pollGivesUpAfterTheTimeout() {
        respond("/api/v3/runs/run_4", 200, "{\"id\":\"run_4\",\"status\":\"QUEUED\"}", Map.of());

        BatonTimeoutException e = assertThrows(
                BatonTimeoutException.class, () -> client.poll("run_4", Duration.ofMillis(100), Duration.ofMillis(20)));

        assertInstanceOf(TimeoutException.class, e.getCause());
        assertEquals(RunStatus.QUEUED, e.lastSeen().status());
        assertTrue(e.lastSeen().isQueued());
    }

    @Test
    void eventsReadsTheHistory() {
        respond("/api/v1/runs/run_5/events", 200, """
                {"data":[{"sequenceNr":1,"type":"RunTriggered","timestamp":"2026-11-28T01:00:00Z",
                          "data":{"taskId":"t"}},
                         {"sequenceNr":2,"type":"RunQueued","timestamp":"2026-11-28T01:00:01Z",
                          "data":{}}]}""", Map.of());

        List<RunEvent> events = client.events("run_5");

        assertEquals(2, events.size());
        assertEquals(1, events.get(0).sequenceNr());
        assertEquals("RunTriggered", events.get(0).type());
        assertEquals(Instant.parse("2026-11-28T01:00:00Z"), events.get(0).timestamp());
        assertEquals("t", events.get(0).data().get("taskId").asText());
        assertEquals("RunQueued", events.get(1).type());
    }

    @ParameterizedTest
    @CsvSource({
        "400, BadRequestException",
        "401, AuthenticationException",
        "404, NotFoundException",
        "413, PayloadTooLargeException",
        "422, UnprocessableEntityException",
        "429, RateLimitException",
        "500, ServerException",
        "503, ServerException",
        "409, BatonApiException"
    })
    void errorStatusesMapToTypedExceptions(int status, String exceptionName) {
        respond("/api/v3/runs/", status, "{\"error\":\"server says no\"}", Map.of("Retry-After", "7"));

        BatonApiException e = assertThrows(BatonApiException.class, () -> client.retrieve("run_x"));

        assertEquals(exceptionName, e.getClass().getSimpleName());
        assertEquals(status, e.status());
        assertEquals("server says no", e.getMessage());
        if (e instanceof RateLimitException rateLimited) {
            assertEquals(Duration.ofSeconds(7), rateLimited.retryAfter().orElseThrow());
        }
    }

    @Test
    void errorWithoutJsonBodyKeepsTheText() {
        server.createContext("/api/v3/runs/", exchange -> {
            byte[] text = "upstream timed out".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(502, text.length);
            exchange.getResponseBody().write(text);
            exchange.close();
        });

        ServerException e = assertThrows(ServerException.class, () -> client.retrieve("run_x"));
        assertEquals("upstream timed out", e.getMessage());
        assertEquals(502, e.status());
    }

    @Test
    void unreachableServerIsAConnectionFailure() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        BatonClient offline = BatonClient.builder(URI.create("http://127.0.0.1:" + closedPort), "k")
                .build();

        BatonConnectionException e = assertThrows(BatonConnectionException.class, () -> offline.retrieve("run_1"));
        assertInstanceOf(IOException.class, e.getCause());
    }

    /** Answers the requests under {@code path} with {@code statuses} in turn (the last one repeats). */
    private List<String> respondInTurn(String path, String successBody, int... statuses) {
        List<String> requestKeys = new CopyOnWriteArrayList<>();
        AtomicInteger calls = new AtomicInteger();
        server.createContext(path, exchange -> {
            requestKeys.add(String.valueOf(exchange.getRequestHeaders().getFirst("x-trigger-request-idempotency-key")));
            int status = statuses[Math.min(calls.getAndIncrement(), statuses.length - 1)];
            reply(exchange, status, status == 200 ? successBody : "{\"error\":\"busy\"}", Map.of());
        });
        return requestKeys;
    }

    private BatonClient retryingClient() {
        return BatonClient.builder(
                        URI.create("http://127.0.0.1:" + server.getAddress().getPort()), "tr_dev_secret")
                .maxRetries(3)
                .build();
    }

    @Test
    void serverErrorsAreRetriedUntilTheCallSucceeds() {
        List<String> calls = respondInTurn("/api/v3/runs/", RUN_JSON, 503, 502, 200);

        Run run = retryingClient().retrieve("run_1");

        assertEquals("run_1", run.id());
        assertEquals(3, calls.size());
    }

    @Test
    void aRetriedTriggerSendsTheSameRequestKeySoTheServerDeduplicatesIt() {
        List<String> keys = respondInTurn("/api/v1/tasks/", "{\"id\":\"run_1\"}", 503, 200);

        assertEquals("run_1", retryingClient().trigger("hello-world", Map.of()).id());

        assertEquals(2, keys.size());
        assertEquals(keys.get(0), keys.get(1));
        assertNotEquals("null", keys.get(0));
    }

    @Test
    void retriesStopAfterMaxRetries() {
        List<String> calls = respondInTurn("/api/v3/runs/", RUN_JSON, 500);

        assertThrows(ServerException.class, () -> retryingClient().retrieve("run_1"));
        assertEquals(4, calls.size());
    }

    @Test
    void clientErrorsAndReplaysAreNotRetried() {
        List<String> retrieves = respondInTurn("/api/v3/runs/", RUN_JSON, 404, 200);
        List<String> replays = respondInTurn("/api/v1/runs/", "{\"id\":\"run_2\"}", 503, 200);
        BatonClient client = retryingClient();

        assertThrows(NotFoundException.class, () -> client.retrieve("run_1"));
        assertThrows(ServerException.class, () -> client.replay("run_1"));
        assertEquals(1, retrieves.size());
        assertEquals(1, replays.size());
    }

    @Test
    void builderValidatesItsArguments() {
        assertThrows(
                IllegalArgumentException.class,
                () -> BatonClient.builder(URI.create("http://x"), "k").maxRetries(-1));
        assertThrows(IllegalArgumentException.class, () -> BatonClient.builder(URI.create("ftp://x"), "k"));
        assertThrows(IllegalArgumentException.class, () -> BatonClient.builder(URI.create("http://x"), " "));
        assertSame(
                BatonClient.Builder.class,
                BatonClient.builder(URI.create("https://x"), "k")
                        .requestTimeout(Duration.ofSeconds(1))
                        .getClass());
    }
}
