package dev.baton.sdk.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.baton.sdk.internal.json.Json;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The client's waitpoint token calls against a JDK HttpServer that plays the Baton HTTP API. */
class WaitpointClientTest {

    private record Recorded(String method, String path, String query, JsonNode body) {}

    private record Approval(boolean approved, String by) {}

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
        server.createContext(path, exchange -> {
            byte[] requestBody = exchange.getRequestBody().readAllBytes();
            String query = exchange.getRequestURI().getRawQuery();
            requests.add(new Recorded(
                    exchange.getRequestMethod(),
                    exchange.getRequestURI().getRawPath(),
                    query == null ? null : URLDecoder.decode(query, StandardCharsets.UTF_8),
                    requestBody.length == 0 ? null : Json.mapper().readTree(requestBody)));
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(status, bytes.length);
            exchange.getResponseBody().write(bytes);
            exchange.close();
        });
    }

    private static JsonNode json(String text) throws IOException {
        return Json.mapper().readTree(text);
    }

    @Test
    void createTokenSendsItsOptions() throws Exception {
        respond(
                "/api/v1/waitpoints/tokens",
                200,
                "{\"id\":\"waitpoint_1\",\"isCached\":true,\"url\":\"http://x/api/v1/wa"
                        + "itpoints/tokens/waitpoint_1/callback/h\"}");
        CreatedWaitpointToken created = client.createToken(WaitpointTokenOptions.builder()
                .timeout(Duration.ofMillis(1500))
                .tags("approval", "user:1")
                .idempotencyKey("k")
                .idempotencyKeyTTL("1h")
                .build());
        assertEquals(
                new CreatedWaitpointToken(
                        "waitpoint_1", true, "http://x/api/v1/waitpoints/tokens/waitpoint_1/callback/h"),
                created);
        Recorded request = requests.remove();
        assertEquals("POST", request.method());
        assertEquals(
                json("{\"timeout\":\"2s\",\"tags\":[\"approval\",\"user:1\"],\"idempotencyKey\":\"k\","
                        + "\"idempotencyKeyTTL\":\"1h\"}"),
                request.body());

        client.createToken(null);
        assertEquals(json("{}"), requests.remove().body());
        client.createToken(WaitpointTokenOptions.builder()
                .timeout(Instant.parse("2026-12-01T00:00:00Z"))
                .build());
        assertEquals(
                json("{\"timeout\":\"2026-12-01T00:00:00Z\"}"),
                requests.remove().body());
    }

    @Test
    void completeTokenSendsTheDataAndAnUnknownTokenIsNotFound() throws Exception {
        respond("/api/v1/waitpoints/tokens/waitpoint_1/complete", 200, "{\"success\":true}");
        client.completeToken("waitpoint_1", new Approval(true, "ada"));
        assertEquals(
                json("{\"data\":{\"approved\":true,\"by\":\"ada\"}}"),
                requests.remove().body());
        client.completeToken("waitpoint_1", null);
        assertEquals(json("{}"), requests.remove().body());

        respond("/api/v1/waitpoints/tokens/waitpoint_2/complete", 404, "{\"error\":\"Waitpoint not found\"}");
        assertThrows(NotFoundException.class, () -> client.completeToken("waitpoint_2", 1));
    }

    @Test
    void retrieveTokenParsesTheOutputOrTheTimeoutError() {
        respond("/api/v1/waitpoints/tokens/waitpoint_done", 200, """
                {"id":"waitpoint_done","url":"u","status":"COMPLETED","completedAt":"2026-11-28T01:00:02Z",
                 "idempotencyKey":"k","idempotencyKeyExpiresAt":"2026-12-28T01:00:00Z","tags":["a"],
                 "createdAt":"2026-11-28T01:00:00Z","output":"{\\"approved\\":true,\\"by\\":\\"ada\\"}",
                 "outputType":"application/json","outputIsError":false}""");
        WaitpointToken done = client.retrieveToken("waitpoint_done");
        assertEquals(WaitpointTokenStatus.COMPLETED, done.status());
        assertEquals(new Approval(true, "ada"), done.outputAs(Approval.class));
        assertEquals(List.of("a"), done.tags());
        assertEquals(Instant.parse("2026-11-28T01:00:02Z"), done.completedAt());
        assertEquals("k", done.idempotencyKey());
        assertNull(done.error());

        respond("/api/v1/waitpoints/tokens/waitpoint_late", 200, """
                {"id":"waitpoint_late","url":"u","status":"TIMED_OUT","completedAt":"2026-11-28T01:00:02Z",
                 "timeoutAt":"2026-11-28T01:00:02Z","tags":[],"createdAt":"2026-11-28T01:00:00Z",
                 "output":"{\\"code\\":\\"TRIGGER_WAITPOINT_TIMEOUT\\",\\"message\\":\\"Waitpoint timed out at x\\"}",
                 "outputType":"application/json","outputIsError":true}""");
        WaitpointToken late = client.retrieveToken("waitpoint_late");
        assertTrue(late.isTimedOut());
        assertNull(late.output());
        assertEquals("Waitpoint timed out at x", late.error());

        respond(
                "/api/v1/waitpoints/tokens/waitpoint_new",
                200,
                "{\"id\":\"waitpoint_new\",\"url\":\"u\",\"status\":\"WAITING\",\"tags"
                        + "\":[],\"createdAt\":\"2026-11-28T01:00:00Z\"}");
        WaitpointToken waiting = client.retrieveToken("waitpoint_new");
        assertTrue(waiting.isWaiting());
        assertNull(waiting.output());
        assertNull(waiting.outputAs(Approval.class));
    }

    @Test
    void listTokensSendsTheFiltersAndReadsThePage() {
        respond("/api/v1/waitpoints/tokens", 200, """
                {"data":[{"id":"waitpoint_b","url":"u","status":"WAITING","tags":["x"],
                          "createdAt":"2026-11-28T01:00:01Z"},
                         {"id":"waitpoint_a","url":"u","status":"COMPLETED","tags":[],
                          "createdAt":"2026-11-28T01:00:00Z"}],
                 "pagination":{"next":"cursor-2"}}""");
        WaitpointTokenQuery query = WaitpointTokenQuery.builder()
                .statuses(WaitpointTokenStatus.WAITING, WaitpointTokenStatus.COMPLETED)
                .idempotencyKey("k")
                .tags("x", "y")
                .createdFrom(Instant.ofEpochMilli(1000))
                .createdTo(Instant.ofEpochMilli(2000))
                .createdWithin(Duration.ofHours(1))
                .pageSize(2)
                .build();
        WaitpointTokenPage page = client.listTokens(query);
        assertEquals(
                List.of("waitpoint_b", "waitpoint_a"),
                page.data().stream().map(WaitpointToken::id).toList());
        assertEquals("cursor-2", page.next());
        assertNull(page.previous());
        assertEquals(
                "filter[status]=COMPLETED,WAITING&filter[idempotencyKey]=k&filter[tags]=x,y"
                        + "&filter[createdAt][period]=3600s&filter[createdAt][from]=1000&filter[createdAt][to]=2000"
                        + "&page[size]=2",
                requests.remove().query());

        client.listTokens(query.after(page.next()));
        assertTrue(requests.remove().query().endsWith("&page[size]=2&page[after]=cursor-2"));
        client.listTokens(null);
        assertNull(requests.remove().query());
        assertFalse(requests.iterator().hasNext());
    }

    @Test
    void unknownStatusesAreNull() {
        respond(
                "/api/v1/waitpoints/tokens/waitpoint_x",
                200,
                "{\"id\":\"waitpoint_x\",\"url\":\"u\",\"status\":\"PAUSED\",\"tags\":["
                        + "],\"createdAt\":\"2026-11-28T01:00:00Z\"}");
        assertNull(client.retrieveToken("waitpoint_x").status());
    }
}
