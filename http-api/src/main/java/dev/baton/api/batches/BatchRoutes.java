package dev.baton.api.batches;

import static akka.http.javadsl.server.Directives.complete;
import static akka.http.javadsl.server.Directives.concat;
import static akka.http.javadsl.server.Directives.extractMaterializer;
import static akka.http.javadsl.server.Directives.extractRequestEntity;
import static akka.http.javadsl.server.Directives.get;
import static akka.http.javadsl.server.Directives.onSuccess;
import static akka.http.javadsl.server.Directives.optionalHeaderValueByName;
import static akka.http.javadsl.server.Directives.path;
import static akka.http.javadsl.server.Directives.post;
import static akka.http.javadsl.server.PathMatchers.segment;

import akka.http.javadsl.model.ContentType;
import akka.http.javadsl.model.HttpHeader;
import akka.http.javadsl.model.HttpResponse;
import akka.http.javadsl.model.RequestEntity;
import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.model.headers.RawHeader;
import akka.http.javadsl.server.Route;
import akka.http.scaladsl.model.EntityStreamSizeException;
import akka.stream.Materializer;
import akka.stream.javadsl.Framing;
import akka.stream.javadsl.FramingTruncation;
import akka.stream.javadsl.Sink;
import akka.util.ByteString;
import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.api.auth.Authentication;
import dev.baton.api.auth.Caller;
import dev.baton.api.auth.OneTimeTokens;
import dev.baton.api.auth.PublicAccessTokens;
import dev.baton.api.auth.Scopes;
import dev.baton.api.auth.Scopes.Resource;
import dev.baton.api.batches.BatchBodyDecoder.CreateBatch;
import dev.baton.api.batches.BatchResponses.BatchItemsResponse;
import dev.baton.api.batches.BatchResponses.BatchRun;
import dev.baton.api.batches.BatchResponses.BatchTriggerV2Response;
import dev.baton.api.batches.BatchResponses.BatchTriggerV3Response;
import dev.baton.api.batches.BatchResponses.CreateBatchResponse;
import dev.baton.api.batches.BatchResponses.ItemError;
import dev.baton.api.batches.BatchResponses.Processing;
import dev.baton.api.batches.BatchResponses.RetrieveBatchResponse;
import dev.baton.api.body.JsonBody;
import dev.baton.api.config.HttpSettings;
import dev.baton.api.errors.ApiException;
import dev.baton.api.errors.ErrorHandling;
import dev.baton.api.json.Json;
import dev.baton.api.runs.RunCommandDecoder;
import dev.baton.engine.Engine;
import dev.baton.engine.batch.BatchService;
import dev.baton.engine.batch.BatchService.Item;
import dev.baton.engine.batch.BatchState;
import dev.baton.engine.common.Failures;
import dev.baton.engine.environment.Environment;
import dev.baton.engine.run.TriggerRequest;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * Batch triggers: Trigger.dev's two-phase v3 API ({@code POST /api/v3/batches}, then the items as an
 * NDJSON stream), the single-call batches of older SDKs ({@code POST /api/v2/tasks/batch},
 * {@code POST /api/v1/tasks/batch}) and {@code GET /api/v2/batches/{id}}. Every body is read and
 * validated whole before the engine is asked to create anything, so a bad item changes nothing. The
 * items calls answer once every accepted item's run exists. A batch created with {@code parentRunId} and
 * {@code resumeParentOnCompletion} ({@code batchTriggerAndWait} from a trigger.dev task) is stored as any batch; its
 * items call, on any node, answers once the items are stored, and the one that completes them once the parent waits
 * for them ({@link BatchService#createForParent}). An unknown batch, or one of another environment, is the same 404
 * {@code {"error":"Batch not found"}}.
 */
public final class BatchRoutes {

    static final String NDJSON = "application/x-ndjson";
    private static final String REQUEST_IDEMPOTENCY_KEY = "x-trigger-request-idempotency-key";
    private static final String IDEMPOTENCY_KEY = "idempotency-key";
    private static final List<HttpHeader> NOT_FOUND_HEADERS = List.of(RawHeader.create("x-should-retry", "false"));
    private static final ByteString NEWLINE = ByteString.fromString("\n");

    private final BatchService batches;
    private final Authentication authentication;
    private final OneTimeTokens oneTimeTokens;
    private final PublicAccessTokens accessTokens;
    private final BatchHttpSettings limits;
    private final JsonBody createBody;
    private final JsonBody itemsBody;
    private final BatchBodyDecoder decoder;
    private final RunCommandDecoder commands;

    /**
     * @param oneTimeTokens records the use of a one-time-use token that creates a batch
     * @param accessTokens the x-trigger-jwt (scope {@code read:batch:<id>}) a batch create answers with
     */
    public BatchRoutes(
            Engine engine,
            Authentication authentication,
            HttpSettings settings,
            BatchHttpSettings limits,
            OneTimeTokens oneTimeTokens,
            PublicAccessTokens accessTokens) {
        this.oneTimeTokens = oneTimeTokens;
        this.accessTokens = accessTokens;
        this.batches = engine.batches();
        this.authentication = authentication;
        this.limits = limits;
        this.createBody = new JsonBody(settings.maxBodySize(), settings.bodyReadTimeout());
        this.itemsBody = new JsonBody(limits.maxItemsBodySize(), limits.bodyReadTimeout());
        this.decoder = new BatchBodyDecoder(settings, batches.maxRunCount());
        this.commands = new RunCommandDecoder(settings);
    }

    public Route routes() {
        return concat(
                path(
                        segment("api").slash("v3").slash("batches"),
                        () -> post(() -> authentication.caller(caller -> requestKey(requestKey ->
                                createBody.json(body -> create(caller, decoder.create(body), requestKey)))))),
                path(
                        segment("api")
                                .slash("v3")
                                .slash("batches")
                                .slash(segment())
                                .slash("items"),
                        batchId -> post(() -> authentication.caller(caller -> items(caller, batchId)))),
                path(
                        segment("api").slash("v2").slash("tasks").slash("batch"),
                        () -> post(() -> authentication.caller(caller -> singleCall(caller, this::v3Response)))),
                path(
                        segment("api").slash("v1").slash("tasks").slash("batch"),
                        () -> post(() -> authentication.caller(caller -> singleCall(caller, this::v2Response)))),
                path(
                        segment("api").slash("v2").slash("batches").slash(segment()),
                        batchId -> get(() -> authentication.caller(caller -> retrieve(caller, batchId)))));
    }

    /**
     * As Trigger.dev: a public access token batch-triggers only tasks it names ({@code batchTrigger:tasks:<id>} for
     * every task of the batch), unless it may batch-trigger any task or batch ({@code batchTrigger:tasks},
     * {@code batchTrigger:batch}).
     */
    private static void requireBatchTrigger(Caller caller, Collection<String> taskIds) {
        if (!caller.isPublic()) return;
        boolean broad =
                caller.mayAny(Scopes.BATCH_TRIGGER, List.of(Resource.all(Scopes.BATCH), Resource.all(Scopes.TASKS)));
        if (broad) return;
        if (taskIds == null
                || !caller.mayEach(
                        Scopes.BATCH_TRIGGER,
                        new LinkedHashSet<>(taskIds)
                                .stream()
                                        .map(task -> Resource.of(Scopes.TASKS, task))
                                        .toList())) {
            throw Authentication.forbidden();
        }
    }

    // ---------------------------------------------------------------- v3: two phases

    private Route create(Caller caller, CreateBatch create, String requestKey) {
        requireBatchTrigger(caller, create.taskIdentifiers());
        Environment environment = caller.environment();
        if (create.parentToResume() != null) {
            return onSuccess(
                    oneTimeTokens
                            .firstUse(caller)
                            .thenCompose(first -> batches.createForParent(
                                    environment.id(), create.parentToResume(), create.runCount()))
                            .thenCompose(batch -> accessTokens
                                    .forBatch(environment.id(), batch.batchId())
                                    .thenApply(headers -> Json.response(
                                            StatusCodes.ACCEPTED,
                                            new CreateBatchResponse(batch.batchId(), batch.runCount(), false, null),
                                            headers))),
                    answer -> complete(answer));
        }
        return onSuccess(
                oneTimeTokens
                        .firstUse(caller)
                        .thenCompose(first -> batches.create(
                                environment.id(), create.runCount(), create.idempotencyKey(), requestKey))
                        .thenCompose(created -> accessTokens
                                .forBatch(environment.id(), created.batch().batchId())
                                .thenApply(headers -> Json.response(
                                        StatusCodes.ACCEPTED,
                                        new CreateBatchResponse(
                                                created.batch().batchId(),
                                                created.batch().runCount(),
                                                created.cached(),
                                                created.batch().idempotencyKey()),
                                        headers))),
                answer -> complete(answer));
    }

    /** A public access token's scopes must cover every item's task (the one-time use was the create's). */
    private Route items(Caller caller, String batchId) {
        Environment environment = caller.environment();
        return extractRequestEntity(entity -> {
            if (!isNdjson(entity.getContentType())) {
                return complete(ErrorHandling.errorResponse(
                        StatusCodes.UNSUPPORTED_MEDIA_TYPE, "Content-Type must be " + NDJSON + ", one item per line"));
            }
            OptionalLong declared = entity.getContentLengthOption();
            if (declared.isPresent() && declared.getAsLong() > limits.maxItemsBodySize()) throw bodyTooLarge();
            return extractMaterializer(materializer -> onSuccess(
                    readItems(entity, materializer),
                    items -> ifFound(batches.get(environment.id(), batchId), batch -> {
                        if (!items.isEmpty()) {
                            requireBatchTrigger(
                                    caller,
                                    items.stream()
                                            .map(item -> item.request().taskId())
                                            .toList());
                        }
                        checkIndices(batch, items);
                        if (items.isEmpty()) return complete(itemsResponse(batch, 0, 0));
                        return onSuccess(
                                batches.addItems(environment.id(), batchId, items),
                                added -> added.map(result -> {
                                            if (result.unavailable() > 0) throw unavailable(result.unavailable());
                                            return complete(itemsResponse(
                                                    result.batch(), result.accepted(), result.deduplicated()));
                                        })
                                        .orElseGet(() -> complete(batchNotFound())));
                    })));
        });
    }

    /** Every line is parsed and validated before anything is created; blank lines are skipped. */
    private CompletionStage<List<Item>> readItems(RequestEntity entity, Materializer materializer) {
        return entity.withSizeLimit(limits.maxItemsBodySize())
                .getDataBytes()
                .via(Framing.delimiter(
                        NEWLINE, (int) Math.min(Integer.MAX_VALUE, limits.maxItemSize()), FramingTruncation.ALLOW))
                .zipWithIndex()
                .filter(line -> !line.first().utf8String().isBlank())
                .map(line -> decoder.item(parseLine(line.first(), line.second() + 1), line.second() + 1))
                .completionTimeout(limits.bodyReadTimeout())
                .runWith(Sink.seq(), materializer)
                .handle((items, failure) -> {
                    if (failure == null) return items;
                    Throwable cause = Failures.cause(failure);
                    if (cause instanceof ApiException api) throw api;
                    if (cause instanceof EntityStreamSizeException) throw bodyTooLarge();
                    if (cause instanceof akka.stream.scaladsl.Framing.FramingException) {
                        throw ApiException.tooLarge(
                                "An item is too large: the limit is " + limits.maxItemSize() + " bytes");
                    }
                    if (cause instanceof TimeoutException) {
                        throw new ApiException(
                                StatusCodes.REQUEST_TIMEOUT,
                                "The items did not arrive within "
                                        + limits.bodyReadTimeout().toSeconds() + "s");
                    }
                    throw failure instanceof CompletionException completion
                            ? completion
                            : new CompletionException(failure);
                });
    }

    private static JsonNode parseLine(ByteString line, long lineNumber) {
        try {
            return Json.parse(line.toArray());
        } catch (IOException e) {
            String reason = e instanceof com.fasterxml.jackson.core.JsonProcessingException parsing
                    ? parsing.getOriginalMessage()
                    : e.getMessage();
            throw ApiException.badRequest("Item on line " + lineNumber + " is not valid JSON: " + reason);
        }
    }

    private static void checkIndices(BatchState batch, List<Item> items) {
        for (Item item : items) {
            if (item.index() >= batch.runCount()) {
                throw ApiException.unprocessable("Item index " + item.index() + " is out of range: the batch has "
                        + batch.runCount() + " items (indices 0 to " + (batch.runCount() - 1) + ")");
            }
        }
    }

    private static HttpResponse itemsResponse(BatchState batch, int accepted, int deduplicated) {
        boolean sealed = batch.isSealed();
        return Json.response(
                StatusCodes.OK,
                new BatchItemsResponse(
                        batch.batchId(),
                        accepted,
                        deduplicated,
                        sealed,
                        sealed ? null : batch.receivedCount(),
                        sealed ? null : batch.runCount()));
    }

    // ---------------------------------------------------------------- v2 and v1: one call

    private Route singleCall(Caller caller, SingleCallResponse response) {
        return requestKey(requestKey -> optionalHeaderValueByName(
                IDEMPOTENCY_KEY,
                key -> itemsBody.json(body -> {
                    List<TriggerRequest> requests = decoder.items(body);
                    String idempotencyKey = decoder.idempotencyKey(key.orElse(null), "idempotency-key header");
                    requireBatchTrigger(
                            caller,
                            requests.stream().map(TriggerRequest::taskId).toList());
                    return onSuccess(
                            oneTimeTokens
                                    .firstUse(caller)
                                    .thenCompose(first -> batches.createWithItems(
                                            caller.environment().id(), requests, idempotencyKey, requestKey))
                                    .thenCompose(created -> accessTokens
                                            .forBatch(
                                                    caller.environment().id(),
                                                    created.batch().batchId())
                                            .thenApply(headers -> response.of(created, requests)
                                                    .addHeaders(headers))),
                            answer -> complete(answer));
                })));
    }

    private interface SingleCallResponse {
        HttpResponse of(BatchService.Created created, List<TriggerRequest> requests);
    }

    /** {@code POST /api/v2/tasks/batch}. */
    private HttpResponse v3Response(BatchService.Created created, List<TriggerRequest> requests) {
        return Json.response(
                StatusCodes.ACCEPTED,
                new BatchTriggerV3Response(
                        created.batch().batchId(), created.batch().runCount()));
    }

    /** {@code POST /api/v1/tasks/batch}: the runs too, in item order. */
    private HttpResponse v2Response(BatchService.Created created, List<TriggerRequest> requests) {
        BatchState batch = created.batch();
        List<BatchRun> runs = new ArrayList<>();
        for (Map.Entry<Integer, String> run : batch.runs().entrySet()) {
            int index = run.getKey();
            String task = index < requests.size() ? requests.get(index).taskId() : null;
            runs.add(new BatchRun(run.getValue(), task, created.cached()));
        }
        return Json.response(
                StatusCodes.OK,
                new BatchTriggerV2Response(batch.batchId(), created.cached(), batch.idempotencyKey(), runs));
    }

    // ---------------------------------------------------------------- retrieve

    /** A public access token reads a batch with {@code read:batch:<id>}, or {@code read:runs} as Trigger.dev. */
    private Route retrieve(Caller caller, String batchId) {
        if (!caller.mayAny(Scopes.READ, List.of(Resource.of(Scopes.BATCH, batchId), Resource.all(Scopes.RUNS)))) {
            throw Authentication.forbidden();
        }
        return ifFound(
                batches.get(caller.environment().id(), batchId),
                batch -> complete(Json.response(
                        StatusCodes.OK,
                        new RetrieveBatchResponse(
                                batch.batchId(),
                                batch.status().name(),
                                batch.idempotencyKey(),
                                Json.timestamp(batch.createdAt()),
                                Json.timestamp(batch.updatedAt()),
                                batch.runCount(),
                                batch.runIds(),
                                new Processing(
                                        Json.timestamp(batch.completedAt()),
                                        batch.errors().stream()
                                                .map(error -> new ItemError(
                                                        error.index(), error.taskIdentifier(), error.error()))
                                                .toList())))));
    }

    // ---------------------------------------------------------------- helpers

    private Route requestKey(Function<String, Route> inner) {
        return optionalHeaderValueByName(
                REQUEST_IDEMPOTENCY_KEY, header -> inner.apply(commands.requestKey(header.orElse(null))));
    }

    private static Route ifFound(CompletionStage<Optional<BatchState>> lookup, Function<BatchState, Route> found) {
        return onSuccess(lookup, batch -> batch.map(found).orElseGet(() -> complete(batchNotFound())));
    }

    private static boolean isNdjson(ContentType contentType) {
        return contentType.mediaType().mainType().equals("application")
                && contentType.mediaType().subType().equals("x-ndjson");
    }

    private static HttpResponse batchNotFound() {
        return ErrorHandling.errorResponse(StatusCodes.NOT_FOUND, "Batch not found", NOT_FOUND_HEADERS);
    }

    private ApiException bodyTooLarge() {
        return ApiException.tooLarge("Request body too large: the limit is " + limits.maxItemsBodySize() + " bytes");
    }

    /** Not a 503: those items' runs may exist (a 503 promises that nothing was stored). */
    private static ApiException unavailable(int items) {
        return new ApiException(
                StatusCodes.GATEWAY_TIMEOUT,
                items + " items could not be confirmed in time (their runs "
                        + "may exist); send the items again: items already in are deduplicated, the others reach the "
                        + "same runs");
    }
}
