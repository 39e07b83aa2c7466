package dev.baton.sdk.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.baton.sdk.task.Task;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A worker given several nodes: two fake gateways and a closed port play three nodes. Which gateway gets the next
 * connection shows the order the worker tries them in.
 */
class BatonWorkerFailoverTest {

    private static final String TOKEN = "bw_dev_token";
    private static final Duration WAIT = Duration.ofSeconds(10);

    private final Task<Map, Map> echo =
            Task.<Map, Map>define("echo", Map.class, (payload, ctx) -> payload).build();

    private FakeGateway first;
    private FakeGateway second;
    private BatonWorker worker;

    @AfterEach
    void stop() throws IOException {
        if (worker != null) worker.kill();
        if (first != null) first.close();
        if (second != null) second.close();
    }

    private static URI deadNode() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return URI.create("http://127.0.0.1:" + socket.getLocalPort());
        }
    }

    private void startWorker(List<URI> nodes) {
        startWorker(nodes, Duration.ofSeconds(30));
    }

    private void startWorker(List<URI> nodes, Duration idleTimeout) {
        worker = BatonWorker.builder(nodes, TOKEN)
                .register(echo)
                .reconnectBackoff(Duration.ofMillis(20), Duration.ofMillis(100))
                .idleTimeout(idleTimeout)
                .build();
        worker.start();
    }

    private void welcome(FakeGateway.Connection connection) throws Exception {
        assertNotNull(connection, "the worker did not connect");
        assertEquals("hello", connection.next(WAIT).get("type").asText());
        connection.send("{\"type\":\"welcome\",\"sessionId\":\"ws_1\",\"environmentId\":\"env_dev\","
                + "\"heartbeatIntervalMs\":60000,\"leaseTimeoutMs\":30000}");
        assertTrue(worker.awaitConnected(WAIT), "the worker did not see the welcome");
    }

    @Test
    void aClosedConnectionMovesTheWorkerToTheNextNodeAndARecentFailureIsTriedLast() throws Exception {
        first = new FakeGateway(TOKEN);
        second = new FakeGateway(TOKEN);
        URI dead = deadNode();
        startWorker(List.of(dead, first.httpUrl(), second.httpUrl()));

        // the dead node refuses, so the worker goes on to the first gateway
        FakeGateway.Connection onFirst = first.nextConnection(WAIT);
        welcome(onFirst);
        assertEquals(Optional.of(first.httpUrl()), worker.connectedNode());

        // the first gateway closes it: the next in the list is the second, though the first still accepts
        onFirst.goAway();
        FakeGateway.Connection onSecond = second.nextConnection(WAIT);
        welcome(onSecond);
        assertEquals(Optional.of(second.httpUrl()), worker.connectedNode());
        assertNull(first.nextConnection(Duration.ofMillis(200)), "the worker went back to the node it lost");

        // the second closes it too: every node failed recently, so they are tried oldest failure first: the dead
        // one (refusing again), then the first gateway
        onSecond.goAway();
        welcome(first.nextConnection(WAIT));
        assertEquals(Optional.of(first.httpUrl()), worker.connectedNode());
        assertNull(second.nextConnection(Duration.ofMillis(200)), "the worker went back to the node it just lost");
    }

    @Test
    void aNodeThatFallsSilentIsLeftForTheNext() throws Exception {
        first = new FakeGateway(TOKEN);
        second = new FakeGateway(TOKEN);
        startWorker(List.of(first.httpUrl(), second.httpUrl()), Duration.ofMillis(500));
        FakeGateway.Connection onFirst = first.nextConnection(WAIT);
        welcome(onFirst);

        // pings keep a quiet connection alive past the idle timeout
        for (int i = 0; i < 10; i++) {
            onFirst.ping();
            Thread.sleep(150);
        }
        assertEquals(Optional.of(first.httpUrl()), worker.connectedNode());
        assertNull(second.nextConnection(Duration.ZERO), "the worker left a node that pinged");

        // then nothing at all, as from a machine that is gone or cut off: no close frame, no FIN
        welcome(second.nextConnection(WAIT));
        assertEquals(Optional.of(second.httpUrl()), worker.connectedNode());
    }

    @Test
    void builderRefusesNoNodesDuplicatesAndBadSchemes() {
        URI node = URI.create("http://127.0.0.1:8080");
        assertThrows(IllegalArgumentException.class, () -> BatonWorker.builder(List.of(), TOKEN));
        assertThrows(IllegalArgumentException.class, () -> BatonWorker.builder(List.of(node, node), TOKEN));
        assertThrows(
                IllegalArgumentException.class, () -> BatonWorker.builder(List.of(node, URI.create("ftp://x")), TOKEN));
    }
}
