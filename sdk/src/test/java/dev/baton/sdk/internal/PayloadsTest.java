package dev.baton.sdk.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import dev.baton.sdk.internal.json.Json;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PayloadsTest {

    record Order(String id, int quantity, Instant placedAt) {}

    private static JsonNode json(String text) throws Exception {
        return Json.mapper().readTree(text);
    }

    @Test
    void decodesRecordsIgnoringUnknownFields() throws Exception {
        Order order = Payloads.decode(
                json("{\"id\":\"o-1\",\"quantity\":3,\"placedAt\":\"2026-01-02T03:04:05Z\",\"extra\":true}"),
                Order.class);
        assertEquals(new Order("o-1", 3, Instant.parse("2026-01-02T03:04:05Z")), order);
    }

    @Test
    void jsonNodeGetsTheRawJsonAndNullNodeWhenAbsent() throws Exception {
        JsonNode payload = json("[1,2]");
        assertEquals(payload, Payloads.decode(payload, JsonNode.class));
        assertEquals(NullNode.getInstance(), Payloads.decode(null, JsonNode.class));
    }

    @Test
    void voidIgnoresThePayload() throws Exception {
        assertNull(Payloads.decode(json("{\"a\":1}"), Void.class));
    }

    @Test
    void objectGetsMapsAndLists() throws Exception {
        Object decoded = Payloads.decode(json("{\"a\":[1,\"x\"]}"), Object.class);
        assertEquals(Map.of("a", List.of(1, "x")), decoded);
    }

    @Test
    void absentPayloadIsNull() {
        assertNull(Payloads.decode(null, Order.class));
        assertNull(Payloads.decode(NullNode.getInstance(), Order.class));
    }

    @Test
    void mismatchedJsonIsADecodingFailure() throws Exception {
        PayloadDecodingException e = assertThrows(
                PayloadDecodingException.class, () -> Payloads.decode(json("{\"quantity\":\"lots\"}"), Order.class));
        assertTrue(e.getMessage().startsWith("payload cannot be decoded as Order"), e.getMessage());
        assertThrows(PayloadDecodingException.class, () -> Payloads.decode(json("[1]"), Order.class));
    }
}
