package dev.baton.api.queues;

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

import akka.actor.typed.ActorSystem;
import akka.actor.typed.DispatcherSelector;
import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.server.Route;
import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.api.auth.Authentication;
import dev.baton.api.body.JsonBody;
import dev.baton.api.config.HttpSettings;
import dev.baton.api.errors.ApiException;
import dev.baton.api.errors.ErrorHandling;
import dev.baton.api.json.Json;
import dev.baton.engine.Engine;
import dev.baton.engine.dispatch.QueueDescription;
import dev.baton.engine.environment.Environment;
import dev.baton.engine.environment.EnvironmentSettingsStore;
import dev.baton.engine.environment.QueueSettings;
import dev.baton.engine.environment.QueueSettingsStore;
import dev.baton.engine.task.RateLimit;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.UnaryOperator;

/**
 * Trigger.dev's {@code queues.*}: list, retrieve, pause and resume, override and reset a queue's concurrency limit;
 * and Baton's override and reset of a queue's rate limit ({@code /rate-limit/override}, {@code /rate-limit/reset}).
 * A queue is one its environment's dispatcher knows (it has runs, or a connected worker declared it) or one a task
 * declared. A change is stored in {@code baton_queue_settings} first, then told to the environment's dispatcher,
 * which applies it at once cluster-wide and reads every queue's settings again when it starts.
 */
public final class QueueRoutes {

    private final Engine engine;
    private final Authentication authentication;
    private final JsonBody jsonBody;
    private final QueueSettingsStore queueSettings;
    private final EnvironmentSettingsStore environmentSettings;
    private final int defaultEnvironmentConcurrencyLimit;
    private final Clock clock;
    private final Executor blockingIo;

    public QueueRoutes(
            ActorSystem<?> system,
            Engine engine,
            Authentication authentication,
            HttpSettings settings,
            QueueSettingsStore queueSettings,
            EnvironmentSettingsStore environmentSettings,
            Clock clock) {
        this.engine = engine;
        this.authentication = authentication;
        this.jsonBody = new JsonBody(settings.maxBodySize(), settings.bodyReadTimeout());
        this.queueSettings = queueSettings;
        this.environmentSettings = environmentSettings;
        this.defaultEnvironmentConcurrencyLimit =
                system.settings().config().getInt("baton.engine.dispatch.environment-concurrency-limit");
        this.clock = clock;
        this.blockingIo = system.dispatchers().lookup(DispatcherSelector.blocking());
    }

    public Route routes() {
        return pathPrefix(
                segment("api").slash("v1").slash("queues"),
                () -> concat(
                        pathEnd(() -> get(() -> authentication.authenticated(
                                environment -> parameterMultiMap(query -> list(environment, query))))),
                        path(
                                segment(),
                                param -> get(() -> authentication.authenticated(environment -> parameterMultiMap(
                                        query -> retrieve(environment, param, QueueRequests.lookup(query)))))),
                        path(
                                segment().slash("pause"),
                                param -> post(() -> authentication.authenticated(environment -> jsonBody.json(body -> {
                                    boolean pause = QueueRequests.pause(body);
                                    return change(environment, param, body, settings -> settings.withPaused(pause));
                                })))),
                        path(
                                segment().slash("concurrency").slash("override"),
                                param -> post(() -> authentication.authenticated(
                                        environment -> jsonBody.json(body -> override(environment, param, body))))),
                        path(
                                segment().slash("concurrency").slash("reset"),
                                param -> post(() -> authentication.authenticated(environment ->
                                        jsonBody.optionalJson(body -> reset(environment, param, body))))),
                        path(
                                segment().slash("rate-limit").slash("override"),
                                param -> post(() -> authentication.authenticated(environment -> jsonBody.json(body -> {
                                    RateLimit limit = QueueRequests.rateLimit(body);
                                    return change(
                                            environment,
                                            param,
                                            body,
                                            settings -> settings.withRateLimit(limit, clock.instant()),
                                            "Queue not found");
                                })))),
                        path(
                                segment().slash("rate-limit").slash("reset"),
                                param -> post(() -> authentication.authenticated(environment ->
                                        jsonBody.optionalJson(body -> resetRateLimit(environment, param, body)))))));
    }

    private Route list(Environment environment, Map<String, List<String>> query) {
        QueueRequests.PageRequest page = QueueRequests.page(query);
        return onSuccess(engine.describeQueues(environment.id()), queues -> {
            int count = queues.size();
            int from = (int) Math.min((long) (page.page() - 1) * page.perPage(), count);
            List<QueueResponses.QueueItem> items = queues.subList(from, Math.min(from + page.perPage(), count)).stream()
                    .map(queue -> QueueResponses.item(environment.id(), queue))
                    .toList();
            int totalPages = (count + page.perPage() - 1) / page.perPage();
            return ok(new QueueResponses.Page(items, new QueueResponses.Pagination(page.page(), totalPages, count)));
        });
    }

    private Route retrieve(Environment environment, String param, QueueRequests.Lookup lookup) {
        return onSuccess(
                find(environment, param, lookup),
                found -> found.map(queue -> ok(QueueResponses.item(environment.id(), queue)))
                        .orElseGet(() -> notFound("queue-not-found")));
    }

    private Route override(Environment environment, String param, JsonNode body) {
        QueueRequests.Override override = QueueRequests.override(body);
        return onSuccess(
                CompletableFuture.supplyAsync(() -> environmentLimit(environment), blockingIo), environmentLimit -> {
                    int limit;
                    if (override.percent() != null) {
                        // Trigger.dev's rounding: the floor of the share, at least 1, at most the environment's limit.
                        int share = (int) Math.floor(environmentLimit * override.percent() / 100);
                        limit = Math.min(Math.max(share, 1), environmentLimit);
                    } else if (override.concurrencyLimit() > environmentLimit) {
                        throw ApiException.badRequest("Concurrency limit (" + override.concurrencyLimit()
                                + ") cannot exceed the environment limit (" + environmentLimit + ")");
                    } else {
                        limit = override.concurrencyLimit();
                    }
                    return change(
                            environment,
                            param,
                            body,
                            settings -> settings.withConcurrencyLimit(limit, clock.instant()),
                            "Queue not found");
                });
    }

    private Route reset(Environment environment, String param, JsonNode body) {
        JsonNode given = body == null ? Json.mapper().createObjectNode() : body;
        QueueRequests.reset(given);
        return change(
                environment,
                param,
                given,
                settings -> {
                    if (settings.concurrencyLimit() == null) throw ApiException.badRequest("Queue is not overridden");
                    return settings.withConcurrencyLimit(null, null);
                },
                "Queue not found");
    }

    private Route resetRateLimit(Environment environment, String param, JsonNode body) {
        JsonNode given = body == null ? Json.mapper().createObjectNode() : body;
        QueueRequests.reset(given);
        return change(
                environment,
                param,
                given,
                settings -> {
                    if (settings.rateLimit() == null) throw ApiException.badRequest("Queue has no rate-limit override");
                    return settings.withRateLimit(null, null);
                },
                "Queue not found");
    }

    private Route change(Environment environment, String param, JsonNode body, UnaryOperator<QueueSettings> update) {
        return change(environment, param, body, update, "queue-not-found");
    }

    /**
     * Finds the queue (404 {@code notFoundError} when none), stores its changed settings, tells its dispatcher, and
     * answers the queue with them.
     */
    private Route change(
            Environment environment,
            String param,
            JsonNode body,
            UnaryOperator<QueueSettings> update,
            String notFoundError) {
        CompletionStage<Optional<QueueDescription>> changed = find(environment, param, QueueRequests.lookup(body))
                .thenApplyAsync(
                        found -> found.map(queue -> {
                            QueueSettings saved = queueSettings.update(environment.id(), queue.name(), update);
                            engine.applyQueueSettings(environment.id(), queue.name(), saved);
                            return new QueueDescription(
                                    queue.name(), queue.queued(), queue.running(), queue.declared(), saved);
                        }),
                        blockingIo);
        return onSuccess(
                changed,
                found -> found.map(queue -> ok(QueueResponses.item(environment.id(), queue)))
                        .orElseGet(() -> notFound(notFoundError)));
    }

    /** The queue a path names: by id, or by type and name ({@code task} queues are Baton's {@code task/<id>}). */
    private CompletionStage<Optional<QueueDescription>> find(
            Environment environment, String param, QueueRequests.Lookup lookup) {
        // The SDK encodes a name's slashes twice (%252F), so one is left after the path's own decoding.
        String value = param.replace("%2F", "/");
        return engine.describeQueues(environment.id())
                .thenApply(queues -> queues.stream()
                        .filter(queue -> switch (lookup) {
                            case ID ->
                                QueueResponses.id(environment.id(), queue.name())
                                        .equals(value);
                            case TASK ->
                                queue.isTaskQueue()
                                        && queue.name()
                                                .equals(QueueDescription.TASK_QUEUE_PREFIX
                                                        + value.replaceFirst(
                                                                "^" + QueueDescription.TASK_QUEUE_PREFIX, ""));
                            case CUSTOM -> !queue.isTaskQueue() && queue.name().equals(value);
                        })
                        .findFirst());
    }

    private int environmentLimit(Environment environment) {
        Integer own = environmentSettings.load(environment.id()).concurrencyLimit();
        return own != null ? own : defaultEnvironmentConcurrencyLimit;
    }

    private static Route ok(Object body) {
        return complete(Json.response(StatusCodes.OK, body));
    }

    private static Route notFound(String error) {
        return complete(ErrorHandling.errorResponse(StatusCodes.NOT_FOUND, error));
    }
}
