package dev.baton.engine.testkit;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.DispatcherSelector;
import akka.cluster.MemberStatus;
import akka.cluster.typed.Cluster;
import akka.cluster.typed.Join;
import akka.persistence.testkit.PersistenceTestKitPlugin;
import akka.persistence.testkit.query.javadsl.PersistenceTestKitReadJournal;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.baton.engine.Engine;
import dev.baton.engine.dispatch.EnvironmentSettingsSource;
import dev.baton.engine.environment.CredentialKind;
import dev.baton.engine.environment.Environment;
import dev.baton.engine.environment.EnvironmentDirectory;
import dev.baton.engine.run.RunState;
import dev.baton.engine.storage.Database;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A single-node cluster for module tests: real actors, sharding and serialization, the testkit's
 * in-memory journal, and an in-memory H2 database for the environment directory. Integration tests
 * on PostgreSQL start a full node from {@code node} instead.
 */
public final class TestNode implements AutoCloseable {

    private final ActorTestKit testKit;
    private final Database database;
    private final EnvironmentDirectory directory;
    private final Engine engine;

    private TestNode(ActorTestKit testKit, Database database) {
        this.testKit = testKit;
        this.database = database;
        this.directory = new EnvironmentDirectory(database.dataSource());
        // Dispatchers read their environment's and queues' settings from the directory's tables, as on a node.
        this.engine = Engine.init(
                testKit.system(),
                Clock.systemUTC(),
                EnvironmentSettingsSource.stored(
                        directory, testKit.system().dispatchers().lookup(DispatcherSelector.blocking())));
    }

    /** Cluster on a random port, in-memory journal with serialization verified, short leases for fast tests. */
    public static Config config() {
        return ConfigFactory.parseString("""
            akka.actor.provider = cluster
            akka.remote.artery.canonical.hostname = 127.0.0.1
            akka.remote.artery.canonical.port = 0
            akka.cluster.jmx.multi-mbeans-in-same-jvm = on
            akka.actor.serialize-messages = off
            akka.coordinated-shutdown.terminate-actor-system = on
            akka.actor.testkit.typed.system-shutdown-default = 30s
            baton.engine.run.lease-timeout = 3s
            baton.engine.run.heartbeat-interval = 500ms
            baton.engine.read-journal-plugin = "%s"
            """.formatted(PersistenceTestKitReadJournal.Identifier()))
                .withFallback(PersistenceTestKitPlugin.getInstance().config())
                .withFallback(ConfigFactory.load());
    }

    public static TestNode start(String name) {
        return start(name, ConfigFactory.empty());
    }

    public static TestNode start(String name, Config overrides) {
        Config config = overrides.withFallback(config());
        ActorTestKit testKit = ActorTestKit.create(name, config);
        Cluster cluster = Cluster.get(testKit.system());
        cluster.manager().tell(Join.create(cluster.selfMember().address()));
        Instant deadline = Instant.now().plusSeconds(20);
        while (cluster.selfMember().status() != MemberStatus.up()) {
            if (Instant.now().isAfter(deadline)) throw new IllegalStateException("node did not come up");
            sleep(Duration.ofMillis(50));
        }
        Database database = Database.open(TestDatabases.dbConfig(TestDatabases.freshH2(name)));
        database.createSchemaIfMissing();
        return new TestNode(testKit, database);
    }

    /** A fresh environment with the given credentials registered. */
    public Environment createEnvironment(String projectRef, String slug, String secretKey, String workerToken) {
        Environment environment = directory.ensureEnvironment(projectRef, slug);
        directory.replaceCredential(environment, CredentialKind.SECRET_KEY, secretKey);
        directory.replaceCredential(environment, CredentialKind.WORKER_TOKEN, workerToken);
        return environment;
    }

    public ActorTestKit testKit() {
        return testKit;
    }

    public ActorSystem<Void> system() {
        return testKit.system();
    }

    public Engine engine() {
        return engine;
    }

    public EnvironmentDirectory directory() {
        return directory;
    }

    public Database database() {
        return database;
    }

    /** The run of {@code environmentId} as its entity holds it now. */
    public RunState run(String environmentId, String runId) throws Exception {
        return engine.runs()
                .get(environmentId, runId)
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS)
                .orElseThrow();
    }

    /** Asks the run's entity every 50 ms, for up to 15 s, until its state meets {@code condition}. */
    public RunState awaitRun(String environmentId, String runId, Predicate<RunState> condition) throws Exception {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(15));
        RunState state = run(environmentId, runId);
        while (!condition.test(state)) {
            if (Instant.now().isAfter(deadline))
                throw new AssertionError("run never reached the expected state: " + state);
            sleep(Duration.ofMillis(50));
            state = run(environmentId, runId);
        }
        return state;
    }

    public static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        testKit.shutdownTestKit();
        database.close();
    }
}
