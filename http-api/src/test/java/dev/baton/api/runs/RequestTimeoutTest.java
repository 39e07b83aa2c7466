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

/**
 * A trigger cut off by akka-http's request timeout (here shorter than the engine's ask timeout) may have stored its
 * run: it is answered 504, never 503, which promises that nothing was stored.
 */
class RequestTimeoutTest {

    private static final String KEY = "tr_dev_request_timeout_key";

    private static ApiTestServer server;

    @BeforeAll
    static void start() throws Exception {
        server = ApiTestServer.start("RequestTimeoutTest", ConfigFactory.parseString("""
        baton.engine.ask-timeout = 10s
        akka.http.server.request-timeout = 1s
        """));
        Environment environment = server.environment("reqtimeout", "dev", KEY);
        server.declareTask(environment, "hello-world");
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    @Test
    void aTriggerCutOffByTheRequestTimeoutIsA504() throws Exception {
        server.journal().failNextPersisted(); // the run entity stops: its ask waits out the 10 s
        try {
            HttpResponse<String> response = server.post("/api/v1/tasks/hello-world/trigger", KEY, "{\"payload\":{}}");
            assertEquals(504, response.statusCode(), response.body());
            assertTrue(json(response).get("error").asText().contains("may have taken effect"), response.body());
        } finally {
            server.recordJournal();
        }
    }
}
