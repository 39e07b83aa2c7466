package dev.baton.api.runs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.baton.api.HttpSettings;
import dev.baton.api.errors.ApiException;
import dev.baton.api.json.Json;
import dev.baton.engine.run.TriggerRequest;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class TriggerBodyDecoderTest {

  private final TriggerBodyDecoder decoder = new TriggerBodyDecoder(HttpSettings.fromConfig(ConfigFactory.load()));

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
  }

  @Test
  void nonStringPayloadIsKeptAsIs() throws Exception {
    assertEquals("{\"a\":[1,2.50,true]}", decode("{\"payload\":{\"a\":[1,2.50,true]}}").payloadJson());
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
    TriggerRequest body = decode("{\"payload\":\"" + superJson + "\",\"options\":{\"payloadType\":\"application/super+json\"}}");
    assertEquals("{\"when\":\"2024-01-01T00:00:00.000Z\",\"n\":1}", body.payloadJson());
    assertEquals("application/json", body.payloadType());
    // SuperJSON leaves `json` out for undefined.
    assertNull(decode("{\"payload\":\"{\\\"meta\\\":{\\\"values\\\":[\\\"undefined\\\"]}}\","
        + "\"options\":{\"payloadType\":\"application/super+json\"}}").payloadJson());
    assertEquals(400, rejected("{\"payload\":\"[1]\",\"options\":{\"payloadType\":\"application/super+json\"}}")
        .status().intValue());
  }

  @Test
  void textPlainIsAJsonString() throws Exception {
    assertEquals("\"hello \\\"world\\\"\"",
        decode("{\"payload\":\"hello \\\"world\\\"\",\"options\":{\"payloadType\":\"text/plain\"}}").payloadJson());
  }

  @Test
  void otherPayloadTypesAreNotSupportedYet() {
    ApiException error = rejected("{\"payload\":\"packets/run_1/payload.json\",\"options\":{\"payloadType\":\"application/store\"}}");
    assertEquals(400, error.status().intValue());
    assertEquals("payloadType application/store is not supported", error.getMessage());
  }

  @Test
  void honouredOptions() throws Exception {
    TriggerRequest body = decode("""
        {"payload":{},"context":{"anything":true},"options":{"tags":"one","metadata":{"k":"v"},"maxAttempts":2,
         "idempotencyKey":"abc","test":true,"queue":{"name":"q"},"delay":"1h","ttl":3600,"priority":10,
         "concurrencyKey":"ck","machine":"small-1x","maxDuration":60,"lockToVersion":"20240101.1",
         "idempotencyKeyTTL":"1d","idempotencyKeyOptions":{"key":"k","scope":"global"},"payloadSize":2,
         "somethingNew":[1,2,3]}}""");
    assertEquals(List.of("one"), body.tags());
    assertEquals("{\"k\":\"v\"}", body.metadataJson());
    assertEquals(2, body.maxAttempts());
    assertEquals("abc", body.idempotencyKey());
    assertTrue(body.test());
  }

  @Test
  void tagsAreDedupedAndLimited() throws Exception {
    assertEquals(List.of("a", "b"), decode("{\"options\":{\"tags\":[\"a\",\"b\",\"a\"]}}").tags());
    String tenDistinct = "\"t0\",\"t1\",\"t2\",\"t3\",\"t4\",\"t5\",\"t6\",\"t7\",\"t8\",\"t9\"";
    assertEquals(10, decode("{\"options\":{\"tags\":[" + tenDistinct + ",\"t0\"]}}").tags().size());
    assertEquals(422, rejected("{\"options\":{\"tags\":[" + tenDistinct + ",\"t10\"]}}").status().intValue());
    assertEquals(400, rejected("{\"options\":{\"tags\":[\"" + "x".repeat(129) + "\"]}}").status().intValue());
    assertEquals(1, decode("{\"options\":{\"tags\":[\"" + "x".repeat(128) + "\"]}}").tags().size());
  }

  @Test
  void metadataOverTheLimitIs413() {
    String big = "x".repeat(256 * 1024);
    assertEquals(413, rejected("{\"options\":{\"metadata\":{\"blob\":\"" + big + "\"}}}").status().intValue());
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
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
    assertEquals(2048, decode("{\"options\":{\"idempotencyKey\":\"" + "k".repeat(2048) + "\"}}").idempotencyKey().length());
    assertEquals(400, rejected("{\"options\":{\"idempotencyKey\":\"" + "k".repeat(2049) + "\"}}").status().intValue());
  }
}
