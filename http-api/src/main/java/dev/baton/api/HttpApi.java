package dev.baton.api;

import static akka.http.javadsl.server.Directives.concat;
import static akka.http.javadsl.server.Directives.handleExceptions;
import static akka.http.javadsl.server.Directives.handleRejections;
import static akka.http.javadsl.server.Directives.withRequestTimeoutResponse;

import akka.actor.typed.ActorSystem;
import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.server.Route;
import com.typesafe.config.Config;
import dev.baton.api.analytics.AnalyticsRoutes;
import dev.baton.api.auth.Authentication;
import dev.baton.api.auth.DashboardSessions;
import dev.baton.api.auth.EnvironmentSecrets;
import dev.baton.api.auth.OneTimeTokens;
import dev.baton.api.auth.PublicAccessTokens;
import dev.baton.api.auth.PublicTokenRoutes;
import dev.baton.api.batches.BatchHttpSettings;
import dev.baton.api.batches.BatchListRoutes;
import dev.baton.api.batches.BatchRoutes;
import dev.baton.api.body.BoundedBody;
import dev.baton.api.bulkactions.BulkActionRoutes;
import dev.baton.api.config.HttpSettings;
import dev.baton.api.dashboard.DashboardRoutes;
import dev.baton.api.envvars.EnvVarRoutes;
import dev.baton.api.errors.ErrorHandling;
import dev.baton.api.lag.ProjectionLagRoutes;
import dev.baton.api.logs.RunLogRoutes;
import dev.baton.api.management.ManagementApi;
import dev.baton.api.otel.OtlpRoutes;
import dev.baton.api.packets.PacketRoutes;
import dev.baton.api.packets.PacketStore;
import dev.baton.api.queues.QueueRoutes;
import dev.baton.api.ratelimit.RateLimiter;
import dev.baton.api.realtime.RealtimeRoutes;
import dev.baton.api.realtime.RealtimeSettings;
import dev.baton.api.runs.RunListRoutes;
import dev.baton.api.runs.RunRoutes;
import dev.baton.api.runs.RunStreamRoutes;
import dev.baton.api.runs.RunStreamSettings;
import dev.baton.api.runs.StoredPayloads;
import dev.baton.api.schedules.ScheduleRoutes;
import dev.baton.api.traces.TraceRoutes;
import dev.baton.api.waitpoints.WaitpointRoutes;
import dev.baton.api.workers.WorkerRoutes;
import dev.baton.engine.Engine;
import dev.baton.engine.environment.EnvironmentDirectory;
import dev.baton.engine.environment.EnvironmentSettingsStore;
import dev.baton.engine.environment.QueueSettingsStore;
import dev.baton.engine.envvars.EnvironmentVariableStore;
import dev.baton.engine.logs.RunLogs;
import dev.baton.engine.metrics.BatonMetrics;
import dev.baton.engine.storage.Database;
import dev.baton.projections.traces.SpanStore;
import java.time.Clock;

/**
 * Baton's public REST API: Trigger.dev's paths and JSON shapes over the engine, and over the read models
 * the node built ({@link ReadModels}). {@code database} holds the environments' secrets, the packets and the
 * uses of one-time-use tokens.
 * The node binds {@link #route()} together with the worker gateway's.
 * Every answer that is not a success is {@code {"error": "…"}}, including akka-http's own rejections.
 */
public final class HttpApi {

    private final HttpSettings settings;
    private final RunRoutes runs;
    private final RunListRoutes runList;
    private final RunStreamRoutes runStreams;
    private final ProjectionLagRoutes lag;
    private final BatchRoutes batches;
    private final BatchListRoutes batchList;
    private final BulkActionRoutes bulkActions;
    private final ScheduleRoutes schedules;
    private final PacketRoutes packets;
    private final WaitpointRoutes waitpoints;
    private final WorkerRoutes workers;
    private final ManagementApi management;
    private final PublicTokenRoutes publicTokens;
    private final EnvVarRoutes envvars;
    private final DashboardRoutes dashboard;
    private final RealtimeRoutes realtime;
    private final AnalyticsRoutes analytics;
    private final QueueRoutes queues;
    private final TraceRoutes traces;
    private final OtlpRoutes otel;
    private final RunLogRoutes runLogs;

    /** An API with run logs of its own (tests): the node shares one {@link RunLogs} with its worker gateway. */
    public HttpApi(
            ActorSystem<?> system,
            Engine engine,
            EnvironmentDirectory directory,
            Database database,
            ReadModels reads,
            Clock clock) {
        this(system, engine, directory, database, reads, clock, RunLogs.create(system, database, clock));
    }

    /**
     * @param clock the node's clock: rate limits, token lifetimes and timeouts count on it
     * @param logs the runs' log lines, which the node's worker gateway writes
     */
    public HttpApi(
            ActorSystem<?> system,
            Engine engine,
            EnvironmentDirectory directory,
            Database database,
            ReadModels reads,
            Clock clock,
            RunLogs logs) {
        this.settings = HttpSettings.fromConfig(system.settings().config());
        Config config = system.settings().config();
        EnvironmentSecrets secrets = EnvironmentSecrets.create(system, database);
        DashboardSessions sessions = DashboardSessions.create(system, database, clock);
        Authentication authentication = new Authentication(system, directory, secrets, sessions, clock);
        OneTimeTokens oneTimeTokens = OneTimeTokens.create(
                system,
                database,
                clock,
                config.getDuration("baton.http.public-access-token.used-tokens-purge-interval"));
        PacketStore packetStore = PacketStore.create(system, database);
        SpanStore spans = SpanStore.create(system, database, clock);
        // The tokens a trigger or a batch create answers with, to read what it created.
        PublicAccessTokens runTokens =
                new PublicAccessTokens(secrets, clock, config.getDuration("baton.http.public-access-token.expires-in"));
        this.runs = new RunRoutes(
                engine,
                authentication,
                settings,
                new RateLimiter(
                        system,
                        RateLimiter.Settings.fromConfig(config),
                        new EnvironmentSettingsStore(directory),
                        clock),
                runTokens,
                new StoredPayloads(packetStore),
                oneTimeTokens);
        this.packets = new PacketRoutes(system, packetStore, secrets, authentication);
        this.runList = new RunListRoutes(reads.runs(), authentication, settings);
        this.runStreams =
                new RunStreamRoutes(engine, authentication, settings, RunStreamSettings.fromConfig(config), clock);
        this.lag = new ProjectionLagRoutes(reads.lag(), authentication);
        this.batches = new BatchRoutes(
                engine,
                authentication,
                settings,
                BatchHttpSettings.fromConfig(system.settings().config()),
                oneTimeTokens,
                runTokens);
        this.publicTokens = new PublicTokenRoutes(
                authentication,
                runTokens,
                settings,
                clock,
                config.getDuration("baton.http.public-access-token.minted-expires-in"),
                config.getDuration("baton.http.public-access-token.max-minted-expires-in"));
        this.schedules = new ScheduleRoutes(system, engine, reads.schedules(), authentication, settings);
        this.waitpoints = new WaitpointRoutes(system, engine, reads.tokens(), authentication, settings, secrets, clock);
        this.management = new ManagementApi(system, engine, directory, sessions, settings, clock);
        this.workers = new WorkerRoutes(engine, authentication);
        this.batchList = new BatchListRoutes(reads.batches(), authentication, settings);
        this.bulkActions =
                new BulkActionRoutes(engine.bulkActions(), reads.bulkActions(), authentication, settings, clock);
        this.dashboard = new DashboardRoutes(system, sessions, directory, settings);
        this.envvars = new EnvVarRoutes(
                system,
                EnvironmentVariableStore.create(database, system.settings().config()),
                authentication,
                settings);
        this.queues = new QueueRoutes(
                system,
                engine,
                authentication,
                settings,
                new QueueSettingsStore(directory),
                new EnvironmentSettingsStore(directory),
                clock);
        this.realtime =
                new RealtimeRoutes(engine, reads.runs(), authentication, RealtimeSettings.fromConfig(config), clock);
        this.traces = new TraceRoutes(engine, spans, authentication);
        this.otel = new OtlpRoutes(
                spans,
                engine,
                logs,
                authentication,
                config.getBytes("baton.http.otel.max-body-size"),
                settings.bodyReadTimeout(),
                clock,
                BatonMetrics.get(system).registry());
        this.analytics = new AnalyticsRoutes(reads.analytics(), authentication, clock);
        this.runLogs = new RunLogRoutes(engine, logs, authentication, clock);
    }

    public HttpSettings settings() {
        return settings;
    }

    public Route route() {
        // Built once: the Java DSL calls a directive's inner supplier for every request, and rebuilding every
        // route of the API per request cost about 3 % of a trigger's CPU.
        Route api = concat(
                management.route(),
                runList.routes(),
                runStreams.routes(),
                runs.routes(),
                lag.routes(),
                batches.routes(),
                batchList.routes(),
                bulkActions.routes(),
                schedules.routes(),
                packets.routes(),
                waitpoints.routes(),
                workers.routes(),
                publicTokens.routes(),
                envvars.routes(),
                realtime.routes(),
                analytics.routes(),
                queues.routes(),
                traces.routes(),
                otel.routes(),
                runLogs.routes(),
                dashboard.routes());
        var exceptions = ErrorHandling.exceptionHandler();
        var rejections = ErrorHandling.rejectionHandler();
        Route handled = BoundedBody.drainedWhenRefused(
                handleExceptions(exceptions, () -> handleRejections(rejections, () -> api)),
                settings.refusedBodyDrainLimit(),
                settings.bodyReadTimeout());
        // 504, not 503: a request cut off by akka-http's request-timeout may have stored its run (a 503 promises not).
        return withRequestTimeoutResponse(
                request -> ErrorHandling.errorResponse(
                        StatusCodes.GATEWAY_TIMEOUT,
                        "The request timed out; it may have taken effect (retry with the same idempotency key)"),
                () -> handled);
    }
}
