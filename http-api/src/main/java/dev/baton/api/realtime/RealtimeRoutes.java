package dev.baton.api.realtime;

import static akka.http.javadsl.server.Directives.complete;
import static akka.http.javadsl.server.Directives.concat;
import static akka.http.javadsl.server.Directives.get;
import static akka.http.javadsl.server.Directives.handleExceptions;
import static akka.http.javadsl.server.Directives.onSuccess;
import static akka.http.javadsl.server.Directives.options;
import static akka.http.javadsl.server.Directives.parameterMap;
import static akka.http.javadsl.server.Directives.path;
import static akka.http.javadsl.server.Directives.pathPrefix;
import static akka.http.javadsl.server.Directives.respondWithHeaders;
import static akka.http.javadsl.server.Directives.withRequestTimeout;
import static akka.http.javadsl.server.PathMatchers.segment;

import akka.http.javadsl.model.ContentTypes;
import akka.http.javadsl.model.HttpEntities;
import akka.http.javadsl.model.HttpHeader;
import akka.http.javadsl.model.HttpResponse;
import akka.http.javadsl.model.StatusCode;
import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.model.headers.RawHeader;
import akka.http.javadsl.server.Route;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.api.auth.Authentication;
import dev.baton.api.auth.Caller;
import dev.baton.api.auth.Scopes;
import dev.baton.api.auth.Scopes.Resource;
import dev.baton.api.errors.ApiException;
import dev.baton.api.errors.ErrorHandling;
import dev.baton.api.json.Json;
import dev.baton.api.runs.RunRoutes;
import dev.baton.engine.Engine;
import dev.baton.engine.changes.RunChangeFeed;
import dev.baton.engine.changes.RunChanged;
import dev.baton.engine.common.Durations;
import dev.baton.engine.run.RunState;
import dev.baton.projections.listing.PageRequest;
import dev.baton.projections.runs.RunList;
import dev.baton.projections.runs.RunRow;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import scala.concurrent.duration.FiniteDuration;

/**
 * Realtime, as the SDK's {@code runs.subscribeToRun}, {@code subscribeToRunsWithTag} and {@code subscribeToBatch}
 * speak it: Electric's shape protocol over Trigger.dev's paths. A first request ({@code offset=-1}) gets every run
 * of the shape; a later one the runs that changed since its offset ({@link ShapeOffset}); a live one
 * ({@code live=true}) with nothing new is held until a run of the shape changes (the engine's
 * {@link RunChangeFeed}) or {@code baton.http.realtime.live-hold} passes. Runs are read from their entities, so
 * an answer shows a run as {@code GET /api/v3/runs/{id}} does, EXECUTING included.
 */
public final class RealtimeRoutes {

    /** What Electric's client sends: its protocol, and the columns the SDK asks to leave out. */
    private static final Set<String> PROTOCOL_PARAMETERS =
            Set.of("offset", "handle", "shape_id", "live", "cursor", "log", "expired_handle", "skipColumns");

    private static final String UP_TO_DATE = "up-to-date";
    /** Past the hold, for the read that answers it: a slow read then ends as any request would. */
    private static final Duration LIVE_TIMEOUT_MARGIN = Duration.ofSeconds(10);

    private static final List<HttpHeader> CORS = List.of(
            RawHeader.create("access-control-allow-origin", "*"),
            RawHeader.create("access-control-expose-headers", "*"));

    private final Engine engine;
    private final RunList runList;
    private final Authentication authentication;
    private final RealtimeSettings settings;
    private final LiveHolds holds;
    private final Clock clock;
    private final RecentChanges recent;

    public RealtimeRoutes(
            Engine engine, RunList runList, Authentication authentication, RealtimeSettings settings, Clock clock) {
        this.engine = engine;
        this.runList = runList;
        this.authentication = authentication;
        this.settings = settings;
        this.holds = new LiveHolds(settings.maxLivePerEnvironment());
        this.clock = clock;
        this.recent = new RecentChanges(engine.changes(), clock, settings.forgetChangesAfter());
    }

    public Route routes() {
        Route shapes = concat(
                path(
                        segment("runs").slash(segment()),
                        runId -> get(() -> request(
                                Set.of(),
                                query -> authentication.caller(
                                        caller -> serve(caller, runShape(caller, runId), query))))),
                path(
                        "runs",
                        () -> get(() -> request(
                                Set.of("tags", "createdAt"),
                                query -> authentication.caller(
                                        caller -> serve(caller, tagShape(caller, query), query))))),
                path(
                        segment("batches").slash(segment()),
                        batchId -> get(() -> request(
                                Set.of(),
                                query -> authentication.caller(
                                        caller -> serve(caller, batchShape(caller, batchId), query))))));
        // A browser's subscription asks first whether it may send Authorization and the SDK's headers.
        Route preflight = options(() -> complete(HttpResponse.create()
                .withStatus(StatusCodes.NO_CONTENT)
                .addHeader(RawHeader.create("access-control-allow-methods", "GET, OPTIONS"))
                .addHeader(RawHeader.create("access-control-allow-headers", "*"))
                .addHeader(RawHeader.create("access-control-max-age", "86400"))));
        // A held request outlives akka-http's request-timeout (20 s), which would cut it off with a 504.
        var timeout = FiniteDuration.create(
                settings.liveHold().plus(LIVE_TIMEOUT_MARGIN).toMillis(), TimeUnit.MILLISECONDS);
        // CORS on errors too, so a browser can read why it was refused.
        return pathPrefix(
                "realtime",
                () -> pathPrefix(
                        "v1",
                        () -> respondWithHeaders(
                                CORS,
                                () -> withRequestTimeout(
                                        timeout,
                                        () -> handleExceptions(
                                                ErrorHandling.exceptionHandler(), () -> concat(preflight, shapes))))));
    }

    /** A request's query: refused with 400 when it names a parameter this route does not know. */
    private interface QueryRoute {
        Route apply(Query query);
    }

    private static Route request(Set<String> own, QueryRoute inner) {
        return parameterMap(parameters -> {
            Set<String> unknown = new TreeSet<>(parameters.keySet());
            unknown.removeAll(PROTOCOL_PARAMETERS);
            unknown.removeAll(own);
            if (!unknown.isEmpty()) {
                Set<String> known = new TreeSet<>(PROTOCOL_PARAMETERS);
                known.addAll(own);
                throw ApiException.badRequest(
                        "Unknown query parameters " + unknown + " (this route takes " + known + ")");
            }
            return inner.apply(Query.of(parameters));
        });
    }

    /** The protocol's parameters, checked. */
    private record Query(
            Map<String, String> parameters, ShapeOffset offset, String handle, boolean live, Set<String> skipped) {

        static Query of(Map<String, String> parameters) {
            String log = parameters.get("log");
            if (log != null && !log.equals("full")) {
                throw ApiException.badRequest("log must be 'full' (Baton sends whole rows), not '" + log + "'");
            }
            String live = parameters.getOrDefault("live", "false");
            if (!live.equals("true") && !live.equals("false")) {
                throw ApiException.badRequest("live must be true or false, not '" + live + "'");
            }
            ShapeOffset offset = ShapeOffset.parse(parameters.get("offset"));
            if (live.equals("true") && offset.isStart()) {
                throw ApiException.badRequest("live=true needs the offset of a previous response, not -1");
            }
            // shape_id: the handle's name for Electric clients before 1.0.
            String handle = parameters.getOrDefault("handle", parameters.get("shape_id"));
            return new Query(parameters, offset, handle, live.equals("true"), skipped(parameters));
        }

        /**
         * A token minted with {@code realtime.skipColumns} decides the columns in place of the request, as on
         * Trigger.dev; its names were not checked at mint time, so those that are no column or cannot be skipped
         * are left aside.
         */
        Query forCaller(Caller caller) {
            if (!caller.isPublic() || caller.token().realtimeSkipColumns() == null) return this;
            Set<String> fromToken = new LinkedHashSet<>(caller.token().realtimeSkipColumns());
            fromToken.retainAll(RunShapeRow.COLUMN_NAMES);
            fromToken.removeAll(RunShapeRow.REQUIRED);
            return new Query(parameters, offset, handle, live, fromToken);
        }

        private static Set<String> skipped(Map<String, String> parameters) {
            String text = parameters.get("skipColumns");
            if (text == null || text.isBlank()) return Set.of();
            Set<String> skipped = Arrays.stream(text.split(","))
                    .map(String::strip)
                    .filter(column -> !column.isEmpty())
                    .collect(Collectors.toCollection(LinkedHashSet::new));
            Set<String> unknown = new TreeSet<>(skipped);
            unknown.removeAll(RunShapeRow.COLUMN_NAMES);
            if (!unknown.isEmpty()) {
                throw ApiException.badRequest("skipColumns names unknown columns " + unknown + " (the columns are "
                        + new TreeSet<>(RunShapeRow.COLUMN_NAMES) + ")");
            }
            Set<String> required = new TreeSet<>(skipped);
            required.retainAll(RunShapeRow.REQUIRED);
            if (!required.isEmpty()) throw ApiException.badRequest("skipColumns cannot skip " + required);
            return skipped;
        }
    }

    /**
     * What a subscription watches.
     *
     * @param handle names the shape in {@code electric-handle}; the same for the same shape on every node
     * @param runs reads the shape's runs now, with the runs change notices named (a shape read from the runs
     *     table may not list them yet); fails with 404 or 403 when the caller may not see them
     * @param watches whether a change notice may concern the shape (then the runs are read again)
     */
    private record Shape(
            String handle,
            Function<Set<String>, CompletionStage<List<RunState>>> runs,
            Predicate<RunChanged> watches) {}

    private Shape runShape(Caller caller, String runId) {
        String environmentId = caller.environment().id();
        return new Shape(
                handle("run:" + runId),
                noticed -> engine.runs().get(environmentId, runId).thenApply(found -> {
                    RunState run = found.orElseThrow(() -> new ApiException(StatusCodes.NOT_FOUND, "Run not found"));
                    RunRoutes.requireRead(caller, run);
                    return List.of(run);
                }),
                change -> change.runId().equals(runId));
    }

    private Shape batchShape(Caller caller, String batchId) {
        if (!caller.mayAny(Scopes.READ, List.of(Resource.of(Scopes.BATCH, batchId), Resource.all(Scopes.RUNS)))) {
            throw Authentication.forbidden();
        }
        String environmentId = caller.environment().id();
        return new Shape(
                handle("batch:" + batchId),
                noticed -> engine.batches().get(environmentId, batchId).thenCompose(found -> {
                    var batch = found.orElseThrow(() -> new ApiException(StatusCodes.NOT_FOUND, "Batch not found"));
                    return readAll(environmentId, batch.runIds());
                }),
                change -> batchId.equals(change.batchId()));
    }

    /**
     * The runs holding every tag given (as Trigger.dev's {@code "runTags" @> ARRAY[…]}; no tags: every run), created within
     * {@code createdAt} (a duration such as {@code 1h}; default {@code baton.http.realtime.default-tag-window}),
     * the newest {@code max-tag-runs}. Listed from the runs table, then each read from its entity; a run too new
     * for the table arrives with its change notice.
     */
    private Shape tagShape(Caller caller, Query query) {
        String tagsText = query.parameters().get("tags");
        Set<String> tags = tagsText == null
                ? Set.of()
                : Arrays.stream(tagsText.split(","))
                        .map(String::strip)
                        .filter(tag -> !tag.isEmpty())
                        .collect(Collectors.toCollection(TreeSet::new));
        String createdAt = query.parameters().get("createdAt");
        Duration window = createdAt == null
                ? settings.defaultTagWindow()
                : Durations.parseDuration(createdAt)
                        .orElseThrow(() -> ApiException.badRequest(
                                "createdAt must be a duration such as 1h or 7d, not '" + createdAt + "'"));
        // Without tags, every run of the window: only a scope over all runs or all tags reads that.
        List<Resource> resources = Stream.concat(
                        tags.stream().map(tag -> Resource.of(Scopes.TAGS, tag)),
                        Stream.of(Resource.all(Scopes.RUNS), Resource.all(Scopes.TAGS)))
                .toList();
        if (!caller.mayAny(Scopes.READ, resources)) throw Authentication.forbidden();
        String environmentId = caller.environment().id();
        RunList.Filter filter = new RunList.Filter(
                null, null, tags.isEmpty() ? null : tags, null, null, null, null, null, null, null, window);
        return new Shape(
                handle("tags:" + String.join(",", tags) + ":" + window),
                noticed -> runList.list(environmentId, filter, new PageRequest(settings.maxTagRuns(), null, null))
                        .thenCompose(page -> readAll(
                                environmentId,
                                Stream.concat(
                                                page.rows().stream()
                                                        .filter(row ->
                                                                row.tags().containsAll(tags))
                                                        .map(RunRow::runId),
                                                noticed.stream())
                                        .distinct()
                                        .toList()))
                        .thenApply(runs -> runs.stream()
                                .filter(run -> run.tags().containsAll(tags))
                                .filter(run -> !run.createdAt()
                                        .isBefore(clock.instant().minus(window)))
                                .toList()),
                change -> change.tags().containsAll(tags));
    }

    /** The runs that exist; a run's read that fails (its entity is away) fails the request, to be asked again. */
    private CompletionStage<List<RunState>> readAll(String environmentId, List<String> runIds) {
        List<CompletableFuture<Optional<RunState>>> reads = runIds.stream()
                .map(runId -> engine.runs().get(environmentId, runId).toCompletableFuture())
                .toList();
        return CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new))
                .thenApply(done -> reads.stream()
                        .map(CompletableFuture::join)
                        .flatMap(Optional::stream)
                        .toList());
    }

    private static String handle(String shape) {
        return Integer.toUnsignedString(shape.hashCode(), 36) + "-" + Integer.toUnsignedString(shape.length(), 36);
    }

    private Route serve(Caller caller, Shape shape, Query request) {
        Query query = request.forCaller(caller);
        if (query.handle() != null && !query.handle().equals(shape.handle())) {
            // Electric's answer to a handle it no longer serves: the client starts over from -1.
            return complete(messages(StatusCodes.CONFLICT, shape, query, ShapeOffset.START, List.of(), "must-refetch"));
        }
        if (!query.live()) {
            return onSuccess(shape.runs().apply(Set.of()), runs -> {
                List<ShapeOffset.Row> rows = rows(runs, query.skipped());
                return complete(messages(
                        StatusCodes.OK,
                        shape,
                        query,
                        ShapeOffset.of(rows),
                        query.offset().news(rows),
                        UP_TO_DATE));
            });
        }
        String environmentId = caller.environment().id();
        if (!holds.tryTake(environmentId)) {
            throw new ApiException(
                    StatusCodes.TOO_MANY_REQUESTS,
                    "This environment holds " + settings.maxLivePerEnvironment()
                            + " live realtime requests on this node already; retry later");
        }
        CompletableFuture<List<ShapeOffset.Row>> rows = new LiveHold(environmentId, shape, query).start();
        rows.whenComplete((done, failure) -> holds.release(environmentId));
        return onSuccess(rows, current -> {
            ShapeOffset offset = current == null ? query.offset() : ShapeOffset.of(current);
            List<ShapeOffset.Row> news =
                    current == null ? List.of() : query.offset().news(current);
            return complete(messages(StatusCodes.OK, shape, query, offset, news, UP_TO_DATE));
        });
    }

    /**
     * A live request: completes with the shape's rows once some are news to the client, or with null when the
     * hold ends first. Subscribes before the first read, so a change between the two is not missed; reads again
     * on each notice that may concern the shape, one read at a time (a notice during a read asks for one more).
     */
    private final class LiveHold {
        private final String environmentId;
        private final Shape shape;
        private final Query query;
        private final CompletableFuture<List<ShapeOffset.Row>> result = new CompletableFuture<>();
        private final Set<String> noticed = ConcurrentHashMap.newKeySet();
        private boolean reading;
        private boolean readAgain;

        LiveHold(String environmentId, Shape shape, Query query) {
            this.environmentId = environmentId;
            this.shape = shape;
            this.query = query;
        }

        CompletableFuture<List<ShapeOffset.Row>> start() {
            // Runs that changed between this client's requests and that the runs table may not list yet.
            recent
                    .since(
                            environmentId,
                            clock.instant().minus(settings.liveHold().multipliedBy(2)))
                    .stream()
                    .filter(shape.watches())
                    .forEach(change -> noticed.add(change.runId()));
            RunChangeFeed.Subscription subscription = engine.changes().subscribe(environmentId, change -> {
                if (shape.watches().test(change)) {
                    noticed.add(change.runId());
                    read();
                }
            });
            result.whenComplete((done, failure) -> subscription.close());
            result.completeOnTimeout(null, settings.liveHold().toMillis(), TimeUnit.MILLISECONDS);
            read();
            return result;
        }

        private void read() {
            synchronized (this) {
                if (reading) {
                    readAgain = true;
                    return;
                }
                reading = true;
            }
            shape.runs().apply(Set.copyOf(noticed)).whenComplete((runs, failure) -> {
                if (failure != null) {
                    result.completeExceptionally(failure);
                    return;
                }
                List<ShapeOffset.Row> rows = rows(runs, query.skipped());
                if (!query.offset().news(rows).isEmpty()) result.complete(rows);
                boolean again;
                synchronized (this) {
                    reading = false;
                    again = readAgain;
                    readAgain = false;
                }
                if (again && !result.isDone()) read();
            });
        }
    }

    private static List<ShapeOffset.Row> rows(List<RunState> runs, Set<String> skipped) {
        return runs.stream()
                .map(run -> new ShapeOffset.Row(
                        RunShapeRow.key(run),
                        RunShapeRow.values(run, skipped),
                        run.lastChangedAt().toEpochMilli()))
                .toList();
    }

    /** Electric's answer: the changed rows as whole-row messages, a control message, and its headers. */
    private static HttpResponse messages(
            StatusCode status,
            Shape shape,
            Query query,
            ShapeOffset offset,
            List<ShapeOffset.Row> rows,
            String control) {
        ArrayNode body = Json.mapper().createArrayNode();
        String operation = query.offset().isStart() ? "insert" : "update";
        for (ShapeOffset.Row row : rows) {
            ObjectNode message = body.addObject().put("key", row.key());
            ObjectNode value = message.putObject("value");
            row.values().forEach(value::put);
            message.putObject("headers").put("operation", operation);
        }
        body.addObject().putObject("headers").put("control", control);
        String encoded = offset.encode();
        HttpResponse response = HttpResponse.create()
                .withStatus(status)
                .withEntity(HttpEntities.create(ContentTypes.APPLICATION_JSON, Json.write(body)))
                .addHeader(RawHeader.create("electric-offset", encoded))
                .addHeader(RawHeader.create("electric-handle", shape.handle()))
                // The names Electric clients before 1.0 read.
                .addHeader(RawHeader.create("electric-chunk-last-offset", encoded))
                .addHeader(RawHeader.create("electric-shape-id", shape.handle()))
                .addHeader(RawHeader.create("electric-schema", RunShapeRow.schema(query.skipped())))
                .addHeader(RawHeader.create("electric-cursor", Long.toString(Math.max(0, offset.millis()))))
                .addHeader(RawHeader.create("cache-control", "no-store"));
        return control.equals(UP_TO_DATE) ? response.addHeader(RawHeader.create("electric-up-to-date", "")) : response;
    }
}
