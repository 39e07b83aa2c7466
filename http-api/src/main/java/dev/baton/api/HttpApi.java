package dev.baton.api;

import static akka.http.javadsl.server.Directives.handleExceptions;
import static akka.http.javadsl.server.Directives.handleRejections;
import static akka.http.javadsl.server.Directives.withRequestTimeoutResponse;

import akka.actor.typed.ActorSystem;
import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.server.Route;
import dev.baton.api.auth.Authentication;
import dev.baton.api.errors.ErrorHandling;
import dev.baton.api.runs.RunRoutes;
import dev.baton.engine.Engine;
import dev.baton.engine.environment.EnvironmentDirectory;

/**
 * Baton's public REST API: Trigger.dev's paths and JSON shapes over the engine. The node binds
 * {@link #route()} together with the worker gateway's.
 * Every answer that is not a success is {@code {"error": "…"}}, including akka-http's own rejections.
 */
public final class HttpApi {

  private final HttpSettings settings;
  private final RunRoutes runs;

  public HttpApi(ActorSystem<?> system, Engine engine, EnvironmentDirectory directory) {
    this.settings = HttpSettings.fromConfig(system.settings().config());
    this.runs = new RunRoutes(engine, new Authentication(system, directory), settings);
  }

  public HttpSettings settings() {
    return settings;
  }

  public Route route() {
    return withRequestTimeoutResponse(
        request -> ErrorHandling.errorResponse(StatusCodes.SERVICE_UNAVAILABLE, "The request timed out, please retry"),
        () -> handleExceptions(ErrorHandling.exceptionHandler(), () ->
            handleRejections(ErrorHandling.rejectionHandler(), runs::routes)));
  }
}
