package dev.baton.engine.environment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.baton.engine.common.Ids;
import dev.baton.engine.storage.Database;
import dev.baton.engine.task.RateLimit;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class EnvironmentDirectoryTest {

    private Database database;
    private EnvironmentDirectory directory;

    @BeforeEach
    void open() {
        database = Database.open(ConfigFactory.parseString("url = \"jdbc:h2:mem:dir-" + Ids.random(6)
                + ";DB_CLOSE_DELAY=-1\"\nuser = sa\npassword = \"\"\npool-size = 2\nconnection-timeout = 5s"));
        database.createSchemaIfMissing();
        database.createSchemaIfMissing(); // idempotent
        directory = new EnvironmentDirectory(database.dataSource());
    }

    @AfterEach
    void close() {
        database.close();
    }

    @Test
    void credentialsAuthenticateTheirEnvironmentOnlyForTheirKind() {
        Environment dev = directory.ensureEnvironment("acme", "dev");
        Environment prod = directory.ensureEnvironment("acme", "prod");
        directory.replaceCredential(dev, CredentialKind.SECRET_KEY, "tr_dev_a");
        directory.replaceCredential(prod, CredentialKind.SECRET_KEY, "tr_prod_b");
        directory.replaceCredential(dev, CredentialKind.WORKER_TOKEN, "bw_dev_c");

        assertEquals(
                dev,
                directory.authenticate(CredentialKind.SECRET_KEY, "tr_dev_a").orElseThrow());
        assertEquals(
                prod,
                directory.authenticate(CredentialKind.SECRET_KEY, "tr_prod_b").orElseThrow());
        assertTrue(
                directory.authenticate(CredentialKind.WORKER_TOKEN, "tr_dev_a").isEmpty());
        assertTrue(directory.authenticate(CredentialKind.SECRET_KEY, "bw_dev_c").isEmpty());
        assertTrue(directory.authenticate(CredentialKind.SECRET_KEY, "").isEmpty());
        assertTrue(directory.authenticate(CredentialKind.SECRET_KEY, null).isEmpty());
    }

    @Test
    void replacingACredentialRevokesTheOldOneAndOnlyHashesAreStored() throws Exception {
        Environment dev = directory.ensureEnvironment("acme", "dev");
        directory.replaceCredential(dev, CredentialKind.SECRET_KEY, "tr_dev_old");
        assertTrue(
                directory.authenticate(CredentialKind.SECRET_KEY, "tr_dev_old").isPresent());
        directory.replaceCredential(dev, CredentialKind.SECRET_KEY, "tr_dev_new");
        assertFalse(
                directory.authenticate(CredentialKind.SECRET_KEY, "tr_dev_old").isPresent());
        assertTrue(
                directory.authenticate(CredentialKind.SECRET_KEY, "tr_dev_new").isPresent());

        try (Connection connection = database.dataSource().getConnection();
                Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("SELECT key_hash FROM baton_credentials")) {
            while (rows.next()) {
                assertFalse(rows.getString(1).contains("tr_dev"));
                assertEquals(64, rows.getString(1).length());
            }
        }
    }

    @Test
    void queueSettingsKeepARateLimitOverrideUntilEveryOverrideIsGone() {
        QueueSettingsStore store = new QueueSettingsStore(directory);
        Instant at = Instant.parse("2026-01-02T03:04:05.678Z");
        QueueSettings limited = QueueSettings.DEFAULTS.withRateLimit(RateLimit.of(5, "1m"), at);
        store.save("env_rl", "task/a", limited);
        assertEquals(limited, store.load("env_rl", "task/a"));
        assertEquals(java.util.Map.of("task/a", limited), store.loadAll("env_rl"));

        QueueSettings paused = store.update("env_rl", "task/a", settings -> settings.withPaused(true));
        assertEquals(limited.withPaused(true), store.load("env_rl", "task/a"), "pausing keeps the rate limit");
        store.update(
                "env_rl", "task/a", settings -> paused.withRateLimit(null, null).withPaused(false));
        assertTrue(store.loadAll("env_rl").isEmpty(), "no override left: no row");
    }

    @Test
    void ensureEnvironmentIsIdempotent() {
        assertEquals(directory.ensureEnvironment("acme", "dev"), directory.ensureEnvironment("acme", "dev"));
    }

    @Test
    void aKnownCredentialKeepsWorkingWhileTheDatabaseCannotBeRead() {
        EnvironmentDirectory alwaysAsking =
                new EnvironmentDirectory(database.dataSource(), java.time.Clock.systemUTC(), java.time.Duration.ZERO);
        Environment dev = alwaysAsking.ensureEnvironment("outage", "dev");
        alwaysAsking.replaceCredential(dev, CredentialKind.SECRET_KEY, "tr_dev_known");
        assertEquals(
                dev,
                alwaysAsking
                        .authenticate(CredentialKind.SECRET_KEY, "tr_dev_known")
                        .orElseThrow());

        database.close();
        assertEquals(
                dev,
                alwaysAsking
                        .authenticate(CredentialKind.SECRET_KEY, "tr_dev_known")
                        .orElseThrow());
        org.junit.jupiter.api.Assertions.assertThrows(
                IllegalStateException.class,
                () -> alwaysAsking.authenticate(CredentialKind.SECRET_KEY, "tr_dev_never_seen"),
                "an unknown credential is not guessed at");
    }
}
