package dev.baton.sdk.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.baton.sdk.internal.json.Json;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Batch trigger and batch retrieve against a JDK HttpServer that plays the Baton HTTP API. */
class BatonClientBatchTest {

    private record Recorded(String method, String path, Map<String, String> headers, String body) {}

    private HttpServer server;
    private BatonClient client;
    private final ConcurrentLinkedQueue<Recorded> requests = new ConcurrentLinkedQueue<>();

    @BeforeEach
    void startServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.start();
        client = BatonClient.builder(
                        URI.create("http://127.0.0.1:" + server.getAddress().getPort()), "tr_dev_secret")
                .requestTimeout(Duration.ofSeconds(5))
                .maxRetries(0)
                .build();
    }

    @AfterEach
    void stopServer() {
        server.stop(0);
    }

    private void respond(String path, int status, String body) {
        server.createContext(path, exchange -> reply(exchange, status, body));
    }

    private void reply(HttpExchange exchange, int status, String body) throws IOException {
        String requestBody = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        requests.add(new Recorded(
                exchange.getRequestMethod(),
                exchange.getRequestURI().getRawPath(),
                Map.of(
                        "content-type",
                        String.valueOf(exchange.getRequestHeaders().getFirst("Content-Type")),
                        "request-key",
                        String.valueOf(exchange.getRequestHeaders().getFirst("x-trigger-request-idempotency-key"))),
                requestBody));
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
        exchange.close();
    }

    @Test
    void batchTriggerCreatesTheBatchThenStreamsItsItems() throws Exception {
        respond("/api/v3/batches", 202, "{\"id\":\"batch_1\",\"runCount\":2,\"isCached\":false}");
        respond(
                "/api/v3/batches/batch_1/items",
                200,
                "{\"id\":\"batch_1\",\"itemsAccepted\":2,\"itemsDeduplicated\":0,\"sealed\":true}");

        BatchTriggerResult result = client.batchTrigger(
                List.of(
                        BatchItem.of("hello-world", Map.of("name", "Ada")),
                        new BatchItem(
                                "other",
                                List.of(1, 2),
                                TriggerOptions.builder().tags("t").build())),
                "key-1");

        assertEquals(new BatchTriggerResult("batch_1", 2, false), result);
        Recorded create = requests.poll();
        assertEquals("POST", create.method());
        assertEquals("/api/v3/batches", create.path());
        assertEquals("application/json", create.headers().get("content-type"));
        assertFalse(create.headers().get("request-key").equals("null"));
        JsonNode createBody = Json.mapper().readTree(create.body());
        assertEquals(2, createBody.get("runCount").asInt());
        assertEquals("key-1", createBody.get("idempotencyKey").asText());

        Recorded items = requests.poll();
        assertEquals("/api/v3/batches/batch_1/items", items.path());
        assertEquals("application/x-ndjson", items.headers().get("content-type"));
        String[] lines = items.body().split("\n");
        assertEquals(2, lines.length);
        JsonNode first = Json.mapper().readTree(lines[0]);
        assertEquals(0, first.get("index").asInt());
        assertEquals("hello-world", first.get("task").asText());
        assertEquals("Ada", first.get("payload").get("name").asText());
        JsonNode second = Json.mapper().readTree(lines[1]);
        assertEquals(1, second.get("index").asInt());
        assertEquals("other", second.get("task").asText());
        assertEquals("t", second.get("options").get("tags").get(0).asText());
    }

    @Test
    void aCachedBatchSkipsTheItems() {
        respond("/api/v3/batches", 202, "{\"id\":\"batch_9\",\"runCount\":1,\"isCached\":true}");
        BatchTriggerResult result = client.batchTrigger(List.of(BatchItem.of("hello-world", 1)), "key-1");
        assertTrue(result.isCached());
        assertEquals(1, requests.size());
    }

    @Test
    void anUnsealedBatchOrAnErrorThrows() {
        respond("/api/v3/batches", 202, "{\"id\":\"batch_2\",\"runCount\":2,\"isCached\":false}");
        respond(
                "/api/v3/batches/batch_2/items",
                200,
                "{\"id\":\"batch_2\",\"itemsAccepted\":1,\"itemsDeduplicated\":0,\"sealed\":false}");
        assertThrows(
                BatonException.class, () -> client.batchTrigger(List.of(BatchItem.of("a", 1), BatchItem.of("a", 2))));

        respond("/api/v3/batches/batch_3/items", 422, "{\"error\":\"Item index 5 is out of range\"}");
        server.removeContext("/api/v3/batches");
        respond("/api/v3/batches", 202, "{\"id\":\"batch_3\",\"runCount\":1,\"isCached\":false}");
        UnprocessableEntityException error = assertThrows(
                UnprocessableEntityException.class, () -> client.batchTrigger(List.of(BatchItem.of("a", 1))));
        assertEquals("Item index 5 is out of range", error.getMessage());
        assertThrows(IllegalArgumentException.class, () -> client.batchTrigger(List.of()));
    }

    @Test
    void retrieveBatchReadsStatusRunsAndErrors() {
        respond("/api/v2/batches/batch_1", 200, """
                {"id":"batch_1","status":"PARTIAL_FAILED","idempotencyKey":"k","createdAt":"2026-11-28T01:00:00.000Z",
                 "updatedAt":"2026-11-28T01:00:01.000Z","runCount":2,"runs":["run_a"],
                 "processing":{"completedAt":"2026-11-28T01:00:01.000Z",
                   "errors":[{"index":1,"taskIdentifier":"nope","error":"Task not found: nope"}]}}""");
        Batch batch = client.retrieveBatch("batch_1");
        assertEquals("batch_1", batch.id());
        assertEquals("PARTIAL_FAILED", batch.status());
        assertTrue(batch.isComplete());
        assertEquals("k", batch.idempotencyKey());
        assertEquals(Instant.parse("2026-11-28T01:00:01Z"), batch.completedAt());
        assertNotNull(batch.createdAt());
        assertEquals(2, batch.runCount());
        assertEquals(List.of("run_a"), batch.runIds());
        assertEquals(List.of(new Batch.ItemError(1, "nope", "Task not found: nope")), batch.errors());

        respond("/api/v2/batches/batch_x", 404, "{\"error\":\"Batch not found\"}");
        assertThrows(NotFoundException.class, () -> client.retrieveBatch("batch_x"));
    }
}
