package dev.baton.api.runs;

import static akka.http.javadsl.server.Directives.complete;
import static akka.http.javadsl.server.Directives.concat;
import static akka.http.javadsl.server.Directives.get;
import static akka.http.javadsl.server.Directives.onSuccess;
import static akka.http.javadsl.server.Directives.parameterMultiMap;
import static akka.http.javadsl.server.Directives.path;
import static akka.http.javadsl.server.PathMatchers.segment;

import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.server.Route;
import dev.baton.api.auth.Authentication;
import dev.baton.api.auth.Caller;
import dev.baton.api.auth.Scopes;
import dev.baton.api.auth.Scopes.Resource;
import dev.baton.api.config.HttpSettings;
import dev.baton.api.environments.EnvironmentTypes;
import dev.baton.api.errors.ErrorHandling;
import dev.baton.api.json.Json;
import dev.baton.engine.environment.Environment;
import dev.baton.projections.listing.Page;
import dev.baton.projections.runs.RunList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code GET /api/v1/runs}: the environment's runs from the read model, filtered and paginated as
 * Trigger.dev's {@code runs.list}. Authentication first, then the query string (a 400 naming the
 * parameter), then the database, on the query dispatcher. Eventually consistent with retrieve. A public access
 * token may list only runs its scopes cover ({@link #mayList}); the project list takes a secret key.
 */
public final class RunListRoutes {

    private final RunList runList;
    private final Authentication authentication;
    private final RunListParams params;
    private static final String ENV = "filter[env]";

    public RunListRoutes(RunList runList, Authentication authentication, HttpSettings settings) {
        this.runList = runList;
        this.authentication = authentication;
        this.params = new RunListParams(settings);
    }

    public Route routes() {
        return concat(
                path(
                        segment("api").slash("v1").slash("runs"),
                        () -> get(() ->
                                authentication.caller(caller -> parameterMultiMap(query -> list(caller, query))))),
                path(
                        segment("api")
                                .slash("v1")
                                .slash("projects")
                                .slash(segment())
                                .slash("runs"),
                        projectRef -> get(() -> authentication.authenticated(environment ->
                                parameterMultiMap(query -> listProject(environment, projectRef, query))))));
    }

    /**
     * {@code runs.list(projectRef, …)}: the same list, for the key's own environment. A secret key reads only
     * its environment, so another project is 404, and {@code filter[env]} (slugs or types, comma-separated)
     * that does not name the key's environment lists nothing.
     */
    /**
     * A public access token lists runs only when every run the filter can match is one it may read: a broad scope
     * ({@code read:runs}, {@code read:tasks}, {@code read:all}, {@code admin}), or a filter on tasks, tags or a
     * batch whose every value the token covers ({@code read:tasks:<id>}, {@code read:tags:<tag>},
     * {@code read:batch:<id>}). Filters narrow each other, so one covered filter is enough.
     */
    static boolean mayList(Caller caller, RunList.Filter filter) {
        return caller.mayAny(Scopes.READ, List.of(Resource.all(Scopes.RUNS), Resource.all(Scopes.TASKS)))
                || covers(caller, Scopes.TASKS, filter.taskIds())
                || covers(caller, Scopes.TAGS, filter.tags())
                || (filter.batchId() != null && covers(caller, Scopes.BATCH, Set.of(filter.batchId())));
    }

    private static boolean covers(Caller caller, String type, Set<String> ids) {
        return ids != null
                && caller.mayEach(
                        Scopes.READ,
                        ids.stream().map(id -> Resource.of(type, id)).toList());
    }

    private Route listProject(Environment environment, String projectRef, Map<String, List<String>> query) {
        if (!projectRef.equals(environment.projectRef())) {
            return ErrorHandling.error(StatusCodes.NOT_FOUND, "Project not found");
        }
        List<String> envs = query.getOrDefault(ENV, List.of()).stream()
                .flatMap(value -> Arrays.stream(value.split(",")))
                .map(String::trim)
                .filter(name -> !name.isEmpty())
                .toList();
        if (!envs.isEmpty() && envs.stream().noneMatch(name -> EnvironmentTypes.names(name, environment.slug()))) {
            params.decode(query); // a malformed query is still a 400
            return complete(Json.response(StatusCodes.OK, RunTranslator.toListResponse(Page.empty(), environment)));
        }
        return list(Caller.secretKey(environment), query);
    }

    private Route list(Caller caller, Map<String, List<String>> query) {
        Environment environment = caller.environment();
        RunListParams.Decoded decoded = params.decode(query);
        if (caller.isPublic() && !mayList(caller, decoded.filter())) throw Authentication.forbidden();
        if (decoded.matchesNothing()) {
            return complete(Json.response(StatusCodes.OK, RunTranslator.toListResponse(Page.empty(), environment)));
        }
        return onSuccess(
                runList.list(environment.id(), decoded.filter(), decoded.page()),
                page -> complete(Json.response(StatusCodes.OK, RunTranslator.toListResponse(page, environment))));
    }
}
