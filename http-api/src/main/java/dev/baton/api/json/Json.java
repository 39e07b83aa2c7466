package dev.baton.api.json;

import akka.http.javadsl.model.ContentTypes;
import akka.http.javadsl.model.HttpHeader;
import akka.http.javadsl.model.HttpResponse;
import akka.http.javadsl.model.StatusCode;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.baton.engine.common.Durations;
import dev.baton.engine.common.JsonText;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;

/**
 * The API's one JSON mapper and the helpers around it. Wire records are written with nulls left out
 * (the Trigger.dev SDK rejects {@code null} for optional fields); numbers keep their exact decimal
 * form; dates are ISO-8601 strings. Every JSON the API reads goes through {@link #parse}, which refuses
 * arrays and objects nested deeper than {@link #MAX_DEPTH}, text that is not Unicode ({@link JsonText}) and
 * objects that name a key twice.
 */
public final class Json {

    /**
     * The deepest nesting of arrays and objects read. Jackson 2.13 reads any depth, but writing a tree back recurses
     * per level: 10,000 levels overflow the stack, and Akka stops the JVM on a StackOverflowError, so one request
     * could take the node down.
     */
    public static final int MAX_DEPTH = JsonText.MAX_DEPTH;

    private static final ObjectMapper MAPPER = new ObjectMapper()
            .registerModule(new JavaTimeModule())
            .registerModule(new SimpleModule("baton-instants")
                    .addSerializer(Instant.class, new MillisInstantSerializer())
                    .addSerializer(Duration.class, new ShortDurationSerializer()))
            .setSerializationInclusion(JsonInclude.Include.NON_NULL)
            .setNodeFactory(JsonNodeFactory.withExactBigDecimals(true))
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            // {"delay":"1h","delay":"2d"} says two things; which one wins is up to each reader, so none does.
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);

    private Json() {}

    public static ObjectMapper mapper() {
        return MAPPER;
    }

    /**
     * Parses JSON text; fails with the parser's own message (no source excerpt) on malformed input, and on
     * what {@link JsonText} refuses.
     */
    public static JsonNode parse(String text) throws JsonProcessingException {
        JsonText.check(text);
        JsonNode node = MAPPER.readTree(text);
        if (node == null || node.isMissingNode()) throw new EmptyJsonException();
        return node;
    }

    /** Like {@link #parse(String)}, from UTF-8 bytes. */
    public static JsonNode parse(byte[] bytes) throws IOException {
        JsonText.check(bytes);
        JsonNode node = MAPPER.readTree(bytes);
        if (node == null || node.isMissingNode()) throw new EmptyJsonException();
        return node;
    }

    /**
     * Reads JSON text the engine stored (payload, output, metadata). Null for none or for a JSON
     * {@code null}; text that is not JSON (never written by Baton) comes back as a string rather than failing.
     */
    public static JsonNode readStored(String json) {
        if (json == null) return null;
        try {
            JsonNode node = parse(json);
            return node.isNull() ? null : node;
        } catch (IOException e) {
            return MAPPER.getNodeFactory().textNode(json);
        }
    }

    public static String write(JsonNode node) {
        try {
            return MAPPER.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static byte[] bytes(Object value) {
        try {
            return MAPPER.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** ISO-8601 with millisecond precision, what JavaScript's {@code Date} parses; null stays null. */
    public static String timestamp(Instant instant) {
        return instant == null ? null : instant.truncatedTo(ChronoUnit.MILLIS).toString();
    }

    public static HttpResponse response(StatusCode status, Object body) {
        return response(status, body, List.of());
    }

    public static HttpResponse response(StatusCode status, Object body, List<HttpHeader> headers) {
        return HttpResponse.create()
                .withStatus(status)
                .addHeaders(headers)
                .withEntity(ContentTypes.APPLICATION_JSON, bytes(body));
    }

    /** Instants inside engine events are written like {@link #timestamp(Instant)}: ISO-8601, milliseconds. */
    private static final class MillisInstantSerializer extends StdSerializer<Instant> {
        MillisInstantSerializer() {
            super(Instant.class);
        }

        @Override
        public void serialize(Instant value, JsonGenerator generator, SerializerProvider provider) throws IOException {
            generator.writeString(timestamp(value));
        }
    }

    /** Durations inside engine events (a run's ttl) are written as on retrieve: {@code "1h"}, {@code "90s"}. */
    private static final class ShortDurationSerializer extends StdSerializer<Duration> {
        ShortDurationSerializer() {
            super(Duration.class);
        }

        @Override
        public void serialize(Duration value, JsonGenerator generator, SerializerProvider provider) throws IOException {
            generator.writeString(Durations.format(value));
        }
    }

    /** A body that holds no JSON value at all (empty or whitespace). */
    public static final class EmptyJsonException extends JsonProcessingException {
        EmptyJsonException() {
            super("no JSON value (empty input)");
        }
    }
}
