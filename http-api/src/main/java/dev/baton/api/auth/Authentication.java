package dev.baton.api.auth;

import static akka.http.javadsl.server.Directives.onSuccess;
import static akka.http.javadsl.server.Directives.optionalHeaderValueByName;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.DispatcherSelector;
import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.server.Route;
import dev.baton.api.errors.ErrorHandling;
import dev.baton.engine.environment.CredentialKind;
import dev.baton.engine.environment.Environment;
import dev.baton.engine.environment.EnvironmentDirectory;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Function;

/**
 * {@code Authorization: Bearer <secret key>} → the key's environment. Anything else is a 401 with
 * Trigger.dev's message, decided before any actor is asked. The directory lookup may hit the
 * database (first use of a key on this node), so it runs on the blocking-IO dispatcher.
 */
public final class Authentication {

    private static final String BEARER = "bearer ";

    private final EnvironmentDirectory directory;
    private final Executor blockingIo;

    public Authentication(ActorSystem<?> system, EnvironmentDirectory directory) {
        this.directory = directory;
        this.blockingIo = system.dispatchers().lookup(DispatcherSelector.blocking());
    }

    public Route authenticated(Function<Environment, Route> inner) {
        return optionalHeaderValueByName("Authorization", header -> {
            Optional<String> key = header.flatMap(Authentication::bearerToken);
            if (key.isEmpty()) return unauthorized();
            return onSuccess(
                    CompletableFuture.supplyAsync(
                            () -> directory.authenticate(CredentialKind.SECRET_KEY, key.get()), blockingIo),
                    environment -> environment.map(inner).orElseGet(Authentication::unauthorized));
        });
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
