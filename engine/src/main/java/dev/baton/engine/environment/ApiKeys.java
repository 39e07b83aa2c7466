package dev.baton.engine.environment;

import dev.baton.engine.common.Ids;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The secret keys and worker tokens of environments, managed: created (the plain value is returned once and only
 * its hash kept), listed with a prefix and last use, rotated with an overlap in which old and new both work, and
 * revoked. Changes reach every node's authentication within the directory's cache time.
 */
public final class ApiKeys {

    static final String BOOTSTRAP_NAME = "bootstrap";

    /** A credential as a list shows it: never the secret. */
    public record ApiKey(
            String id,
            String environmentId,
            CredentialKind kind,
            String name,
            String prefix,
            Instant createdAt,
            Instant expiresAt,
            Instant revokedAt,
            Instant lastUsedAt) {}

    /** A credential just made, with its plain value: the only time anyone sees it. */
    public record IssuedKey(ApiKey key, String secret) {}

    private static final String COLUMNS =
            "id, environment_id, kind, name, prefix, created_at, expires_at, revoked_at, last_used_at";

    private final EnvironmentDirectory directory;
    private final Sql sql;

    public ApiKeys(EnvironmentDirectory directory) {
        this.directory = directory;
        this.sql = directory.sql();
    }

    public IssuedKey create(Environment environment, CredentialKind kind, String name, Instant expiresAt) {
        return sql.inTransaction(connection -> insert(
                connection,
                environment,
                kind,
                name,
                kind.generate(environment.slug()),
                directory.clock().instant(),
                expiresAt));
    }

    public List<ApiKey> list(Environment environment) {
        return sql.list(
                "SELECT " + COLUMNS + " FROM baton_credentials WHERE environment_id = ? ORDER BY created_at, id",
                ApiKeys::apiKey,
                environment.id());
    }

    /**
     * A new key of the same kind and name; the old one keeps working for {@code overlap} (sooner if it expired
     * sooner) so deployments can switch over. Empty when the environment has no such live key.
     */
    public Optional<IssuedKey> rotate(Environment environment, String keyId, Duration overlap) {
        Instant now = directory.clock().instant();
        Optional<IssuedKey> issued = sql.inTransaction(connection -> {
            Optional<ApiKey> old = live(connection, environment, keyId, now);
            if (old.isEmpty()) return Optional.empty();
            Instant oldExpiry = now.plus(overlap);
            if (old.get().expiresAt() != null && old.get().expiresAt().isBefore(oldExpiry)) {
                oldExpiry = old.get().expiresAt();
            }
            Sql.update(connection, "UPDATE baton_credentials SET expires_at = ? WHERE id = ?", oldExpiry, keyId);
            String name = old.get().name().equals(BOOTSTRAP_NAME)
                    ? "rotated bootstrap"
                    : old.get().name();
            return Optional.of(insert(
                    connection,
                    environment,
                    old.get().kind(),
                    name,
                    old.get().kind().generate(environment.slug()),
                    now,
                    null));
        });
        directory.forgetCachedCredentials();
        return issued;
    }

    /** Revokes a key at once (on this node; on the others within the cache time). Empty when there is none. */
    public Optional<ApiKey> revoke(Environment environment, String keyId) {
        Instant now = directory.clock().instant();
        Optional<ApiKey> revoked = sql.inTransaction(connection -> {
            Optional<ApiKey> key = byId(connection, environment, keyId);
            if (key.isEmpty()) return Optional.empty();
            if (key.get().revokedAt() == null) {
                Sql.update(connection, "UPDATE baton_credentials SET revoked_at = ? WHERE id = ?", now, keyId);
            }
            return byId(connection, environment, keyId);
        });
        directory.forgetCachedCredentials();
        return revoked;
    }

    private static Optional<ApiKey> live(Connection connection, Environment environment, String keyId, Instant now)
            throws SQLException {
        return byId(connection, environment, keyId)
                .filter(key -> key.revokedAt() == null
                        && (key.expiresAt() == null || key.expiresAt().isAfter(now)));
    }

    private static Optional<ApiKey> byId(Connection connection, Environment environment, String keyId)
            throws SQLException {
        return Sql.list(
                        connection,
                        "SELECT " + COLUMNS + " FROM baton_credentials WHERE id = ? AND environment_id = ?",
                        ApiKeys::apiKey,
                        keyId,
                        environment.id())
                .stream()
                .findFirst();
    }

    static IssuedKey insert(
            Connection connection,
            Environment environment,
            CredentialKind kind,
            String name,
            String secret,
            Instant now,
            Instant expiresAt)
            throws SQLException {
        ApiKey key = new ApiKey(
                Ids.newId("key"),
                environment.id(),
                kind,
                name,
                CredentialKind.shownPrefix(secret),
                now,
                expiresAt,
                null,
                null);
        Sql.update(
                connection,
                "INSERT INTO baton_credentials(key_hash, " + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                Credentials.hash(secret),
                key.id(),
                key.environmentId(),
                kind.name(),
                name,
                key.prefix(),
                now,
                expiresAt,
                null,
                null);
        return new IssuedKey(key, secret);
    }

    private static ApiKey apiKey(ResultSet row) throws SQLException {
        return new ApiKey(
                row.getString("id"),
                row.getString("environment_id"),
                CredentialKind.valueOf(row.getString("kind")),
                row.getString("name"),
                row.getString("prefix"),
                Sql.instant(row, "created_at"),
                Sql.instant(row, "expires_at"),
                Sql.instant(row, "revoked_at"),
                Sql.instant(row, "last_used_at"));
    }
}
