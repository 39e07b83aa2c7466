package dev.baton.api.envvars;

import static akka.http.javadsl.server.Directives.complete;
import static akka.http.javadsl.server.Directives.concat;
import static akka.http.javadsl.server.Directives.delete;
import static akka.http.javadsl.server.Directives.get;
import static akka.http.javadsl.server.Directives.onSuccess;
import static akka.http.javadsl.server.Directives.path;
import static akka.http.javadsl.server.Directives.pathEndOrSingleSlash;
import static akka.http.javadsl.server.Directives.pathPrefix;
import static akka.http.javadsl.server.Directives.post;
import static akka.http.javadsl.server.Directives.put;
import static akka.http.javadsl.server.PathMatchers.segment;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.DispatcherSelector;
import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.server.Route;
import dev.baton.api.auth.Authentication;
import dev.baton.api.body.JsonBody;
import dev.baton.api.config.HttpSettings;
import dev.baton.api.environments.EnvironmentTypes;
import dev.baton.api.errors.ErrorHandling;
import dev.baton.api.json.Json;
import dev.baton.engine.environment.Environment;
import dev.baton.engine.envvars.EnvironmentVariable;
import dev.baton.engine.envvars.EnvironmentVariableStore;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Trigger.dev's {@code envvars.*}: {@code /api/v1/projects/{ref}/envvars/{env}} (list, create),
 * {@code …/{env}/import} and {@code …/{env}/{name}} (retrieve, update, delete). A key reaches only its own
 * environment: another project or environment in the path is a 403. Secret values are never shown again
 * ({@code "<redacted>"}); workers get them with each execution. Create sets the variable whether or not it exists
 * (Trigger.dev's create overrides); import refuses, changing nothing, when any of its names exists unless
 * {@code override} is true. Without an encryption key on the server every call answers 503.
 */
public final class EnvVarRoutes {

    static final String REDACTED = "<redacted>";

    record Variable(String name, String value, boolean isSecret) {}

    record Success(boolean success) {}

    record VariableError(String key, String error) {}

    /** Trigger.dev's answer to an import of existing names without override. */
    record ImportRefused(String error, List<VariableError> variableErrors) {}

    private static final Success SUCCESS = new Success(true);

    private final EnvironmentVariableStore store;
    private final Authentication authentication;
    private final JsonBody jsonBody;
    private final EnvVarRequests requests;
    private final Executor blockingIo;

    public EnvVarRoutes(
            ActorSystem<?> system,
            EnvironmentVariableStore store,
            Authentication authentication,
            HttpSettings settings) {
        this.store = store;
        this.authentication = authentication;
        this.jsonBody = new JsonBody(settings.maxBodySize(), settings.bodyReadTimeout());
        this.requests =
                new EnvVarRequests(EnvVarSettings.fromConfig(system.settings().config()));
        this.blockingIo = system.dispatchers().lookup(DispatcherSelector.blocking());
    }

    public Route routes() {
        return pathPrefix(
                segment("api")
                        .slash("v1")
                        .slash("projects")
                        .slash(segment())
                        .slash("envvars")
                        .slash(segment()),
                (ref, env) -> concat(
                        pathEndOrSingleSlash(() -> concat(
                                get(() -> scoped(ref, env, environment -> JsonBody.ignored(() -> list(environment)))),
                                post(() -> scoped(
                                        ref,
                                        env,
                                        environment ->
                                                jsonBody.json(body -> create(environment, requests.create(body))))))),
                        // POST …/import imports; a variable named "import" is still read, updated and deleted below
                        path(
                                "import",
                                () -> post(() -> scoped(
                                        ref,
                                        env,
                                        environment -> jsonBody.json(
                                                body -> importing(environment, requests.importing(body)))))),
                        path(
                                segment(),
                                name -> concat(
                                        get(() -> scoped(
                                                ref,
                                                env,
                                                environment -> JsonBody.ignored(() -> retrieve(environment, name)))),
                                        put(() -> scoped(
                                                ref,
                                                env,
                                                environment -> jsonBody.json(body ->
                                                        update(environment, name, requests.update(name, body))))),
                                        delete(() -> scoped(
                                                ref,
                                                env,
                                                environment -> JsonBody.ignored(() -> remove(environment, name))))))));
    }

    /**
     * Authenticated, for the caller's own environment only, and only with a key to open the values. Independent of
     * how {@link Authentication} found the environment.
     */
    private Route scoped(String ref, String env, Function<Environment, Route> inner) {
        return authentication.authenticated(environment -> {
            if (!ref.equals(environment.projectRef()) || !EnvironmentTypes.names(env, environment.slug())) {
                return ErrorHandling.error(
                        StatusCodes.FORBIDDEN,
                        "This API key is for project " + environment.projectRef() + ", environment "
                                + environment.slug() + "; it cannot reach the environment variables of project "
                                + ref + ", environment " + env);
            }
            if (!store.enabled()) {
                return ErrorHandling.error(
                        StatusCodes.SERVICE_UNAVAILABLE,
                        new EnvironmentVariableStore.EncryptionKeyMissingException().getMessage());
            }
            return inner.apply(environment);
        });
    }

    private Route list(Environment environment) {
        return blocking(
                () -> store.list(environment.id()).stream()
                        .map(EnvVarRoutes::shown)
                        .toList(),
                variables -> complete(Json.response(StatusCodes.OK, variables)));
    }

    private Route retrieve(Environment environment, String name) {
        return blocking(
                () -> store.get(environment.id(), name),
                found -> found.map(variable -> complete(Json.response(StatusCodes.OK, shown(variable))))
                        .orElseGet(EnvVarRoutes::notFound));
    }

    private Route create(Environment environment, EnvVarRequests.Create create) {
        return blocking(
                () -> store.put(environment.id(), Map.of(create.name(), create.value()), true, create.isSecret()),
                ignored -> complete(Json.response(StatusCodes.OK, SUCCESS)));
    }

    private Route importing(Environment environment, EnvVarRequests.Import request) {
        return blocking(
                () -> store.put(environment.id(), request.variables(), request.override(), request.isSecret()),
                existing -> existing.isEmpty()
                        ? complete(Json.response(StatusCodes.OK, SUCCESS))
                        : complete(Json.response(
                                StatusCodes.BAD_REQUEST,
                                new ImportRefused(
                                        "Some of the variables are already set for this environment: "
                                                + String.join(", ", existing)
                                                + ". Set override to true to override them.",
                                        existing.stream()
                                                .map(name -> new VariableError(
                                                        name,
                                                        "Variable already set in "
                                                                + EnvironmentTypes.typeOf(environment.slug())))
                                                .toList()))));
    }

    private Route update(Environment environment, String name, String value) {
        return blocking(
                () -> store.update(environment.id(), name, value),
                updated -> updated ? complete(Json.response(StatusCodes.OK, SUCCESS)) : notFound());
    }

    private Route remove(Environment environment, String name) {
        return blocking(
                () -> store.delete(environment.id(), name),
                deleted -> deleted ? complete(Json.response(StatusCodes.OK, SUCCESS)) : notFound());
    }

    private <T> Route blocking(Supplier<T> call, Function<T, Route> answer) {
        return onSuccess(CompletableFuture.supplyAsync(call, blockingIo), answer);
    }

    private static Variable shown(EnvironmentVariable variable) {
        return new Variable(variable.name(), variable.isSecret() ? REDACTED : variable.value(), variable.isSecret());
    }

    private static Route notFound() {
        return ErrorHandling.error(StatusCodes.NOT_FOUND, "Environment variable not found");
    }
}
