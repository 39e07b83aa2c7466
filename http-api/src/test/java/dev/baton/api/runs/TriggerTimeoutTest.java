package dev.baton.api.runs;

import static dev.baton.api.ApiTestServer.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.baton.api.ApiTestServer;
import dev.baton.engine.environment.Environment;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A trigger whose persist never confirms is never answered 2xx: the ask times out and the client gets 503. */
class TriggerTimeoutTest {

  private static final String KEY = "tr_dev_timeout_test_key";
  private static final String TRIGGER = "/api/v1/tasks/hello-world/trigger";

  private static ApiTestServer server;

  @BeforeAll
  static void start() throws Exception {
    server = ApiTestServer.start("TriggerTimeoutTest", ConfigFactory.parseString("baton.engine.ask-timeout = 2s"));
    Environment environment = server.environment("timeout", "dev", KEY);
    server.declareTask(environment, "hello-world");
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  @Test
  void failedPersistIsA503NotA2xx() throws Exception {
    server.journal().failNextPersisted();
    try {
      HttpResponse<String> response = server.post(TRIGGER, KEY, "{\"payload\":{\"n\":1}}");
      assertEquals(503, response.statusCode(), response.body());
      assertTrue(json(response).get("error").asText().contains("did not answer in time"), response.body());
    } finally {
      server.recordJournal();
    }
    HttpResponse<String> retried = server.post(TRIGGER, KEY, "{\"payload\":{\"n\":1}}");
    assertEquals(200, retried.statusCode(), retried.body());
  }
}
