package dev.baton.engine.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.baton.engine.run.TriggerOptions.Fallback;
import dev.baton.engine.run.TriggerOptions.InvalidOptionException;
import dev.baton.engine.run.TriggerOptions.Limits;
import dev.baton.engine.run.TriggerOptions.Refusal;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Each option's rule, as the HTTP API and the worker protocol both apply it: a value taken, and a value refused
 * with a message that names the option and the refusal Trigger.dev gives it.
 */
class TriggerOptionsTest {

    /** Reads numbers exactly, as the HTTP API does ({@code 1.50} keeps its scale). */
    private static final ObjectMapper MAPPER = new ObjectMapper()
            .setNodeFactory(JsonNodeFactory.withExactBigDecimals(true))
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);
    /** Reads numbers as doubles, as the worker protocol does ({@code 1e400} is infinity). */
    private static final ObjectMapper DOUBLES = new ObjectMapper();

    private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");
    private static final Limits SMALL = new Limits(20, 2, 5, 8, 6, Duration.ofDays(1), Duration.ofHours(1));

    private final TriggerOptions options = new TriggerOptions(SMALL, Clock.fixed(NOW, ZoneOffset.UTC));

    @Test
    void optionsMustBeAnObject() {
        assertNull(TriggerOptions.optionsObject(null));
        assertNull(TriggerOptions.optionsObject(json("null")));
        assertEquals(json("{}"), TriggerOptions.optionsObject(json("{}")));
        assertRefused(
                Refusal.MALFORMED, "options must be a JSON object", () -> TriggerOptions.optionsObject(json("[]")));
    }

    @Test
    void tags() {
        assertEquals(List.of("a"), options.tags(json("\"a\""), "options.tags"));
        assertEquals(List.of("a", "b"), options.tags(json("[\"a\",\"b\",\"a\"]"), "options.tags"));
        assertEquals(List.of(), options.tags(json("null"), "options.tags"));
        assertRefused(
                Refusal.MALFORMED,
                "options.tags must be a string or an array of strings",
                () -> options.tags(json("7"), "options.tags"));
        assertRefused(
                Refusal.MALFORMED,
                "options.tags[1] must be a string",
                () -> options.tags(json("[\"a\",1]"), "options.tags"));
        assertRefused(
                Refusal.MALFORMED,
                "options.tags[0] must be at most 5 characters",
                () -> options.tags(json("[\"abcdef\"]"), "options.tags"));
        assertRefused(
                Refusal.UNPROCESSABLE,
                "Runs can have at most 2 tags, got 3",
                () -> options.tags(json("[\"a\",\"b\",\"c\"]"), "options.tags"));
    }

    @Test
    void metadata() {
        assertEquals("{\"k\":1}", options.metadata(json("{\"k\":1}"), "options.metadata"));
        assertNull(options.metadata(json("null"), "options.metadata"));
        assertRefused(
                Refusal.MALFORMED,
                "options.metadata must be a JSON object",
                () -> options.metadata(json("[1]"), "options.metadata"));
        assertRefused(
                Refusal.TOO_LARGE,
                "options.metadata is too large: 22 bytes, the limit is 20 bytes",
                () -> options.metadata(json("{\"k\":\"0123456789abcd\"}"), "options.metadata"));
    }

    @Test
    void queue() {
        assertEquals("q", options.queue(json("\"q\""), "options.queue"));
        assertEquals("q", options.queue(json("{\"name\":\"q\"}"), "options.queue"));
        assertRefused(
                Refusal.MALFORMED,
                "options.queue must be an object {name} or a string",
                () -> options.queue(json("5"), "options.queue"));
        assertRefused(
                Refusal.MALFORMED, "options.queue.name is required", () -> options.queue(json("{}"), "options.queue"));
        assertRefused(
                Refusal.MALFORMED,
                "options.queue.name must be a string",
                () -> options.queue(json("{\"name\":1}"), "options.queue"));
        assertRefused(
                Refusal.MALFORMED,
                "options.queue must not be empty",
                () -> options.queue(json("\" \""), "options.queue"));
        assertRefused(
                Refusal.MALFORMED,
                "options.queue.name must be at most 128 characters",
                () -> options.queue(json("{\"name\":\"" + "q".repeat(129) + "\"}"), "options.queue"));
    }

    @Test
    void concurrencyKey() throws Exception {
        assertEquals("u1", options.concurrencyKey(json("\"u1\""), "options.concurrencyKey"));
        assertEquals("42", options.concurrencyKey(json("42"), "options.concurrencyKey"));
        assertEquals("1.5", options.concurrencyKey(json("1.50"), "options.concurrencyKey"));
        assertNull(options.concurrencyKey(json("\"\""), "options.concurrencyKey"));
        assertRefused(
                Refusal.MALFORMED,
                "options.concurrencyKey must be a string or a number",
                () -> options.concurrencyKey(json("true"), "options.concurrencyKey"));
        assertRefused(
                Refusal.MALFORMED,
                "options.concurrencyKey must be at most 6 characters",
                () -> options.concurrencyKey(json("\"abcdefg\""), "options.concurrencyKey"));
        for (String tooLong : List.of("1234567", "1e7")) {
            assertRefused(
                    Refusal.MALFORMED,
                    "options.concurrencyKey must be at most 6 characters",
                    () -> options.concurrencyKey(json(tooLong), "options.concurrencyKey"));
        }
        assertRefused(
                Refusal.MALFORMED,
                "options.concurrencyKey must be a finite number",
                () -> options.concurrencyKey(DOUBLES.readTree("1e400"), "options.concurrencyKey"));
    }

    @Test
    void priority() {
        assertEquals(1500L, options.priorityMs(json("1.5"), "options.priority"));
        assertNull(options.priorityMs(json("null"), "options.priority"));
        assertRefused(
                Refusal.MALFORMED,
                "options.priority must be a number of seconds between 0 and 2147483647",
                () -> options.priorityMs(json("-1"), "options.priority"));
        assertRefused(
                Refusal.MALFORMED,
                "options.priority must be a number of seconds between 0 and 2147483647",
                () -> options.priorityMs(json("\"10\""), "options.priority"));
    }

    @Test
    void maxAttempts() {
        assertEquals(3, options.maxAttempts(json("3"), "options.maxAttempts"));
        assertEquals(3, options.maxAttempts(json("3.0"), "options.maxAttempts"));
        for (String refused : List.of("0", "1.5", "\"3\"", "3000000000")) {
            assertRefused(
                    Refusal.MALFORMED,
                    "options.maxAttempts must be an integer of at least 1",
                    () -> options.maxAttempts(json(refused), "options.maxAttempts"));
        }
    }

    @Test
    void maxDurationIsClampedLikeTriggerDev() {
        assertEquals(60, options.maxDurationSeconds(json("60"), "options.maxDuration"));
        assertEquals(5, options.maxDurationSeconds(json("1"), "options.maxDuration"));
        assertEquals(8, options.maxDurationSeconds(json("7.5"), "options.maxDuration"));
        assertEquals(Integer.MAX_VALUE, options.maxDurationSeconds(json("1e12"), "options.maxDuration"));
        assertRefused(
                Refusal.MALFORMED,
                "options.maxDuration must be a number of seconds",
                () -> options.maxDurationSeconds(json("\"60\""), "options.maxDuration"));
    }

    @Test
    void test() {
        assertTrue(options.test(json("true"), "options.test"));
        assertFalse(options.test(json("null"), "options.test"));
        assertRefused(
                Refusal.MALFORMED, "options.test must be a boolean", () -> options.test(json("1"), "options.test"));
    }

    @Test
    void delay() {
        assertEquals(NOW.plusSeconds(90), options.delayUntil(json("\"1m30s\""), "options.delay"));
        assertEquals(
                Instant.parse("2026-01-01T10:00:00Z"),
                options.delayUntil(json("\"2026-01-01T10:00:00Z\""), "options.delay"));
        assertNull(options.delayUntil(json("\"2025-01-01\""), "options.delay"), "a past date is no delay");
        assertRefused(
                Refusal.MALFORMED,
                "options.delay must be a duration string (\"30s\", \"1h30m\", \"2d\") or an ISO-8601 date",
                () -> options.delayUntil(json("30"), "options.delay"));
        assertRefused(
                Refusal.UNPROCESSABLE,
                "Invalid options.delay: \"soon\". Use a duration like \"30s\", \"1h30m\" or \"2d\", or an ISO-8601 "
                        + "date",
                () -> options.delayUntil(json("\"soon\""), "options.delay"));
        assertRefused(
                Refusal.UNPROCESSABLE,
                "Invalid options.delay: \"2d\" is more than 1d away",
                () -> options.delayUntil(json("\"2d\""), "options.delay"));
    }

    @Test
    void ttl() {
        assertEquals(Duration.ofMinutes(10), options.ttl(json("\"10m\""), "options.ttl"));
        assertEquals(Duration.ofSeconds(30), options.ttl(json("30"), "options.ttl"));
        assertNull(options.ttl(json("0"), "options.ttl"), "zero is no TTL");
        assertRefused(
                Refusal.MALFORMED,
                "options.ttl must be a duration string or a number of seconds",
                () -> options.ttl(json("true"), "options.ttl"));
        assertRefused(
                Refusal.UNPROCESSABLE,
                "Invalid options.ttl: 1.5. Use whole seconds or a duration like \"10m\"",
                () -> options.ttl(json("1.5"), "options.ttl"));
        assertRefused(
                Refusal.UNPROCESSABLE,
                "Invalid options.ttl: \"later\". Use a duration like \"30s\", \"10m\" or \"1h\", or whole seconds",
                () -> options.ttl(json("\"later\""), "options.ttl"));
        assertRefused(
                Refusal.UNPROCESSABLE,
                "Invalid options.ttl: \"2h\" is longer than 1h",
                () -> options.ttl(json("\"2h\""), "options.ttl"));
        assertRefused(
                Refusal.UNPROCESSABLE,
                "Invalid options.ttl: 3601 is longer than 1h",
                () -> options.ttl(json("3601"), "options.ttl"));
    }

    @Test
    void idempotencyKeyAndItsTtl() {
        assertEquals("key-1", options.idempotencyKey("key-1", "options.idempotencyKey"));
        assertRefused(
                Refusal.MALFORMED,
                "options.idempotencyKey must be at most 8 characters",
                () -> options.idempotencyKey("123456789", "options.idempotencyKey"));
        assertEquals(Duration.ofHours(1), options.idempotencyKeyTtl("1h", "options.idempotencyKeyTTL"));
        assertRefused(
                Refusal.UNPROCESSABLE,
                "Invalid options.idempotencyKeyTTL: \"1w\". Use a number and a unit s, m, h or d, like \"1h\" or "
                        + "\"30d\"",
                () -> options.idempotencyKeyTtl("1w", "options.idempotencyKeyTTL"));
    }

    @Test
    void decodesAWholeOptionsObject() {
        JsonNode given = json("""
        {"queue":{"name":"q"},"concurrencyKey":"u1","tags":["a"],"metadata":{"k":1},"maxAttempts":2,
         "idempotencyKey":"k1","idempotencyKeyTTL":"1h","delay":"30s","ttl":"10m","maxDuration":60,
         "priority":2,"test":true,"machine":"large-1x"}""");
        TriggerRequest decoded = options.decode(
                        given, TriggerRequest.builder("t").payload("{}", "application/json"))
                .build();
        assertEquals(
                TriggerRequest.builder("t")
                        .payload("{}", "application/json")
                        .queue("q")
                        .concurrencyKey("u1")
                        .tags(List.of("a"))
                        .metadata("{\"k\":1}")
                        .maxAttempts(2)
                        .idempotencyKey("k1", Duration.ofHours(1))
                        .delayUntil(NOW.plusSeconds(30))
                        .ttl(Duration.ofMinutes(10))
                        .maxDurationSeconds(60)
                        .priorityMs(2000)
                        .test(true)
                        .build(),
                decoded);
        assertEquals(
                TriggerRequest.builder("t").build(),
                options.decode(null, TriggerRequest.builder("t")).build());
    }

    @Test
    void fallsBackToKeysGivenOutsideTheOptions() {
        Fallback key = new Fallback("h-key", "idempotency-key header");
        Fallback keyTtl = new Fallback("2h", "idempotency-key-ttl header");
        TriggerRequest fromHeaders = options.decode(json("{}"), TriggerRequest.builder("t"), key, keyTtl)
                .build();
        assertEquals("h-key", fromHeaders.idempotencyKey());
        assertEquals(Duration.ofHours(2), fromHeaders.idempotencyKeyTtl());
        TriggerRequest fromBody = options.decode(
                        json("{\"idempotencyKey\":\"b-key\",\"idempotencyKeyTTL\":\"1h\"}"),
                        TriggerRequest.builder("t"),
                        key,
                        keyTtl)
                .build();
        assertEquals("b-key", fromBody.idempotencyKey());
        assertEquals(Duration.ofHours(1), fromBody.idempotencyKeyTtl());
        assertRefused(
                Refusal.MALFORMED,
                "idempotency-key header must be at most 8 characters",
                () -> options.decode(
                        json("{}"), TriggerRequest.builder("t"), new Fallback("123456789", key.field()), keyTtl));
        assertRefused(
                Refusal.UNPROCESSABLE,
                "Invalid idempotency-key-ttl header: \"x\". Use a number and a unit s, m, h"
                        + " or d, like \"1h\" or \"30d\"",
                () -> options.decode(json("{}"), TriggerRequest.builder("t"), key, new Fallback("x", keyTtl.field())));
        assertNull(
                options.decode(json("{\"idempotencyKeyTTL\":\"1h\"}"), TriggerRequest.builder("t"))
                        .build()
                        .idempotencyKeyTtl(),
                "a TTL without a key means nothing");
    }

    @Test
    void refusesTheFirstBadOptionInAFixedOrder() {
        assertRefused(
                Refusal.MALFORMED,
                "options.maxAttempts must be an integer of at least 1",
                () -> options.decode(
                        json("{\"maxDuration\":\"x\",\"maxAttempts\":0,\"tags\":7}"), TriggerRequest.builder("t")));
        assertRefused(
                Refusal.MALFORMED,
                "options.tags must be a string or an array of strings",
                () -> options.decode(json("{\"maxDuration\":\"x\",\"tags\":7}"), TriggerRequest.builder("t")));
    }

    @Test
    void debounce() {
        String f = "options.debounce";
        assertNull(options.debounce(json("null"), f));
        assertEquals(
                new Debounce("k", Duration.ofSeconds(5), Debounce.Mode.LEADING, null),
                options.debounce(json("{\"key\":\"k\",\"delay\":\"5s\"}"), f));
        assertEquals(
                new Debounce("k", Duration.ofMinutes(1), Debounce.Mode.TRAILING, Duration.ofMinutes(10)),
                options.debounce(
                        json("{\"key\":\"k\",\"delay\":\"1m\",\"mode\":\"trailing\",\"maxDelay\":\"10m\"}"), f));
        assertRefused(
                Refusal.MALFORMED,
                "options.debounce must be an object {key, delay, mode?, maxDelay?}",
                () -> options.debounce(json("\"k\""), f));
        assertRefused(
                Refusal.MALFORMED,
                "options.debounce.key is required",
                () -> options.debounce(json("{\"key\":\"\",\"delay\":\"5s\"}"), f));
        assertRefused(
                Refusal.MALFORMED,
                "options.debounce.key must be at most 512 characters",
                () -> options.debounce(json("{\"key\":\"" + "k".repeat(513) + "\",\"delay\":\"5s\"}"), f));
        assertRefused(
                Refusal.MALFORMED,
                "options.debounce.delay is required",
                () -> options.debounce(json("{\"key\":\"k\"}"), f));
        assertRefused(
                Refusal.UNPROCESSABLE,
                "Invalid options.debounce.delay: \"soon\". Use a duration like \"30s\", \"5m\" or \"1h30m\" (not a date)",
                () -> options.debounce(json("{\"key\":\"k\",\"delay\":\"soon\"}"), f));
        assertRefused(
                Refusal.UNPROCESSABLE,
                "Invalid options.debounce.delay: \"500ms\" is less than 1s",
                () -> options.debounce(json("{\"key\":\"k\",\"delay\":\"500ms\"}"), f));
        assertRefused(
                Refusal.UNPROCESSABLE,
                "Invalid options.debounce.delay: \"2d\" is longer than 1d",
                () -> options.debounce(json("{\"key\":\"k\",\"delay\":\"2d\"}"), f));
        assertRefused(
                Refusal.MALFORMED,
                "options.debounce.mode must be \"leading\" or \"trailing\"",
                () -> options.debounce(json("{\"key\":\"k\",\"delay\":\"5s\",\"mode\":\"last\"}"), f));
        assertRefused(
                Refusal.UNPROCESSABLE,
                "options.debounce.maxDelay (5s) must be longer than options.debounce.delay (5s)",
                () -> options.debounce(json("{\"key\":\"k\",\"delay\":\"5s\",\"maxDelay\":\"5s\"}"), f));
        assertRefused(
                Refusal.UNPROCESSABLE,
                "Invalid options.debounce.maxDelay: \"2026-01-02\". Use a duration like \"30s\", \"5m\" or \"1h30m\" (not a date)",
                () -> options.debounce(json("{\"key\":\"k\",\"delay\":\"5s\",\"maxDelay\":\"2026-01-02\"}"), f));
    }

    private static void assertRefused(Refusal refusal, String message, Executable decoding) {
        InvalidOptionException refused = assertThrows(InvalidOptionException.class, decoding);
        assertEquals(message, refused.getMessage());
        assertEquals(refusal, refused.refusal(), message);
    }

    private static JsonNode json(String text) {
        try {
            return MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(e);
        }
    }
}
