package dev.baton.api.runs;

import static akka.http.javadsl.server.Directives.complete;
import static akka.http.javadsl.server.Directives.completeOK;
import static akka.http.javadsl.server.Directives.concat;
import static akka.http.javadsl.server.Directives.get;
import static akka.http.javadsl.server.Directives.onSuccess;
import static akka.http.javadsl.server.Directives.parameterMultiMap;
import static akka.http.javadsl.server.Directives.path;
import static akka.http.javadsl.server.Directives.respondWithHeader;
import static akka.http.javadsl.server.PathMatchers.segment;

import akka.NotUsed;
import akka.http.javadsl.marshalling.sse.EventStreamMarshalling;
import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.model.headers.RawHeader;
import akka.http.javadsl.model.sse.ServerSentEvent;
import akka.http.javadsl.server.Route;
import akka.stream.javadsl.Source;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.api.auth.Authentication;
import dev.baton.api.auth.Caller;
import dev.baton.api.config.HttpSettings;
import dev.baton.api.errors.ApiException;
import dev.baton.api.errors.ErrorHandling;
import dev.baton.api.json.Json;
import dev.baton.api.listing.ListParams;
import dev.baton.engine.Engine;
import dev.baton.engine.changes.RunChangeFeed;
import dev.baton.engine.changes.RunChanged;
import dev.baton.engine.environment.Environment;
import dev.baton.projections.runs.RunList;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * {@code GET /api/v1/runs/stream} (the runs {@code GET /api/v1/runs} filters select) and
 * {@code GET /api/v1/runs/{id}/stream} (one run): the runs' changes as Server-Sent Events, for the dashboard's
 * pages and any other client. Fed by the engine's {@link RunChangeFeed} (one subscription per environment and
 * node, shared), whose notices carry each run's list fields, so a stream reads nothing from the database or the
 * entities. Each connection keeps the latest notice per run and sends them once per {@code window}
 * ({@link RunChangeConflator}); a client too slow to keep up gets {@code resync}. Authorised as the list and the
 * retrieve routes are.
 */
public final class RunStreamRoutes {

    /** The list's filters; its page parameters mean nothing to a stream and are refused. */
    private static final Set<String> FILTERS = Set.of(
            RunListParams.STATUS,
            RunListParams.TASK,
            RunListParams.TAG,
            RunListParams.QUEUE,
            RunListParams.VERSION,
            RunListParams.BATCH,
            RunListParams.SCHEDULE,
            RunListParams.IS_TEST,
            ListParams.FROM,
            ListParams.TO,
            ListParams.PERIOD,
            "filter[machine]",
            "filter[region]",
            "filter[bulkAction]");

    /** Keeps one event's data to a size a browser parses at once; a larger drain is sent as several events. */
    private static final int MAX_RUNS_PER_EVENT = 200;

    private final Engine engine;
    private final Authentication authentication;
    private final RunListParams params;
    private final RunStreamSettings settings;
    private final Clock clock;
    private final ConcurrentMap<String, AtomicInteger> open = new ConcurrentHashMap<>();

    public RunStreamRoutes(
            Engine engine,
            Authentication authentication,
            HttpSettings httpSettings,
            RunStreamSettings settings,
            Clock clock) {
        this.engine = engine;
        this.authentication = authentication;
        this.params = new RunListParams(httpSettings);
        this.settings = settings;
        this.clock = clock;
    }

    public Route routes() {
        return concat(
                path(
                        segment("api").slash("v1").slash("runs").slash("stream"),
                        () -> get(() -> authentication.caller(
                                caller -> parameterMultiMap(query -> listStream(caller, query))))),
                path(
                        segment("api")
                                .slash("v1")
                                .slash("runs")
                                .slash(segment())
                                .slash("stream"),
                        runId -> get(() -> authentication.caller(
                                caller -> parameterMultiMap(query -> runStream(caller, runId, query))))));
    }

    private Route listStream(Caller caller, Map<String, List<String>> query) {
        refuseUnknown(query, FILTERS);
        RunListParams.Decoded decoded = params.decode(query);
        if (caller.isPublic() && !RunListRoutes.mayList(caller, decoded.filter())) throw Authentication.forbidden();
        RunList.Filter filter = decoded.filter();
        Predicate<RunChanged> selects = decoded.matchesNothing()
                ? change -> false
                : change -> change.summary() != null && matches(filter, change, clock.instant());
        return stream(caller.environment(), selects);
    }

    /** 404 for a run the caller's environment does not have, 403 for one a public token may not read. */
    private Route runStream(Caller caller, String runId, Map<String, List<String>> query) {
        refuseUnknown(query, Set.of());
        return onSuccess(
                engine.runs().get(caller.environment().id(), runId),
                found -> found.map(run -> {
                            RunRoutes.requireRead(caller, run);
                            Predicate<RunChanged> selects =
                                    change -> change.runId().equals(runId) && change.summary() != null;
                            return stream(caller.environment(), selects);
                        })
                        .orElseGet(() -> complete(ErrorHandling.runNotFound())));
    }

    private static void refuseUnknown(Map<String, List<String>> query, Set<String> known) {
        Set<String> unknown = new TreeSet<>(query.keySet());
        unknown.removeAll(known);
        if (!unknown.isEmpty()) {
            throw ApiException.badRequest("Unknown query parameters " + unknown + " (this stream takes "
                    + (known.isEmpty() ? "none" : new TreeSet<>(known)) + ")");
        }
    }

    private Route stream(Environment environment, Predicate<RunChanged> selects) {
        // Checked, not taken: the place is taken when the response's stream starts, and given back when it ends,
        // so a response never sent holds none.
        if (openStreams(environment.id()).get() >= settings.maxPerEnvironment()) {
            throw new ApiException(
                    StatusCodes.TOO_MANY_REQUESTS,
                    "This environment has " + settings.maxPerEnvironment()
                            + " run streams open on this node already; retry later");
        }
        // no-transform: a proxy that compresses or buffers would hold the events back.
        return respondWithHeader(
                RawHeader.create("cache-control", "no-cache, no-transform"),
                () -> respondWithHeader(
                        RawHeader.create("x-accel-buffering", "no"),
                        () -> completeOK(events(environment, selects), EventStreamMarshalling.toEventStream())));
    }

    private AtomicInteger openStreams(String environmentId) {
        return open.computeIfAbsent(environmentId, id -> new AtomicInteger());
    }

    /**
     * The events of one connection: {@code ready} once subscribed, then {@code runs} (a JSON array of list items)
     * per window that had changes, {@code resync} after an overflow, and a heartbeat comment when idle. The
     * window's tick is dropped while the client has not taken the previous events, which is what lets the pending
     * runs build up to the overflow for a slow client.
     */
    Source<ServerSentEvent, NotUsed> events(Environment environment, Predicate<RunChanged> selects) {
        return events(environment, selects, new RunChangeConflator(settings.maxPending()));
    }

    Source<ServerSentEvent, NotUsed> events(
            Environment environment, Predicate<RunChanged> selects, RunChangeConflator pending) {
        return Source.tick(settings.window(), settings.window(), Boolean.TRUE)
                .mapConcat(tick -> toEvents(pending.drain(), environment))
                .keepAlive(settings.heartbeat(), ServerSentEvent::heartbeat)
                .prepend(Source.lazySingle(() -> ready(clock.instant())))
                .watchTermination((cancellable, done) -> {
                    openStreams(environment.id()).incrementAndGet();
                    RunChangeFeed.Subscription subscription = engine.changes().subscribe(environment.id(), change -> {
                        if (selects.test(change)) pending.offer(change);
                    });
                    done.whenComplete((ended, failure) -> {
                        subscription.close();
                        openStreams(environment.id()).decrementAndGet();
                    });
                    return NotUsed.notUsed();
                });
    }

    /** {@code at}: the node's time, from which every change is sent (a page counts the runs created since). */
    private static ServerSentEvent ready(Instant at) {
        return ServerSentEvent.create(
                Json.write(Json.mapper().createObjectNode().put("at", Json.timestamp(at))), "ready");
    }

    private static List<ServerSentEvent> toEvents(RunChangeConflator.Drained drained, Environment environment) {
        if (drained.isEmpty()) return List.of();
        if (drained.dropped() > 0) {
            var resync = Json.mapper()
                    .createObjectNode()
                    .put("dropped", drained.dropped())
                    .put("reason", "more runs changed than this connection could be sent; read the list again");
            return List.of(ServerSentEvent.create(Json.write(resync), "resync"));
        }
        List<ServerSentEvent> events = new ArrayList<>();
        List<RunChanged> changes = drained.changes();
        for (int from = 0; from < changes.size(); from += MAX_RUNS_PER_EVENT) {
            ArrayNode items = Json.mapper().createArrayNode();
            for (RunChanged change : changes.subList(from, Math.min(changes.size(), from + MAX_RUNS_PER_EVENT))) {
                ObjectNode item = Json.mapper().valueToTree(RunTranslator.toListItem(change, environment));
                // Not in the list's item: lets a page count an executing run's time as it goes.
                Instant attemptStartedAt = change.summary().attemptStartedAt();
                if (attemptStartedAt != null) item.put("attemptStartedAt", Json.timestamp(attemptStartedAt));
                items.add(item);
            }
            events.add(ServerSentEvent.create(Json.write(items), "runs"));
        }
        return events;
    }

    /** The list's filter, applied to a notice (as {@code RunList} applies it to the runs table). */
    static boolean matches(RunList.Filter filter, RunChanged change, Instant now) {
        RunChanged.Summary run = change.summary();
        if (filter.statuses() != null && !filter.statuses().contains(run.status())) return false;
        if (filter.taskIds() != null && !filter.taskIds().contains(run.taskId())) return false;
        if (filter.tags() != null && change.tags().stream().noneMatch(filter.tags()::contains)) return false;
        if (filter.queues() != null && !filter.queues().contains(run.queue())) return false;
        if (filter.versions() != null && !filter.versions().contains(run.version())) return false;
        // Runs have no schedule in the runs table yet, so the list matches none with this filter.
        if (filter.scheduleId() != null) return false;
        if (filter.batchId() != null && !filter.batchId().equals(change.batchId())) return false;
        if (filter.test() != null && filter.test() != run.test()) return false;
        Instant created = run.createdAt();
        if (filter.createdFrom() != null && created.isBefore(filter.createdFrom())) return false;
        if (filter.createdBefore() != null && !created.isBefore(filter.createdBefore())) return false;
        return filter.createdWithin() == null || !created.isBefore(now.minus(filter.createdWithin()));
    }
}
