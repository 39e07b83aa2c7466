package dev.baton.engine.environment;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import javax.sql.DataSource;

/**
 * Organizations, projects, environments and their credentials. Credentials are looked up by their
 * SHA-256 hash, so plain keys are never stored; successful lookups are cached per node.
 */
public final class EnvironmentDirectory {

    private final DataSource dataSource;
    private final ConcurrentHashMap<String, Environment> byCredentialHash = new ConcurrentHashMap<>();

    public EnvironmentDirectory(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    public Optional<Environment> authenticate(CredentialKind kind, String credential) {
        if (credential == null || credential.isBlank()) return Optional.empty();
        String hash = kind.name() + ":" + hash(credential);
        Environment cached = byCredentialHash.get(hash);
        if (cached != null) return Optional.of(cached);
        Optional<Environment> found = query("""
        SELECT e.id, e.project_id, p.ref, e.slug FROM baton_credentials c
        JOIN baton_environments e ON e.id = c.environment_id
        JOIN baton_projects p ON p.id = e.project_id
        WHERE c.key_hash = ? AND c.kind = ?""", hash(credential), kind.name());
        found.ifPresent(environment -> byCredentialHash.put(hash, environment));
        return found;
    }

    /**
     * Ensures an organization, project and environment exist (ids derived from the names, so every
     * node and every restart agrees) and returns the environment.
     */
    public Environment ensureEnvironment(String projectRef, String slug) {
        String organizationId = "org_" + projectRef;
        String projectId = "proj_" + projectRef;
        String environmentId = "env_" + projectRef + "_" + slug;
        inTransaction(connection -> {
            insertIfMissing(connection, "baton_organizations", "id, name", organizationId, projectRef);
            insertIfMissing(
                    connection,
                    "baton_projects",
                    "id, organization_id, ref, name",
                    projectId,
                    organizationId,
                    projectRef,
                    projectRef);
            insertIfMissing(connection, "baton_environments", "id, project_id, slug", environmentId, projectId, slug);
        });
        return new Environment(environmentId, projectId, projectRef, slug);
    }

    /** Makes {@code credential} the only credential of its kind for the environment. */
    public void replaceCredential(Environment environment, CredentialKind kind, String credential) {
        inTransaction(connection -> {
            try (PreparedStatement delete = connection.prepareStatement(
                    "DELETE FROM baton_credentials WHERE environment_id = ? AND kind = ?")) {
                delete.setString(1, environment.id());
                delete.setString(2, kind.name());
                delete.executeUpdate();
            }
            try (PreparedStatement insert = connection.prepareStatement(
                    "INSERT INTO baton_credentials(key_hash, environment_id, kind, created_at) VALUES (?, ?, ?, ?)")) {
                insert.setString(1, hash(credential));
                insert.setString(2, environment.id());
                insert.setString(3, kind.name());
                insert.setTimestamp(4, Timestamp.from(Instant.now()));
                insert.executeUpdate();
            }
        });
        byCredentialHash.clear();
    }

    public boolean hasCredential(Environment environment, CredentialKind kind) {
        try (Connection connection = dataSource.getConnection();
                PreparedStatement statement = connection.prepareStatement(
                        "SELECT 1 FROM baton_credentials WHERE environment_id = ? AND kind = ?")) {
            statement.setString(1, environment.id());
            statement.setString(2, kind.name());
            try (ResultSet rows = statement.executeQuery()) {
                return rows.next();
            }
        } catch (SQLException e) {
            throw new IllegalStateException("credential lookup failed", e);
        }
    }

    static String hash(String credential) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(credential.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private Optional<Environment> query(String sql, String... params) {
        try (Connection connection = dataSource.getConnection();
                PreparedStatement statement = connection.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) statement.setString(i + 1, params[i]);
            try (ResultSet rows = statement.executeQuery()) {
                return rows.next()
                        ? Optional.of(new Environment(
                                rows.getString(1), rows.getString(2), rows.getString(3), rows.getString(4)))
                        : Optional.empty();
            }
        } catch (SQLException e) {
            throw new IllegalStateException("environment lookup failed", e);
        }
    }

    private static void insertIfMissing(Connection connection, String table, String columns, String... values)
            throws SQLException {
        try (PreparedStatement exists = connection.prepareStatement("SELECT 1 FROM " + table + " WHERE id = ?")) {
            exists.setString(1, values[0]);
            try (ResultSet rows = exists.executeQuery()) {
                if (rows.next()) return;
            }
        }
        String bindMarkers = String.join(", ", java.util.Collections.nCopies(values.length, "?"));
        try (PreparedStatement insert = connection.prepareStatement(
                "INSERT INTO " + table + "(" + columns + ") VALUES (" + bindMarkers + ")")) {
            for (int i = 0; i < values.length; i++) insert.setString(i + 1, values[i]);
            insert.executeUpdate();
        }
    }

    private interface SqlWork {
        void run(Connection connection) throws SQLException;
    }

    private void inTransaction(SqlWork work) {
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            try {
                work.run(connection);
                connection.commit();
            } catch (SQLException e) {
                connection.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw new IllegalStateException("environment directory update failed", e);
        }
    }
}
