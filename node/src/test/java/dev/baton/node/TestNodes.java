package dev.baton.node;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.Behaviors;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import dev.baton.engine.testkit.TestDatabases;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * Starts real Baton nodes for end-to-end tests: the production configuration (application.conf),
 * a real PostgreSQL (from BATON_TEST_DB_*; each test class gets its own schema) or an H2 file,
 * random ports, and fixed credentials.
 */
public final class TestNodes {

    public static final String SECRET_KEY = "tr_dev_e2e_secret_key_0123456789abcdef";
    public static final String WORKER_TOKEN = "bw_dev_e2e_worker_token_0123456789abcdef";

    private TestNodes() {}

    static String freshPostgresSchema(String prefix) {
        return TestDatabases.freshPostgresSchema(prefix);
    }

    static String user() {
        return TestDatabases.user();
    }

    static String password() {
        return TestDatabases.password();
    }

    public static Config postgresConfig(String jdbcUrl) {
        return ConfigFactory.parseMap(Map.of(
                        "baton.db.url", jdbcUrl,
                        "baton.db.user", user(),
                        "baton.db.password", password()))
                .withFallback(common())
                .withFallback(ConfigFactory.defaultApplication())
                .withFallback(ConfigFactory.defaultReference())
                .resolve();
    }

    static Config h2Config(Path dataDir) {
        return ConfigFactory.parseMap(
                        Map.of("baton.data-dir", dataDir.toAbsolutePath().toString()))
                .withFallback(common())
                .withFallback(ConfigFactory.parseResources("dev.conf"))
                .withFallback(ConfigFactory.defaultReference())
                .resolve();
    }

    private static Config common() {
        return ConfigFactory.parseString("""
            baton.node.http.interface = "127.0.0.1"
            baton.node.http.port = 0
            akka.remote.artery.canonical.port = 0
            akka.coordinated-shutdown.exit-jvm = off
            akka.cluster.jmx.multi-mbeans-in-same-jvm = on
            baton.management.enabled = off
            baton.engine.run.lease-timeout = 4s
            baton.engine.run.heartbeat-interval = 500ms
            """)
                .withValue("baton.bootstrap.secret-key", ConfigValueFactory.fromAnyRef(SECRET_KEY))
                .withValue("baton.bootstrap.worker-token", ConfigValueFactory.fromAnyRef(WORKER_TOKEN));
    }

    /** An environment of another project than the node's own, and a secret key of it. */
    record OtherEnvironment(String id, String secretKey) {}

    /**
     * Makes the prod environment of a new project in a new organization, and a secret key of it, through the
     * management API with the node's admin token ({@code baton.bootstrap.admin-token}).
     */
    static OtherEnvironment otherEnvironment(BatonNode node, String adminToken) throws Exception {
        String organization = manage(node, adminToken, "POST", "/api/v1/orgs", "{\"title\":\"Other\"}")
                .get("id")
                .asText();
        String ref = manage(node, adminToken, "POST", "/api/v1/orgs/" + organization + "/projects", "{\"name\":\"B\"}")
                .get("externalRef")
                .asText();
        String key = manage(node, adminToken, "POST", "/api/v1/projects/" + ref + "/environments/prod/keys", "{}")
                .get("key")
                .asText();
        for (JsonNode environment : manage(node, adminToken, "GET", "/api/v1/projects/" + ref + "/environments", null))
            if (environment.get("slug").asText().equals("prod"))
                return new OtherEnvironment(environment.get("id").asText(), key);
        throw new IllegalStateException("project " + ref + " has no prod environment");
    }

    private static JsonNode manage(BatonNode node, String adminToken, String method, String path, String body)
            throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.httpPort() + path))
                .timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + adminToken);
        if (body != null) request.header("Content-Type", "application/json");
        HttpResponse<String> response = HttpClient.newHttpClient()
                .send(
                        request.method(
                                        method,
                                        body == null
                                                ? HttpRequest.BodyPublishers.noBody()
                                                : HttpRequest.BodyPublishers.ofString(body))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() / 100 != 2)
            throw new IllegalStateException(method + " " + path + ": " + response.statusCode() + " " + response.body());
        return new ObjectMapper().readTree(response.body());
    }

    public static BatonNode start(String name, Config config) {
        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), name, config);
        try {
            return BatonNode.start(system);
        } catch (RuntimeException e) {
            stop(system);
            throw e;
        }
    }

    public static void stop(BatonNode node) {
        stop(node.system());
    }

    private static void stop(ActorSystem<?> system) {
        system.terminate();
        try {
            system.getWhenTerminated()
                    .toCompletableFuture()
                    .get(Duration.ofSeconds(60).toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("node did not stop", e);
        }
    }
}
