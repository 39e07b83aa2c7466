package dev.baton.api.bulkactions;

import static akka.http.javadsl.server.Directives.complete;
import static akka.http.javadsl.server.Directives.concat;
import static akka.http.javadsl.server.Directives.get;
import static akka.http.javadsl.server.Directives.onSuccess;
import static akka.http.javadsl.server.Directives.parameterMultiMap;
import static akka.http.javadsl.server.Directives.path;
import static akka.http.javadsl.server.Directives.pathEnd;
import static akka.http.javadsl.server.Directives.pathPrefix;
import static akka.http.javadsl.server.Directives.post;
import static akka.http.javadsl.server.PathMatchers.segment;

import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.server.Route;
import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.api.auth.Authentication;
import dev.baton.api.body.JsonBody;
import dev.baton.api.config.HttpSettings;
import dev.baton.api.errors.ErrorHandling;
import dev.baton.api.json.Json;
import dev.baton.api.listing.ListParams;
import dev.baton.api.runs.RunListParams;
import dev.baton.engine.bulk.BulkActions;
import dev.baton.engine.environment.Environment;
import dev.baton.projections.bulkactions.BulkActionList;
import dev.baton.projections.listing.ListCursor;
import dev.baton.projections.listing.PageRequest;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;

/**
 * Trigger.dev's bulk actions ({@code runs.bulk.*} of the SDK): create one that cancels or replays runs by filter or
 * ids ({@code 202 {id}} once it is stored; it runs in the background), retrieve it (from its entity: never lags),
 * list the environment's (from the bulk action index, newest first) and abort a pending one. Secret keys only.
 */
public final class BulkActionRoutes {

    /** Who creates an action through this API (Trigger.dev's {@code triggerSource}). */
    private static final String CREATED_BY = "api";

    private final BulkActions bulkActions;
    private final BulkActionList list;
    private final Authentication authentication;
    private final HttpSettings settings;
    private final JsonBody jsonBody;
    private final RunListParams runListParams;
    private final Clock clock;

    public BulkActionRoutes(
            BulkActions bulkActions,
            BulkActionList list,
            Authentication authentication,
            HttpSettings settings,
            Clock clock) {
        this.bulkActions = bulkActions;
        this.list = list;
        this.authentication = authentication;
        this.settings = settings;
        this.jsonBody = new JsonBody(settings.maxBodySize(), settings.bodyReadTimeout());
        this.runListParams = new RunListParams(settings);
        this.clock = clock;
    }

    public Route routes() {
        return pathPrefix(
                segment("api").slash("v1").slash("bulk-actions"),
                () -> concat(
                        pathEnd(() -> concat(
                                post(() -> authentication.authenticated(
                                        environment -> jsonBody.json(body -> create(environment, body)))),
                                get(() -> authentication.authenticated(
                                        environment -> parameterMultiMap(query -> list(environment, query)))))),
                        path(
                                segment(),
                                id -> get(
                                        () -> authentication.authenticated(environment -> retrieve(environment, id)))),
                        path(
                                segment().slash("abort"),
                                id -> post(() -> authentication.authenticated(
                                        environment -> JsonBody.ignored(() -> abort(environment, id)))))));
    }

    private Route create(Environment environment, JsonNode body) {
        BulkActionRequests.Create request = BulkActionRequests.create(
                body, runListParams, bulkActions.settings().maxRunIds());
        CompletionStage<dev.baton.engine.bulk.BulkActionEntity.State> created = request.runIds() != null
                ? bulkActions.createForRuns(
                        environment.id(), request.type(), request.name(), request.runIds(), CREATED_BY)
                : bulkActions.createForFilter(
                        environment.id(),
                        request.type(),
                        request.name(),
                        BulkActionRequests.frozen(request.filter(), clock.instant()),
                        CREATED_BY);
        return onSuccess(
                created,
                state -> complete(
                        Json.response(StatusCodes.ACCEPTED, new BulkActionResponses.Id(state.bulkActionId()))));
    }

    private Route retrieve(Environment environment, String id) {
        return onSuccess(
                bulkActions.get(environment.id(), id),
                found -> found.map(state -> complete(Json.response(StatusCodes.OK, BulkActionResponses.of(state))))
                        .orElseGet(() -> ErrorHandling.error(StatusCodes.NOT_FOUND, "Bulk action not found")));
    }

    private Route list(Environment environment, Map<String, List<String>> query) {
        ListParams params = new ListParams(query, settings, ListParams.Single.AS_SENT);
        ListCursor before = params.cursor(ListParams.BEFORE);
        ListCursor after = before != null ? null : params.cursor(ListParams.AFTER);
        PageRequest page = new PageRequest(params.pageSize(), after, before);
        return onSuccess(
                list.list(environment.id(), page),
                found -> complete(Json.response(StatusCodes.OK, BulkActionResponses.page(found))));
    }

    /** 404 for an unknown action, 409 for one already completed or aborted (as Trigger.dev answers). */
    private Route abort(Environment environment, String id) {
        return onSuccess(bulkActions.abort(environment.id(), id), reply -> {
            if (reply.isSuccess()) {
                return complete(Json.response(StatusCodes.OK, new BulkActionResponses.Id(id)));
            }
            return ErrorHandling.error(
                    BulkActions.notFound(reply) ? StatusCodes.NOT_FOUND : StatusCodes.CONFLICT,
                    reply.getError().getMessage());
        });
    }
}
