package dev.baton.sdk.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A client given several nodes: two JDK HttpServers play the nodes, a closed port plays a node that is down. What
 * reaches each node shows where a call went, and that a call unsafe to send twice never reaches a second node.
 */
class BatonClientFailoverTest {

    private static final String RUN_JSON = """
            {"id":"run_1","status":"QUEUED","taskIdentifier":"hello-world","createdAt":"2026-11-28T01:00:00Z",
             "updatedAt":"2026-11-28T01:00:00Z","tags":[],"attemptCount":0}""";

    /** One node: answers every request with {@code status}, or drops it unanswered when status is 0. */
    private static final class Node implements AutoCloseable {
        final HttpServer server;
        final List<String> requestKeys = new CopyOnWriteArrayList<>();
        volatile int status = 200;

        Node() throws IOException {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            server.createContext("/", exchange -> {
                exchange.getRequestBody().readAllBytes();
                requestKeys.add(
                        String.valueOf(exchange.getRequestHeaders().getFirst("x-trigger-request-idempotency-key")));
                if (status == 0) {
                    exchange.close(); // the connection ends without an answer: the node died mid-request
                    return;
                }
                String path = exchange.getRequestURI().getPath();
                String body = status != 200
                        ? "{\"error\":\"unavailable\"}"
                        : path.startsWith("/api/v3/runs/") ? RUN_JSON : "{\"id\":\"run_1\"}";
                byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().add("Content-Type", "application/json");
                exchange.sendResponseHeaders(status, bytes.length);
                exchange.getResponseBody().write(bytes);
                exchange.close();
            });
            server.start();
        }

        URI url() {
            return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
        }

        int requests() {
            return requestKeys.size();
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }

    private final Node first;
    private final Node second;

    BatonClientFailoverTest() throws IOException {
        first = new Node();
        second = new Node();
    }

    @AfterEach
    void stopNodes() {
        first.close();
        second.close();
    }

    private static URI deadNode() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return URI.create("http://127.0.0.1:" + socket.getLocalPort());
        }
    }

    private static BatonClient client(List<URI> nodes, int maxRetries) {
        return BatonClient.builder(nodes, "tr_dev_secret")
                .requestTimeout(Duration.ofSeconds(10))
                .maxRetries(maxRetries)
                .build();
    }

    @Test
    void aCallWhoseFirstNodeIsDownGoesToTheNextAndStaysThere() throws IOException {
        BatonClient client = client(List.of(deadNode(), second.url()), 0);

        assertEquals("run_1", client.trigger("hello-world", Map.of()).id());
        assertEquals("run_1", client.retrieve("run_1").id());

        assertEquals(2, second.requests());
    }

    @Test
    void aNodeAnswering503IsLeftForTheNext() {
        first.status = 503;
        BatonClient client = client(List.of(first.url(), second.url()), 1);

        assertEquals("run_1", client.retrieve("run_1").id());
        assertEquals("run_1", client.retrieve("run_1").id());

        assertEquals(1, first.requests(), "the second call went straight to the node that answered");
        assertEquals(2, second.requests());
    }

    @Test
    void aTriggerLostMidRequestIsSentToTheNextNodeWithTheSameRequestKey() {
        first.status = 0;
        BatonClient client = client(List.of(first.url(), second.url()), 1);

        assertEquals("run_1", client.trigger("hello-world", Map.of()).id());

        assertEquals(1, first.requests());
        assertEquals(first.requestKeys, second.requestKeys, "the second node can deduplicate it");
    }

    @Test
    void aReplayANodeMayHaveSeenIsNeverSentToAnother() {
        first.status = 503;
        assertThrows(
                ServerException.class,
                () -> client(List.of(first.url(), second.url()), 3).replay("run_1"));
        first.status = 0;
        assertThrows(
                BatonConnectionException.class,
                () -> client(List.of(first.url(), second.url()), 3).replay("run_1"));

        assertEquals(2, first.requests());
        assertEquals(0, second.requests());
    }

    @Test
    void aReplayWhoseNodeRefusedTheConnectionGoesToTheNext() throws IOException {
        BatonClient client = client(List.of(deadNode(), second.url()), 0);

        assertEquals("run_1", client.replay("run_1"));

        assertEquals(1, second.requests());
    }

    @Test
    void whenEveryNodeIsDownTheCallFailsAfterItsRetries() throws IOException {
        BatonClient client = client(List.of(deadNode(), deadNode()), 1);

        assertThrows(BatonConnectionException.class, () -> client.retrieve("run_1"));
    }

    @Test
    void builderRefusesNoNodesAndDuplicates() {
        assertThrows(IllegalArgumentException.class, () -> BatonClient.builder(List.of(), "k"));
        assertThrows(
                IllegalArgumentException.class,
                () -> BatonClient.builder(List.of(URI.create("http://x"), URI.create("http://x")), "k"));
        assertThrows(
                IllegalArgumentException.class,
                () -> BatonClient.builder(List.of(URI.create("http://x"), URI.create("ftp://y")), "k"));
    }
}
