package dev.baton.sdk.client;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.sdk.internal.NodeRotation;
import dev.baton.sdk.internal.json.Json;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * Triggers runs (one at a time or in batches), reads them back and manages them (cancel, replay, reschedule, tags,
 * metadata,
 * idempotency keys) over Baton's HTTP API (Trigger.dev-compatible), with an environment's secret key. Thread-safe;
 * build one per application and share it.
 *
 * <pre>{@code
 * BatonClient baton = BatonClient.builder(URI.create("http://127.0.0.1:8080"), secretKey).build();
 * TriggerResult triggered = baton.trigger("hello-world", Map.of("name", "Ada"));
 * Run run = baton.poll(triggered.id(), Duration.ofSeconds(30));
 * }</pre>
 *
 * <p>Error statuses throw a {@link BatonApiException} subclass; a request that gets no answer
 * throws {@link BatonConnectionException}. Calls that are safe to send twice (reads, triggers, which carry a
 * request idempotency key, and the idempotent updates) are retried with backoff after a connection failure, a 5xx
 * or a 429 ({@link Builder#maxRetries}); a replay, and a waitpoint token created without an idempotency key, are not.
 *
 * <p>Given several nodes' URLs ({@link #builder(List, String)}), the client sends to one of them and moves to the
 * next when that one cannot be reached or answers 503: a call safe to send twice goes to the next node at once, and
 * any call whose connection was refused (so it never reached a node) does too. A node that failed in the last
 * 30 s is tried after the others.
 */
public final class BatonClient {

    private static final Duration DEFAULT_POLL_INTERVAL = Duration.ofMillis(200);
    private static final Duration RETRY_BASE_DELAY = Duration.ofMillis(250);
    /** How long a node that failed is tried after the others. */
    private static final Duration NODE_FAILURE_MEMORY = Duration.ofSeconds(30);

    private final NodeRotation nodes;
    private final String authorization;
    private final Duration requestTimeout;
    private final int maxRetries;
    private final HttpClient http;

    private BatonClient(Builder builder) {
        this.nodes = new NodeRotation(builder.serverUrls, NODE_FAILURE_MEMORY);
        this.authorization = "Bearer " + builder.secretKey;
        this.requestTimeout = builder.requestTimeout;
        this.maxRetries = builder.maxRetries;
        this.http = HttpClient.newBuilder()
                // Akka HTTP speaks HTTP/1.1 on plain ports; skip the h2c upgrade dance
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(builder.requestTimeout)
                .build();
    }

    /**
     * @param serverUrl any node's HTTP base, e.g. {@code http://127.0.0.1:8080}
     * @param secretKey the environment's secret key ({@code BATON_SECRET_KEY})
     */
    public static Builder builder(URI serverUrl, String secretKey) {
        return new Builder(List.of(Objects.requireNonNull(serverUrl, "serverUrl")), secretKey);
    }

    /**
     * @param serverUrls several nodes' HTTP bases, in the order they are tried; the client stays on one while it
     *     answers
     * @param secretKey the environment's secret key ({@code BATON_SECRET_KEY})
     */
    public static Builder builder(List<URI> serverUrls, String secretKey) {
        return new Builder(serverUrls, secretKey);
    }

    /** Triggers a run of {@code taskId} with {@code payload} (any Jackson-writable value) and default options. */
    public TriggerResult trigger(String taskId, Object payload) {
        return trigger(taskId, payload, null);
    }

    /** Triggers a run of {@code taskId} with {@code payload} and {@code options} (null: defaults). */
    public TriggerResult trigger(String taskId, Object payload, TriggerOptions options) {
        Objects.requireNonNull(taskId, "taskId");
        String body = write(ApiJson.triggerBody(payload, options));
        HttpRequest request = request("/api/v1/tasks/" + pathSegment(taskId) + "/trigger")
                .header("Content-Type", "application/json")
                // the server deduplicates on this key, which makes a retried trigger safe
                .header("x-trigger-request-idempotency-key", UUID.randomUUID().toString())
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build();
        return ApiJson.triggerResult(send(request));
    }

    /**
     * Triggers one run per item, of any tasks, as one batch (Trigger.dev's two-phase batch API:
     * {@code POST /api/v3/batches}, then the items as NDJSON). Every run exists when this returns.
     * Retries are safe: the create carries a request key and the items are deduplicated by index.
     *
     * @param items 1 to 1,000 items
     */
    public BatchTriggerResult batchTrigger(List<BatchItem> items) {
        return batchTrigger(items, null);
    }

    /**
     * {@link #batchTrigger(List)} under a batch idempotency key: while the key holds, the same batch is
     * returned ({@code isCached}) and its items are not sent again.
     */
    public BatchTriggerResult batchTrigger(List<BatchItem> items, String idempotencyKey) {
        Objects.requireNonNull(items, "items");
        if (items.isEmpty()) {
            throw new IllegalArgumentException("a batch needs at least one item");
        }
        ObjectNode create = Json.mapper().createObjectNode().put("runCount", items.size());
        if (idempotencyKey != null) {
            create.put("idempotencyKey", idempotencyKey);
        }
        JsonNode created = send(request("/api/v3/batches")
                .header("Content-Type", "application/json")
                .header("x-trigger-request-idempotency-key", UUID.randomUUID().toString())
                .POST(HttpRequest.BodyPublishers.ofString(write(create)))
                .build());
        String batchId = Json.text(created, "id");
        int runCount = created.path("runCount").asInt(items.size());
        if (created.path("isCached").asBoolean(false)) {
            return new BatchTriggerResult(batchId, runCount, true);
        }
        StringBuilder lines = new StringBuilder();
        for (int index = 0; index < items.size(); index++) {
            lines.append(write(ApiJson.batchItemLine(index, items.get(index)))).append('\n');
        }
        JsonNode added = send(request("/api/v3/batches/" + pathSegment(batchId) + "/items")
                .header("Content-Type", "application/x-ndjson")
                .POST(HttpRequest.BodyPublishers.ofString(lines.toString()))
                .build());
        if (!added.path("sealed").asBoolean(false)) {
            throw new BatonException(
                    "batch " + batchId + " was not sealed after sending its " + items.size() + " items: " + added);
        }
        return new BatchTriggerResult(batchId, runCount, false);
    }

    /** The batch: its status and its runs ({@code GET /api/v2/batches/{id}}). */
    public Batch retrieveBatch(String batchId) {
        Objects.requireNonNull(batchId, "batchId");
        return ApiJson.batch(
                send(request("/api/v2/batches/" + pathSegment(batchId)).GET().build()));
    }

    /** The run's current state. */
    public Run retrieve(String runId) {
        Objects.requireNonNull(runId, "runId");
        return ApiJson.run(
                send(request("/api/v3/runs/" + pathSegment(runId)).GET().build()));
    }

    /** Retrieves the run every 200 ms until it has finished (any final status, not only success). */
    public Run poll(String runId, Duration timeout) {
        return poll(runId, timeout, DEFAULT_POLL_INTERVAL);
    }

    /**
     * Retrieves the run every {@code interval} until it has finished.
     *
     * @throws BatonTimeoutException when it has not finished within {@code timeout}
     */
    public Run poll(String runId, Duration timeout, Duration interval) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Run run = retrieve(runId);
            if (run.isCompleted()) {
                return run;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new BatonTimeoutException(
                        "run " + runId + " did not finish within " + timeout + " (last status " + run.status() + ")",
                        run);
            }
            try {
                Thread.sleep(Math.max(1, Math.min(interval.toMillis(), left / 1_000_000)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new BatonConnectionException("interrupted while polling run " + runId, e);
            }
        }
    }

    /** The run's history, oldest first. */
    public List<RunEvent> events(String runId) {
        Objects.requireNonNull(runId, "runId");
        return ApiJson.events(send(
                request("/api/v1/runs/" + pathSegment(runId) + "/events").GET().build()));
    }

    // ---- managing runs ----

    /**
     * Cancels the run ({@code POST /api/v2/runs/{id}/cancel}). A run still waiting never starts;
     * an executing one ends {@code CANCELED} and its worker is told to stop. A finished run stays
     * as it is.
     *
     * @return the run's id
     */
    public String cancel(String runId) {
        Objects.requireNonNull(runId, "runId");
        return Json.text(
                send(request("/api/v2/runs/" + pathSegment(runId) + "/cancel")
                        .POST(HttpRequest.BodyPublishers.noBody())
                        .build()),
                "id");
    }

    /**
     * Triggers a new run with the same task, payload and options as {@code runId}
     * ({@code POST /api/v1/runs/{id}/replay}).
     *
     * @return the new run's id
     */
    public String replay(String runId) {
        Objects.requireNonNull(runId, "runId");
        // a replay is not idempotent: a retry after a lost response could start a second run
        return Json.text(
                send(
                        request("/api/v1/runs/" + pathSegment(runId) + "/replay")
                                .POST(HttpRequest.BodyPublishers.noBody())
                                .build(),
                        false),
                "id");
    }

    /**
     * Moves a {@code DELAYED} run's start ({@code POST /api/v1/runs/{id}/reschedule}); the delay
     * counts from now, in the trigger's format: {@code "30s"}, {@code "1h52m"}, or an ISO-8601
     * instant. A run that is not delayed any more is refused (a {@link BatonApiException}).
     *
     * @return the run afterwards
     */
    public Run reschedule(String runId, String delay) {
        Objects.requireNonNull(runId, "runId");
        if (delay == null || delay.isBlank()) {
            throw new IllegalArgumentException("delay must not be blank");
        }
        ObjectNode body = Json.mapper().createObjectNode().put("delay", delay);
        return ApiJson.run(send(jsonRequest("/api/v1/runs/" + pathSegment(runId) + "/reschedule", "POST", body)));
    }

    /** {@link #reschedule(String, String)} to start at {@code until}. */
    public Run reschedule(String runId, Instant until) {
        return reschedule(runId, Objects.requireNonNull(until, "until").toString());
    }

    /** {@link #reschedule(String, String)} to start {@code delay} from now (whole seconds, rounded up). */
    public Run reschedule(String runId, Duration delay) {
        if (delay == null || delay.isNegative()) {
            throw new IllegalArgumentException("delay must not be negative, was " + delay);
        }
        return reschedule(runId, (delay.getSeconds() + (delay.getNano() > 0 ? 1 : 0)) + "s");
    }

    /** Adds tags to the run ({@code POST /api/v1/runs/{id}/tags}); tags it already has are kept once. */
    public void addTags(String runId, String... tags) {
        addTags(runId, Arrays.asList(tags));
    }

    /** Adds tags to the run ({@code POST /api/v1/runs/{id}/tags}); tags it already has are kept once. */
    public void addTags(String runId, List<String> tags) {
        Objects.requireNonNull(runId, "runId");
        if (tags == null || tags.isEmpty()) {
            throw new IllegalArgumentException("no tags to add");
        }
        ObjectNode body = Json.mapper().createObjectNode();
        body.set("tags", Json.mapper().valueToTree(List.copyOf(tags)));
        send(jsonRequest("/api/v1/runs/" + pathSegment(runId) + "/tags", "POST", body));
    }

    /**
     * Replaces the run's metadata ({@code PUT /api/v1/runs/{id}/metadata}).
     *
     * @param metadata any value that serializes to a JSON object (a Map, a record, …)
     * @return the run's metadata as the server stored it
     */
    public JsonNode updateMetadata(String runId, Object metadata) {
        Objects.requireNonNull(runId, "runId");
        JsonNode json = ApiJson.toJson(Objects.requireNonNull(metadata, "metadata"), "metadata");
        if (!json.isObject()) {
            throw new IllegalArgumentException("metadata must be a JSON object (a Map, a record, …)");
        }
        ObjectNode body = Json.mapper().createObjectNode();
        body.set("metadata", json);
        return Json.valueOrNull(
                send(jsonRequest("/api/v1/runs/" + pathSegment(runId) + "/metadata", "PUT", body)), "metadata");
    }

    /**
     * Frees an idempotency key of a task ({@code POST /api/v1/idempotencyKeys/{key}/reset}): the
     * next trigger with it creates a new run.
     */
    public void resetIdempotencyKey(String taskId, String idempotencyKey) {
        Objects.requireNonNull(taskId, "taskId");
        Objects.requireNonNull(idempotencyKey, "idempotencyKey");
        ObjectNode body = Json.mapper().createObjectNode().put("taskIdentifier", taskId);
        send(jsonRequest("/api/v1/idempotencyKeys/" + pathSegment(idempotencyKey) + "/reset", "POST", body));
    }

    // ---- waitpoint tokens ----

    /**
     * Creates a waitpoint token ({@code POST /api/v1/waitpoints/tokens}) that runs can wait for with
     * {@code ctx.waitForToken(id)}. Retries are safe only with an idempotency key.
     *
     * @param options null: no timeout, tags or key
     */
    public CreatedWaitpointToken createToken(WaitpointTokenOptions options) {
        HttpRequest request = jsonRequest("/api/v1/waitpoints/tokens", "POST", WaitpointJson.createBody(options));
        return WaitpointJson.created(send(request, options != null && options.idempotencyKey() != null));
    }

    /**
     * Completes the token with {@code data} (any Jackson-writable value; null: no data); the runs waiting
     * for it resume with the data. A token already completed or timed out keeps its outcome (no error).
     *
     * @throws NotFoundException when the token does not exist in this environment
     */
    public void completeToken(String tokenId, Object data) {
        Objects.requireNonNull(tokenId, "tokenId");
        ObjectNode body = Json.mapper().createObjectNode();
        if (data != null) {
            body.set("data", ApiJson.toJson(data, "data"));
        }
        send(jsonRequest("/api/v1/waitpoints/tokens/" + pathSegment(tokenId) + "/complete", "POST", body));
    }

    /** The token, with its output once completed (or its error once timed out). */
    public WaitpointToken retrieveToken(String tokenId) {
        Objects.requireNonNull(tokenId, "tokenId");
        return WaitpointJson.token(send(request("/api/v1/waitpoints/tokens/" + pathSegment(tokenId))
                .GET()
                .build()));
    }

    /**
     * One page of the environment's tokens, newest first ({@code GET /api/v1/waitpoints/tokens}); the
     * next page is {@code listTokens(query.after(page.next()))}. The list is eventually consistent: a token
     * just created or completed shows there within a moment.
     *
     * @param query null: every token, the newest page
     */
    public WaitpointTokenPage listTokens(WaitpointTokenQuery query) {
        return WaitpointJson.page(send(request("/api/v1/waitpoints/tokens" + WaitpointJson.query(query))
                .GET()
                .build()));
    }

    private HttpRequest jsonRequest(String path, String method, JsonNode body) {
        return request(path)
                .header("Content-Type", "application/json")
                .method(method, HttpRequest.BodyPublishers.ofString(write(body)))
                .build();
    }

    /** A request to {@code path} of the current node; {@link #send} points it at another node when it fails over. */
    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create(base(nodes.current()) + path))
                .timeout(requestTimeout)
                .header("Authorization", authorization)
                .header("Accept", "application/json");
    }

    private JsonNode send(HttpRequest request) {
        return send(request, true);
    }

    /**
     * Sends the request; a {@code retryable} one is sent again, with exponential backoff, after a
     * connection failure, a 5xx or a 429 (then no sooner than its {@code Retry-After}), like the
     * Trigger.dev SDK does. 4xx answers other than 429 are never retried: they will not change.
     *
     * <p>A node that cannot be reached or answers 503 counts as failed, and the request moves to the next node
     * without waiting (each node once per round) when it may be sent again: it is {@code retryable}, or its
     * connection was refused, so no node has seen it. Only then does it back off and start another round.
     */
    private JsonNode send(HttpRequest request, boolean retryable) {
        String path = pathOf(request.uri());
        URI node = nodes.current();
        int retries = 0;
        int triedThisRound = 0;
        while (true) {
            try {
                JsonNode answer = sendOnce(at(request, node, path));
                nodes.succeeded(node);
                return answer;
            } catch (BatonConnectionException | ServerException | RateLimitException e) {
                if (Thread.currentThread().isInterrupted()) {
                    throw e;
                }
                triedThisRound++;
                boolean nodeFailed = e instanceof BatonConnectionException
                        || (e instanceof ServerException server && server.status() == 503);
                boolean neverSent = e instanceof BatonConnectionException && refusedConnection(e.getCause());
                URI next = nodeFailed ? nodes.failed(node) : node;
                if (!retryable && !neverSent) {
                    throw e;
                }
                if (nodeFailed && triedThisRound < nodes.size() && (neverSent || maxRetries > 0)) {
                    node = next;
                    continue;
                }
                if (retries >= maxRetries) {
                    throw e;
                }
                retries++;
                triedThisRound = 0;
                Duration backoff = RETRY_BASE_DELAY.multipliedBy(1L << Math.min(retries - 1, 6));
                if (e instanceof RateLimitException limited
                        && limited.retryAfter().isPresent()
                        && limited.retryAfter().get().compareTo(backoff) > 0) {
                    backoff = limited.retryAfter().get();
                }
                sleep(backoff, request);
                node = nodes.current();
            }
        }
    }

    /** Whether the failure happened before the request was sent: the node refused or never accepted the connection. */
    private static boolean refusedConnection(Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof ConnectException || t instanceof HttpConnectTimeoutException) {
                return true;
            }
        }
        return false;
    }

    /** The request's path and query, after the node's base it was built for. */
    private String pathOf(URI uri) {
        String full = uri.toString();
        String longest = null;
        for (URI node : nodes.nodes()) {
            String base = base(node);
            if (full.startsWith(base + "/") && (longest == null || base.length() > longest.length())) {
                longest = base;
            }
        }
        if (longest == null) {
            throw new IllegalStateException("request " + uri + " is not for any of " + nodes.nodes());
        }
        return full.substring(longest.length());
    }

    private static HttpRequest at(HttpRequest request, URI node, String path) {
        URI target = URI.create(base(node) + path);
        return target.equals(request.uri())
                ? request
                : HttpRequest.newBuilder(request, (name, value) -> true)
                        .uri(target)
                        .build();
    }

    private static String base(URI node) {
        return node.toString().replaceAll("/+$", "");
    }

    private static void sleep(Duration backoff, HttpRequest request) {
        try {
            Thread.sleep(backoff.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BatonConnectionException(
                    "interrupted while retrying " + request.method() + " " + request.uri(), e);
        }
    }

    private JsonNode sendOnce(HttpRequest request) {
        HttpResponse<String> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new BatonConnectionException(
                    request.method() + " " + request.uri() + " failed: "
                            + e.getClass().getSimpleName() + (e.getMessage() != null ? ": " + e.getMessage() : ""),
                    e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BatonConnectionException("interrupted during " + request.method() + " " + request.uri(), e);
        }
        int status = response.statusCode();
        if (status < 200 || status > 299) {
            throw ApiJson.error(status, response.body(), response.headers().firstValue("Retry-After"));
        }
        try {
            JsonNode json = Json.mapper().readTree(response.body());
            return json == null ? Json.mapper().missingNode() : json;
        } catch (JsonProcessingException e) {
            throw new BatonApiException(
                    status, "unreadable response from " + request.uri() + ": " + e.getOriginalMessage());
        }
    }

    private static String write(JsonNode json) {
        try {
            return Json.mapper().writeValueAsString(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot write request body", e);
        }
    }

    /** Task ids may contain '/' and ':'; encode them so each id stays one path segment. */
    private static String pathSegment(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
    }

    public static final class Builder {
        private final List<URI> serverUrls;
        private final String secretKey;
        private Duration requestTimeout = Duration.ofSeconds(30);
        private int maxRetries = 3;

        private Builder(List<URI> serverUrls, String secretKey) {
            Objects.requireNonNull(serverUrls, "serverUrls");
            if (serverUrls.isEmpty()) {
                throw new IllegalArgumentException("at least one server URL is required");
            }
            for (URI serverUrl : serverUrls) {
                String scheme = String.valueOf(
                                Objects.requireNonNull(serverUrl, "serverUrl").getScheme())
                        .toLowerCase();
                if (!scheme.equals("http") && !scheme.equals("https")) {
                    throw new IllegalArgumentException("server URL must be http(s): " + serverUrl);
                }
            }
            this.serverUrls = List.copyOf(serverUrls);
            new NodeRotation(this.serverUrls, NODE_FAILURE_MEMORY); // refuses a URL listed twice
            if (secretKey == null || secretKey.isBlank()) {
                throw new IllegalArgumentException("a secret key is required");
            }
            this.secretKey = secretKey;
        }

        /** How long one request may take, connecting included (default 30 s). */
        public Builder requestTimeout(Duration requestTimeout) {
            if (requestTimeout == null || requestTimeout.isNegative() || requestTimeout.isZero()) {
                throw new IllegalArgumentException("requestTimeout must be positive, was " + requestTimeout);
            }
            this.requestTimeout = requestTimeout;
            return this;
        }

        /**
         * How often a failed call is sent again after a connection failure, a 5xx or a 429
         * (default 3; 0 turns retries off, except that a call whose connection a node refused still goes to
         * the next node). A replay, which a node may have carried out, is sent again only when its connection
         * was refused.
         */
        public Builder maxRetries(int maxRetries) {
            if (maxRetries < 0) {
                throw new IllegalArgumentException("maxRetries must not be negative, was " + maxRetries);
            }
            this.maxRetries = maxRetries;
            return this;
        }

        public BatonClient build() {
            return new BatonClient(this);
        }
    }
}
