package dev.baton.engine.envvars;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.baton.engine.storage.Database;
import dev.baton.engine.testkit.TestDatabases;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The store against the real PostgreSQL: values round-trip, are unreadable at rest, and stay in their row. */
class EnvironmentVariableStoreTest {

    private static Database database;
    private static EnvironmentVariableStore store;

    @BeforeAll
    static void open() {
        database = Database.open(TestDatabases.dbConfig(TestDatabases.freshPostgresSchema("envvars")));
        database.runSchemaScript(EnvironmentVariableStore.SCHEMA_SCRIPT);
        database.runSchemaScript(EnvironmentVariableStore.SCHEMA_SCRIPT); // idempotent
        store = new EnvironmentVariableStore(database.dataSource(), Optional.of(new ValueCipher(randomKey())));
    }

    @AfterAll
    static void close() {
        database.close();
    }

    @Test
    void valuesRoundTripAndAreNotStoredInPlainText() throws SQLException {
        String plaintext = "postgres://user:hunter2-ünïcode@db/app";
        assertEquals(List.of(), store.put("env_a", Map.of("DATABASE_URL", plaintext), true, true));

        EnvironmentVariable read = store.get("env_a", "DATABASE_URL").orElseThrow();
        assertEquals(new EnvironmentVariable("DATABASE_URL", plaintext, true), read);
        String column = ciphertext("env_a", "DATABASE_URL");
        assertFalse(column.contains("hunter2"), column);
        assertFalse(column.contains("postgres://"), column);

        // the same value again gets a new nonce
        store.put("env_a", Map.of("DATABASE_URL", plaintext), true, null);
        assertFalse(column.equals(ciphertext("env_a", "DATABASE_URL")));
        assertTrue(store.get("env_a", "DATABASE_URL").orElseThrow().isSecret(), "a null isSecret keeps the flag");
    }

    @Test
    void aCiphertextCopiedToAnotherRowDoesNotDecrypt() throws SQLException {
        store.put("env_b", Map.of("TOKEN", "secret-b"), true, false);
        store.put("env_b", Map.of("OTHER", "x"), true, false);
        store.put("env_c", Map.of("TOKEN", "y"), true, false);
        String sealed = ciphertext("env_b", "TOKEN");
        overwrite("env_b", "OTHER", sealed);
        overwrite("env_c", "TOKEN", sealed);

        assertThrows(ValueCipher.UndecryptableValueException.class, () -> store.get("env_b", "OTHER"));
        assertThrows(ValueCipher.UndecryptableValueException.class, () -> store.get("env_c", "TOKEN"));
        assertEquals("secret-b", store.get("env_b", "TOKEN").orElseThrow().value());
    }

    @Test
    void anotherKeyCannotReadTheValues() {
        store.put("env_k", Map.of("K", "v"), true, false);
        var otherKey = new EnvironmentVariableStore(database.dataSource(), Optional.of(new ValueCipher(randomKey())));
        assertThrows(ValueCipher.UndecryptableValueException.class, () -> otherKey.get("env_k", "K"));
    }

    @Test
    void withoutOverrideNothingIsWrittenWhenAnyNameExists() {
        store.put("env_d", Map.of("A", "1"), true, null);
        Map<String, String> batch = new LinkedHashMap<>();
        batch.put("B", "2");
        batch.put("A", "changed");
        assertEquals(List.of("A"), store.put("env_d", batch, false, null));
        assertEquals(Map.of("A", "1"), store.values("env_d"));

        assertEquals(List.of(), store.put("env_d", batch, true, null));
        assertEquals(Map.of("A", "changed", "B", "2"), store.values("env_d"));
    }

    @Test
    void concurrentCreatesOfOneNewNameBothSucceed() throws Exception {
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            for (int round = 0; round < 30; round++) {
                String environment = "env_race_" + round;
                java.util.concurrent.CountDownLatch start = new java.util.concurrent.CountDownLatch(1);
                java.util.List<java.util.concurrent.Future<?>> writers = new java.util.ArrayList<>();
                for (int writer = 0; writer < 4; writer++) {
                    String value = "v" + writer;
                    writers.add(pool.submit(() -> {
                        start.await();
                        return store.put(environment, Map.of("RACE", value), true, false);
                    }));
                }
                start.countDown();
                for (java.util.concurrent.Future<?> writer : writers) writer.get(); // a lost race used to be a 500
                assertTrue(store.get(environment, "RACE").isPresent());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void updateAndDeleteAnswerWhetherTheVariableExisted() {
        store.put("env_e", Map.of("A", "1"), true, true);
        assertTrue(store.update("env_e", "A", ""));
        assertEquals(
                new EnvironmentVariable("A", "", true), store.get("env_e", "A").orElseThrow());
        assertFalse(store.update("env_e", "MISSING", "x"));
        assertFalse(store.get("env_e", "MISSING").isPresent());
        assertTrue(store.delete("env_e", "A"));
        assertFalse(store.delete("env_e", "A"));
        assertEquals(List.of(), store.list("env_e"));
    }

    @Test
    void withoutAKeyTheStoreRefusesEveryCall() {
        var disabled = new EnvironmentVariableStore(database.dataSource(), Optional.empty());
        assertFalse(disabled.enabled());
        assertThrows(EnvironmentVariableStore.EncryptionKeyMissingException.class, () -> disabled.list("env_a"));
        assertThrows(
                EnvironmentVariableStore.EncryptionKeyMissingException.class,
                () -> disabled.put("env_a", Map.of("A", "1"), true, null));
    }

    @Test
    void theKeyFileIsCreatedOwnerOnlyAndReadBack(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("nested/encryption.key");
        var config = ConfigFactory.parseString(
                "baton.secrets { encryption-key = \"\", encryption-key-file = \"" + file + "\" }");
        ValueCipher first = EncryptionKeys.fromConfig(config).orElseThrow();
        assertTrue(Files.exists(file));
        assertEquals(
                Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE),
                Files.getPosixFilePermissions(file));
        ValueCipher second = EncryptionKeys.fromConfig(config).orElseThrow();
        assertEquals("v", second.decrypt(first.encrypt("v", "env", "N"), "env", "N"));

        var none = ConfigFactory.parseString("baton.secrets { encryption-key = \"\", encryption-key-file = \"\" }");
        assertTrue(EncryptionKeys.fromConfig(none).isEmpty());
        var shortKey = ConfigFactory.parseString(
                "baton.secrets { encryption-key = \"c2hvcnQ=\", encryption-key-file = \"\" }");
        assertThrows(IllegalArgumentException.class, () -> EncryptionKeys.fromConfig(shortKey));
    }

    private static byte[] randomKey() {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        return key;
    }

    private static String ciphertext(String environmentId, String name) throws SQLException {
        try (Connection connection = database.dataSource().getConnection();
                PreparedStatement select = connection.prepareStatement("SELECT value_ciphertext FROM"
                        + " baton_environment_variables WHERE environment_id = ? AND name = ?")) {
            select.setString(1, environmentId);
            select.setString(2, name);
            try (ResultSet rows = select.executeQuery()) {
                assertTrue(rows.next());
                return rows.getString(1);
            }
        }
    }

    private static void overwrite(String environmentId, String name, String ciphertext) throws SQLException {
        try (Connection connection = database.dataSource().getConnection();
                PreparedStatement update = connection.prepareStatement("UPDATE baton_environment_variables"
                        + " SET value_ciphertext = ? WHERE environment_id = ? AND name = ?")) {
            update.setString(1, ciphertext);
            update.setString(2, environmentId);
            update.setString(3, name);
            assertEquals(1, update.executeUpdate());
        }
    }
}
