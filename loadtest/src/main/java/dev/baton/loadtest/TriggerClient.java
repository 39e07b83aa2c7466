package dev.baton.loadtest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The producer side over HTTP: single triggers ({@code POST /api/v1/tasks/bench-noop/trigger}) and the
 * Trigger.dev v3 two-phase batch ({@code POST /api/v3/batches}, then NDJSON items), all asynchronous on one
 * {@code java.net.http} client, so thousands of calls can be in flight from a couple of threads (each
 * in-flight HTTP/1.1 call holds one pooled connection; Akka HTTP accepts 1,024 by default).
 */
final class TriggerClient implements AutoCloseable {

    static final String TASK = "bench-noop";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final URI base;
    private final String authorization;
    private final ExecutorService executor;
    private final HttpClient http;

    /** What {@code POST /api/v3/batches/{id}/items} answered. */
    record BatchItems(String batchId, int itemsAccepted, int itemsDeduplicated, boolean sealed) {}

    /** A non-2xx answer. */
    static final class HttpStatusException extends RuntimeException {
        final int status;

        HttpStatusException(String what, int status, String body) {
            super(what + " answered HTTP " + status + ": "
                    + (body.length() > 300 ? body.substring(0, 300) + "…" : body));
            this.status = status;
        }
    }

    TriggerClient(URI base, String secretKey) {
        this.base = base;
        this.authorization = "Bearer " + secretKey;
        // Two threads complete the futures; the HTTP client's own selector thread does the I/O.
        this.executor = Executors.newFixedThreadPool(2, runnable -> {
            Thread thread = new Thread(runnable, "bench-http");
            thread.setDaemon(true);
            return thread;
        });
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1) // Akka HTTP speaks HTTP/1.1 on plain ports
                .connectTimeout(Duration.ofSeconds(10))
                .executor(executor)
                .build();
    }

    /** Triggers one no-op run whose payload is {@code {"i":i,"t":t}}; completes with the run id. */
    CompletableFuture<String> trigger(long i, long t) {
        HttpRequest request = post(
                "/api/v1/tasks/" + TASK + "/trigger",
                "application/json",
                "{\"payload\":{\"i\":" + i + ",\"t\":" + t + "}}");
        return http.sendAsync(request, HttpResponse.BodyHandlers.ofString())
                .thenApply(response -> json(response, "trigger").path("id").asText());
    }

    /** Phase 1 of a batch; empty when the node has no v3 batch API (404 or 405 on the path). */
    CompletableFuture<Optional<String>> createBatch(int runCount) {
        HttpRequest request = post("/api/v3/batches", "application/json", "{\"runCount\":" + runCount + "}");
        return http.sendAsync(request, HttpResponse.BodyHandlers.ofString()).thenApply(response -> {
            if (response.statusCode() == 404 || response.statusCode() == 405) return Optional.empty();
            return Optional.of(json(response, "POST /api/v3/batches").path("id").asText());
        });
    }

    /** Phase 2: items {@code first … first+count-1}, payload {@code {"i":index}} as a JSON-encoded string. */
    CompletableFuture<BatchItems> sendItems(String batchId, int first, int count) {
        StringBuilder body = new StringBuilder(count * 64);
        for (int index = 0; index < count; index++) {
            body.append("{\"index\":")
                    .append(index)
                    .append(",\"task\":\"")
                    .append(TASK)
                    .append("\",\"payload\":\"{\\\"i\\\":")
                    .append(first + index)
                    .append("}\"}\n");
        }
        HttpRequest request = post("/api/v3/batches/" + batchId + "/items", "application/x-ndjson", body.toString());
        return http.sendAsync(request, HttpResponse.BodyHandlers.ofString()).thenApply(response -> {
            JsonNode json = json(response, "POST /api/v3/batches/" + batchId + "/items");
            return new BatchItems(
                    json.path("id").asText(batchId),
                    json.path("itemsAccepted").asInt(),
                    json.path("itemsDeduplicated").asInt(),
                    json.path("sealed").asBoolean(false));
        });
    }

    private HttpRequest post(String path, String contentType, String body) {
        return HttpRequest.newBuilder(base.resolve(path))
                .timeout(Duration.ofSeconds(60))
                .header("Authorization", authorization)
                .header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build();
    }

    private static JsonNode json(HttpResponse<String> response, String what) {
        if (response.statusCode() / 100 != 2)
            throw new HttpStatusException(what, response.statusCode(), response.body());
        try {
            return JSON.readTree(response.body());
        } catch (IOException e) {
            throw new UncheckedIOException(what + " answered no JSON: " + response.body(), e);
        }
    }

    /** The cause a future failed with, without CompletionException wrappers. */
    static Throwable unwrap(Throwable error) {
        return error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
