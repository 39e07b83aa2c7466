package dev.baton.node;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.Behaviors;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import dev.baton.engine.testkit.TestDatabases;
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

    static Config postgresConfig(String jdbcUrl) {
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

    static BatonNode start(String name, Config config) {
        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), name, config);
        try {
            return BatonNode.start(system);
        } catch (RuntimeException e) {
            stop(system);
            throw e;
        }
    }

    static void stop(BatonNode node) {
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
