package dev.baton.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValueFactory;
import dev.baton.engine.environment.CredentialKind;
import dev.baton.engine.environment.Environment;
import dev.baton.engine.environment.EnvironmentDirectory;
import dev.baton.engine.environment.EnvironmentSettings;
import dev.baton.engine.environment.EnvironmentSettings.TriggerRateLimit;
import dev.baton.engine.environment.EnvironmentSettingsStore;
import dev.baton.engine.ratelimit.TriggerRateLimits;
import dev.baton.engine.storage.Database;
import dev.baton.engine.task.TaskDefinition;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Two nodes in one cluster on one PostgreSQL share each environment's trigger rate bucket: triggers sent to both
 * get the environment's burst once in total, where each node's own bucket used to allow it on each node. An
 * environment's own limit is its alone.
 */
class TriggerRateLimitClusterTest {

    private static final String TASK = "rate-limited";
    private static final TriggerRateLimit TEN_THEN_ONE_A_MINUTE = new TriggerRateLimit(10, 1, Duration.ofMinutes(1));
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private static Database database;
    private static BatonNode nodeA;
    private static BatonNode nodeB;
    private static EnvironmentDirectory directory;

    @BeforeAll
    static void startCluster() {
        Config config = TestNodes.postgresConfig(TestNodes.freshPostgresSchema("ratelimit"));
        nodeA = TestNodes.start("ratelimit", config);
        String seed = nodeA.system().address().toString();
        nodeB = TestNodes.start(
                "ratelimit",
                config.withValue("akka.cluster.seed-nodes", ConfigValueFactory.fromIterable(List.of(seed))));
        database = Database.open(config.getConfig("baton.db"));
        directory = new EnvironmentDirectory(database.dataSource());
    }

    @AfterAll
    static void stopCluster() {
        if (nodeB != null) TestNodes.stop(nodeB);
        if (nodeA != null) TestNodes.stop(nodeA);
        if (database != null) database.close();
    }

    @Test
    void theNodesShareTheEnvironmentsBurstAndItsOwnLimitIsItsAlone() throws Exception {
        String limitedKey = "tr_dev_rate_limited_cluster_0123456789";
        Environment limited = environment("limited", limitedKey);
        EnvironmentSettings own = new EnvironmentSettings(null, TEN_THEN_ONE_A_MINUTE, false);
        new EnvironmentSettingsStore(directory).save(limited.id(), own);
        TriggerRateLimits.applySettings(nodeB.system(), limited.id(), own);
        String otherKey = "tr_dev_rate_unlimited_cluster_0123456789";
        environment("unlimited", otherKey);

        long started = System.nanoTime();
        int allowedByA = 0;
        int allowedByB = 0;
        int refused = 0;
        for (int i = 0; i < 40; i++) {
            BatonNode node = i % 2 == 0 ? nodeA : nodeB;
            HttpResponse<String> response = trigger(node, limitedKey);
            assertEquals(
                    "10", response.headers().firstValue("x-ratelimit-limit").orElseThrow(), response.body());
            if (response.statusCode() == 200) {
                if (node == nodeA) allowedByA++;
                else allowedByB++;
            } else {
                assertEquals(429, response.statusCode(), response.body());
                assertEquals(
                        "0",
                        response.headers().firstValue("x-ratelimit-remaining").orElseThrow());
                assertTrue(response.headers().firstValue("retry-after").isPresent());
                refused++;
            }
        }
        // One token a minute may have come in while the test ran.
        long refilled = 1 + TimeUnit.NANOSECONDS.toMinutes(System.nanoTime() - started);
        int allowed = allowedByA + allowedByB;
        System.out.println("allowed by node A " + allowedByA + ", by node B " + allowedByB + ", refused " + refused);
        assertTrue(allowed >= 10 && allowed <= 10 + refilled, "allowed " + allowed + " of a burst of 10");
        assertTrue(allowedByA > 0 && allowedByB > 0, "both nodes spent the one bucket");
        assertEquals(40 - allowed, refused);

        // The other environment has the node's default (30,000 at once) on both nodes.
        for (int i = 0; i < 20; i++) {
            HttpResponse<String> response = trigger(i % 2 == 0 ? nodeA : nodeB, otherKey);
            assertEquals(200, response.statusCode(), response.body());
            assertEquals(
                    "30000", response.headers().firstValue("x-ratelimit-limit").orElseThrow());
        }
    }

    private static Environment environment(String project, String secretKey) throws Exception {
        Environment environment = directory.ensureEnvironment(project, "dev");
        directory.replaceCredential(environment, CredentialKind.SECRET_KEY, secretKey);
        nodeA.engine()
                .declareTasks(environment.id(), List.of(new TaskDefinition(TASK, null, null, null, null)))
                .toCompletableFuture()
                .get(30, TimeUnit.SECONDS);
        return environment;
    }

    private static HttpResponse<String> trigger(BatonNode node, String secretKey) throws Exception {
        return HTTP.send(
                HttpRequest.newBuilder(URI.create(
                                "http://127.0.0.1:" + node.httpPort() + "/api/v1/tasks/" + TASK + "/trigger"))
                        .header("Authorization", "Bearer " + secretKey)
                        .header("Content-Type", "application/json")
                        .timeout(Duration.ofSeconds(30))
                        .POST(HttpRequest.BodyPublishers.ofString("{\"payload\":{}}"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
