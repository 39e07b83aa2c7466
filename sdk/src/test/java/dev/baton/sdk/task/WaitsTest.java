package dev.baton.sdk.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.sdk.internal.json.Json;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The wire shapes of waits (moved here from WorkerMessagesTest with the builders). */
class WaitsTest {

    private static JsonNode json(String text) throws Exception {
        return Json.mapper().readTree(text);
    }

    @Test
    void waitsMatchTheProtocol() throws Exception {
        assertEquals(
                json("{\"type\":\"duration\",\"until\":\"2026-11-28T01:00:00Z\"}"),
                Waits.durationWait(java.time.Instant.parse("2026-11-28T01:00:00Z")));
        assertEquals(json("{\"type\":\"token\",\"tokenId\":\"waitpoint_1\"}"), Waits.tokenWait("waitpoint_1"));
        assertThrows(
                IllegalArgumentException.class,
                () -> Waits.runsWait(
                        true,
                        List.of(new ChildItem(
                                "t",
                                null,
                                ChildOptions.builder().metadata(List.of(1)).build()))));
    }
}
