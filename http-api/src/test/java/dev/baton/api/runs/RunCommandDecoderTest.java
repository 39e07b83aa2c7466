package dev.baton.api.runs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.baton.api.config.HttpSettings;
import dev.baton.api.errors.ApiException;
import dev.baton.api.json.Json;
import dev.baton.engine.run.MetadataOperation;
import dev.baton.engine.run.MetadataOperation.Type;
import dev.baton.engine.run.ReplayOverrides;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RunCommandDecoderTest {

    private static final Instant NOW = Instant.parse("2025-06-01T12:00:00Z");
    private final RunCommandDecoder decoder =
            new RunCommandDecoder(HttpSettings.fromConfig(ConfigFactory.load()), Clock.fixed(NOW, ZoneOffset.UTC));

    private static ApiException rejected(org.junit.jupiter.api.function.Executable call) {
        return assertThrows(ApiException.class, call);
    }

    // ---------------------------------------------------------------- replay

    @Test
    void replayWithoutABodyChangesNothing() throws Exception {
        assertSame(ReplayOverrides.NONE, decoder.replay(null));
        assertEquals(ReplayOverrides.NONE, decoder.replay(Json.parse("{}")));
        assertEquals(ReplayOverrides.NONE, decoder.replay(Json.parse("{\"unknownKey\":true}")));
    }

    @Test
    void replayRefusesWhatAReplayCannotHonourByName() {
        for (String option : List.of("machine", "region", "version", "idempotencyKey", "idempotencyKeyTTL")) {
            ApiException refused = rejected(() -> decoder.replay(Json.parse("{\"" + option + "\":\"x\"}")));
            assertEquals(400, refused.status().intValue());
            assertTrue(
                    refused.getMessage().startsWith(option + " is not supported on a replay: "), refused.getMessage());
        }
    }

    @Test
    void replayOverrides() throws Exception {
        ReplayOverrides overrides = decoder.replay(Json.parse("""
        {"payload":"{\\"json\\":{\\"x\\":1}}","payloadType":"application/super+json","tags":["replayed","replayed"],
         "metadata":{"m":1},"queue":{"name":"other"},"concurrencyKey":7,"delay":"1m","ttl":"1h","maxAttempts":5,
         "maxDuration":2,"priority":3}"""));
        assertEquals(
                new ReplayOverrides(
                        "{\"x\":1}",
                        List.of("replayed"),
                        "{\"m\":1}",
                        "other",
                        "7",
                        NOW.plusSeconds(60),
                        Duration.ofHours(1),
                        5,
                        5,
                        3000L),
                overrides);
        assertEquals("[1,2]", decoder.replay(Json.parse("{\"payload\":[1,2]}")).payloadJson());
        assertEquals(List.of(), decoder.replay(Json.parse("{\"tags\":[]}")).tags(), "an empty list clears the tags");
        assertNull(decoder.replay(Json.parse("{\"tags\":null}")).tags(), "null keeps them");
    }

    @Test
    void replayValidatesLikeTrigger() {
        assertEquals(
                400, rejected(() -> decoder.replay(Json.parse("[]"))).status().intValue());
        assertEquals(
                422,
                rejected(() -> decoder.replay(Json.parse("{\"delay\":\"later\"}")))
                        .status()
                        .intValue());
        assertEquals(
                422,
                rejected(() -> decoder.replay(Json.parse("{\"ttl\":\"forever\"}")))
                        .status()
                        .intValue());
        assertEquals(
                "maxAttempts must be an integer of at least 1",
                rejected(() -> decoder.replay(Json.parse("{\"maxAttempts\":0}")))
                        .getMessage());
        assertEquals(
                400,
                rejected(() -> decoder.replay(Json.parse("{\"payload\":\"{nope\"}")))
                        .status()
                        .intValue());
        assertEquals(
                "tags[0] must be a string",
                rejected(() -> decoder.replay(Json.parse("{\"tags\":[1]}"))).getMessage());
    }

    // ---------------------------------------------------------------- reschedule

    @Test
    void rescheduleNeedsADelay() throws Exception {
        assertEquals(NOW.plusSeconds(3600), decoder.reschedule(Json.parse("{\"delay\":\"1h\"}")));
        assertEquals(
                Instant.parse("2025-06-03T00:00:00Z"),
                decoder.reschedule(Json.parse("{\"delay\":\"2025-06-03T00:00:00Z\"}")));
        assertEquals(NOW, decoder.reschedule(Json.parse("{\"delay\":\"2020-01-01T00:00:00Z\"}")), "a past date: now");
        assertEquals(
                "delay is required",
                rejected(() -> decoder.reschedule(Json.parse("{}"))).getMessage());
        assertEquals(
                422,
                rejected(() -> decoder.reschedule(Json.parse("{\"delay\":\"later\"}")))
                        .status()
                        .intValue());
        assertEquals(
                400,
                rejected(() -> decoder.reschedule(Json.parse("{\"delay\":5}")))
                        .status()
                        .intValue());
    }

    // ---------------------------------------------------------------- tags

    @Test
    void tags() throws Exception {
        assertEquals(List.of("a"), decoder.tags(Json.parse("{\"tags\":\"a\"}")));
        assertEquals(List.of("a", "b"), decoder.tags(Json.parse("{\"tags\":[\"a\",\"b\",\"a\",\" \"]}")));
        assertEquals(
                "tags is required",
                rejected(() -> decoder.tags(Json.parse("{}"))).getMessage());
        assertEquals(
                400,
                rejected(() -> decoder.tags(Json.parse("{\"tags\":[\"" + "x".repeat(129) + "\"]}")))
                        .status()
                        .intValue());
        assertEquals(
                422,
                rejected(() -> decoder.tags(Json.parse(
                                "{\"tags\":[\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\",\"8\",\"9\",\"10\",\"11\"]}")))
                        .status()
                        .intValue());
    }

    // ---------------------------------------------------------------- metadata

    @Test
    void metadataObjectReplacesThenOperationsApply() throws Exception {
        List<MetadataOperation> operations = decoder.metadata(Json.parse("""
        {"metadata":{"a":1},"operations":[
          {"type":"update","value":{"b":2}},
          {"type":"set","key":"c","value":[1]},
          {"type":"delete","key":"a"},
          {"type":"append","key":"$.list.items","value":"x"},
          {"type":"remove","key":"list","value":null},
          {"type":"increment","key":"n","value":-2.5}],
         "parentOperations":[{"type":"whatever"}],"rootOperations":"ignored"}"""));
        assertEquals(
                List.of(
                        new MetadataOperation(Type.UPDATE, null, "{\"a\":1}"),
                        new MetadataOperation(Type.UPDATE, null, "{\"b\":2}"),
                        new MetadataOperation(Type.SET, "c", "[1]"),
                        new MetadataOperation(Type.DELETE, "a", null),
                        new MetadataOperation(Type.APPEND, "$.list.items", "\"x\""),
                        new MetadataOperation(Type.REMOVE, "list", "null"),
                        new MetadataOperation(Type.INCREMENT, "n", "-2.5")),
                operations);
        assertEquals(List.of(), decoder.metadata(Json.parse("{}")));
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "{\"metadata\":[1]}                                          | metadata must be a JSON object",
                "{\"operations\":{}}                                         | operations must be an array",
                "{\"operations\":[1]}                                        | operations[0] must be an object",
                "{\"operations\":[{}]}                                       | operations[0].type is required",
                "{\"operations\":[{\"type\":\"merge\"}]}                     | operations[0].type must be one of "
                        + "update, set, delete, append, remove, increment",
                "{\"operations\":[{\"type\":\"SET\",\"key\":\"a\",\"value\":1}]} | operations[0].type must be one of "
                        + "update, set, delete, append, remove, increment",
                "{\"operations\":[{\"type\":\"set\",\"value\":1}]}           | operations[0].key is required",
                "{\"operations\":[{\"type\":\"set\",\"key\":\"a\"}]}         | operations[0].value is required",
                "{\"operations\":[{\"type\":\"update\",\"value\":1}]}        | operations[0].value must be a JSON "
                        + "object",
                "{\"operations\":[{\"type\":\"increment\",\"key\":\"n\",\"value\":\"1\"}]} | operations[0].value "
                        + "must be a number",
                "{\"operations\":[{\"type\":\"set\",\"key\":\"__proto__\",\"value\":1}]}  | operations[0]: invalid "
                        + "metadata key: __proto__",
                "{\"operations\":[{\"type\":\"set\",\"key\":\"$.a.constructor\",\"value\":1}]} | operations[0]: "
                        + "invalid metadata key: $.a.constructor",
                "{\"operations\":[{\"type\":\"delete\",\"key\":\"$.a..b\"}]}  | operations[0]: invalid metadata key: "
                        + "$.a..b",
            })
    void badOperationsAre400(String json, String message) {
        ApiException error = rejected(() -> decoder.metadata(Json.parse(json)));
        assertEquals(400, error.status().intValue());
        assertEquals(message, error.getMessage());
    }

    @Test
    void oversizedReplacementIs413() {
        String big = "{\"metadata\":{\"blob\":\"" + "x".repeat(256 * 1024) + "\"}}";
        assertEquals(
                413, rejected(() -> decoder.metadata(Json.parse(big))).status().intValue());
    }

    // ---------------------------------------------------------------- idempotency keys

    @Test
    void resetNeedsATaskIdentifier() throws Exception {
        assertEquals(
                "hello-world", decoder.resetTaskIdentifier("key", Json.parse("{\"taskIdentifier\":\"hello-world\"}")));
        assertEquals(
                "taskIdentifier is required",
                rejected(() -> decoder.resetTaskIdentifier("key", Json.parse("{}")))
                        .getMessage());
        assertEquals(
                "taskIdentifier must be a string",
                rejected(() -> decoder.resetTaskIdentifier("key", Json.parse("{\"taskIdentifier\":1}")))
                        .getMessage());
        assertEquals(
                400,
                rejected(() -> decoder.resetTaskIdentifier("k".repeat(2049), Json.parse("{\"taskIdentifier\":\"t\"}")))
                        .status()
                        .intValue());
    }

    @Test
    void requestKey() {
        assertNull(decoder.requestKey(null));
        assertNull(decoder.requestKey(" "));
        assertEquals("abc", decoder.requestKey("abc"));
        assertEquals(
                400,
                rejected(() -> decoder.requestKey("k".repeat(2049))).status().intValue());
    }
}
