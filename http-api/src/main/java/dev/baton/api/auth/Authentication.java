package dev.baton.api.auth;

import static akka.http.javadsl.server.Directives.onSuccess;
import static akka.http.javadsl.server.Directives.optionalHeaderValueByName;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.DispatcherSelector;
import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.server.Route;
import dev.baton.api.errors.ApiException;
import dev.baton.api.errors.ErrorHandling;
import dev.baton.engine.environment.Accounts;
import dev.baton.engine.environment.Accounts.User;
import dev.baton.engine.environment.CredentialKind;
import dev.baton.engine.environment.Environment;
import dev.baton.engine.environment.EnvironmentDirectory;
import dev.baton.engine.environment.Projects;
import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * {@code Authorization: Bearer …} → who is calling, decided before any actor is asked. A secret key (looked up
 * through the directory) has full access to its environment. A public access token (a JWT, see
 * {@link PublicTokenVerifier}) has what its scopes grant, and only on the routes that take {@link #caller};
 * {@link #authenticated} answers it 403. A personal access token with {@code x-baton-environment: <project
 * ref>/<environment>} opens that environment like its secret key would, when the token's user is a member of its
 * organization (how the {@code baton} CLI reaches runs). Without an Authorization header, a dashboard session's
 * cookie ({@link DashboardSessions}) counts as the key or token it was opened with. Anything else is a 401 with
 * Trigger.dev's message. The lookups may hit the database (first use of a credential on this node), so they run on
 * the blocking-IO dispatcher.
 */
public final class Authentication {

    public static final String ENVIRONMENT_HEADER = "x-baton-environment";
    private static final String BEARER = "bearer ";
    static final String PUBLIC_TOKEN_NOT_ALLOWED =
            "A public access token is not allowed on this route: call it with a secret API key";

    private final EnvironmentDirectory directory;
    private final Accounts accounts;
    private final Projects projects;
    private final Executor blockingIo;
    private final PublicTokenVerifier tokens;
    private final DashboardSessions sessions;

    /** @param clock the node's clock, against which tokens expire */
    public Authentication(
            ActorSystem<?> system,
            EnvironmentDirectory directory,
            EnvironmentSecrets secrets,
            DashboardSessions sessions,
            Clock clock) {
        this.directory = directory;
        this.sessions = sessions;
        this.accounts = new Accounts(directory);
        this.projects = new Projects(directory);
        this.blockingIo = system.dispatchers().lookup(DispatcherSelector.blocking());
        this.tokens = new PublicTokenVerifier(secrets, clock);
    }

    /** Secret keys only: a valid public access token is refused with 403. */
    public Route authenticated(Function<Environment, Route> inner) {
        return caller(caller -> {
            if (caller.isPublic()) return ErrorHandling.error(StatusCodes.FORBIDDEN, PUBLIC_TOKEN_NOT_ALLOWED);
            return inner.apply(caller.environment());
        });
    }

    /**
     * A secret key or a public access token: the route checks the token's scopes ({@link Caller#mayAny},
     * {@link #forbidden()}) once it knows the resource.
     */
    public Route caller(Function<Caller, Route> inner) {
        return optionalHeaderValueByName("Authorization", header -> {
            Optional<String> bearer = header.flatMap(Authentication::bearerToken);
            if (bearer.isEmpty()) {
                if (header.isPresent()) return unauthorized();
                return sessions.fromCookie(session ->
                        session.map(found -> ofSession(found, inner)).orElseGet(Authentication::unauthorized));
            }
            String token = bearer.get();
            if (PublicTokenVerifier.looksLikeJwt(token)) return onSuccess(tokens.verify(token), inner);
            if (token.startsWith(Accounts.TOKEN_PREFIX)) {
                return optionalHeaderValueByName(
                        ENVIRONMENT_HEADER,
                        named -> onSuccess(
                                CompletableFuture.supplyAsync(
                                        () -> environmentOfUser(() -> accounts.authenticate(token), named), blockingIo),
                                environment -> environment
                                        .map(Caller::secretKey)
                                        .map(inner)
                                        .orElseGet(Authentication::unauthorized)));
            }
            return onSuccess(
                    CompletableFuture.supplyAsync(
                            () -> directory.authenticate(CredentialKind.SECRET_KEY, token), blockingIo),
                    environment ->
                            environment.map(Caller::secretKey).map(inner).orElseGet(Authentication::unauthorized));
        });
    }

    /** A session's credential, looked up again by its hash, so a key or token revoked since opens nothing. */
    private Route ofSession(DashboardSessions.Session session, Function<Caller, Route> inner) {
        return optionalHeaderValueByName(
                ENVIRONMENT_HEADER,
                named -> onSuccess(
                        CompletableFuture.supplyAsync(
                                () -> switch (session.type()) {
                                    case SECRET_KEY ->
                                        directory.authenticateHash(CredentialKind.SECRET_KEY, session.credentialHash());
                                    case PERSONAL_ACCESS_TOKEN ->
                                        environmentOfUser(
                                                () -> accounts.authenticateHash(session.credentialHash()), named);
                                },
                                blockingIo),
                        environment ->
                                environment.map(Caller::secretKey).map(inner).orElseGet(Authentication::unauthorized)));
    }

    /** The environment a personal access token's user names and may open; empty (401) otherwise. */
    private Optional<Environment> environmentOfUser(Supplier<Optional<User>> user, Optional<String> named) {
        if (named.isEmpty()) {
            throw ApiException.badRequest(
                    "A personal access token needs the header " + ENVIRONMENT_HEADER + ": <project ref>/<environment>");
        }
        int slash = named.get().lastIndexOf('/');
        if (slash <= 0 || slash == named.get().length() - 1) {
            throw ApiException.badRequest(
                    ENVIRONMENT_HEADER + " must be <project ref>/<environment>, e.g. proj_abc/dev");
        }
        String projectRef = named.get().substring(0, slash).strip();
        String environmentName = named.get().substring(slash + 1).strip();
        return user.get().flatMap(found -> projects.environment(found, projectRef, environmentName));
    }

    /** What a public access token whose scopes do not cover a request gets (Trigger.dev: 403 "Unauthorized"). */
    public static ApiException forbidden() {
        return new ApiException(
                StatusCodes.FORBIDDEN, "Unauthorized: the public access token's scopes do not allow this request");
    }

    static Optional<String> bearerToken(String authorization) {
        if (authorization.length() <= BEARER.length()
                || !authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return Optional.empty();
        }
        String token = authorization.substring(BEARER.length()).strip();
        return token.isEmpty() ? Optional.empty() : Optional.of(token);
    }

    private static Route unauthorized() {
        return ErrorHandling.error(StatusCodes.UNAUTHORIZED, "Invalid or Missing API key");
    }
}
