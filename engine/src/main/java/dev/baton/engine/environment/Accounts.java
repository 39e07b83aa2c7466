package dev.baton.engine.environment;

import dev.baton.engine.common.Ids;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * People and their personal access tokens ({@code tr_pat_…}, Trigger.dev's form, which its CLI insists on): a
 * token opens the management API and every environment of the organizations its user belongs to. Tokens, like
 * keys, are kept only as hashes and trusted per node for the directory's cache time.
 */
public final class Accounts {

    public static final String TOKEN_PREFIX = "tr_pat_";
    private static final int TOKEN_RANDOM_LENGTH = 40;

    /** {@code admin}: may create users (the first one, made at bootstrap, is). */
    public record User(String id, String email, String name, boolean admin) {}

    public record PersonalAccessToken(
            String id, String name, String prefix, Instant createdAt, Instant revokedAt, Instant lastUsedAt) {}

    public record IssuedToken(PersonalAccessToken token, String secret) {}

    private static final String USER_COLUMNS = "u.id, u.email, u.name, u.admin";
    private static final String TOKEN_COLUMNS = "id, name, prefix, created_at, revoked_at, last_used_at";

    private final EnvironmentDirectory directory;
    private final Sql sql;
    private final CredentialCache<User> cache;

    public Accounts(EnvironmentDirectory directory) {
        this.directory = directory;
        this.sql = directory.sql();
        this.cache = new CredentialCache<>(directory.clock(), directory.cacheTtl());
    }

    public Optional<User> authenticate(String token) {
        if (token == null || !token.startsWith(TOKEN_PREFIX)) return Optional.empty();
        return authenticateHash(Credentials.hash(token));
    }

    /** {@link #authenticate} by the token's hash ({@link EnvironmentDirectory#credentialHash}). */
    public Optional<User> authenticateHash(String hash) {
        return cache.get(
                hash,
                key -> sql.inTransaction(connection -> {
                    Instant now = directory.clock().instant();
                    Optional<User> user = Sql.list(
                                    connection,
                                    "SELECT " + USER_COLUMNS + " FROM baton_personal_access_tokens t"
                                            + " JOIN baton_users u ON u.id = t.user_id"
                                            + " WHERE t.token_hash = ? AND t.revoked_at IS NULL",
                                    Accounts::user,
                                    hash)
                            .stream()
                            .findFirst();
                    if (user.isPresent()) {
                        Sql.update(
                                connection,
                                "UPDATE baton_personal_access_tokens SET last_used_at = ? WHERE token_hash = ?",
                                now,
                                hash);
                    }
                    return user.map(found -> new CredentialCache.Found<>(found, null));
                }));
    }

    /** The user with this email, made (with the given name and admin flag) if there is none. */
    public User ensureUser(String email, String name, boolean admin) {
        return sql.inTransaction(connection -> {
            List<User> existing = Sql.list(
                    connection,
                    "SELECT " + USER_COLUMNS + " FROM baton_users u WHERE u.email = ?",
                    Accounts::user,
                    email);
            if (!existing.isEmpty()) return existing.get(0);
            User user = new User(Ids.newId("user"), email, name, admin);
            Sql.update(
                    connection,
                    "INSERT INTO baton_users(id, email, name, admin, created_at) VALUES (?, ?, ?, ?, ?)",
                    user.id(),
                    email,
                    name,
                    admin,
                    directory.clock().instant());
            return user;
        });
    }

    public Optional<User> userByEmail(String email) {
        return sql.one("SELECT " + USER_COLUMNS + " FROM baton_users u WHERE u.email = ?", Accounts::user, email);
    }

    public IssuedToken createToken(User user, String name) {
        return insertToken(user, name, TOKEN_PREFIX + Ids.random(TOKEN_RANDOM_LENGTH));
    }

    /** Makes {@code token} (from configuration) a token of {@code user} if it is not one already. */
    public void ensureToken(User user, String name, String token) {
        if (!token.startsWith(TOKEN_PREFIX)) {
            throw new IllegalArgumentException("a personal access token must start with " + TOKEN_PREFIX);
        }
        boolean present = sql.one(
                        "SELECT 1 FROM baton_personal_access_tokens WHERE token_hash = ?",
                        row -> 1,
                        Credentials.hash(token))
                .isPresent();
        if (!present) insertToken(user, name, token);
    }

    public boolean hasToken(User user) {
        return !tokens(user).isEmpty();
    }

    public List<PersonalAccessToken> tokens(User user) {
        return sql.list(
                "SELECT " + TOKEN_COLUMNS
                        + " FROM baton_personal_access_tokens WHERE user_id = ? AND revoked_at IS NULL"
                        + " ORDER BY created_at, id",
                Accounts::token,
                user.id());
    }

    public Optional<PersonalAccessToken> revokeToken(User user, String tokenId) {
        Instant now = directory.clock().instant();
        Optional<PersonalAccessToken> revoked = sql.inTransaction(connection -> {
            Sql.update(
                    connection,
                    "UPDATE baton_personal_access_tokens SET revoked_at = ? WHERE id = ? AND user_id = ?"
                            + " AND revoked_at IS NULL",
                    now,
                    tokenId,
                    user.id());
            return Sql.list(
                            connection,
                            "SELECT " + TOKEN_COLUMNS
                                    + " FROM baton_personal_access_tokens WHERE id = ? AND user_id = ?",
                            Accounts::token,
                            tokenId,
                            user.id())
                    .stream()
                    .findFirst();
        });
        cache.clear();
        return revoked;
    }

    private IssuedToken insertToken(User user, String name, String secret) {
        PersonalAccessToken token = new PersonalAccessToken(
                Ids.newId("pat"),
                name,
                CredentialKind.shownPrefix(secret),
                directory.clock().instant(),
                null,
                null);
        sql.update(
                "INSERT INTO baton_personal_access_tokens(id, token_hash, user_id, name, prefix, created_at)"
                        + " VALUES (?, ?, ?, ?, ?, ?)",
                token.id(),
                Credentials.hash(secret),
                user.id(),
                name,
                token.prefix(),
                token.createdAt());
        return new IssuedToken(token, secret);
    }

    private static User user(ResultSet row) throws SQLException {
        return new User(row.getString(1), row.getString(2), row.getString(3), row.getBoolean(4));
    }

    private static PersonalAccessToken token(ResultSet row) throws SQLException {
        return new PersonalAccessToken(
                row.getString("id"),
                row.getString("name"),
                row.getString("prefix"),
                Sql.instant(row, "created_at"),
                Sql.instant(row, "revoked_at"),
                Sql.instant(row, "last_used_at"));
    }
}
