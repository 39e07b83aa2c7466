package dev.baton.sdk.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.sdk.task.Task;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The worker's side of the protocol's {@code logs} message, against {@link FakeGateway}. */
class WorkerLogsTest {

    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final String TOKEN = "wt_test";

    private FakeGateway gateway;
    private BatonWorker worker;

    @AfterEach
    void stop() throws Exception {
        if (worker != null) worker.kill();
        if (gateway != null) gateway.close();
    }

    private FakeGateway.Connection start(int rateLimit, boolean gatewayTakesLogs, int lines) throws Exception {
        return start(rateLimit, gatewayTakesLogs, lines, "line {}");
    }

    private FakeGateway.Connection start(int rateLimit, boolean gatewayTakesLogs, int lines, String line)
            throws Exception {
        gateway = new FakeGateway(TOKEN);
        Task<Map, Map> chatty = Task.<Map, Map>define("chatty", Map.class, (payload, ctx) -> {
                    ctx.logger().with("step", "charge").info("charged {} cents", 250, Map.of("orderId", "o-1"));
                    ctx.logger().error("declined", new IllegalStateException("card declined"));
                    for (int i = 0; i < lines; i++) ctx.logger().debug(line, i);
                    return Map.of();
                })
                .build();
        worker = BatonWorker.builder(gateway.httpUrl(), TOKEN)
                .register(chatty)
                .logRateLimit(rateLimit)
                .logFlushInterval(Duration.ofSeconds(30)) // only the flush before the result sends
                .build();
        worker.start();
        FakeGateway.Connection connection = gateway.nextConnection(WAIT);
        assertNotNull(connection);
        assertEquals("hello", connection.next(WAIT).path("type").asText());
        connection.send("{\"type\":\"welcome\",\"sessionId\":\"ws_1\",\"environmentId\":\"env_dev\","
                + "\"heartbeatIntervalMs\":10000,\"leaseTimeoutMs\":30000"
                + (gatewayTakesLogs ? ",\"logs\":true}" : "}"));
        assertTrue(worker.awaitConnected(WAIT));
        connection.send("{\"type\":\"execute\",\"runId\":\"run_1\",\"attemptId\":\"att_1\",\"attemptNumber\":1,"
                + "\"taskId\":\"chatty\",\"payload\":{},\"context\":{}}");
        return connection;
    }

    /** The next message but heartbeats and {@code started} (sent when a handler runs long on a busy machine). */
    private static JsonNode next(FakeGateway.Connection connection) throws InterruptedException {
        JsonNode message;
        do {
            message = connection.nextIgnoringHeartbeats(WAIT);
        } while (message != null && message.path("type").asText().equals("started"));
        return message;
    }

    @Test
    void anAttemptsLinesGoOutBeforeItsResult() throws Exception {
        FakeGateway.Connection connection = start(10_000, true, 0);
        JsonNode logs = next(connection);
        assertEquals("logs", logs.path("type").asText(), String.valueOf(logs));
        JsonNode lines = logs.path("lines");
        assertEquals(2, lines.size(), lines.toString());
        JsonNode charged = lines.get(0);
        assertEquals("att_1", charged.path("attemptId").asText());
        assertEquals("info", charged.path("level").asText());
        assertEquals("charged 250 cents", charged.path("message").asText());
        assertEquals(
                "{\"step\":\"charge\",\"orderId\":\"o-1\"}",
                charged.path("attributes").toString());
        java.time.Instant.parse(charged.path("timestamp").asText());
        JsonNode declined = lines.get(1);
        assertEquals("error", declined.path("level").asText());
        assertEquals(
                "IllegalStateException", declined.path("error").path("name").asText());
        assertTrue(declined.path("error").path("stackTrace").asText().contains("card declined"));
        assertEquals("completed", next(connection).path("type").asText());
    }

    @Test
    void aGatewayThatDoesNotTakeLogsGetsNone() throws Exception {
        FakeGateway.Connection connection = start(10_000, false, 0);
        assertEquals("completed", next(connection).path("type").asText());
    }

    @Test
    void everyMessageFitsTheGatewaysLimitEvenWithLinesThatEscapeLong() throws Exception {
        // a control character is six characters in JSON: 16,000 of them would make a line of about 96,000
        FakeGateway.Connection connection = start(10_000, true, 20, "\u0001".repeat(16_000) + " {}");
        int received = 0;
        JsonNode message;
        while ((message = next(connection)) != null
                && !message.path("type").asText().equals("completed")) {
            assertTrue(
                    message.toString().length() <= 192 * 1024,
                    "a message of " + message.toString().length());
            received += message.path("lines").size();
        }
        assertNotNull(message, "the attempt completed");
        assertEquals(22, received, "every line arrives, in messages that fit");
    }

    @Test
    void linesPastTheRateAreDroppedAndCountedInAMarker() throws Exception {
        FakeGateway.Connection connection = start(10, true, 1_000);
        List<JsonNode> lines = new ArrayList<>();
        JsonNode message;
        while ((message = next(connection)) != null
                && message.path("type").asText().equals("logs")) {
            message.path("lines").forEach(lines::add);
        }
        assertNotNull(message);
        assertEquals("completed", message.path("type").asText());
        List<JsonNode> markers = lines.stream()
                .filter(line -> line.path("attributes").path("baton.marker").asBoolean())
                .toList();
        assertEquals(1, markers.size(), lines.toString());
        long dropped = markers.get(0).path("attributes").path("droppedLines").asLong();
        assertEquals(1_002, lines.size() - 1 + dropped, "every line is sent or counted");
        assertEquals(dropped, worker.logLinesDropped());
        assertEquals("warn", markers.get(0).path("level").asText());
    }
}
