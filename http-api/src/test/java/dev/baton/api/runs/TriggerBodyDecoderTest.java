package dev.baton.api.runs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.baton.api.config.HttpSettings;
import dev.baton.api.errors.ApiException;
import dev.baton.api.json.Json;
import dev.baton.engine.run.TriggerRequest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TriggerBodyDecoderTest {

    private static final Instant NOW = Instant.parse("2025-06-01T12:00:00Z");
    private final TriggerBodyDecoder decoder =
            new TriggerBodyDecoder(HttpSettings.fromConfig(ConfigFactory.load()), Clock.fixed(NOW, ZoneOffset.UTC));

    private TriggerRequest decode(String json) throws Exception {
        return decoder.decode("hello-world", Json.parse(json));
    }

    private ApiException rejected(String json) {
        return assertThrows(ApiException.class, () -> decode(json));
    }

    @Test
    void emptyBodyMeansNoPayloadAndDefaults() throws Exception {
        TriggerRequest body = decode("{}");
        assertNull(body.payloadJson());
        assertEquals("application/json", body.payloadType());
        assertEquals(List.of(), body.tags());
        assertNull(body.metadataJson());
        assertNull(body.idempotencyKey());
        assertNull(body.maxAttempts());
        assertFalse(body.test());
        assertNull(body.queue());
        assertNull(body.concurrencyKey());
        assertEquals(0, body.priorityMs());
        assertNull(body.delayUntil());
        assertNull(body.ttl());
        assertNull(body.maxDurationSeconds());
        assertNull(body.idempotencyKeyTtl());
    }

    @Test
    void triggerAndWaitNamesTheParentThatWaits() throws Exception {
        assertEquals(
                "run_x",
                TriggerBodyDecoder.parentToResume(
                        Json.parse("{\"options\":{\"parentRunId\":\"run_x\",\"resumeParentOnCompletion\":true}}")));
        // a parent without the resume is a plain trigger, as before
        assertNull(TriggerBodyDecoder.parentToResume(
                Json.parse("{\"options\":{\"parentRunId\":\"run_x\",\"resumeParentOnCompletion\":false}}")));
        ApiException orphan = assertThrows(
                ApiException.class,
                () -> TriggerBodyDecoder.parentToResume(
                        Json.parse("{\"options\":{\"resumeParentOnCompletion\":true}}")));
        assertEquals(400, orphan.status().intValue());
        assertTrue(orphan.getMessage().contains("options.parentRunId"), orphan.getMessage());
    }

    @Test
    void nonStringPayloadIsKeptAsIs() throws Exception {
        assertEquals(
                "{\"a\":[1,2.50,true]}",
                decode("{\"payload\":{\"a\":[1,2.50,true]}}").payloadJson());
        assertEquals("42", decode("{\"payload\":42}").payloadJson());
        assertNull(decode("{\"payload\":null}").payloadJson());
    }

    @Test
    void stringPayloadIsJsonTextByDefault() throws Exception {
        assertEquals("{\"a\":1}", decode("{\"payload\":\"{\\\"a\\\": 1}\"}").payloadJson());
        ApiException error = rejected("{\"payload\":\"not json\"}");
        assertEquals(400, error.status().intValue());
        assertTrue(error.getMessage().startsWith("payload is not valid JSON"), error.getMessage());
    }

    @Test
    void superJsonKeepsItsJsonPart() throws Exception {
        String superJson = "{\\\"json\\\":{\\\"when\\\":\\\"2024-01-01T00:00:00.000Z\\\",\\\"n\\\":1},"
                + "\\\"meta\\\":{\\\"values\\\":{\\\"when\\\":[\\\"Date\\\"]}}}";
        TriggerRequest body =
                decode("{\"payload\":\"" + superJson + "\",\"options\":{\"payloadType\":\"application/super+json\"}}");
        assertEquals("{\"when\":\"2024-01-01T00:00:00.000Z\",\"n\":1}", body.payloadJson());
        assertEquals("application/json", body.payloadType());
        // SuperJSON leaves `json` out for undefined.
        assertNull(decode("{\"payload\":\"{\\\"meta\\\":{\\\"values\\\":[\\\"undefined\\\"]}}\","
                        + "\"options\":{\"payloadType\":\"application/super+json\"}}")
                .payloadJson());
        assertEquals(
                400,
                rejected("{\"payload\":\"[1]\",\"options\":{\"payloadType\":\"application/super+json\"}}")
                        .status()
                        .intValue());
    }

    @Test
    void textPlainIsAJsonString() throws Exception {
        assertEquals(
                "\"hello \\\"world\\\"\"",
                decode("{\"payload\":\"hello \\\"world\\\"\",\"options\":{\"payloadType\":\"text/plain\"}}")
                        .payloadJson());
    }

    @Test
    void aStoredPayloadStaysThePacketPathUntilItIsResolved() throws Exception {
        TriggerRequest stored = decode(
                "{\"payload\":\"trigger/packet_1/payload.json\",\"options\":{\"payloadType\":\"application/store\"}}");
        assertEquals("application/store", stored.payloadType());
        assertEquals("trigger/packet_1/payload.json", stored.payloadJson());
        assertEquals(
                400,
                rejected("{\"payload\":{\"a\":1},\"options\":{\"payloadType\":\"application/store\"}}")
                        .status()
                        .intValue());
        assertEquals(
                400,
                rejected("{\"options\":{\"payloadType\":\"application/store\"}}")
                        .status()
                        .intValue());
    }

    @Test
    void otherPayloadTypesAreNotSupported() {
        ApiException error = rejected("{\"payload\":\"<a/>\",\"options\":{\"payloadType\":\"application/xml\"}}");
        assertEquals(400, error.status().intValue());
        assertEquals("payloadType application/xml is not supported", error.getMessage());
    }

    @Test
    void honouredOptions() throws Exception {
        TriggerRequest body = decode("""
        {"payload":{},"context":{"anything":true},"options":{"tags":"one","metadata":{"k":"v"},"maxAttempts":2,
         "idempotencyKey":"abc","test":true,"queue":{"name":"q"},"delay":"1h","ttl":3600,"priority":10,
         "concurrencyKey":"ck","maxDuration":60,"externalDeploymentId":"abc123","lockToVersion":"20240101.1",
         "idempotencyKeyTTL":"1d","idempotencyKeyOptions":{"key":"k","scope":"global"},"payloadSize":2,
         "somethingNew":[1,2,3]}}""");
        assertEquals(List.of("one"), body.tags());
        assertEquals("{\"k\":\"v\"}", body.metadataJson());
        assertEquals(2, body.maxAttempts());
        assertEquals("abc", body.idempotencyKey());
        assertTrue(body.test());
        assertEquals("q", body.queue());
        assertEquals(NOW.plusSeconds(3600), body.delayUntil());
        assertEquals(Duration.ofHours(1), body.ttl());
        assertEquals(10_000, body.priorityMs());
        assertEquals("ck", body.concurrencyKey());
        assertEquals(60, body.maxDurationSeconds());
        assertEquals(Duration.ofDays(1), body.idempotencyKeyTtl());
        assertEquals("20240101.1", body.lockToVersion());
    }

    @Test
    void optionsBatonCannotHonourAreRefusedByName() throws Exception {
        for (String option : List.of("\"machine\":\"small-1x\"", "\"region\":\"eu\"", "\"concurrency\":[\"openai\"]")) {
            ApiException error = rejected("{\"payload\":{},\"options\":{" + option + "}}");
            assertEquals(400, error.status().intValue(), option);
            String name = option.substring(1, option.indexOf('"', 1));
            assertTrue(error.getMessage().startsWith("options." + name + " is not supported"), error.getMessage());
        }
        // null means absent, as for every option
        assertEquals(List.of(), decode("{\"options\":{\"machine\":null}}").tags());
    }

    @Test
    void queueIsAnObjectOrAString() throws Exception {
        assertEquals(
                "emails",
                decode("{\"options\":{\"queue\":{\"name\":\"emails\",\"concurrencyLimit\":3}}}")
                        .queue());
        assertEquals("emails", decode("{\"options\":{\"queue\":\"emails\"}}").queue());
        assertEquals(
                "options.queue.name is required",
                rejected("{\"options\":{\"queue\":{}}}").getMessage());
        assertEquals(
                "options.queue.name must not be empty",
                rejected("{\"options\":{\"queue\":{\"name\":\" \"}}}").getMessage());
        assertEquals(
                "options.queue must be an object {name} or a string",
                rejected("{\"options\":{\"queue\":5}}").getMessage());
        assertEquals(
                400,
                rejected("{\"options\":{\"queue\":\"" + "q".repeat(129) + "\"}}")
                        .status()
                        .intValue());
    }

    @Test
    void concurrencyKeyIsAStringOrANumber() throws Exception {
        assertEquals(
                "tenant-1",
                decode("{\"options\":{\"concurrencyKey\":\"tenant-1\"}}").concurrencyKey());
        assertEquals("42", decode("{\"options\":{\"concurrencyKey\":42}}").concurrencyKey());
        assertEquals("1.5", decode("{\"options\":{\"concurrencyKey\":1.50}}").concurrencyKey());
        assertEquals(
                "12345678901234567890",
                decode("{\"options\":{\"concurrencyKey\":12345678901234567890}}")
                        .concurrencyKey());
        assertEquals(
                512,
                decode("{\"options\":{\"concurrencyKey\":\"" + "k".repeat(512) + "\"}}")
                        .concurrencyKey()
                        .length());
        assertEquals(
                "options.concurrencyKey must be at most 512 characters",
                rejected("{\"options\":{\"concurrencyKey\":\"" + "k".repeat(513) + "\"}}")
                        .getMessage());
        assertEquals("1000", decode("{\"options\":{\"concurrencyKey\":1e3}}").concurrencyKey());
        assertEquals(
                400,
                rejected("{\"options\":{\"concurrencyKey\":1e100000000}}")
                        .status()
                        .intValue());
        assertEquals(
                400,
                rejected("{\"options\":{\"concurrencyKey\":1e-100000000}}")
                        .status()
                        .intValue());
        assertEquals(
                "options.concurrencyKey must be a string or a number",
                rejected("{\"options\":{\"concurrencyKey\":true}}").getMessage());
    }

    @Test
    void priorityIsSecondsStoredAsMilliseconds() throws Exception {
        assertEquals(10_000, decode("{\"options\":{\"priority\":10}}").priorityMs());
        assertEquals(1_500, decode("{\"options\":{\"priority\":1.5}}").priorityMs());
        assertEquals(1, decode("{\"options\":{\"priority\":0.0005}}").priorityMs(), "round(0.5) = 1");
        assertEquals(0, decode("{\"options\":{\"priority\":0}}").priorityMs());
        assertEquals(400, rejected("{\"options\":{\"priority\":-1}}").status().intValue());
        assertEquals(
                400, rejected("{\"options\":{\"priority\":\"10\"}}").status().intValue());
        assertEquals(
                400, rejected("{\"options\":{\"priority\":1e300}}").status().intValue());
    }

    @Test
    void delayIsADurationOrADate() throws Exception {
        assertEquals(
                NOW.plusSeconds(30), decode("{\"options\":{\"delay\":\"30s\"}}").delayUntil());
        assertEquals(
                NOW.plusSeconds(5400),
                decode("{\"options\":{\"delay\":\"1h30m\"}}").delayUntil());
        assertEquals(
                NOW.plusMillis(500),
                decode("{\"options\":{\"delay\":\"500ms\"}}").delayUntil());
        assertEquals(
                NOW.plus(Duration.ofDays(2)),
                decode("{\"options\":{\"delay\":\"2d\"}}").delayUntil());
        assertEquals(
                Instant.parse("2025-07-01T08:00:00Z"),
                decode("{\"options\":{\"delay\":\"2025-07-01T08:00:00.000Z\"}}").delayUntil());
        assertNull(decode("{\"options\":{\"delay\":\"2020-01-01T00:00:00Z\"}}").delayUntil(), "past: no delay");
        ApiException invalid = rejected("{\"options\":{\"delay\":\"whenever\"}}");
        assertEquals(422, invalid.status().intValue());
        assertTrue(invalid.getMessage().startsWith("Invalid options.delay: \"whenever\""), invalid.getMessage());
        assertEquals(400, rejected("{\"options\":{\"delay\":30}}").status().intValue());
        assertEquals(
                422, rejected("{\"options\":{\"delay\":\"300d\"}}").status().intValue(), "beyond max-delay");
        assertEquals(
                NOW.plus(Duration.ofDays(240)),
                decode("{\"options\":{\"delay\":\"240d\"}}").delayUntil());
    }

    @Test
    void ttlIsADurationOrSeconds() throws Exception {
        assertEquals(
                Duration.ofMinutes(10),
                decode("{\"options\":{\"ttl\":\"10m\"}}").ttl());
        assertEquals(
                Duration.ofSeconds(90), decode("{\"options\":{\"ttl\":90}}").ttl());
        assertEquals(
                Duration.ofSeconds(1), decode("{\"options\":{\"ttl\":\"1s\"}}").ttl());
        assertNull(decode("{\"options\":{\"ttl\":0}}").ttl(), "zero: no TTL");
        assertEquals(
                422,
                rejected("{\"options\":{\"ttl\":\"ten minutes\"}}").status().intValue());
        assertEquals(422, rejected("{\"options\":{\"ttl\":-5}}").status().intValue());
        assertEquals(422, rejected("{\"options\":{\"ttl\":1.5}}").status().intValue());
        assertEquals(422, rejected("{\"options\":{\"ttl\":\"300d\"}}").status().intValue());
        assertEquals(
                422,
                rejected("{\"options\":{\"ttl\":99999999999999999999999}}")
                        .status()
                        .intValue());
        assertEquals(400, rejected("{\"options\":{\"ttl\":{}}}").status().intValue());
    }

    @Test
    void maxDurationIsClampedToFiveSeconds() throws Exception {
        assertEquals(5, decode("{\"options\":{\"maxDuration\":1}}").maxDurationSeconds());
        assertEquals(5, decode("{\"options\":{\"maxDuration\":-10}}").maxDurationSeconds());
        assertEquals(300, decode("{\"options\":{\"maxDuration\":300}}").maxDurationSeconds());
        assertEquals(8, decode("{\"options\":{\"maxDuration\":7.6}}").maxDurationSeconds());
        assertEquals(
                Integer.MAX_VALUE,
                decode("{\"options\":{\"maxDuration\":1e12}}").maxDurationSeconds());
        assertEquals(
                Integer.MAX_VALUE,
                decode("{\"options\":{\"maxDuration\":1e100000000}}").maxDurationSeconds());
        assertEquals(5, decode("{\"options\":{\"maxDuration\":1e-100000000}}").maxDurationSeconds());
        assertEquals(
                400,
                rejected("{\"options\":{\"priority\":1e100000000}}").status().intValue());
        assertEquals(0, decode("{\"options\":{\"priority\":1e-100000000}}").priorityMs());
        assertEquals(
                422, rejected("{\"options\":{\"ttl\":1e100000000}}").status().intValue());
        assertEquals(
                400,
                rejected("{\"options\":{\"concurrencyKey\":1e400}}").status().intValue());
        assertEquals(
                400, rejected("{\"options\":{\"maxDuration\":\"60\"}}").status().intValue());
    }

    @Test
    void idempotencyKeyTtl() throws Exception {
        assertEquals(
                Duration.ofHours(1),
                decode("{\"options\":{\"idempotencyKey\":\"k\",\"idempotencyKeyTTL\":\"1h\"}}")
                        .idempotencyKeyTtl());
        assertNull(decode("{\"options\":{\"idempotencyKeyTTL\":\"1h\"}}").idempotencyKeyTtl(), "no key: no TTL");
        ApiException invalid = rejected("{\"options\":{\"idempotencyKey\":\"k\",\"idempotencyKeyTTL\":\"1h30m\"}}");
        assertEquals(422, invalid.status().intValue());
        assertTrue(invalid.getMessage().startsWith("Invalid options.idempotencyKeyTTL"), invalid.getMessage());
    }

    @Test
    void idempotencyHeadersApplyWhenTheBodyHasNone() throws Exception {
        TriggerRequest fromHeaders = decoder.decode("hello-world", Json.parse("{}"), "header-key", "2h");
        assertEquals("header-key", fromHeaders.idempotencyKey());
        assertEquals(Duration.ofHours(2), fromHeaders.idempotencyKeyTtl());
        TriggerRequest bodyWins = decoder.decode(
                "hello-world",
                Json.parse("{\"options\":{\"idempotencyKey\":\"body-key\",\"idempotencyKeyTTL\":\"5m\"}}"),
                "header-key",
                "2h");
        assertEquals("body-key", bodyWins.idempotencyKey());
        assertEquals(Duration.ofMinutes(5), bodyWins.idempotencyKeyTtl());
        TriggerRequest mixed = decoder.decode(
                "hello-world", Json.parse("{\"options\":{\"idempotencyKey\":\"body-key\"}}"), null, "2h");
        assertEquals(Duration.ofHours(2), mixed.idempotencyKeyTtl());
        ApiException badHeader =
                assertThrows(ApiException.class, () -> decoder.decode("hello-world", Json.parse("{}"), "k", "soon"));
        assertEquals(422, badHeader.status().intValue());
        assertEquals(
                400,
                assertThrows(
                                ApiException.class,
                                () -> decoder.decode("hello-world", Json.parse("{}"), "k".repeat(2049), null))
                        .status()
                        .intValue());
    }

    @Test
    void tagsAreDedupedAndLimited() throws Exception {
        assertEquals(
                List.of("a", "b"),
                decode("{\"options\":{\"tags\":[\"a\",\"b\",\"a\"]}}").tags());
        String tenDistinct = "\"t0\",\"t1\",\"t2\",\"t3\",\"t4\",\"t5\",\"t6\",\"t7\",\"t8\",\"t9\"";
        assertEquals(
                10,
                decode("{\"options\":{\"tags\":[" + tenDistinct + ",\"t0\"]}}")
                        .tags()
                        .size());
        assertEquals(
                422,
                rejected("{\"options\":{\"tags\":[" + tenDistinct + ",\"t10\"]}}")
                        .status()
                        .intValue());
        assertEquals(
                400,
                rejected("{\"options\":{\"tags\":[\"" + "x".repeat(129) + "\"]}}")
                        .status()
                        .intValue());
        assertEquals(
                1,
                decode("{\"options\":{\"tags\":[\"" + "x".repeat(128) + "\"]}}")
                        .tags()
                        .size());
    }

    @Test
    void metadataOverTheLimitIs413() {
        String big = "x".repeat(256 * 1024);
        assertEquals(
                413,
                rejected("{\"options\":{\"metadata\":{\"blob\":\"" + big + "\"}}}")
                        .status()
                        .intValue());
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "[]                                             | The request body must be a JSON object",
                "{\"options\":\"x\"}                            | options must be a JSON object",
                "{\"options\":{\"maxAttempts\":\"3\"}}          | options.maxAttempts must be an integer of at least 1",
                "{\"options\":{\"maxAttempts\":0}}              | options.maxAttempts must be an integer of at least 1",
                "{\"options\":{\"maxAttempts\":1.5}}            | options.maxAttempts must be an integer of at least 1",
                "{\"options\":{\"tags\":5}}                     | options.tags must be a string or an array of strings",
                "{\"options\":{\"tags\":[\"a\",1]}}             | options.tags[1] must be a string",
                "{\"options\":{\"metadata\":\"x\"}}             | options.metadata must be a JSON object",
                "{\"options\":{\"metadata\":[1]}}               | options.metadata must be a JSON object",
                "{\"options\":{\"test\":\"yes\"}}               | options.test must be a boolean",
                "{\"options\":{\"idempotencyKey\":5}}           | options.idempotencyKey must be a string",
                "{\"options\":{\"payloadType\":1}}              | options.payloadType must be a string",
            })
    void wrongTypesAre400sNamingTheField(String json, String message) {
        ApiException error = rejected(json);
        assertEquals(400, error.status().intValue());
        assertEquals(message, error.getMessage());
    }

    @Test
    void maxAttemptsAcceptsIntegralNumbers() throws Exception {
        assertEquals(3, decode("{\"options\":{\"maxAttempts\":3.0}}").maxAttempts());
    }

    @Test
    void idempotencyKeyLengthIsLimited() throws Exception {
        assertEquals(
                2048,
                decode("{\"options\":{\"idempotencyKey\":\"" + "k".repeat(2048) + "\"}}")
                        .idempotencyKey()
                        .length());
        assertEquals(
                400,
                rejected("{\"options\":{\"idempotencyKey\":\"" + "k".repeat(2049) + "\"}}")
                        .status()
                        .intValue());
    }
}
