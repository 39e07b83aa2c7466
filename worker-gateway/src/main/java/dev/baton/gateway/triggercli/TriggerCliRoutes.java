package dev.baton.gateway.triggercli;

import static akka.http.javadsl.server.Directives.complete;
import static akka.http.javadsl.server.Directives.concat;
import static akka.http.javadsl.server.Directives.entity;
import static akka.http.javadsl.server.Directives.extractUri;
import static akka.http.javadsl.server.Directives.get;
import static akka.http.javadsl.server.Directives.onComplete;
import static akka.http.javadsl.server.Directives.optionalHeaderValueByName;
import static akka.http.javadsl.server.Directives.path;
import static akka.http.javadsl.server.Directives.pathPrefix;
import static akka.http.javadsl.server.Directives.post;
import static akka.http.javadsl.server.PathMatchers.segment;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.DispatcherSelector;
import akka.actor.typed.javadsl.AskPattern;
import akka.http.javadsl.model.ContentTypes;
import akka.http.javadsl.model.HttpEntities;
import akka.http.javadsl.model.HttpResponse;
import akka.http.javadsl.model.MediaTypes;
import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.model.Uri;
import akka.http.javadsl.server.Route;
import akka.http.javadsl.unmarshalling.Unmarshaller;
import akka.stream.javadsl.Source;
import akka.util.ByteString;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.Config;
import dev.baton.engine.Engine;
import dev.baton.engine.environment.Accounts;
import dev.baton.engine.environment.CredentialKind;
import dev.baton.engine.environment.Environment;
import dev.baton.engine.environment.EnvironmentDirectory;
import dev.baton.engine.environment.EnvironmentType;
import dev.baton.engine.environment.Projects;
import dev.baton.engine.run.MetadataOperation;
import dev.baton.engine.run.Wait;
import dev.baton.gateway.envvars.VariableCache;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.function.Function;

/**
 * What the unmodified {@code trigger.dev dev} CLI calls besides login (whoami and {@code projects/{ref}/dev} are
 * management routes): its environment's variables, the background-worker registration, and the dev engine routes
 * ({@code /engine/v1/dev/…}) its supervisor polls, each answered in the shape the CLI's zod schemas check
 * (docs/trigger-dev-compat.md, "Running your tasks with the trigger.dev CLI"). Everything but the platform
 * notifications takes the environment's secret key, which the CLI got from {@code projects/{ref}/dev}. Waits inside
 * tasks ({@code /engine/v1/runs/{run}/…}) suspend the run through its session ({@link CliSession.WaitFor}).
 */
public final class TriggerCliRoutes {

    private static final String BEARER = "bearer ";
    private static final Duration ASK_TIMEOUT = Duration.ofSeconds(15);

    private final ActorSystem<?> system;
    private final Engine engine;
    private final EnvironmentDirectory directory;
    private final Accounts accounts;
    private final Projects projects;
    private final VariableCache variables;
    private final CliSessions sessions;
    private final Executor blocking;
    /** The task context of each environment, read once: project and organization names do not change a run. */
    private final Map<String, CliWire.Context> contexts = new ConcurrentHashMap<>();

    public TriggerCliRoutes(
            ActorSystem<?> system, Engine engine, EnvironmentDirectory directory, VariableCache variables) {
        this.system = system;
        this.engine = engine;
        this.directory = directory;
        this.accounts = new Accounts(directory);
        this.projects = new Projects(directory);
        this.variables = variables;
        this.blocking = system.dispatchers().lookup(DispatcherSelector.blocking());
        this.sessions = new CliSessions(
                system,
                engine,
                settings(system.settings().config().getConfig("baton.gateway")),
                variables,
                Clock.systemUTC());
    }

    static CliSession.Settings settings(Config gateway) {
        Config cli = gateway.getConfig("trigger-cli");
        return new CliSession.Settings(
                cli.getInt("max-concurrent-runs"),
                cli.getDuration("dequeue-interval-with-run"),
                cli.getDuration("dequeue-interval-without-run"),
                cli.getDuration("idle-timeout"),
                gateway.getDuration("report-interval"));
    }

    public Route route() {
        return concat(
                path(
                        segment("api").slash("v1").slash("platform-notifications"),
                        () -> get(this::platformNotifications)),
                pathPrefix(
                        segment("api").slash("v1").slash("projects").slash(segment()),
                        ref -> concat(
                                path(segment("envvars"), () -> get(() -> secretKey(ref, this::variables))),
                                path(
                                        segment("background-workers"),
                                        () -> post(() -> secretKey(ref, this::registerWorker))))),
                pathPrefix(segment("engine").slash("v1").slash("dev"), this::devRoutes),
                pathPrefix(segment("api").slash("v1").slash("deployments"), TriggerCliRoutes::deploy),
                pathPrefix(segment("api").slash("v3").slash("deployments"), TriggerCliRoutes::deploy),
                pathPrefix(segment("api").slash("v1").slash("artifacts"), TriggerCliRoutes::deploy),
                pathPrefix(
                        segment("engine").slash("v1").slash("runs").slash(segment()),
                        runId -> concat(
                                path(
                                        segment("wait").slash("duration"),
                                        () -> post(() -> secretKey(
                                                null,
                                                environment -> json(body -> waitForDuration(
                                                        environment, runId, CliWaits.duration(body)))))),
                                path(
                                        segment("waitpoints")
                                                .slash("tokens")
                                                .slash(segment())
                                                .slash("wait"),
                                        tokenId -> post(() -> secretKey(
                                                null, environment -> waitForToken(environment, runId, tokenId)))))));
    }

    private Route devRoutes() {
        return concat(
                path(segment("config"), () -> get(() -> secretKey(null, this::config))),
                path(segment("presence"), () -> get(() -> secretKey(null, environment -> presence()))),
                path(segment("disconnect"), () -> post(() -> secretKey(null, this::disconnect))),
                path(segment("dequeue"), () -> post(() -> secretKey(null, this::dequeue))),
                pathPrefix(
                        segment("runs").slash(segment()),
                        runId -> concat(
                                path(
                                        segment("logs").slash("debug"),
                                        () -> post(() -> secretKey(
                                                null,
                                                environment ->
                                                        // The CLI's own debug lines about a run (its snapshot polls):
                                                        // not stored.
                                                        complete(HttpResponse.create()
                                                                .withStatus(StatusCodes.NO_CONTENT))))),
                                path(
                                        segment("snapshots").slash("latest"),
                                        () -> get(() -> secretKey(null, environment -> latest(environment, runId)))),
                                path(
                                        segment("snapshots")
                                                .slash(segment())
                                                .slash("attempts")
                                                .slash("start"),
                                        snapshotId -> post(() -> secretKey(
                                                null,
                                                environment -> ask(
                                                        environment,
                                                        replyTo -> new CliSession.Start(runId, snapshotId, replyTo))))),
                                path(
                                        segment("snapshots").slash(segment()).slash("heartbeat"),
                                        snapshotId -> post(() -> secretKey(
                                                null,
                                                environment -> ask(
                                                        environment,
                                                        replyTo -> new CliSession.Heartbeat(
                                                                runId, snapshotId, replyTo))))),
                                path(
                                        segment("snapshots")
                                                .slash(segment())
                                                .slash("attempts")
                                                .slash("complete"),
                                        snapshotId -> post(() -> secretKey(
                                                null,
                                                environment -> json(body -> completeAttempt(
                                                        environment,
                                                        runId,
                                                        snapshotId,
                                                        CliCompletion.read(body),
                                                        CliCompletion.flushedMetadata(body)))))))));
    }

    // ---------------------------------------------------------------- routes

    /** Baton has no platform notifications; the CLI asks with the personal access token. */
    /**
     * {@code trigger.dev deploy}: it builds a container image for Trigger.dev's cloud to run, which Baton does not do.
     * Answered with a 400 rather than a 404, so the CLI stops at once and prints why.
     */
    private static Route deploy() {
        return answer(new CliSession.Answer(
                400,
                CliWire.error("Baton does not deploy: trigger.dev deploy builds container images for Trigger.dev's"
                        + " cloud. Run your tasks with `trigger.dev dev` against Baton")));
    }

    private Route platformNotifications() {
        return optionalHeaderValueByName("Authorization", header -> {
            Optional<String> token = bearer(header).filter(value -> value.startsWith(Accounts.TOKEN_PREFIX));
            if (token.isEmpty()) return unauthorized();
            return blocking(
                    () -> accounts.authenticate(token.get()),
                    user -> user.isPresent()
                            ? ok(CliWire.MAPPER.createObjectNode().putNull("notification"))
                            : unauthorized());
        });
    }

    /** The variables the CLI passes to its task processes: the environment's, decrypted. */
    private Route variables(Environment environment) {
        return onComplete(variables.load(environment.id()), loaded -> {
            if (loaded.isFailure())
                return answer(new CliSession.Answer(503, CliWire.error("the variables could not be read")));
            ObjectNode body = CliWire.MAPPER.createObjectNode();
            loaded.get().forEach(body.putObject("variables")::put);
            if (!body.has("variables")) body.putObject("variables");
            return ok(body);
        });
    }

    private Route registerWorker(Environment environment) {
        return taskTelemetry(telemetry -> json(body -> {
            CliManifest.Declared declared = CliManifest.read(body, environmentType(environment));
            // Schedules after their tasks: a schedule fires only tasks the catalog knows.
            CompletionStage<CliSessions.Registration> registered = context(environment)
                    .thenCompose(context -> engine.declareBuild(environment.id(), sessions.today(), declared.tasks())
                            .thenCompose(build -> engine.schedules()
                                    .declare(environment.id(), declared.schedules())
                                    .thenApply(done -> sessions.register(context, declared, telemetry, build))));
            return onComplete(registered, result -> {
                if (result.isFailure())
                    return answer(new CliSession.Answer(
                            503,
                            CliWire.error("could not declare the tasks, try again: "
                                    + result.failed().get().getMessage())));
                CliSessions.Registration registration = result.get();
                return ok(CliWire.MAPPER
                        .createObjectNode()
                        .put("id", registration.workerId())
                        .put("version", registration.version())
                        .put("contentHash", declared.contentHash()));
            });
        }));
    }

    private Route config(Environment environment) {
        CliSession.Settings settings = sessions.settings();
        return extractUri(uri -> ok(CliWire.MAPPER
                .createObjectNode()
                .put("environmentId", environment.id())
                .put("dequeueIntervalWithRun", settings.dequeueIntervalWithRun().toMillis())
                .put(
                        "dequeueIntervalWithoutRun",
                        settings.dequeueIntervalWithoutRun().toMillis())
                .put("maxConcurrentRuns", settings.maxConcurrentRuns())
                .put("engineUrl", baseUrl(uri))));
    }

    /**
     * Server-sent events the CLI keeps open while it runs: {@code start}, then {@code time} every few seconds. The
     * CLI ignores their content; Baton does not act on presence: a declarative schedule fires whether or not a CLI is
     * connected, and its run waits in the queue for one.
     */
    private Route presence() {
        Source<ByteString, ?> events = Source.single(event("start"))
                .concat(Source.tick(Duration.ofSeconds(5), Duration.ofSeconds(5), "time")
                        .map(TriggerCliRoutes::event)
                        .mapMaterializedValue(cancellable -> akka.NotUsed.getInstance()));
        return complete(HttpResponse.create()
                .withEntity(HttpEntities.create(MediaTypes.TEXT_EVENT_STREAM.toContentType(), events)));
    }

    private static ByteString event(String name) {
        return ByteString.fromString("event: " + name + "\ndata: {\"time\":\"" + java.time.Instant.now() + "\"}\n\n");
    }

    private Route disconnect(Environment environment) {
        return json(body -> {
            List<String> runIds = new ArrayList<>();
            for (JsonNode runId : body.path("runFriendlyIds")) runIds.add(runId.asText());
            Optional<ActorRef<CliSession.Command>> session = sessions.session(environment.id());
            if (session.isEmpty()) return ok(CliWire.MAPPER.createObjectNode().put("cancelled", 0));
            return askSession(session.get(), replyTo -> new CliSession.Disconnect(runIds, replyTo));
        });
    }

    private Route dequeue(Environment environment) {
        return taskTelemetry(telemetry -> json(body -> {
            String workerId = body.path("currentWorker").asText("");
            return onComplete(
                    context(environment).thenApply(context -> sessions.resume(context, workerId, telemetry)),
                    session -> {
                        if (session.isFailure()) return answer(new CliSession.Answer(503, CliWire.error("try again")));
                        if (session.get().isEmpty())
                            return answer(new CliSession.Answer(
                                    404,
                                    CliWire.error("Background worker " + workerId
                                            + " is not registered on this node: restart trigger.dev dev")));
                        return askSession(session.get().get(), CliSession.Dequeue::new);
                    });
        }));
    }

    private Route latest(Environment environment, String runId) {
        Optional<ActorRef<CliSession.Command>> session = sessions.session(environment.id());
        if (session.isPresent()) return askSession(session.get(), replyTo -> new CliSession.Latest(runId, replyTo));
        return onComplete(engine.runs().get(environment.id(), runId), run -> {
            if (run.isFailure()) return answer(new CliSession.Answer(503, CliWire.error("try again")));
            if (run.get().isEmpty()) return answer(new CliSession.Answer(404, CliWire.error("Run not found")));
            return ok(CliWire.latest(run.get().get()));
        });
    }

    /** {@code wait.for} / {@code wait.until} past 5 s: {@code {waitUntil, waitpoint: {id}}}. */
    private Route waitForDuration(Environment environment, String runId, Instant until) {
        return ask(
                environment,
                replyTo -> new CliSession.WaitFor(
                        runId,
                        key -> Wait.duration(key, until),
                        wait -> CliWaits.durationAnswer(runId, wait),
                        replyTo));
    }

    /**
     * {@code wait.forToken}: {@code {success: true}}; the token's completion (or timeout) resumes the run. A token
     * unknown in the environment is a 404, as in Trigger.dev, rather than a wait that fails at once.
     */
    private Route waitForToken(Environment environment, String runId, String tokenId) {
        return onComplete(engine.tokens().get(environment.id(), tokenId), token -> {
            if (token.isFailure()) return answer(new CliSession.Answer(503, CliWire.error("try again")));
            if (token.get().isEmpty())
                return answer(new CliSession.Answer(404, CliWire.error("Waitpoint token " + tokenId + " not found")));
            return ask(
                    environment,
                    replyTo -> new CliSession.WaitFor(
                            runId,
                            key -> Wait.token(key, tokenId),
                            wait -> CliWire.MAPPER.createObjectNode().put("success", true),
                            replyTo));
        });
    }

    /**
     * Stores the metadata the task flushed with its completion before the completion itself, so the finished run
     * already shows it; a failure to store it answers 503 and the CLI sends the completion again.
     */
    private Route completeAttempt(
            Environment environment,
            String runId,
            String snapshotId,
            CliCompletion completion,
            List<MetadataOperation> flushedMetadata) {
        Function<ActorRef<CliSession.Answer>, CliSession.Command> command =
                replyTo -> new CliSession.Complete(runId, snapshotId, completion, replyTo);
        if (flushedMetadata.isEmpty()) return ask(environment, command);
        return onComplete(engine.runs().updateMetadata(environment.id(), runId, flushedMetadata), stored -> {
            if (stored.isFailure())
                return answer(new CliSession.Answer(
                        503,
                        CliWire.error("the run's metadata could not be stored, try again: "
                                + stored.failed().get().getMessage())));
            if (stored.get().isEmpty()) return answer(new CliSession.Answer(404, CliWire.error("Run not found")));
            return ask(environment, command);
        });
    }

    // ---------------------------------------------------------------- plumbing

    private Route ask(Environment environment, Function<ActorRef<CliSession.Answer>, CliSession.Command> command) {
        Optional<ActorRef<CliSession.Command>> session = sessions.session(environment.id());
        if (session.isEmpty())
            return answer(new CliSession.Answer(
                    404, CliWire.error("No trigger.dev dev session is connected to this environment on this node")));
        return askSession(session.get(), command);
    }

    private Route askSession(
            ActorRef<CliSession.Command> session, Function<ActorRef<CliSession.Answer>, CliSession.Command> command) {
        CompletionStage<CliSession.Answer> answer =
                AskPattern.ask(session, command::apply, ASK_TIMEOUT, system.scheduler());
        return onComplete(
                answer,
                result -> result.isSuccess()
                        ? answer(result.get())
                        : answer(new CliSession.Answer(
                                503, CliWire.error("the session did not answer in time, try again"))));
    }

    private CompletionStage<CliWire.Context> context(Environment environment) {
        CliWire.Context known = contexts.get(environment.id());
        if (known != null) return CompletableFuture.completedFuture(known);
        return CompletableFuture.supplyAsync(
                () -> {
                    Projects.Project project = projects.projectOf(environment);
                    CliWire.Context context = new CliWire.Context(
                            environment,
                            environmentType(environment),
                            project.organizationId(),
                            project.organizationName(),
                            project.name());
                    contexts.put(environment.id(), context);
                    return context;
                },
                blocking);
    }

    private static String environmentType(Environment environment) {
        return EnvironmentType.named(environment.slug())
                .orElse(EnvironmentType.DEVELOPMENT)
                .name();
    }

    /** The environment of the request's secret key; a key of another project than the path's is refused. */
    private Route secretKey(String projectRef, Function<Environment, Route> inner) {
        return optionalHeaderValueByName("Authorization", header -> {
            Optional<String> token = bearer(header);
            if (token.isEmpty()) return unauthorized();
            return blocking(() -> directory.authenticate(CredentialKind.SECRET_KEY, token.get()), environment -> {
                if (environment.isEmpty()) return unauthorized();
                if (projectRef != null && !projectRef.equals(environment.get().projectRef()))
                    return answer(new CliSession.Answer(
                            403, CliWire.error("The secret key belongs to another project than " + projectRef)));
                return inner.apply(environment.get());
            });
        });
    }

    private Route json(Function<JsonNode, Route> inner) {
        return entity(Unmarshaller.entityToString(), text -> {
            JsonNode body;
            try {
                body = text.isBlank() ? CliWire.MAPPER.createObjectNode() : CliWire.MAPPER.readTree(text);
            } catch (JsonProcessingException e) {
                return answer(
                        new CliSession.Answer(400, CliWire.error("Invalid JSON body: " + e.getOriginalMessage())));
            }
            try {
                return inner.apply(body);
            } catch (CliManifest.RefusedException e) {
                return answer(new CliSession.Answer(400, CliWire.error(e.getMessage())));
            }
        });
    }

    private <T> Route blocking(java.util.function.Supplier<T> call, Function<T, Route> inner) {
        return onComplete(
                CompletableFuture.supplyAsync(call, blocking),
                result -> result.isSuccess()
                        ? inner.apply(result.get())
                        : answer(new CliSession.Answer(
                                503, CliWire.error("the directory could not be read, try again"))));
    }

    private static Optional<String> bearer(Optional<String> header) {
        return header.filter(value -> value.regionMatches(true, 0, BEARER, 0, BEARER.length()))
                .map(value -> value.substring(BEARER.length()).strip())
                .filter(value -> !value.isEmpty());
    }

    private static Route ok(JsonNode body) {
        return answer(CliSession.Answer.ok(body));
    }

    private static Route answer(CliSession.Answer answer) {
        return complete(HttpResponse.create()
                .withStatus(answer.status())
                .withEntity(ContentTypes.APPLICATION_JSON, answer.body().toString()));
    }

    private static Route unauthorized() {
        return answer(new CliSession.Answer(401, CliWire.error("Invalid or Missing API key")));
    }

    /** The address the CLI reached this node by: the base of its engine calls and the tasks' OTLP endpoint. */
    static String baseUrl(Uri uri) {
        return uri.scheme() + "://" + uri.host().address() + (uri.port() > 0 ? ":" + uri.port() : "");
    }

    /**
     * The variables that point a task's OpenTelemetry export at this node: the endpoint, and the caller's secret key
     * as the exporters' header (OpenTelemetry's {@code OTEL_EXPORTER_OTLP_HEADERS}, values URL-encoded), since Baton's
     * OTLP receivers take only the environment's callers. The task already holds that key as TRIGGER_SECRET_KEY.
     * Batch processing is turned on (Trigger.dev's server can do the same): without it the SDK exports every log record
     * in a request of its own, all at once, so records logged a few milliseconds apart could be stored out of order;
     * the records of one export are stored in the order they were logged.
     */
    private static Route taskTelemetry(Function<Map<String, String>, Route> inner) {
        return extractUri(uri -> optionalHeaderValueByName(
                "Authorization",
                header -> inner.apply(Map.of(
                        "TRIGGER_OTEL_EXPORTER_OTLP_ENDPOINT",
                        baseUrl(uri) + "/otel",
                        "TRIGGER_OTEL_BATCH_PROCESSING_ENABLED",
                        "1",
                        "OTEL_EXPORTER_OTLP_HEADERS",
                        "Authorization="
                                + URLEncoder.encode("Bearer " + bearer(header).orElse(""), StandardCharsets.UTF_8)
                                        .replace("+", "%20")))));
    }
}
