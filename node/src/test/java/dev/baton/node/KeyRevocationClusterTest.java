package dev.baton.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Two nodes that form one cluster on one PostgreSQL: a key or personal access token revoked through one node is
 * refused by the other within two seconds, although that node had just used it (and so had it cached).
 */
class KeyRevocationClusterTest {

    private static final String ADMIN_TOKEN = "tr_pat_cluster_test_admin_token_0123456789";
    private static final Duration PROPAGATION_BOUND = Duration.ofSeconds(2);
    private static final ObjectMapper JSON = new ObjectMapper();

    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static BatonNode nodeA;
    private static BatonNode nodeB;

    @BeforeAll
    static void startCluster() {
        Config config = ConfigFactory.parseMap(java.util.Map.of("baton.bootstrap.admin-token", ADMIN_TOKEN))
                .withFallback(TestNodes.postgresConfig(TestNodes.freshPostgresSchema("revoke")));
        nodeA = TestNodes.start("revoke", config);
        String seed = nodeA.system().address().toString();
        nodeB = TestNodes.start(
                "revoke", config.withValue("akka.cluster.seed-nodes", ConfigValueFactory.fromIterable(List.of(seed))));
    }

    @AfterAll
    static void stopCluster() {
        if (nodeB != null) TestNodes.stop(nodeB);
        if (nodeA != null) TestNodes.stop(nodeA);
    }

    @Test
    void theNodesFormedOneCluster() {
        assertEquals(
                2,
                akka.cluster.typed.Cluster.get(nodeB.system())
                        .state()
                        .getMembers()
                        .spliterator()
                        .estimateSize());
    }

    @Test
    void aKeyRevokedThroughOneNodeIsRefusedByTheOtherWithinTwoSeconds() throws Exception {
        String keys = "/api/v1/projects/default/environments/"
                + nodeA.credentials().environment().slug() + "/keys";
        JsonNode created = JSON.readTree(send(nodeA, "POST", keys, ADMIN_TOKEN, "{\"name\":\"revoke me\"}")
                .body());
        String key = created.get("key").asText();
        assertEquals(200, send(nodeB, "GET", "/api/v1/runs", key, null).statusCode(), "node B knows the key");

        HttpResponse<String> revoked =
                send(nodeA, "DELETE", keys + "/" + created.get("id").asText(), ADMIN_TOKEN, null);
        assertEquals(200, revoked.statusCode(), revoked.body());
        assertRefusedByWithin(nodeB, "/api/v1/runs", key);
    }

    @Test
    void aPersonalAccessTokenRevokedThroughOneNodeIsRefusedByTheOther() throws Exception {
        JsonNode made = JSON.readTree(
                send(nodeA, "POST", "/api/v1/personal-access-tokens", ADMIN_TOKEN, "{\"name\":\"laptop\"}")
                        .body());
        String token = made.get("token").asText();
        assertEquals(200, send(nodeB, "GET", "/api/v2/whoami", token, null).statusCode());

        send(nodeA, "DELETE", "/api/v1/personal-access-tokens/" + made.get("id").asText(), ADMIN_TOKEN, null);
        assertRefusedByWithin(nodeB, "/api/v2/whoami", token);
    }

    private static void assertRefusedByWithin(BatonNode node, String path, String credential) throws Exception {
        long start = System.nanoTime();
        int status;
        do {
            status = send(node, "GET", path, credential, null).statusCode();
            if (status == 401) break;
            Thread.sleep(50);
        } while (System.nanoTime() - start < PROPAGATION_BOUND.toNanos() * 3);
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertEquals(401, status, "still accepted after " + took);
        System.out.println("revoked on node A, refused by node B after " + took.toMillis() + " ms");
        assertTrue(took.compareTo(PROPAGATION_BOUND) <= 0, "refused only after " + took);
    }

    private static HttpResponse<String> send(BatonNode node, String method, String path, String token, String body)
            throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.httpPort() + path))
                .header("Authorization", "Bearer " + token)
                .timeout(Duration.ofSeconds(30));
        if (body != null) request.header("Content-Type", "application/json");
        return HTTP.send(
                request.method(
                                method,
                                body == null
                                        ? HttpRequest.BodyPublishers.noBody()
                                        : HttpRequest.BodyPublishers.ofString(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
