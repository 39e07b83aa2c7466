package dev.baton.projections;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorSystem;
import akka.cluster.MemberStatus;
import akka.cluster.sharding.ShardRegion;
import akka.cluster.sharding.typed.GetShardRegionState;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import akka.cluster.typed.Cluster;
import akka.cluster.typed.Join;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.baton.engine.Engine;
import dev.baton.engine.run.RunEntity;
import dev.baton.engine.storage.Database;
import dev.baton.engine.testkit.TestDatabases;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A single-node cluster configured like a Baton node on PostgreSQL (the JDBC journal in the test
 * schema, the engine, and the projections), without HTTP. Stop it and start another on the same URL
 * to simulate a crash: whatever was only in memory (timers, queues) is gone.
 */
public final class TestCluster implements AutoCloseable {

    private final ActorTestKit testKit;
    private final Database database;
    private final Engine engine;

    private TestCluster(ActorTestKit testKit, Database database, Engine engine) {
        this.testKit = testKit;
        this.database = database;
        this.engine = engine;
    }

    /** Node configuration on the PostgreSQL schema of {@code url}, with {@code overrides} on top. */
    public static Config postgresConfig(String url, String overrides) {
        return ConfigFactory.parseString(overrides)
                .withFallback(ConfigFactory.parseString("""
            akka.actor.provider = cluster
            akka.remote.artery.canonical.hostname = "127.0.0.1"
            akka.remote.artery.canonical.port = 0
            akka.cluster.jmx.multi-mbeans-in-same-jvm = on
            akka.cluster.sharding.remember-entities = off
            akka.actor.allow-java-serialization = off
            akka.actor.testkit.typed.system-shutdown-default = 60s
            akka.loggers = ["akka.event.slf4j.Slf4jLogger"]
            akka.logging-filter = "akka.event.slf4j.Slf4jLoggingFilter"
            akka.persistence.journal.plugin = "jdbc-journal"
            akka.persistence.snapshot-store.plugin = "jdbc-snapshot-store"
            akka.persistence.journal-plugin-fallback.replay-filter.mode = fail
            akka-persistence-jdbc.shared-databases.slick {
              profile = "slick.jdbc.PostgresProfile$"
              db {
                url = ${baton.db.url}
                user = ${baton.db.user}
                password = ${baton.db.password}
                driver = "org.postgresql.Driver"
                numThreads = 4
                maxConnections = 4
                minConnections = 1
              }
            }
            jdbc-journal.use-shared-db = "slick"
            jdbc-snapshot-store.use-shared-db = "slick"
            jdbc-read-journal.use-shared-db = "slick"
            jdbc-read-journal.dao = "dev.baton.engine.storage.TagRangeReadJournalDao"
            jdbc-read-journal.journal-sequence-retrieval.ask-timeout = 5s
            jdbc-read-journal.refresh-interval = 200ms
            akka.projection.jdbc.dialect = "postgres-dialect"
            akka.projection.jdbc.blocking-jdbc-dispatcher.thread-pool-executor.fixed-pool-size = ${baton.db.pool-size}
            """))
                .withFallback(TestDatabases.dbConfig(url).atPath("baton.db"))
                .withFallback(ConfigFactory.defaultReference())
                .resolve();
    }

    public static TestCluster start(String name, Config config) {
        ActorTestKit testKit = ActorTestKit.create(name, config);
        try {
            Cluster cluster = Cluster.get(testKit.system());
            cluster.manager().tell(Join.create(cluster.selfMember().address()));
            await(() -> cluster.selfMember().status() == MemberStatus.up(), Duration.ofSeconds(30), "node up");
            Database database = Database.open(config.getConfig("baton.db"));
            database.createSchemaIfMissing();
            Engine engine = Engine.init(testKit.system(), Clock.systemUTC());
            Projections.init(testKit.system(), database);
            return new TestCluster(testKit, database, engine);
        } catch (RuntimeException e) {
            testKit.shutdownTestKit();
            throw e;
        }
    }

    public ActorTestKit testKit() {
        return testKit;
    }

    public ActorSystem<Void> system() {
        return testKit.system();
    }

    public Database database() {
        return database;
    }

    public Engine engine() {
        return engine;
    }

    @Override
    public void close() {
        testKit.shutdownTestKit();
        database.close();
    }

    public interface Check {
        boolean holds() throws Exception;
    }

    /** Polls until {@code check} holds; fails after {@code timeout}. */
    public static void await(Check check, Duration timeout, String what) {
        Instant deadline = Instant.now().plus(timeout);
        Exception last = null;
        while (Instant.now().isBefore(deadline)) {
            try {
                if (check.holds()) return;
            } catch (Exception e) {
                last = e;
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        throw new AssertionError("timed out waiting for " + what, last);
    }

    /** Run entities alive on this node right now (asking starts none): which runs are in memory. */
    public Set<String> liveRuns() {
        TestProbe<ShardRegion.CurrentShardRegionState> probe = testKit().createTestProbe();
        ClusterSharding.get(system())
                .shardState()
                .tell(new GetShardRegionState(RunEntity.ENTITY_TYPE_KEY, probe.ref()));
        return probe.receiveMessage().getShards().stream()
                .flatMap(shard -> shard.getEntityIds().stream())
                .collect(Collectors.toSet());
    }
}
