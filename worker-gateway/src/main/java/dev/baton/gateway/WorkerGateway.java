package dev.baton.gateway;

import static akka.http.javadsl.server.Directives.complete;
import static akka.http.javadsl.server.Directives.concat;
import static akka.http.javadsl.server.Directives.extractRequest;
import static akka.http.javadsl.server.Directives.get;
import static akka.http.javadsl.server.Directives.handleWebSocketMessages;
import static akka.http.javadsl.server.Directives.onSuccess;
import static akka.http.javadsl.server.Directives.optionalHeaderValueByName;
import static akka.http.javadsl.server.Directives.path;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.DispatcherSelector;
import akka.actor.typed.Props;
import akka.http.javadsl.model.AttributeKeys;
import akka.http.javadsl.model.ContentTypes;
import akka.http.javadsl.model.HttpResponse;
import akka.http.javadsl.model.StatusCode;
import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.model.headers.RawHeader;
import akka.http.javadsl.server.PathMatchers;
import akka.http.javadsl.server.Route;
import dev.baton.engine.Engine;
import dev.baton.engine.common.Ids;
import dev.baton.engine.environment.CredentialKind;
import dev.baton.engine.environment.Environment;
import dev.baton.engine.environment.EnvironmentDirectory;
import dev.baton.engine.envvars.EnvironmentVariableStore;
import dev.baton.engine.logs.RunLogSink;
import dev.baton.gateway.envvars.VariableCache;
import dev.baton.gateway.session.AttemptCall;
import dev.baton.gateway.session.GatewaySettings;
import dev.baton.gateway.session.WorkerSession;
import dev.baton.gateway.session.WorkerSocket;
import dev.baton.gateway.triggercli.TriggerCliRoutes;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.LongAdder;

/**
 * The worker gateway of one node: {@code GET /api/v1/workers/connect}, a WebSocket per worker
 * (docs/worker-protocol.md), and the polling protocol of the unmodified {@code trigger.dev dev} CLI
 * (docs/trigger-dev-compat.md). The worker token is checked before the upgrade; each accepted
 * connection gets its own {@link WorkerSession} actor.
 */
public final class WorkerGateway {

    private static final String BEARER = "bearer ";
    private static final String INVALID_TOKEN = "{\"error\":\"Invalid or missing worker token\"}";
    private static final String NOT_WEBSOCKET =
            "{\"error\":\"Expected a WebSocket upgrade request (see docs/worker-protocol.md)\"}";

    private final ActorSystem<?> system;
    private final Engine engine;
    private final EnvironmentDirectory directory;
    private final GatewaySettings settings;
    private final Executor blocking;
    private final LongAdder staleRejected = new LongAdder();
    private final LongAdder outcomesSentAgain = new LongAdder();
    private final AttemptCall.Sender sender;
    private final VariableCache variables;
    private final RunLogSink logs;
    private final TriggerCliRoutes triggerCli;

    /** A gateway whose workers get no environment variables. */
    public WorkerGateway(ActorSystem<?> system, Engine engine, EnvironmentDirectory directory) {
        this(system, engine, directory, null);
    }

    /** A gateway that drops its workers' log lines (there is no log store). */
    public WorkerGateway(
            ActorSystem<?> system, Engine engine, EnvironmentDirectory directory, EnvironmentVariableStore variables) {
        this(system, engine, directory, variables, RunLogSink.DISCARD);
    }

    /**
     * @param variables where each execution's environment variables come from; null for none
     * @param logs where the lines workers log go
     */
    public WorkerGateway(
            ActorSystem<?> system,
            Engine engine,
            EnvironmentDirectory directory,
            EnvironmentVariableStore variables,
            RunLogSink logs) {
        this(system, engine, directory, variables, logs, AttemptCall.Sender.DIRECT);
    }

    /** @param sender how sessions send their attempts' calls: tests lose one on the way */
    WorkerGateway(
            ActorSystem<?> system,
            Engine engine,
            EnvironmentDirectory directory,
            EnvironmentVariableStore variables,
            RunLogSink logs,
            AttemptCall.Sender sender) {
        this.sender = sender;
        this.logs = logs;
        this.system = system;
        this.engine = engine;
        this.directory = directory;
        this.settings = GatewaySettings.fromConfig(system.settings().config().getConfig("baton.gateway"));
        // credential and variable lookups may hit the database on a cache miss
        this.blocking = system.dispatchers().lookup(DispatcherSelector.blocking());
        this.variables = variables == null
                ? VariableCache.none()
                : new VariableCache(
                        variables,
                        system.settings().config().getDuration("baton.gateway.env-vars-cache-ttl"),
                        blocking);
        this.triggerCli = new TriggerCliRoutes(system, engine, directory, this.variables);
    }

    /** The WebSocket endpoint, and the routes the trigger.dev CLI's dev mode calls ({@link TriggerCliRoutes}). */
    public Route route() {
        return concat(webSocketRoute(), triggerCli.route());
    }

    private Route webSocketRoute() {
        return path(
                PathMatchers.segment("api").slash("v1").slash("workers").slash("connect"),
                () -> get(() -> optionalHeaderValueByName(
                        "Authorization",
                        authorization -> onSuccess(
                                authenticate(authorization),
                                environment -> environment
                                        .map(found -> connect(
                                                found, bearer(authorization).orElseThrow()))
                                        .orElseGet(() -> complete(jsonResponse(StatusCodes.UNAUTHORIZED, INVALID_TOKEN)
                                                .addHeader(RawHeader.create("WWW-Authenticate", "Bearer"))))))));
    }

    /** Worker messages fenced as stale on this node since start: rejected and counted, never applied. */
    public long staleMessagesRejected() {
        return staleRejected.sum();
    }

    /** Worker outcomes sent to the engine again on this node since start, because it did not answer the send before. */
    public long outcomesSentAgain() {
        return outcomesSentAgain.sum();
    }

    private Route connect(Environment environment, String token) {
        return extractRequest(request ->
                request.getAttribute(AttributeKeys.webSocketUpgrade).isPresent()
                        ? handleWebSocketMessages(
                                WorkerSocket.flow(settings, socket -> startSession(environment, token, socket)))
                        : complete(jsonResponse(StatusCodes.BAD_REQUEST, NOT_WEBSOCKET)));
    }

    private ActorRef<WorkerSession.Command> startSession(
            Environment environment, String token, ActorRef<WorkerSocket.Outgoing> socket) {
        String sessionId = Ids.newId("ws");
        return system.systemActorOf(
                WorkerSession.create(
                        engine,
                        settings,
                        environment,
                        sessionId,
                        socket,
                        staleRejected,
                        outcomesSentAgain,
                        variables,
                        () -> CompletableFuture.supplyAsync(
                                () -> directory
                                        .authenticate(CredentialKind.WORKER_TOKEN, token)
                                        .filter(environment::equals)
                                        .isPresent(),
                                blocking),
                        logs,
                        sender),
                "worker-session-" + sessionId,
                Props.empty());
    }

    private static Optional<String> bearer(Optional<String> authorization) {
        return authorization
                .filter(value -> value.regionMatches(true, 0, BEARER, 0, BEARER.length()))
                .map(value -> value.substring(BEARER.length()).trim())
                .filter(value -> !value.isEmpty());
    }

    private CompletionStage<Optional<Environment>> authenticate(Optional<String> authorization) {
        Optional<String> token = bearer(authorization);
        if (token.isEmpty()) return CompletableFuture.completedFuture(Optional.empty());
        return CompletableFuture.supplyAsync(
                () -> directory.authenticate(CredentialKind.WORKER_TOKEN, token.get()), blocking);
    }

    private static HttpResponse jsonResponse(StatusCode status, String json) {
        return HttpResponse.create().withStatus(status).withEntity(ContentTypes.APPLICATION_JSON, json);
    }
}
