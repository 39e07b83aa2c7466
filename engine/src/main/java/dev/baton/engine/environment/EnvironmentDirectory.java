package dev.baton.engine.environment;

import dev.baton.engine.common.Ids;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * Organizations, projects, environments, and the credentials that open an environment (secret keys and worker
 * tokens). Credentials are looked up by their SHA-256 hash, so plain keys are never stored; what a lookup finds is
 * trusted for a short while per node ({@link CredentialCache}), which bounds how long a revoked key keeps working.
 */
public final class EnvironmentDirectory {

    static final String ENVIRONMENT_COLUMNS = "e.id, e.project_id, p.ref, e.slug";

    private final Sql sql;
    private final Clock clock;
    private final Duration cacheTtl;
    private final CredentialCache<Environment> cache;

    /** For tests and tools: the system clock, and lookups trusted for one second. */
    public EnvironmentDirectory(DataSource dataSource) {
        this(dataSource, Clock.systemUTC(), Duration.ofSeconds(1));
    }

    public EnvironmentDirectory(DataSource dataSource, Clock clock, Duration cacheTtl) {
        this.sql = new Sql(dataSource);
        this.clock = clock;
        this.cacheTtl = cacheTtl;
        this.cache = new CredentialCache<>(clock, cacheTtl);
    }

    public Optional<Environment> authenticate(CredentialKind kind, String credential) {
        if (credential == null || credential.isBlank()) return Optional.empty();
        return authenticateHash(kind, Credentials.hash(credential));
    }

    /**
     * {@link #authenticate} by the credential's hash ({@link #credentialHash}): for what remembers a credential
     * without keeping it, such as a dashboard session.
     */
    public Optional<Environment> authenticateHash(CredentialKind kind, String hash) {
        return cache.get(kind.name() + ":" + hash, key -> lookup(kind, hash));
    }

    /** The hash a credential is stored and looked up by. */
    public static String credentialHash(String credential) {
        return Credentials.hash(credential);
    }

    private Optional<CredentialCache.Found<Environment>> lookup(CredentialKind kind, String hash) {
        Instant now = clock.instant();
        return sql.inTransaction(connection -> {
            Optional<CredentialCache.Found<Environment>> found = Sql.list(
                            connection,
                            "SELECT " + ENVIRONMENT_COLUMNS + ", c.expires_at FROM baton_credentials c"
                                    + " JOIN baton_environments e ON e.id = c.environment_id"
                                    + " JOIN baton_projects p ON p.id = e.project_id"
                                    + " WHERE c.key_hash = ? AND c.kind = ? AND c.revoked_at IS NULL"
                                    + " AND (c.expires_at IS NULL OR c.expires_at > ?)",
                            row -> new CredentialCache.Found<>(environment(row), Sql.instant(row, "expires_at")),
                            hash,
                            kind.name(),
                            now)
                    .stream()
                    .findFirst();
            if (found.isPresent()) {
                Sql.update(connection, "UPDATE baton_credentials SET last_used_at = ? WHERE key_hash = ?", now, hash);
            }
            return found;
        });
    }

    /** The environment of a project ({@code ref}) named by its slug or any name of its type. */
    public Optional<Environment> environment(String projectRef, String name) {
        String slug = EnvironmentType.named(name).map(EnvironmentType::slug).orElse(name);
        return sql.one(
                "SELECT " + ENVIRONMENT_COLUMNS + " FROM baton_environments e"
                        + " JOIN baton_projects p ON p.id = e.project_id WHERE p.ref = ? AND e.slug = ?",
                EnvironmentDirectory::environment,
                projectRef,
                slug);
    }

    /**
     * Ensures an organization, project and environment exist (ids derived from the names, so every
     * node and every restart agrees) and returns the environment. The node's bootstrap uses it.
     */
    public Environment ensureEnvironment(String projectRef, String slug) {
        String organizationId = "org_" + projectRef;
        String projectId = "proj_" + projectRef;
        String environmentId = "env_" + projectRef + "_" + slug;
        Instant now = clock.instant();
        sql.inTransaction(connection -> {
            insertIfMissing(connection, "baton_organizations", "id, name, created_at", organizationId, projectRef, now);
            insertIfMissing(
                    connection,
                    "baton_projects",
                    "id, organization_id, ref, name, created_at",
                    projectId,
                    organizationId,
                    projectRef,
                    projectRef,
                    now);
            insertIfMissing(
                    connection,
                    "baton_environments",
                    "id, project_id, slug, created_at",
                    environmentId,
                    projectId,
                    slug,
                    now);
            return null;
        });
        return new Environment(environmentId, projectId, projectRef, slug);
    }

    /**
     * Makes {@code credential} the bootstrap credential of its kind for the environment (the one configuration or
     * the dev launcher supplies), revoking a previous bootstrap credential; keys made through the API stay.
     */
    public void replaceCredential(Environment environment, CredentialKind kind, String credential) {
        String hash = Credentials.hash(credential);
        sql.inTransaction(connection -> {
            Sql.update(
                    connection,
                    "DELETE FROM baton_credentials WHERE environment_id = ? AND kind = ? AND name = ?"
                            + " AND key_hash <> ?",
                    environment.id(),
                    kind.name(),
                    ApiKeys.BOOTSTRAP_NAME,
                    hash);
            boolean present = !Sql.list(
                            connection, "SELECT 1 FROM baton_credentials WHERE key_hash = ?", row -> 1, hash)
                    .isEmpty();
            if (!present) {
                ApiKeys.insert(
                        connection, environment, kind, ApiKeys.BOOTSTRAP_NAME, credential, clock.instant(), null);
            }
            return null;
        });
        forgetCachedCredentials();
    }

    public boolean hasCredential(Environment environment, CredentialKind kind) {
        return sql.one(
                        "SELECT 1 FROM baton_credentials WHERE environment_id = ? AND kind = ? AND revoked_at IS NULL",
                        row -> 1,
                        environment.id(),
                        kind.name())
                .isPresent();
    }

    void forgetCachedCredentials() {
        cache.clear();
    }

    Clock clock() {
        return clock;
    }

    Duration cacheTtl() {
        return cacheTtl;
    }

    Sql sql() {
        return sql;
    }

    static Environment environment(ResultSet row) throws SQLException {
        return new Environment(row.getString(1), row.getString(2), row.getString(3), row.getString(4));
    }

    static String newEnvironmentId() {
        return "env_" + Ids.random(20);
    }

    private static void insertIfMissing(Connection connection, String table, String columns, Object... values)
            throws SQLException {
        if (!Sql.list(connection, "SELECT 1 FROM " + table + " WHERE id = ?", row -> 1, values[0])
                .isEmpty()) {
            return;
        }
        String bindMarkers = String.join(", ", java.util.Collections.nCopies(values.length, "?"));
        Sql.update(connection, "INSERT INTO " + table + "(" + columns + ") VALUES (" + bindMarkers + ")", values);
    }
}
