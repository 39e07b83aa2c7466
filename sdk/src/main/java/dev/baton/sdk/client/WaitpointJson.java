package dev.baton.sdk.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.sdk.internal.json.Json;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/** The waitpoint token API's JSON and query strings, to and from the client's types. */
final class WaitpointJson {

    private WaitpointJson() {}

    static ObjectNode createBody(WaitpointTokenOptions options) {
        ObjectNode body = Json.mapper().createObjectNode();
        if (options == null) {
            return body;
        }
        if (options.timeout() != null) {
            body.put("timeout", options.timeout());
        }
        if (options.tags() != null) {
            body.set("tags", Json.mapper().valueToTree(options.tags()));
        }
        if (options.idempotencyKey() != null) {
            body.put("idempotencyKey", options.idempotencyKey());
        }
        if (options.idempotencyKeyTTL() != null) {
            body.put("idempotencyKeyTTL", options.idempotencyKeyTTL());
        }
        return body;
    }

    static CreatedWaitpointToken created(JsonNode json) {
        return new CreatedWaitpointToken(
                Json.text(json, "id"), json.path("isCached").asBoolean(false), Json.text(json, "url"));
    }

    /**
     * A token; {@code output} is JSON text on the wire: parsed back, or kept as a string if it is not JSON.
     * An error output ({@code outputIsError}) becomes {@code error}, its message.
     */
    static WaitpointToken token(JsonNode json) {
        JsonNode output = null;
        String error = null;
        String outputText = Json.text(json, "output");
        if (outputText != null) {
            JsonNode parsed;
            try {
                parsed = Json.mapper().readTree(outputText);
            } catch (IOException e) {
                parsed = Json.mapper().getNodeFactory().textNode(outputText);
            }
            if (json.path("outputIsError").asBoolean(false)) {
                error = parsed.has("message") ? parsed.get("message").asText() : parsed.toString();
            } else {
                output = parsed;
            }
        }
        List<String> tags = new ArrayList<>();
        json.path("tags").forEach(tag -> tags.add(tag.asText()));
        return new WaitpointToken(
                Json.text(json, "id"),
                Json.text(json, "url"),
                status(Json.text(json, "status")),
                Json.instant(json.get("completedAt")),
                Json.instant(json.get("timeoutAt")),
                Json.text(json, "idempotencyKey"),
                Json.instant(json.get("idempotencyKeyExpiresAt")),
                tags,
                Json.instant(json.get("createdAt")),
                output,
                error);
    }

    static WaitpointTokenPage page(JsonNode json) {
        List<WaitpointToken> tokens = new ArrayList<>();
        json.path("data").forEach(item -> tokens.add(token(item)));
        JsonNode pagination = json.path("pagination");
        return new WaitpointTokenPage(tokens, Json.text(pagination, "next"), Json.text(pagination, "previous"));
    }

    /** The query string of a list ({@code ?filter[…]=…&page[…]=…}), or "" without any. */
    static String query(WaitpointTokenQuery query) {
        List<String> parameters = new ArrayList<>();
        if (query != null) {
            if (query.statuses() != null && !query.statuses().isEmpty()) {
                add(
                        parameters,
                        "filter[status]",
                        query.statuses().stream().map(Enum::name).sorted().collect(Collectors.joining(",")));
            }
            add(parameters, "filter[idempotencyKey]", query.idempotencyKey());
            if (query.tags() != null && !query.tags().isEmpty()) {
                add(parameters, "filter[tags]", String.join(",", query.tags()));
            }
            if (query.period() != null) {
                add(
                        parameters,
                        "filter[createdAt][period]",
                        Math.max(1, query.period().toSeconds()) + "s");
            }
            if (query.from() != null) {
                add(
                        parameters,
                        "filter[createdAt][from]",
                        String.valueOf(query.from().toEpochMilli()));
            }
            if (query.to() != null) {
                add(
                        parameters,
                        "filter[createdAt][to]",
                        String.valueOf(query.to().toEpochMilli()));
            }
            if (query.pageSize() != null) {
                add(parameters, "page[size]", String.valueOf(query.pageSize()));
            }
            add(parameters, "page[after]", query.after());
            add(parameters, "page[before]", query.before());
        }
        return parameters.isEmpty() ? "" : "?" + String.join("&", parameters);
    }

    private static void add(List<String> parameters, String name, String value) {
        if (value != null) {
            parameters.add(encode(name) + "=" + encode(value));
        }
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static WaitpointTokenStatus status(String name) {
        if (name == null) {
            return null;
        }
        try {
            return WaitpointTokenStatus.valueOf(name);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
