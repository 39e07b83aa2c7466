package dev.baton.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * JSON over HTTP to one node with one token. A 2xx answer is its JSON body; anything else is a {@link ServerError}
 * carrying the node's {@code error} message; an unreachable node is a {@link CliFailure} naming the URL.
 */
final class ApiClient {

    static final ObjectMapper JSON = new ObjectMapper();

    /** The header by which a personal access token names the environment of a run route. */
    static final String ENVIRONMENT_HEADER = "x-baton-environment";

    private final HttpClient http;
    private final String baseUrl;
    private final String token;
    private final Duration requestTimeout;
    private final String environment;

    ApiClient(String baseUrl, String token, Duration connectTimeout, Duration requestTimeout) {
        this(HttpClient.newBuilder().connectTimeout(connectTimeout).build(), baseUrl, token, requestTimeout, null);
    }

    private ApiClient(HttpClient http, String baseUrl, String token, Duration requestTimeout, String environment) {
        this.http = http;
        this.baseUrl = baseUrl;
        this.token = token;
        this.requestTimeout = requestTimeout;
        this.environment = environment;
    }

    /** This client, its requests naming {@code <project ref>/<environment>}. */
    ApiClient inEnvironment(String projectRef, String environmentName) {
        return new ApiClient(http, baseUrl, token, requestTimeout, projectRef + "/" + environmentName);
    }

    String baseUrl() {
        return baseUrl;
    }

    JsonNode get(String path) {
        return send(request(path).GET());
    }

    JsonNode post(String path, JsonNode body) {
        String text = body == null ? "{}" : body.toString();
        return send(request(path)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(text, StandardCharsets.UTF_8)));
    }

    JsonNode delete(String path) {
        return send(request(path).DELETE());
    }

    /**
     * Reads a Server-Sent Events answer to the end, calling {@code onEvent} with each event's type and data; a
     * non-2xx answer is a {@link ServerError} like any other. No request timeout: the node holds the stream open.
     */
    void events(String path, java.util.function.BiConsumer<String, String> onEvent) {
        HttpRequest request = request(path)
                .timeout(Duration.ofDays(365))
                .setHeader("Accept", "text/event-stream")
                .GET()
                .build();
        HttpResponse<java.util.stream.Stream<String>> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofLines());
        } catch (ConnectException e) {
            throw new CliFailure("cannot connect to Baton at " + baseUrl, e);
        } catch (IOException e) {
            throw new CliFailure("cannot talk to Baton at " + baseUrl + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliFailure("interrupted", e);
        }
        try (java.util.stream.Stream<String> lines = response.body()) {
            if (response.statusCode() < 200 || response.statusCode() >= 300) {
                throw new ServerError(response.statusCode(), errorMessage(String.join("\n", lines.toList())));
            }
            // an event is its fields up to a blank line, in any order
            String[] type = {null};
            StringBuilder data = new StringBuilder();
            lines.forEach(line -> {
                if (line.isEmpty()) {
                    if (type[0] != null) onEvent.accept(type[0], data.toString());
                    type[0] = null;
                    data.setLength(0);
                } else if (line.startsWith("event:")) {
                    type[0] = line.substring(6).trim();
                } else if (line.startsWith("data:")) {
                    if (data.length() > 0) data.append('\n');
                    data.append(line.substring(5).startsWith(" ") ? line.substring(6) : line.substring(5));
                }
            });
        } catch (java.io.UncheckedIOException e) {
            throw new CliFailure("the stream from Baton at " + baseUrl + " broke: " + e.getCause(), e);
        }
    }

    /** One path segment, percent-encoded. */
    static String segment(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private HttpRequest.Builder request(String path) {
        URI uri;
        try {
            uri = URI.create(baseUrl + path);
        } catch (IllegalArgumentException e) {
            throw new CliFailure("invalid URL " + baseUrl + ": " + e.getMessage(), e);
        }
        if (uri.getScheme() == null
                || !(uri.getScheme().equals("http") || uri.getScheme().equals("https"))) {
            throw new CliFailure("invalid URL " + baseUrl + ": expected http:// or https://");
        }
        HttpRequest.Builder builder = HttpRequest.newBuilder(uri)
                .timeout(requestTimeout)
                .header("Accept", "application/json")
                .header("Authorization", "Bearer " + token);
        if (environment != null) builder.header(ENVIRONMENT_HEADER, environment);
        return builder;
    }

    private JsonNode send(HttpRequest.Builder builder) {
        HttpRequest request = builder.build();
        HttpResponse<String> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (ConnectException e) {
            throw new CliFailure(
                    "cannot connect to Baton at " + baseUrl + " (is a node running there? `./baton dev` starts one;"
                            + " --url or BATON_URL names another)",
                    e);
        } catch (HttpTimeoutException e) {
            throw new CliFailure("Baton at " + baseUrl + " did not answer within " + requestTimeout.toSeconds() + " s ("
                    + request.method() + " " + request.uri().getPath() + ")");
        } catch (IOException e) {
            throw new CliFailure("cannot talk to Baton at " + baseUrl + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliFailure("interrupted", e);
        }
        int status = response.statusCode();
        if (status >= 200 && status < 300) return parse(response.body(), status);
        throw new ServerError(status, errorMessage(response.body()));
    }

    private static JsonNode parse(String body, int status) {
        if (body == null || body.isBlank()) return NullNode.getInstance();
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            throw new CliFailure("the node answered " + status + " with a body that is not JSON: " + abbreviate(body));
        }
    }

    private static String errorMessage(String body) {
        if (body == null || body.isBlank()) return "(no message)";
        try {
            JsonNode error = JSON.readTree(body).get("error");
            if (error != null && error.isTextual()) return error.textValue();
            if (error != null) return error.toString();
        } catch (IOException notJson) {
            // a proxy's page or a plain-text answer: show its start
        }
        return abbreviate(body.strip());
    }

    private static String abbreviate(String text) {
        return text.length() <= 200 ? text : text.substring(0, 200) + "…";
    }
}
