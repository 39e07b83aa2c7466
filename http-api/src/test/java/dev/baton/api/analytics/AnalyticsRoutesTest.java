package dev.baton.api.analytics;

import static dev.baton.api.ApiTestServer.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.baton.api.ApiTestServer;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * The analytics routes without a ClickHouse to answer: off (not configured) they say so, 200 on the status route
 * and 404 on the data routes; every bad parameter is a 400 naming it, before ClickHouse is asked; and a ClickHouse
 * that accepts the connection and never answers is a 503 naming ClickHouse within the read's deadline, not a hang.
 * The numbers themselves are checked against a real ClickHouse by AnalyticsNodeTest (node).
 */
class AnalyticsRoutesTest {

    private static final String KEY = "tr_dev_analytics_routes_key";

    @Test
    void offAnswersTheStatusAnd404AndChecksEveryParameter() throws Exception {
        try (ApiTestServer server = ApiTestServer.start("AnalyticsRoutesOff")) {
            server.environment("analytics", "dev", KEY);
            assertEquals(
                    401, server.get("/api/v1/analytics/tasks", "tr_dev_wrong").statusCode());

            HttpResponse<String> status = server.get("/api/v1/analytics", KEY);
            assertEquals(200, status.statusCode(), status.body());
            assertFalse(json(status).get("enabled").asBoolean());
            assertTrue(json(status).get("reason").asText().contains("ClickHouse is not configured"), status.body());

            for (String path : List.of("/api/v1/analytics/tasks", "/api/v1/analytics/throughput?period=1h")) {
                HttpResponse<String> off = server.get(path, KEY);
                assertEquals(404, off.statusCode(), path + ": " + off.body());
                assertEquals(
                        AnalyticsRoutes.NOT_CONFIGURED, json(off).get("error").asText());
            }

            assertBadRequest(server, "/api/v1/analytics/tasks?period=soon", "period");
            assertBadRequest(server, "/api/v1/analytics/tasks?period=0h", "period");
            assertBadRequest(server, "/api/v1/analytics/tasks?window=1h", "window");
            assertBadRequest(server, "/api/v1/analytics/tasks?interval=1h", "interval");
            assertBadRequest(server, "/api/v1/analytics/tasks?period=1h&from=1700000000000", "period");
            assertBadRequest(server, "/api/v1/analytics/tasks?to=1700000000000", "from");
            assertBadRequest(server, "/api/v1/analytics/tasks?from=1700000000000&to=1600000000000", "from");
            assertBadRequest(server, "/api/v1/analytics/tasks?from=yesterday", "from");
            assertBadRequest(server, "/api/v1/analytics/tasks?task=a&task=b", "task");
            assertBadRequest(server, "/api/v1/analytics/tasks?task=a%0Ab", "task");
            assertBadRequest(server, "/api/v1/analytics/throughput?interval=2m", "interval");

            // A public access token reads analytics like the run list: a broad read scope, or the one task it covers.
            String taskToken = mint(server, "read:tasks:fail");
            assertEquals(403, server.get("/api/v1/analytics/tasks", taskToken).statusCode());
            assertEquals(
                    403,
                    server.get("/api/v1/analytics/tasks?task=other", taskToken).statusCode());
            assertEquals(
                    404,
                    server.get("/api/v1/analytics/tasks?task=fail", taskToken).statusCode(),
                    "past auth");
            assertEquals(
                    404,
                    server.get("/api/v1/analytics/throughput", mint(server, "read:runs"))
                            .statusCode());
            assertEquals(
                    403,
                    server.get("/api/v1/analytics/tasks", mint(server, "read:batch"))
                            .statusCode());
        }
    }

    private static String mint(ApiTestServer server, String scope) throws Exception {
        HttpResponse<String> minted =
                server.post("/api/v1/auth/public-tokens", KEY, "{\"scopes\":[\"" + scope + "\"]}");
        assertEquals(200, minted.statusCode(), minted.body());
        return json(minted).get("token").asText();
    }

    @Test
    void aClickHouseThatNeverAnswersIsA503WithinTheDeadline() throws Exception {
        try (SilentServer silent = new SilentServer();
                ApiTestServer server = ApiTestServer.start(
                        "AnalyticsRoutesSilent", ConfigFactory.parseString("""
                                baton.clickhouse.url = "http://127.0.0.1:%d"
                                baton.clickhouse.queries.connect-timeout = 1s
                                baton.clickhouse.queries.timeout = 1s
                                """.formatted(silent.port())))) {
            server.environment("analytics", "dev", KEY);
            HttpResponse<String> status = server.get("/api/v1/analytics", KEY);
            assertTrue(json(status).get("enabled").asBoolean(), status.body());
            List<String> intervals = new ArrayList<>();
            json(status).get("intervals").forEach(interval -> intervals.add(interval.asText()));
            assertEquals(List.of("1m", "5m", "15m", "1h", "6h", "1d"), intervals);

            // Limits are checked before ClickHouse is asked.
            assertBadRequest(server, "/api/v1/analytics/throughput?period=30d&interval=1m", "interval");
            assertBadRequest(server, "/api/v1/analytics/tasks?period=100d", "window");

            for (String path : List.of("/api/v1/analytics/tasks?period=1h", "/api/v1/analytics/throughput")) {
                long started = System.nanoTime();
                HttpResponse<String> down = server.get(path, KEY);
                Duration took = Duration.ofNanos(System.nanoTime() - started);
                assertEquals(503, down.statusCode(), path + ": " + down.body());
                assertTrue(json(down).get("error").asText().startsWith("ClickHouse is unavailable"), down.body());
                assertTrue(down.headers().firstValue("retry-after").isPresent(), "a 503 says when to retry");
                assertTrue(took.compareTo(Duration.ofSeconds(8)) < 0, path + " answered only after " + took);
            }
            assertFalse(silent.accepted.isEmpty(), "the node did ask the silent server");
        }
    }

    private static void assertBadRequest(ApiTestServer server, String path, String parameter) throws Exception {
        HttpResponse<String> response = server.get(path, KEY);
        assertEquals(400, response.statusCode(), path + ": " + response.body());
        assertTrue(json(response).get("error").asText().contains(parameter), path + ": " + response.body());
    }

    /** Accepts connections and reads nothing, answers nothing: a ClickHouse that hangs. */
    private static final class SilentServer implements AutoCloseable {
        private final ServerSocket socket = new ServerSocket(0);
        private final List<Socket> accepted = new CopyOnWriteArrayList<>();

        SilentServer() throws IOException {
            Thread acceptor = new Thread(() -> {
                while (!socket.isClosed()) {
                    try {
                        accepted.add(socket.accept());
                    } catch (IOException e) {
                        return;
                    }
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
        }

        int port() {
            return socket.getLocalPort();
        }

        @Override
        public void close() throws IOException {
            socket.close();
            for (Socket connection : accepted) connection.close();
        }
    }
}
