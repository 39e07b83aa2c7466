package dev.baton.node;

import akka.Done;
import akka.actor.CoordinatedShutdown;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.DispatcherSelector;
import akka.cluster.MemberStatus;
import akka.cluster.typed.Cluster;
import akka.http.javadsl.Http;
import akka.http.javadsl.ServerBinding;
import akka.http.javadsl.model.ContentTypes;
import akka.http.javadsl.model.HttpEntities;
import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.model.Uri;
import akka.http.javadsl.server.Directives;
import akka.http.javadsl.server.Route;
import akka.management.javadsl.AkkaManagement;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.Config;
import dev.baton.api.HttpApi;
import dev.baton.api.ReadModels;
import dev.baton.engine.Engine;
import dev.baton.engine.dispatch.EnvironmentSettingsSource;
import dev.baton.engine.environment.EnvironmentDirectory;
import dev.baton.engine.envvars.EnvironmentVariableStore;
import dev.baton.engine.logs.RunLogs;
import dev.baton.engine.metrics.BatonMetrics;
import dev.baton.engine.storage.Database;
import dev.baton.gateway.WorkerGateway;
import dev.baton.projections.Projections;
import dev.baton.projections.batches.BatchList;
import dev.baton.projections.bulkactions.BulkActionList;
import dev.baton.projections.bulkactions.IndexedRunSelection;
import dev.baton.projections.clickhouse.TaskAnalytics;
import dev.baton.projections.lag.ProjectionLag;
import dev.baton.projections.runs.RunList;
import dev.baton.projections.schedules.ScheduleList;
import dev.baton.projections.waitpoints.TokenList;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The composition root: schema, cluster membership, engine, projections and the read models over them,
 * credentials, and one HTTP port for the API and the worker gateway; one clock for all of them. Tests start several
 * nodes in one JVM by calling {@link #start} on
 * systems with their own configuration.
 */
public final class BatonNode {

    private static final Logger log = LoggerFactory.getLogger(BatonNode.class);

    private static final ObjectMapper JSON = new ObjectMapper();

    private final ActorSystem<?> system;
    private final Engine engine;
    private final Credentials credentials;
    private final ServerBinding binding;
    private final Optional<Uri> management;

    /** Within the before-service-unbind phase's timeout (http.conf). */
    private static final Duration MAX_SHUTDOWN_DRAIN = Duration.ofSeconds(30);

    private BatonNode(
            ActorSystem<?> system,
            Engine engine,
            Credentials credentials,
            ServerBinding binding,
            Optional<Uri> management) {
        this.system = system;
        this.engine = engine;
        this.credentials = credentials;
        this.binding = binding;
        this.management = management;
    }

    /**
     * Keeps the HTTP port open for {@code drain} after shutdown begins: {@link Readiness} already answers 503 then, so a
     * load balancer probing /ready stops sending before connections are refused.
     */
    private static void drainBeforeUnbind(ActorSystem<?> system, Duration drain) {
        if (drain.compareTo(MAX_SHUTDOWN_DRAIN) > 0)
            throw new IllegalArgumentException(
                    "baton.node.http.shutdown-drain must be at most " + MAX_SHUTDOWN_DRAIN + ", got " + drain);
        if (drain.isZero() || drain.isNegative()) return;
        CoordinatedShutdown.get(system)
                .addTask(
                        CoordinatedShutdown.PhaseBeforeServiceUnbind(),
                        "drain-http",
                        () -> CompletableFuture.supplyAsync(
                                Done::getInstance,
                                CompletableFuture.delayedExecutor(drain.toMillis(), TimeUnit.MILLISECONDS)));
    }

    public static BatonNode start(ActorSystem<?> system) {
        Config config = system.settings().config();
        Database database = Database.open(config.getConfig("baton.db"));
        CoordinatedShutdown.get(system)
                .addTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate(), "close-database", () -> {
                    database.close();
                    return CompletableFuture.completedFuture(Done.getInstance());
                });
        database.createSchemaIfMissing();

        Cluster cluster = Cluster.get(system);
        ClusterFormation.joinIfAlone(system);

        Clock clock = Clock.systemUTC();
        EnvironmentDirectory directory = new EnvironmentDirectory(
                database.dataSource(), clock, config.getDuration("baton.engine.credential-cache-ttl"));
        Executor blockingIo = system.dispatchers().lookup(DispatcherSelector.blocking());
        RunList runList = RunList.create(system, database, clock);
        Engine engine = Engine.init(
                system,
                clock,
                EnvironmentSettingsSource.stored(directory, blockingIo),
                new IndexedRunSelection(runList));
        Projections.init(system, database, clock);
        Credentials credentials = database.exclusivelyAmongNodes(
                () -> Credentials.bootstrap(config.getConfig("baton.bootstrap"), directory));
        // The API's lists read what the projections write: built here, on the same database and clock.
        ProjectionLag lag = ProjectionLag.create(system, database, clock);
        ReadModels reads = new ReadModels(
                runList,
                TokenList.create(system, database, clock),
                ScheduleList.create(system, database),
                BatchList.create(system, database, clock),
                BulkActionList.create(system, database),
                lag,
                TaskAnalytics.create(system));

        // Written by the worker gateway, read by the API: one per node, so followers hear of this node's writes.
        RunLogs logs = RunLogs.create(system, database, clock);

        Readiness readiness = new Readiness(
                system,
                database,
                Optional.of(config.getString("baton.clickhouse.url")).filter(url -> !url.isBlank()),
                config.getDuration("baton.node.readiness-timeout"));
        Readiness.register(system, readiness);
        // Built once: the metrics directive runs per request, the routes it wraps must not be made per request.
        Route api = Directives.concat(
                Directives.path("health", () -> Directives.get(() -> health(cluster))),
                Directives.path("ready", () -> Directives.get(() -> ready(readiness))),
                new MajorityGuard(system)
                        .guard(Directives.concat(
                                new WorkerGateway(
                                                system,
                                                engine,
                                                directory,
                                                EnvironmentVariableStore.create(database, config),
                                                logs.writer())
                                        .route(),
                                new HttpApi(system, engine, directory, database, reads, clock, logs).route())));
        Route routes = new HttpMetrics(BatonMetrics.get(system).registry()).measured(api);
        Config http = config.getConfig("baton.node.http");
        Duration startupTimeout = config.getDuration("baton.node.startup-timeout");
        ServerBinding binding = await(
                Http.get(system)
                        .newServerAt(http.getString("interface"), http.getInt("port"))
                        .bind(routes)
                        .toCompletableFuture(),
                "bind HTTP on port " + http.getInt("port"),
                startupTimeout);
        drainBeforeUnbind(system, http.getDuration("shutdown-drain"));
        binding.addToCoordinatedShutdown(http.getDuration("termination-deadline"), system);

        Optional<Uri> management = config.getBoolean("baton.management.enabled")
                ? Optional.of(await(
                        AkkaManagement.get(system).start().toCompletableFuture(),
                        "start Akka Management",
                        startupTimeout))
                : Optional.empty();
        if (management.isPresent()) {
            ClusterFormation.bootstrapIfContactPoints(system);
            NodeGauges.start(
                    system,
                    lag,
                    BatonMetrics.get(system).registry(),
                    config.getDuration("baton.node.metrics-sample-interval"));
        }

        awaitMemberUp(cluster, config.getDuration("baton.node.join-timeout"));
        BatonNode node = new BatonNode(system, engine, credentials, binding, management);
        node.announce();
        return node;
    }

    /** Sharding allocates nothing before the node is Up: a node that answers before that only times out. */
    private static void awaitMemberUp(Cluster cluster, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (cluster.selfMember().status() != MemberStatus.up()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("this node did not become Up within " + timeout + " (status "
                        + cluster.selfMember().status()
                        + "); check akka.cluster.seed-nodes or baton.cluster.contact-points");
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while joining the cluster", e);
            }
        }
    }

    private static Route health(Cluster cluster) {
        boolean up = cluster.selfMember().status() == MemberStatus.up();
        return Directives.complete(
                up ? StatusCodes.OK : StatusCodes.SERVICE_UNAVAILABLE,
                HttpEntities.create(
                        ContentTypes.APPLICATION_JSON, up ? "{\"status\":\"ok\"}" : "{\"status\":\"starting\"}"));
    }

    /** 200 {"status":"ready"}, or 503 naming what is not ready: for load balancers (docs/operations.md "Health"). */
    private static Route ready(Readiness readiness) {
        return Directives.onSuccess(readiness.failing(), failing -> {
            ObjectNode body = JSON.createObjectNode().put("status", failing.isEmpty() ? "ready" : "not ready");
            if (!failing.isEmpty()) failing.forEach(body.putArray("failing")::add);
            return Directives.complete(
                    failing.isEmpty() ? StatusCodes.OK : StatusCodes.SERVICE_UNAVAILABLE,
                    HttpEntities.create(ContentTypes.APPLICATION_JSON, body.toString()));
        });
    }

    private void announce() {
        String url = "http://127.0.0.1:" + httpPort();
        log.info(
                "Baton node up: HTTP API and worker gateway on {} (environment {}); {}",
                url,
                credentials.environment().id(),
                metricsUri()
                        .map(metrics -> "metrics on " + metrics)
                        .orElse("no metrics (Akka Management is off: BATON_MANAGEMENT_ENABLED)"));
        if (credentials.generated()) {
            log.warn(
                    "Generated credentials for environment {} of project {}: secret key {} worker token {} admin "
                            + "personal access token {} (stored hashed; keep them)",
                    credentials.environment().slug(),
                    credentials.environment().projectRef(),
                    credentials.secretKey(),
                    credentials.workerToken(),
                    credentials.adminToken());
        }
    }

    public int httpPort() {
        return binding.localAddress().getPort();
    }

    /** Prometheus' scrape URL on Akka Management's port, when that is on. */
    public Optional<URI> metricsUri() {
        return management.map(uri -> URI.create(uri.toString().replaceAll("/+$", "") + "/metrics"));
    }

    public Credentials credentials() {
        return credentials;
    }

    public Engine engine() {
        return engine;
    }

    public ActorSystem<?> system() {
        return system;
    }

    private static <T> T await(CompletableFuture<T> future, String what, Duration timeout) {
        try {
            return future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new IllegalStateException(
                    "could not " + what + ": " + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException | TimeoutException e) {
            throw new IllegalStateException("could not " + what, e);
        }
    }
}
