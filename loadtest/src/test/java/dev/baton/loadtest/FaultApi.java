package dev.baton.loadtest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/**
 * One call at a time to one node's HTTP API, as the fault scenarios make them: a write must be answered 2xx
 * (it is what a scenario kills the node right after), a read may find nothing. Made anew for every node a
 * scenario starts, so no call goes out on a connection the killed node left behind.
 */
final class FaultApi {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** A check made again until it passes; a failed assertion counts as not yet. */
    @FunctionalInterface
    interface Probe<T> {
        T value() throws Exception;
    }

    /** An answer: its status and its JSON body (an empty object when it has none). */
    record Answer(int status, JsonNode body) {}

    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    private final URI url;
    private final String authorization;
    private int writesAcknowledged;

    FaultApi(URI url, String secretKey) {
        this.url = url;
        this.authorization = "Bearer " + secretKey;
    }

    JsonNode post(String path, String jsonBody) throws IOException, InterruptedException {
        return acknowledged("POST", path, "application/json", jsonBody, Map.of());
    }

    JsonNode post(String path, String jsonBody, Map<String, String> headers) throws IOException, InterruptedException {
        return acknowledged("POST", path, "application/json", jsonBody, headers);
    }

    JsonNode postNdjson(String path, String lines) throws IOException, InterruptedException {
        return acknowledged("POST", path, "application/x-ndjson", lines, Map.of());
    }

    JsonNode put(String path, String jsonBody) throws IOException, InterruptedException {
        return acknowledged("PUT", path, "application/json", jsonBody, Map.of());
    }

    JsonNode delete(String path) throws IOException, InterruptedException {
        return acknowledged("DELETE", path, "application/json", null, Map.of());
    }

    /** A read that must find what it asks for. */
    JsonNode get(String path) throws IOException, InterruptedException {
        return acknowledged("GET", path, "application/json", null, Map.of());
    }

    /** A read whatever it finds (e.g. a 404 for something deleted). */
    Answer read(String path) throws IOException, InterruptedException {
        return call("GET", path, "application/json", null, Map.of());
    }

    /** Calls other than GET this API answered 2xx so far. */
    int writesAcknowledged() {
        return writesAcknowledged;
    }

    /** Runs {@code probe} until it returns a value without throwing; its last failure once {@code timeout} passed. */
    static <T> T await(Duration timeout, Probe<T> probe) throws Exception {
        Instant deadline = Instant.now().plus(timeout);
        while (true) {
            try {
                T value = probe.value();
                if (value != null) return value;
                if (Instant.now().isAfter(deadline)) throw new AssertionError("still nothing after " + timeout);
            } catch (InterruptedException interrupted) {
                throw interrupted;
            } catch (Exception | AssertionError notYet) {
                if (Instant.now().isAfter(deadline)) throw notYet;
            }
            Thread.sleep(200);
        }
    }

    private JsonNode acknowledged(
            String method, String path, String contentType, String body, Map<String, String> headers)
            throws IOException, InterruptedException {
        Answer answer = call(method, path, contentType, body, headers);
        if (answer.status() / 100 != 2) {
            throw new AssertionError(method + " " + path + " answered " + answer.status() + ": " + answer.body());
        }
        if (!method.equals("GET")) writesAcknowledged++;
        return answer.body();
    }

    private Answer call(String method, String path, String contentType, String body, Map<String, String> headers)
            throws IOException, InterruptedException {
        URI target = path.startsWith("http") ? URI.create(path) : url.resolve(path);
        HttpRequest.Builder request = HttpRequest.newBuilder(target)
                .timeout(Duration.ofSeconds(30))
                .header("Authorization", authorization)
                .header("Content-Type", contentType)
                .method(
                        method,
                        body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        headers.forEach(request::header);
        HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        String text = response.body();
        return new Answer(response.statusCode(), text.isBlank() ? JSON.createObjectNode() : JSON.readTree(text));
    }
}
