package dev.baton.api.runs;

import static akka.http.javadsl.server.Directives.complete;
import static akka.http.javadsl.server.Directives.concat;
import static akka.http.javadsl.server.Directives.get;
import static akka.http.javadsl.server.Directives.onSuccess;
import static akka.http.javadsl.server.Directives.path;
import static akka.http.javadsl.server.Directives.post;
import static akka.http.javadsl.server.PathMatchers.segment;

import akka.http.javadsl.model.HttpHeader;
import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.model.headers.RawHeader;
import akka.http.javadsl.server.Route;
import dev.baton.api.HttpSettings;
import dev.baton.api.auth.Authentication;
import dev.baton.api.errors.ErrorHandling;
import dev.baton.api.json.Json;
import dev.baton.api.json.JsonBody;
import dev.baton.api.runs.RunResponses.TriggerTaskResponse;
import dev.baton.engine.Engine;
import dev.baton.engine.environment.Environment;
import dev.baton.engine.run.TaskNotFoundException;
import dev.baton.engine.run.TriggerRequest;
import dev.baton.engine.task.TaskDefinition;
import java.util.List;

/**
 * Trigger a task, read a run, read a run's history. Authentication, body size, JSON syntax and
 * option validation are all decided before the engine is asked anything.
 */
public final class RunRoutes {

  /** Unknown runs are final answers here (Trigger.dev says "retry"): a triggered run is readable at once. */
  private static final List<HttpHeader> RUN_NOT_FOUND_HEADERS = List.of(RawHeader.create("x-should-retry", "false"));

  private final Engine engine;
  private final Authentication authentication;
  private final JsonBody jsonBody;
  private final TriggerBodyDecoder decoder;

  public RunRoutes(Engine engine, Authentication authentication, HttpSettings settings) {
    this.engine = engine;
    this.authentication = authentication;
    this.jsonBody = new JsonBody(settings.maxBodySize(), settings.bodyReadTimeout());
    this.decoder = new TriggerBodyDecoder(settings);
  }

  public Route routes() {
    return concat(
        path(segment("api").slash("v1").slash("tasks").slash(segment()).slash("trigger"), taskId ->
            post(() -> authentication.authenticated(environment ->
                jsonBody.json(body -> trigger(environment, decoder.decode(taskId, body)))))),
        path(segment("api").slash("v3").slash("runs").slash(segment()), runId ->
            get(() -> authentication.authenticated(environment -> retrieve(environment, runId)))),
        path(segment("api").slash("v1").slash("runs").slash(segment()).slash("events"), runId ->
            get(() -> authentication.authenticated(environment -> events(environment, runId)))));
  }

  private Route trigger(Environment environment, TriggerRequest request) {
    // A task id no worker could have declared needs no lookup.
    if (!TaskDefinition.ID_PATTERN.matcher(request.taskId()).matches()) {
      throw new TaskNotFoundException(request.taskId());
    }
    return onSuccess(engine.runs().trigger(environment.id(), request),
        run -> complete(Json.response(StatusCodes.OK, new TriggerTaskResponse(run.runId(), false))));
  }

  private Route retrieve(Environment environment, String runId) {
    return onSuccess(engine.runs().get(environment.id(), runId), found -> found
        .map(run -> complete(Json.response(StatusCodes.OK, RunTranslator.toRetrieveResponse(run))))
        .orElseGet(RunRoutes::runNotFound));
  }

  private Route events(Environment environment, String runId) {
    return onSuccess(engine.runs().history(environment.id(), runId), found -> found
        .map(history -> complete(Json.response(StatusCodes.OK, RunTranslator.toEventsResponse(history))))
        .orElseGet(RunRoutes::runNotFound));
  }

  private static Route runNotFound() {
    return complete(ErrorHandling.errorResponse(StatusCodes.NOT_FOUND, "Run not found", RUN_NOT_FOUND_HEADERS));
  }
}
