package dev.baton.api.schedules;

import static akka.http.javadsl.server.Directives.complete;
import static akka.http.javadsl.server.Directives.concat;
import static akka.http.javadsl.server.Directives.delete;
import static akka.http.javadsl.server.Directives.get;
import static akka.http.javadsl.server.Directives.onSuccess;
import static akka.http.javadsl.server.Directives.parameterMultiMap;
import static akka.http.javadsl.server.Directives.parameterOptional;
import static akka.http.javadsl.server.Directives.path;
import static akka.http.javadsl.server.Directives.post;
import static akka.http.javadsl.server.Directives.put;
import static akka.http.javadsl.server.PathMatchers.segment;

import akka.actor.typed.ActorSystem;
import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.server.Route;
import dev.baton.api.auth.Authentication;
import dev.baton.api.body.JsonBody;
import dev.baton.api.config.HttpSettings;
import dev.baton.api.errors.ApiException;
import dev.baton.api.errors.ErrorHandling;
import dev.baton.api.json.Json;
import dev.baton.engine.Engine;
import dev.baton.engine.common.Failures;
import dev.baton.engine.environment.Environment;
import dev.baton.engine.schedule.ScheduleService;
import dev.baton.engine.schedule.ScheduleSpec;
import dev.baton.engine.schedule.ScheduleState;
import dev.baton.projections.schedules.ScheduleList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/**
 * Trigger.dev's {@code schedules.*}: create (an upsert on the deduplication key), list, retrieve, update,
 * activate, deactivate, delete; and {@code GET /api/v1/timezones}, the one call without authentication.
 * Reads and writes of one schedule are consistent (they ask its entity); the list reads the schedule index
 * and shows a change once the projection has written it (usually within a second). A schedule of another
 * environment is the same 404 {@code {"error":"Schedule not found"}} as an unknown id.
 */
public final class ScheduleRoutes {

    private final ScheduleService schedules;
    private final ScheduleList list;
    private final Authentication authentication;
    private final JsonBody jsonBody;
    private final ScheduleBodyDecoder decoder;

    public ScheduleRoutes(
            ActorSystem<?> system,
            Engine engine,
            ScheduleList list,
            Authentication authentication,
            HttpSettings settings) {
        this.schedules = engine.schedules();
        this.list = list;
        this.authentication = authentication;
        this.jsonBody = new JsonBody(settings.maxBodySize(), settings.bodyReadTimeout());
        this.decoder = new ScheduleBodyDecoder(
                ScheduleSettings.fromConfig(system.settings().config()));
    }

    public Route routes() {
        return concat(
                path(
                        segment("api").slash("v1").slash("timezones"),
                        () -> get(() -> parameterOptional(
                                "excludeUtc",
                                excludeUtc -> complete(Json.response(
                                        StatusCodes.OK,
                                        new ScheduleResponses.TimezonesResponse(Timezones.list(
                                                excludeUtc.map("true"::equals).orElse(false)))))))),
                path(
                        segment("api").slash("v1").slash("schedules"),
                        () -> concat(
                                post(() -> authentication.authenticated(environment ->
                                        jsonBody.json(body -> create(environment, decoder.create(body))))),
                                get(() -> authentication.authenticated(
                                        environment -> parameterMultiMap(query -> list(environment, query)))))),
                path(
                        segment("api").slash("v1").slash("schedules").slash(segment()),
                        id -> concat(
                                get(() -> authentication.authenticated(
                                        environment -> ifFound(schedules.get(environment.id(), id), environment))),
                                put(() -> authentication.authenticated(environment -> jsonBody.json(body -> ifFound(
                                        refused(schedules.update(environment.id(), id, decoder.update(body))),
                                        environment)))),
                                delete(() ->
                                        authentication.authenticated(environment -> JsonBody.ignored(() -> onSuccess(
                                                refused(schedules.delete(environment.id(), id)),
                                                deleted -> deleted.map(state -> complete(Json.response(
                                                                StatusCodes.OK,
                                                                new ScheduleResponses.DeletedSchedule(id))))
                                                        .orElseGet(() -> complete(notFound())))))))),
                path(
                        segment("api")
                                .slash("v1")
                                .slash("schedules")
                                .slash(segment())
                                .slash("activate"),
                        id -> post(() -> authentication.authenticated(environment -> JsonBody.ignored(() ->
                                ifFound(refused(schedules.setActive(environment.id(), id, true)), environment))))),
                path(
                        segment("api")
                                .slash("v1")
                                .slash("schedules")
                                .slash(segment())
                                .slash("deactivate"),
                        id -> post(() -> authentication.authenticated(environment -> JsonBody.ignored(() ->
                                ifFound(refused(schedules.setActive(environment.id(), id, false)), environment))))));
    }

    private Route create(Environment environment, ScheduleSpec spec) {
        return onSuccess(
                refused(schedules.upsert(environment.id(), spec)),
                state -> complete(Json.response(StatusCodes.OK, ScheduleResponses.of(state, environment))));
    }

    private Route list(Environment environment, Map<String, List<String>> query) {
        ScheduleBodyDecoder.PageRequest page = decoder.page(query);
        return onSuccess(
                list.list(environment.id(), page.page(), page.perPage()),
                found -> complete(Json.response(
                        StatusCodes.OK, ScheduleResponses.page(found, page.page(), page.perPage(), environment))));
    }

    private static Route ifFound(CompletionStage<Optional<ScheduleState>> lookup, Environment environment) {
        return onSuccess(
                lookup,
                found -> found.map(state ->
                                complete(Json.response(StatusCodes.OK, ScheduleResponses.of(state, environment))))
                        .orElseGet(() -> complete(notFound())));
    }

    /** The engine's refusals (an unknown task, a change to a declarative schedule) become Trigger.dev's 422. */
    private static <T> CompletionStage<T> refused(CompletionStage<T> call) {
        return call.exceptionally(failure -> {
            Throwable cause = Failures.cause(failure);
            if (cause instanceof ScheduleService.InvalidScheduleException invalid) {
                throw ApiException.unprocessable(invalid.getMessage());
            }
            throw failure instanceof CompletionException completion ? completion : new CompletionException(failure);
        });
    }

    private static akka.http.javadsl.model.HttpResponse notFound() {
        return ErrorHandling.errorResponse(StatusCodes.NOT_FOUND, "Schedule not found");
    }
}
