package dev.baton.api.auth;

import static akka.http.javadsl.server.Directives.extractMethod;
import static akka.http.javadsl.server.Directives.onSuccess;
import static akka.http.javadsl.server.Directives.optionalCookie;
import static akka.http.javadsl.server.Directives.optionalHeaderValueByName;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.DispatcherSelector;
import akka.http.javadsl.model.HttpMethods;
import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.server.Route;
import dev.baton.api.errors.ErrorHandling;
import dev.baton.engine.environment.EnvironmentDirectory;
import dev.baton.engine.storage.Database;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Function;
import javax.sql.DataSource;

/**
 * The dashboard's sign-ins: a session is a random id in an HttpOnly cookie, stored only as its hash in
 * {@code baton_dashboard_sessions} with the hash of the credential it was opened with, so every node accepts it
 * and a credential revoked since stops opening anything. {@link Authentication} and the management API take a
 * session's cookie as that credential; a request that changes something must also carry {@link #CSRF_HEADER},
 * which a page of another site cannot send with the cookie.
 */
public final class DashboardSessions {

    public static final String SCHEMA_SCRIPT = "db/dashboard-sessions.sql";
    public static final String COOKIE = "baton_session";
    public static final String CSRF_HEADER = "x-baton-csrf";
    static final String CSRF_MISSING =
            "A request signed in by the dashboard's cookie must carry the header " + CSRF_HEADER + ": 1";
    private static final int ID_BYTES = 32;
    private static final SecureRandom RANDOM = new SecureRandom();

    /** What a session was opened with: a secret key or a personal access token. */
    public enum CredentialType {
        SECRET_KEY,
        PERSONAL_ACCESS_TOKEN
    }

    /** A live session: the type and hash of its credential, and when it ends. */
    public record Session(CredentialType type, String credentialHash, Instant expiresAt) {}

    private final DataSource dataSource;
    private final Executor blockingIo;
    private final Clock clock;
    private final Duration lifetime;

    public DashboardSessions(DataSource dataSource, Executor blockingIo, Clock clock, Duration lifetime) {
        this.dataSource = dataSource;
        this.blockingIo = blockingIo;
        this.clock = clock;
        this.lifetime = lifetime;
    }

    /** Creates the table if missing; the session lifetime is baton.http.dashboard.session-lifetime. */
    public static DashboardSessions create(ActorSystem<?> system, Database database, Clock clock) {
        database.runSchemaScript(SCHEMA_SCRIPT);
        return new DashboardSessions(
                database.dataSource(),
                system.dispatchers().lookup(DispatcherSelector.blocking()),
                clock,
                system.settings().config().getDuration("baton.http.dashboard.session-lifetime"));
    }

    public Duration lifetime() {
        return lifetime;
    }

    /** Opens a session for a credential already checked; answers the id the cookie is to hold. */
    public CompletionStage<String> open(CredentialType type, String credential) {
        return CompletableFuture.supplyAsync(
                () -> {
                    byte[] random = new byte[ID_BYTES];
                    RANDOM.nextBytes(random);
                    String id = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
                    Instant now = clock.instant();
                    try (Connection connection = dataSource.getConnection()) {
                        // Ended sessions go when a new one comes: no timer, and the table holds only live ones.
                        try (PreparedStatement purge = connection.prepareStatement(
                                "DELETE FROM baton_dashboard_sessions WHERE expires_at <= ?")) {
                            purge.setObject(1, utc(now));
                            purge.executeUpdate();
                        }
                        try (PreparedStatement insert =
                                connection.prepareStatement("INSERT INTO baton_dashboard_sessions"
                                        + "(id_hash, credential_kind, credential_hash, created_at, expires_at)"
                                        + " VALUES (?, ?, ?, ?, ?)")) {
                            insert.setString(1, EnvironmentDirectory.credentialHash(id));
                            insert.setString(2, type.name());
                            insert.setString(3, EnvironmentDirectory.credentialHash(credential));
                            insert.setObject(4, utc(now));
                            insert.setObject(5, utc(now.plus(lifetime)));
                            insert.executeUpdate();
                        }
                        return id;
                    } catch (SQLException e) {
                        throw new IllegalStateException("Could not store a dashboard session", e);
                    }
                },
                blockingIo);
    }

    /** The live session with this id, if any. */
    public CompletionStage<Optional<Session>> find(String id) {
        return CompletableFuture.supplyAsync(
                () -> {
                    try (Connection connection = dataSource.getConnection();
                            PreparedStatement select = connection.prepareStatement(
                                    "SELECT credential_kind, credential_hash, expires_at FROM baton_dashboard_sessions"
                                            + " WHERE id_hash = ? AND expires_at > ?")) {
                        select.setString(1, EnvironmentDirectory.credentialHash(id));
                        select.setObject(2, utc(clock.instant()));
                        try (ResultSet row = select.executeQuery()) {
                            if (!row.next()) return Optional.<Session>empty();
                            return Optional.of(new Session(
                                    CredentialType.valueOf(row.getString(1)),
                                    row.getString(2).strip(),
                                    row.getObject(3, OffsetDateTime.class).toInstant()));
                        }
                    } catch (SQLException e) {
                        throw new IllegalStateException("Could not read a dashboard session", e);
                    }
                },
                blockingIo);
    }

    /** Ends the session with this id on every node (a no-op for an unknown id). */
    public CompletionStage<Void> close(String id) {
        return CompletableFuture.runAsync(
                () -> {
                    try (Connection connection = dataSource.getConnection();
                            PreparedStatement delete = connection.prepareStatement(
                                    "DELETE FROM baton_dashboard_sessions WHERE id_hash = ?")) {
                        delete.setString(1, EnvironmentDirectory.credentialHash(id));
                        delete.executeUpdate();
                    } catch (SQLException e) {
                        throw new IllegalStateException("Could not delete a dashboard session", e);
                    }
                },
                blockingIo);
    }

    /**
     * The session the request's cookie names: empty without a cookie or when the session ended. A request other than
     * GET or HEAD that has the cookie but not {@link #CSRF_HEADER} is refused with 403 before anything is read.
     */
    public Route fromCookie(Function<Optional<Session>, Route> inner) {
        return optionalCookie(COOKIE, cookie -> {
            if (cookie.isEmpty() || cookie.get().value().isBlank()) return inner.apply(Optional.empty());
            return extractMethod(method -> optionalHeaderValueByName(CSRF_HEADER, csrf -> {
                boolean safe = method.equals(HttpMethods.GET) || method.equals(HttpMethods.HEAD);
                if (!safe && csrf.isEmpty()) return ErrorHandling.error(StatusCodes.FORBIDDEN, CSRF_MISSING);
                return onSuccess(find(cookie.get().value()), inner);
            }));
        });
    }

    private static OffsetDateTime utc(Instant instant) {
        return instant.atOffset(ZoneOffset.UTC);
    }
}
