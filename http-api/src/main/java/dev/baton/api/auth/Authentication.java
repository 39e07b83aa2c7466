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
import dev.baton.engine.environment.CredentialKind;
import dev.baton.engine.environment.Environment;
import dev.baton.engine.environment.EnvironmentDirectory;
import dev.baton.engine.environment.Projects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Function;

/**
 * {@code Authorization: Bearer <secret key>} → the key's environment; or a personal access token with
 * {@code x-baton-environment: <project ref>/<environment>} → that environment, when the token's user is a member of
 * its organization (how the {@code baton} CLI reaches runs). Anything else is a 401 with Trigger.dev's message,
 * decided before any actor is asked. The directory lookup may hit the database (first use of a key on this node),
 * so it runs on the blocking-IO dispatcher.
 */
public final class Authentication {

    private static final String BEARER = "bearer ";

    public static final String ENVIRONMENT_HEADER = "x-baton-environment";

    private final EnvironmentDirectory directory;
    private final Accounts accounts;
    private final Projects projects;
    private final Executor blockingIo;

    public Authentication(ActorSystem<?> system, EnvironmentDirectory directory) {
        this.directory = directory;
        this.accounts = new Accounts(directory);
        this.projects = new Projects(directory);
        this.blockingIo = system.dispatchers().lookup(DispatcherSelector.blocking());
    }

    public Route authenticated(Function<Environment, Route> inner) {
        return optionalHeaderValueByName("Authorization", header -> {
            Optional<String> key = header.flatMap(Authentication::bearerToken);
            if (key.isEmpty()) return unauthorized();
            if (key.get().startsWith(Accounts.TOKEN_PREFIX)) {
                return optionalHeaderValueByName(
                        ENVIRONMENT_HEADER,
                        named -> onSuccess(
                                CompletableFuture.supplyAsync(() -> environmentOfUser(key.get(), named), blockingIo),
                                environment -> environment.map(inner).orElseGet(Authentication::unauthorized)));
            }
            return onSuccess(
                    CompletableFuture.supplyAsync(
                            () -> directory.authenticate(CredentialKind.SECRET_KEY, key.get()), blockingIo),
                    environment -> environment.map(inner).orElseGet(Authentication::unauthorized));
        });
    }

    /** The environment a personal access token's user names and may see; empty (401) otherwise. */
    private Optional<Environment> environmentOfUser(String token, Optional<String> named) {
        if (named.isEmpty()) {
            throw new ApiException(
                    StatusCodes.BAD_REQUEST,
                    "A personal access token needs the header " + ENVIRONMENT_HEADER + ": <project ref>/<environment>");
        }
        int slash = named.get().lastIndexOf('/');
        if (slash <= 0 || slash == named.get().length() - 1) {
            throw ApiException.badRequest(
                    ENVIRONMENT_HEADER + " must be <project ref>/<environment>, e.g. proj_abc/dev");
        }
        String projectRef = named.get().substring(0, slash).strip();
        String environmentName = named.get().substring(slash + 1).strip();
        return accounts.authenticate(token).flatMap(user -> projects.environment(user, projectRef, environmentName));
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
