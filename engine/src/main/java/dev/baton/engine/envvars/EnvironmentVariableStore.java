package dev.baton.engine.envvars;

import com.typesafe.config.Config;
import dev.baton.engine.storage.Database;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * The environments' variables in {@code baton_environment_variables}, values encrypted ({@link ValueCipher}).
 * Calls are blocking JDBC: run them on a blocking-IO executor. Without a key ({@link EncryptionKeys}) the store is
 * disabled: {@link #enabled()} is false and every other call throws {@link EncryptionKeyMissingException}.
 */
public final class EnvironmentVariableStore {

    public static final String SCHEMA_SCRIPT = "db/environment-variables.sql";
    /** SQLSTATE of a duplicate key, in PostgreSQL and H2 alike. */
    private static final String UNIQUE_VIOLATION = "23505";

    private final DataSource dataSource;
    private final Optional<ValueCipher> cipher;

    public EnvironmentVariableStore(DataSource dataSource, Optional<ValueCipher> cipher) {
        this.dataSource = dataSource;
        this.cipher = cipher;
    }

    /** Creates the table if missing (idempotent) and reads the key from {@code baton.secrets} in {@code root}. */
    public static EnvironmentVariableStore create(Database database, Config root) {
        database.runSchemaScript(SCHEMA_SCRIPT);
        return new EnvironmentVariableStore(database.dataSource(), EncryptionKeys.fromConfig(root));
    }

    public boolean enabled() {
        return cipher.isPresent();
    }

    /** The environment's variables by name, in name order. */
    public List<EnvironmentVariable> list(String environmentId) {
        ValueCipher sealer = sealer();
        try (Connection connection = dataSource.getConnection();
                PreparedStatement select = connection.prepareStatement(
                        "SELECT name, value_ciphertext, is_secret FROM baton_environment_variables"
                                + " WHERE environment_id = ? ORDER BY name")) {
            select.setString(1, environmentId);
            List<EnvironmentVariable> variables = new ArrayList<>();
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    String name = rows.getString(1);
                    variables.add(new EnvironmentVariable(
                            name, sealer.decrypt(rows.getString(2), environmentId, name), rows.getBoolean(3)));
                }
            }
            return variables;
        } catch (SQLException e) {
            throw new IllegalStateException("environment variables lookup failed", e);
        }
    }

    /** The name → value map a worker gets with each execution. */
    public Map<String, String> values(String environmentId) {
        Map<String, String> values = new LinkedHashMap<>();
        for (EnvironmentVariable variable : list(environmentId)) values.put(variable.name(), variable.value());
        return values;
    }

    public Optional<EnvironmentVariable> get(String environmentId, String name) {
        ValueCipher sealer = sealer();
        try (Connection connection = dataSource.getConnection();
                PreparedStatement select = connection.prepareStatement(
                        "SELECT value_ciphertext, is_secret FROM baton_environment_variables"
                                + " WHERE environment_id = ? AND name = ?")) {
            select.setString(1, environmentId);
            select.setString(2, name);
            try (ResultSet rows = select.executeQuery()) {
                if (!rows.next()) return Optional.empty();
                return Optional.of(new EnvironmentVariable(
                        name, sealer.decrypt(rows.getString(1), environmentId, name), rows.getBoolean(2)));
            }
        } catch (SQLException e) {
            throw new IllegalStateException("environment variable lookup failed", e);
        }
    }

    /**
     * Sets each variable, creating the missing ones. {@code isSecret} null keeps an existing variable's flag (a new
     * one is not secret). Unless {@code override}, nothing is written when any of them exists already, and their
     * names come back; otherwise the list is empty. One transaction: all or nothing.
     */
    public List<String> put(String environmentId, Map<String, String> variables, boolean override, Boolean isSecret) {
        try {
            return putOnce(environmentId, variables, override, isSecret);
        } catch (IllegalStateException e) {
            // Another request created one of these names between our update and insert: the second try updates it.
            if (!(e.getCause() instanceof SQLException sql) || !UNIQUE_VIOLATION.equals(sql.getSQLState())) throw e;
            return putOnce(environmentId, variables, override, isSecret);
        }
    }

    private List<String> putOnce(
            String environmentId, Map<String, String> variables, boolean override, Boolean isSecret) {
        ValueCipher sealer = sealer();
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            try {
                if (!override) {
                    List<String> existing = existing(connection, environmentId, variables.keySet());
                    if (!existing.isEmpty()) {
                        connection.rollback();
                        return existing;
                    }
                }
                OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
                for (Map.Entry<String, String> variable : variables.entrySet()) {
                    String ciphertext = sealer.encrypt(variable.getValue(), environmentId, variable.getKey());
                    if (!update(connection, environmentId, variable.getKey(), ciphertext, isSecret, now)) {
                        insert(connection, environmentId, variable.getKey(), ciphertext, isSecret, now);
                    }
                }
                connection.commit();
                return List.of();
            } catch (SQLException | RuntimeException e) {
                connection.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw new IllegalStateException("environment variables update failed", e);
        }
    }

    /** Changes an existing variable's value (its secret flag stays); false when there is no such variable. */
    public boolean update(String environmentId, String name, String value) {
        String ciphertext = sealer().encrypt(value, environmentId, name);
        try (Connection connection = dataSource.getConnection()) {
            return update(connection, environmentId, name, ciphertext, null, OffsetDateTime.now(ZoneOffset.UTC));
        } catch (SQLException e) {
            throw new IllegalStateException("environment variable update failed", e);
        }
    }

    /** False when there was no such variable. */
    public boolean delete(String environmentId, String name) {
        sealer();
        try (Connection connection = dataSource.getConnection();
                PreparedStatement delete = connection.prepareStatement(
                        "DELETE FROM baton_environment_variables WHERE environment_id = ? AND name = ?")) {
            delete.setString(1, environmentId);
            delete.setString(2, name);
            return delete.executeUpdate() > 0;
        } catch (SQLException e) {
            throw new IllegalStateException("environment variable delete failed", e);
        }
    }

    private ValueCipher sealer() {
        return cipher.orElseThrow(EncryptionKeyMissingException::new);
    }

    private static List<String> existing(Connection connection, String environmentId, Iterable<String> names)
            throws SQLException {
        List<String> existing = new ArrayList<>();
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT 1 FROM baton_environment_variables WHERE environment_id = ? AND name = ?")) {
            for (String name : names) {
                select.setString(1, environmentId);
                select.setString(2, name);
                try (ResultSet rows = select.executeQuery()) {
                    if (rows.next()) existing.add(name);
                }
            }
        }
        return existing;
    }

    private static boolean update(
            Connection connection,
            String environmentId,
            String name,
            String ciphertext,
            Boolean isSecret,
            OffsetDateTime now)
            throws SQLException {
        String sql = isSecret == null
                ? "UPDATE baton_environment_variables SET value_ciphertext = ?, updated_at = ?"
                        + " WHERE environment_id = ? AND name = ?"
                : "UPDATE baton_environment_variables SET value_ciphertext = ?, updated_at = ?, is_secret = ?"
                        + " WHERE environment_id = ? AND name = ?";
        try (PreparedStatement update = connection.prepareStatement(sql)) {
            int i = 1;
            update.setString(i++, ciphertext);
            update.setObject(i++, now);
            if (isSecret != null) update.setBoolean(i++, isSecret);
            update.setString(i++, environmentId);
            update.setString(i, name);
            return update.executeUpdate() > 0;
        }
    }

    private static void insert(
            Connection connection,
            String environmentId,
            String name,
            String ciphertext,
            Boolean isSecret,
            OffsetDateTime now)
            throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement("INSERT INTO baton_environment_variables"
                + "(environment_id, name, value_ciphertext, is_secret, created_at, updated_at)"
                + " VALUES (?, ?, ?, ?, ?, ?)")) {
            insert.setString(1, environmentId);
            insert.setString(2, name);
            insert.setString(3, ciphertext);
            insert.setBoolean(4, Boolean.TRUE.equals(isSecret));
            insert.setObject(5, now);
            insert.setObject(6, now);
            insert.executeUpdate();
        }
    }

    /** The server has no encryption key: environment variables can be neither stored nor read. */
    public static final class EncryptionKeyMissingException extends IllegalStateException {
        public EncryptionKeyMissingException() {
            super("Environment variables need an encryption key: set " + EncryptionKeys.KEY_SETTING
                    + " (BATON_ENCRYPTION_KEY, base64 of 32 bytes) or " + EncryptionKeys.KEY_FILE_SETTING);
        }
    }
}
