package dev.baton.api.auth;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.DispatcherSelector;
import dev.baton.engine.environment.Environment;
import dev.baton.engine.storage.Database;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.HexFormat;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import javax.sql.DataSource;

/**
 * One random 256-bit server secret per environment, in {@code baton_environment_secrets}, created on first
 * use (every node agrees: the first insert wins, the others read it) and cached per node. It signs what the
 * API hands out to be shown back later: public access tokens and packet URLs.
 */
public final class EnvironmentSecrets {

    public static final String SCHEMA_SCRIPT = "db/environment-secrets.sql";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final DataSource dataSource;
    private final Executor blockingIo;
    private final ConcurrentHashMap<String, byte[]> cache = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Signer> signers = new ConcurrentHashMap<>();

    /** An environment that has a secret, and the secret: what a public access token naming it is checked with. */
    public record Signer(Environment environment, byte[] secret) {}

    public EnvironmentSecrets(DataSource dataSource, Executor blockingIo) {
        this.dataSource = dataSource;
        this.blockingIo = blockingIo;
    }

    /** Creates the table if missing (idempotent) and the secrets on Akka's blocking-IO dispatcher. */
    public static EnvironmentSecrets create(ActorSystem<?> system, Database database) {
        database.runSchemaScript(SCHEMA_SCRIPT);
        return new EnvironmentSecrets(
                database.dataSource(), system.dispatchers().lookup(DispatcherSelector.blocking()));
    }

    public CompletionStage<byte[]> secret(String environmentId) {
        byte[] cached = cache.get(environmentId);
        if (cached != null) return CompletableFuture.completedFuture(cached);
        return CompletableFuture.supplyAsync(
                () -> {
                    try {
                        byte[] secret = HexFormat.of().parseHex(loadOrCreate(environmentId));
                        cache.put(environmentId, secret);
                        return secret;
                    } catch (SQLException e) {
                        throw new CompletionException(e);
                    }
                },
                blockingIo);
    }

    /**
     * The environment {@code environmentId} and its secret, if both exist; never creates one: a token naming an
     * environment without a secret was not signed by Baton. Read through the environment tables, as a token's
     * {@code sub} is the only thing that names its environment.
     */
    public CompletionStage<Optional<Signer>> signer(String environmentId) {
        Signer cached = signers.get(environmentId);
        if (cached != null) return CompletableFuture.completedFuture(Optional.of(cached));
        return CompletableFuture.supplyAsync(
                () -> {
                    try (Connection connection = dataSource.getConnection();
                            PreparedStatement select = connection.prepareStatement(
                                    "SELECT s.secret, e.project_id, p.ref, e.slug FROM baton_environment_secrets s"
                                            + " JOIN baton_environments e ON e.id = s.environment_id"
                                            + " JOIN baton_projects p ON p.id = e.project_id"
                                            + " WHERE s.environment_id = ?")) {
                        select.setString(1, environmentId);
                        try (ResultSet row = select.executeQuery()) {
                            if (!row.next()) return Optional.<Signer>empty();
                            Signer signer = new Signer(
                                    new Environment(
                                            environmentId, row.getString(2), row.getString(3), row.getString(4)),
                                    HexFormat.of().parseHex(row.getString(1).trim()));
                            signers.put(environmentId, signer);
                            return Optional.of(signer);
                        }
                    } catch (SQLException e) {
                        throw new CompletionException(e);
                    }
                },
                blockingIo);
    }

    private String loadOrCreate(String environmentId) throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(true);
            Optional<String> existing = load(connection, environmentId);
            if (existing.isPresent()) return existing.get();
            byte[] secret = new byte[32];
            RANDOM.nextBytes(secret);
            try (PreparedStatement insert = connection.prepareStatement(
                    "INSERT INTO baton_environment_secrets(environment_id, secret, created_at) VALUES (?, ?, ?)")) {
                insert.setString(1, environmentId);
                insert.setString(2, HexFormat.of().formatHex(secret));
                insert.setObject(3, OffsetDateTime.now(ZoneOffset.UTC));
                insert.executeUpdate();
                return HexFormat.of().formatHex(secret);
            } catch (SQLException duplicate) {
                // Another node created it first: theirs is the secret.
                return load(connection, environmentId).orElseThrow(() -> duplicate);
            }
        }
    }

    private static Optional<String> load(Connection connection, String environmentId) throws SQLException {
        try (PreparedStatement select =
                connection.prepareStatement("SELECT secret FROM baton_environment_secrets WHERE environment_id = ?")) {
            select.setString(1, environmentId);
            try (ResultSet result = select.executeQuery()) {
                return result.next() ? Optional.of(result.getString(1).trim()) : Optional.empty();
            }
        }
    }
}
