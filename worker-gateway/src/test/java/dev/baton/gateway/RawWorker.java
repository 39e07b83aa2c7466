package dev.baton.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A worker speaking the raw JSON protocol over java.net.http's WebSocket, for tests. */
final class RawWorker implements AutoCloseable {

    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP =
            HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private final LinkedBlockingQueue<JsonNode> inbox = new LinkedBlockingQueue<>();
    private final CompletableFuture<Integer> closed = new CompletableFuture<>();
    private final WebSocket socket;
    private JsonNode welcome;

    private RawWorker(URI uri, String token) throws Exception {
        this.socket = HTTP.newWebSocketBuilder()
                .header("Authorization", "Bearer " + token)
                .buildAsync(uri, new Listener())
                .get(10, TimeUnit.SECONDS);
    }

    static URI connectUri(int port) {
        return URI.create("ws://127.0.0.1:" + port + "/api/v1/workers/connect");
    }

    static RawWorker connect(int port, String token) throws Exception {
        return new RawWorker(connectUri(port), token);
    }

    /** Connects and says hello; returns once the welcome arrived. */
    static RawWorker connectAndHello(int port, String token, String workerId, int slots, String tasksJson)
            throws Exception {
        RawWorker worker = connect(port, token);
        worker.send("""
        {"type":"hello","workerId":"%s","sdk":"raw-test/1",
         "slots":%d,"tasks":%s}""".formatted(workerId, slots, tasksJson));
        worker.welcome = worker.expect("welcome");
        return worker;
    }

    String sessionId() {
        return welcome.path("sessionId").asText();
    }

    void send(String json) throws Exception {
        socket.sendText(json, true).get(10, TimeUnit.SECONDS);
    }

    /** A binary frame, which the protocol has no use for. */
    void sendBinary(byte[] data) throws Exception {
        socket.sendBinary(java.nio.ByteBuffer.wrap(data), true).get(10, TimeUnit.SECONDS);
    }

    /** The next message, failing the test when none arrives in time. */
    JsonNode next(Duration timeout) throws InterruptedException {
        JsonNode message = inbox.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        assertNotNull(message, "no message from the gateway within " + timeout);
        return message;
    }

    JsonNode expect(String type) throws InterruptedException {
        JsonNode message = next(Duration.ofSeconds(15));
        assertEquals(type, message.path("type").asText(), () -> "unexpected message " + message);
        return message;
    }

    Optional<JsonNode> poll(Duration wait) throws InterruptedException {
        return Optional.ofNullable(inbox.poll(wait.toMillis(), TimeUnit.MILLISECONDS));
    }

    /** True when the gateway closed the socket within the time. */
    boolean awaitClosed(Duration timeout) {
        try {
            closed.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    /** Drops the TCP connection without a close handshake, like a crashed process. */
    void abort() {
        socket.abort();
    }

    @Override
    public void close() {
        if (!socket.isOutputClosed()) socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye");
        socket.abort();
    }

    private final class Listener implements WebSocket.Listener {
        private final StringBuilder partial = new StringBuilder();

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                try {
                    inbox.add(JSON.readTree(partial.toString()));
                } catch (Exception e) {
                    inbox.add(JSON.createObjectNode().put("type", "unparseable").put("text", partial.toString()));
                }
                partial.setLength(0);
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            closed.complete(statusCode);
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            closed.complete(-1);
        }
    }
}
