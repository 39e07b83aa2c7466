package dev.baton.api.runs;

import static akka.http.javadsl.server.Directives.complete;
import static akka.http.javadsl.server.Directives.concat;
import static akka.http.javadsl.server.Directives.get;
import static akka.http.javadsl.server.Directives.onSuccess;
import static akka.http.javadsl.server.Directives.optionalHeaderValueByName;
import static akka.http.javadsl.server.Directives.path;
import static akka.http.javadsl.server.Directives.post;
import static akka.http.javadsl.server.Directives.put;
import static akka.http.javadsl.server.PathMatchers.segment;

import akka.http.javadsl.model.HttpResponse;
import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.server.Route;
import dev.baton.api.auth.Authentication;
import dev.baton.api.auth.Caller;
import dev.baton.api.auth.OneTimeTokens;
import dev.baton.api.auth.PublicAccessTokens;
import dev.baton.api.auth.Scopes;
import dev.baton.api.auth.Scopes.Resource;
import dev.baton.api.body.JsonBody;
import dev.baton.api.config.HttpSettings;
import dev.baton.api.errors.ApiException;
import dev.baton.api.errors.ErrorHandling;
import dev.baton.api.json.Json;
import dev.baton.api.ratelimit.RateLimiter;
import dev.baton.api.runs.RunResponses.IdResponse;
import dev.baton.api.runs.RunResponses.MessageResponse;
import dev.baton.api.runs.RunResponses.MetadataResponse;
import dev.baton.api.runs.RunResponses.TriggerTaskResponse;
import dev.baton.engine.Engine;
import dev.baton.engine.environment.Environment;
import dev.baton.engine.run.MetadataOperation;
import dev.baton.engine.run.ReplayOverrides;
import dev.baton.engine.run.RunService;
import dev.baton.engine.run.RunState;
import dev.baton.engine.run.TaskNotFoundException;
import dev.baton.engine.run.TriggerRequest;
import dev.baton.engine.task.TaskDefinition;
import dev.baton.engine.trace.TraceContext;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Trigger a task; read a run and its history; cancel, replay, reschedule, tag a run and update its
 * metadata; reset an idempotency key. Authentication, body size, JSON syntax and validation are all
 * decided before the engine is asked anything. A run that does not exist, or belongs to another
 * environment, is the same 404 {@code {"error":"Run not found"}} with {@code x-should-retry: false}.
 * Trigger, retrieve and events also take a public access token: a trigger needs {@code trigger:tasks:<id>} (a
 * one-time-use token triggers once), a read one of the run's scopes ({@link #requireRead}); what they do not
 * cover is 403. The other calls refuse a public access token with 403.
 */
public final class RunRoutes {

    static final String REQUEST_IDEMPOTENCY_KEY = "x-trigger-request-idempotency-key";
    static final String IDEMPOTENCY_KEY = "idempotency-key";
    static final String IDEMPOTENCY_KEY_TTL = "idempotency-key-ttl";

    private final Engine engine;
    private final Authentication authentication;
    private final HttpSettings settings;
    private final JsonBody jsonBody;
    private final JsonBody metadataBody;
    private final TriggerBodyDecoder decoder;
    private final RunCommandDecoder commands;
    private final RateLimiter rateLimiter;
    private final PublicAccessTokens accessTokens;
    private final StoredPayloads storedPayloads;
    private final OneTimeTokens oneTimeTokens;

    /**
     * @param rateLimiter the per-environment limit of triggers (429 past it)
     * @param accessTokens the x-trigger-jwt every trigger answers with
     * @param storedPayloads resolves payloads uploaded as packets ({@code application/store})
     * @param oneTimeTokens records the use of a one-time-use trigger token, refused the second time
     */
    public RunRoutes(
            Engine engine,
            Authentication authentication,
            HttpSettings settings,
            RateLimiter rateLimiter,
            PublicAccessTokens accessTokens,
            StoredPayloads storedPayloads,
            OneTimeTokens oneTimeTokens) {
        this.oneTimeTokens = oneTimeTokens;
        this.rateLimiter = rateLimiter;
        this.accessTokens = accessTokens;
        this.storedPayloads = storedPayloads;
        this.engine = engine;
        this.authentication = authentication;
        this.settings = settings;
        this.jsonBody = new JsonBody(settings.maxBodySize(), settings.bodyReadTimeout());
        this.metadataBody = new JsonBody(settings.maxMetadataBodySize(), settings.bodyReadTimeout());
        this.decoder = new TriggerBodyDecoder(settings);
        this.commands = new RunCommandDecoder(settings);
    }

    public Route routes() {
        return concat(
                path(
                        segment("api")
                                .slash("v1")
                                .slash("tasks")
                                .slash(segment())
                                .slash("trigger"),
                        taskId -> post(() -> authentication.caller(caller -> {
                            // Checked only for a token: a secret key's trigger is the hot path.
                            if (caller.isPublic()
                                    && !caller.mayAny(Scopes.TRIGGER, List.of(Resource.of(Scopes.TASKS, taskId)))) {
                                throw Authentication.forbidden();
                            }
                            return rateLimiter.limited(
                                    caller.environment().id(),
                                    () -> triggerHeaders((requestKey, key, keyTtl) -> optionalHeaderValueByName(
                                            "traceparent",
                                            traceparent -> jsonBody.json(body -> trigger(
                                                    caller,
                                                    traced(decoder.decode(taskId, body, key, keyTtl), traceparent),
                                                    TriggerBodyDecoder.parentToResume(body),
                                                    commands.requestKey(requestKey))))));
                        }))),
                path(
                        segment("api").slash("v3").slash("runs").slash(segment()),
                        runId -> get(() -> authentication.caller(caller -> retrieve(caller, runId)))),
                path(
                        segment("api")
                                .slash("v1")
                                .slash("runs")
                                .slash(segment())
                                .slash("events"),
                        runId -> get(() -> authentication.caller(caller -> events(caller, runId)))),
                path(
                        segment("api")
                                .slash("v2")
                                .slash("runs")
                                .slash(segment())
                                .slash("cancel"),
                        runId -> post(() -> authentication.authenticated(
                                environment -> JsonBody.ignored(() -> cancel(environment, runId))))),
                path(
                        segment("api")
                                .slash("v1")
                                .slash("runs")
                                .slash(segment())
                                .slash("replay"),
                        runId -> post(() -> authentication.authenticated(environment ->
                                jsonBody.optionalJson(body -> replay(environment, runId, commands.replay(body)))))),
                path(
                        segment("api")
                                .slash("v1")
                                .slash("runs")
                                .slash(segment())
                                .slash("reschedule"),
                        runId -> post(() -> authentication.authenticated(environment ->
                                jsonBody.json(body -> reschedule(environment, runId, commands.reschedule(body)))))),
                path(
                        segment("api")
                                .slash("v1")
                                .slash("runs")
                                .slash(segment())
                                .slash("tags"),
                        runId -> post(() -> authentication.authenticated(environment ->
                                jsonBody.json(body -> addTags(environment, runId, commands.tags(body)))))),
                path(
                        segment("api")
                                .slash("v1")
                                .slash("runs")
                                .slash(segment())
                                .slash("metadata"),
                        runId -> put(() -> authentication.authenticated(environment -> metadataBody.json(
                                body -> updateMetadata(environment, runId, commands.metadata(body)))))),
                path(
                        segment("api")
                                .slash("v1")
                                .slash("idempotencyKeys")
                                .slash(segment())
                                .slash("reset"),
                        key -> post(() -> authentication.authenticated(environment -> jsonBody.json(body ->
                                resetIdempotencyKey(environment, key, commands.resetTaskIdentifier(key, body)))))));
    }

    private interface TriggerHeaders {
        Route apply(String requestKey, String idempotencyKey, String idempotencyKeyTtl);
    }

    private static Route triggerHeaders(TriggerHeaders inner) {
        return optionalHeaderValueByName(
                REQUEST_IDEMPOTENCY_KEY,
                requestKey -> optionalHeaderValueByName(
                        IDEMPOTENCY_KEY,
                        key -> optionalHeaderValueByName(
                                IDEMPOTENCY_KEY_TTL,
                                keyTtl -> inner.apply(requestKey.orElse(null), nonBlank(key), nonBlank(keyTtl)))));
    }

    /**
     * A valid W3C {@code traceparent} makes the run part of the caller's trace, under the caller's span; an invalid
     * one is ignored, as W3C Trace Context says, and the run is the root of a trace of its own.
     */
    private static TriggerRequest traced(TriggerRequest request, Optional<String> traceparent) {
        return traceparent
                .flatMap(TraceContext::fromTraceparent)
                .map(trace -> request.toBuilder().trace(trace).build())
                .orElse(request);
    }

    private static String nonBlank(Optional<String> header) {
        return header.filter(value -> !value.isBlank()).orElse(null);
    }

    private RunService runs() {
        return engine.runs();
    }

    private Route trigger(Caller caller, TriggerRequest request, String parentToResume, String requestKey) {
        Environment environment = caller.environment();
        // A task id no worker could have declared needs no lookup.
        if (!TaskDefinition.ID_PATTERN.matcher(request.taskId()).matches()) {
            throw new TaskNotFoundException(request.taskId());
        }
        if (parentToResume != null) return triggerAndWait(caller, request, parentToResume);
        CompletionStage<HttpResponse> answer = oneTimeTokens
                .firstUse(caller)
                .thenCompose(first -> storedPayloads.resolve(environment.id(), request))
                .thenCompose(resolved -> runs().trigger(environment.id(), resolved, requestKey))
                .thenCompose(triggered -> accessTokens
                        .forRun(environment.id(), triggered.run().runId())
                        .thenApply(headers -> Json.response(
                                StatusCodes.OK,
                                new TriggerTaskResponse(triggered.run().runId(), triggered.cached()),
                                headers)));
        return onSuccess(answer, response -> complete(response));
    }

    /**
     * {@code triggerAndWait} from a trigger.dev task: the parent's attempt suspends for the child, and the parent's
     * wait triggers it (its id derived from the parent's wait, as for the Java SDK's child runs), so a repeated
     * request finds the same child rather than starting a second one. The parent resumes with the child's outcome.
     */
    private Route triggerAndWait(Caller caller, TriggerRequest request, String parentRunId) {
        String environmentId = caller.environment().id();
        if (request.debounce() != null)
            throw ApiException.badRequest("options.debounce cannot be combined with options.resumeParentOnCompletion");
        CompletionStage<HttpResponse> answer = oneTimeTokens
                .firstUse(caller)
                .thenCompose(first -> storedPayloads.resolve(environmentId, request))
                .thenCompose(resolved -> runs().waitForChildren(environmentId, parentRunId, List.of(resolved)))
                .thenCompose(wait -> {
                    String childId = wait.childRunId(parentRunId, 0);
                    return accessTokens
                            .forRun(environmentId, childId)
                            .thenApply(headers ->
                                    Json.response(StatusCodes.OK, new TriggerTaskResponse(childId, false), headers));
                });
        return onSuccess(answer, response -> complete(response));
    }

    private Route retrieve(Caller caller, String runId) {
        return ifFound(runs().get(caller.environment().id(), runId), run -> {
            requireRead(caller, run);
            return runResponse(run);
        });
    }

    /** A public caller may read the history of a run its scopes cover, which takes reading the run first. */
    private Route events(Caller caller, String runId) {
        String environmentId = caller.environment().id();
        Route history = ifFound(
                runs().history(environmentId, runId),
                events -> complete(Json.response(StatusCodes.OK, RunTranslator.toEventsResponse(events))));
        if (!caller.isPublic()) return history;
        return ifFound(runs().get(environmentId, runId), run -> {
            requireRead(caller, run);
            return history;
        });
    }

    /**
     * As Trigger.dev reads a run for a public access token: one of {@code read:runs:<id>}, {@code read:tasks:<task>},
     * {@code read:tags:<tag>} (any of its tags), {@code read:batch:<batch>}, or a broader scope.
     */
    public static void requireRead(Caller caller, RunState run) {
        if (caller.isPublic() && !caller.mayAny(Scopes.READ, resources(run))) throw Authentication.forbidden();
    }

    static List<Resource> resources(RunState run) {
        List<Resource> resources = new ArrayList<>();
        resources.add(Resource.of(Scopes.RUNS, run.runId()));
        resources.add(Resource.of(Scopes.TASKS, run.spec().taskId()));
        run.tags().forEach(tag -> resources.add(Resource.of(Scopes.TAGS, tag)));
        String batchId = run.spec().lineage().batchId();
        if (batchId != null) resources.add(Resource.of(Scopes.BATCH, batchId));
        return resources;
    }

    /** A finished run stays as it is, and the answer is the same 200. */
    private Route cancel(Environment environment, String runId) {
        return ifFound(
                runs().cancel(environment.id(), runId),
                run -> complete(Json.response(StatusCodes.OK, new IdResponse(run.runId()))));
    }

    private Route replay(Environment environment, String runId, ReplayOverrides overrides) {
        return ifFound(
                runs().replay(environment.id(), runId, overrides),
                replayed -> complete(Json.response(StatusCodes.OK, new IdResponse(replayed.runId()))));
    }

    /** A run that is not DELAYED is refused by the engine (NOT_DELAYED → 422). */
    private Route reschedule(Environment environment, String runId, Instant delayUntil) {
        return ifFound(runs().reschedule(environment.id(), runId, delayUntil), this::runResponse);
    }

    /**
     * Appends the tags the run does not have yet. The count of new tags (for the message) and the
     * Trigger.dev-style 422 are computed against the run as read just before; the engine enforces the
     * limit itself too, should another update slip in between.
     */
    private Route addTags(Environment environment, String runId, List<String> tags) {
        return ifFound(runs().get(environment.id(), runId), before -> {
            List<String> added =
                    tags.stream().filter(tag -> !before.tags().contains(tag)).toList();
            int total = before.tags().size() + added.size();
            if (total > settings.maxTags()) {
                throw ApiException.unprocessable(
                        "Runs can only have " + settings.maxTags() + " tags, you're trying to set "
                                + total + ". These tags have not been set: "
                                + added.stream().map(tag -> "'" + tag + "'").collect(Collectors.joining(", ")) + ".");
            }
            if (added.isEmpty())
                return complete(Json.response(StatusCodes.OK, new MessageResponse("No new tags to set")));
            return ifFound(runs().addTags(environment.id(), runId, added), after -> {
                Set<String> now = new LinkedHashSet<>(after.tags());
                long set = added.stream().filter(now::contains).count();
                return complete(
                        Json.response(StatusCodes.OK, new MessageResponse("Successfully set " + set + " new tags.")));
            });
        });
    }

    /** No operations at all: nothing is written, the current metadata is the answer. */
    private Route updateMetadata(Environment environment, String runId, List<MetadataOperation> operations) {
        CompletionStage<Optional<RunState>> updated = operations.isEmpty()
                ? runs().get(environment.id(), runId)
                : runs().updateMetadata(environment.id(), runId, operations);
        return ifFound(updated, run -> {
            var metadata = Json.readStored(run.metadataJson());
            return complete(Json.response(
                    StatusCodes.OK,
                    new MetadataResponse(
                            metadata != null ? metadata : Json.mapper().createObjectNode())));
        });
    }

    /** Frees the key for the task; a key that holds no run is reset just the same. */
    private Route resetIdempotencyKey(Environment environment, String key, String taskIdentifier) {
        return onSuccess(
                runs().resetIdempotencyKey(environment.id(), taskIdentifier, key),
                done -> complete(Json.response(StatusCodes.OK, new IdResponse(key))));
    }

    private Route runResponse(RunState run) {
        return onSuccess(
                runs().related(run),
                related -> complete(Json.response(StatusCodes.OK, RunTranslator.toRetrieveResponse(run, related))));
    }

    private static <T> Route ifFound(CompletionStage<Optional<T>> lookup, Function<T, Route> found) {
        return onSuccess(lookup, result -> result.map(found).orElseGet(() -> complete(ErrorHandling.runNotFound())));
    }
}
