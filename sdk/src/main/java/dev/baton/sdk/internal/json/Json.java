package dev.baton.sdk.internal.json;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;

/** The one Jackson mapper of the SDK, configured for wire tolerance. */
public final class Json {

    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .addModule(new JavaTimeModule())
            // ISO-8601 strings, as the server writes them, rather than epoch numbers
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            // a task returning an empty record should complete with {}, not fail
            .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
            // both sides must ignore fields they do not know (protocol rule; also lets the server grow)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    private Json() {}

    public static ObjectMapper mapper() {
        return MAPPER;
    }

    /** Reads an ISO-8601 timestamp (or epoch milliseconds); null when absent or unreadable. */
    public static Instant instant(JsonNode node) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            return null;
        }
        if (node.isNumber()) {
            return Instant.ofEpochMilli(node.asLong());
        }
        try {
            return Instant.parse(node.asText());
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    /** A text field, or null when absent or JSON null. */
    public static String text(JsonNode node, String field) {
        JsonNode value = node.path(field);
        return value.isNull() || value.isMissingNode() ? null : value.asText();
    }

    /** A JSON value, or null when absent or JSON null. */
    public static JsonNode valueOrNull(JsonNode node, String field) {
        JsonNode value = node.path(field);
        return value.isNull() || value.isMissingNode() ? null : value;
    }

    /**
     * Decodes a JSON value into {@code type} (JSON null into null).
     *
     * @throws IllegalArgumentException naming {@code what} when the value does not fit the type
     */
    public static <T> T decode(JsonNode value, JavaType type, String what) {
        if (value == null || value.isNull() || value.isMissingNode()) {
            return null;
        }
        try {
            return MAPPER.readerFor(type).readValue(value);
        } catch (IOException e) {
            String reason = e instanceof JsonProcessingException jpe ? jpe.getOriginalMessage() : e.getMessage();
            String typeName =
                    type.containedTypeCount() == 0 ? type.getRawClass().getSimpleName() : type.toCanonical();
            throw new IllegalArgumentException(what + " cannot be read as " + typeName + ": " + reason, e);
        }
    }
}
