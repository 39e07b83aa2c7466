package dev.baton.api.runs;

import static dev.baton.api.ApiTestServer.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.baton.api.ApiTestServer;
import dev.baton.engine.batch.BatchService;
import dev.baton.engine.environment.Environment;
import dev.baton.engine.run.RunEntity;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A write whose persist never confirms is never answered 2xx, nor 503 (which promises nothing was stored): the ask
 * times out with the outcome unknown, and the client gets 504. Triggers and batch items, and the changes to a run
 * (tags, metadata, reschedule, cancel).
 */
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
    void unconfirmedPersistIsA504NotA2xxNorA503() throws Exception {
        server.journal().failNextPersisted();
        try {
            HttpResponse<String> response = server.post(TRIGGER, KEY, "{\"payload\":{\"n\":1}}");
            assertEquals(504, response.statusCode(), response.body());
            assertTrue(json(response).get("error").asText().contains("could not confirm"), response.body());
        } finally {
            server.recordJournal();
        }
        HttpResponse<String> retried = server.post(TRIGGER, KEY, "{\"payload\":{\"n\":1}}");
        assertEquals(200, retried.statusCode(), retried.body());
    }

    @Test
    void batchItemsWhoseRunsAreNotConfirmedAreA504() throws Exception {
        HttpResponse<String> created = server.post("/api/v3/batches", KEY, "{\"runCount\":1}");
        assertEquals(202, created.statusCode(), created.body());
        String batchId = json(created).get("id").asText();
        String items = "/api/v3/batches/" + batchId + "/items";
        byte[] item = "{\"index\":0,\"task\":\"hello-world\",\"payload\":\"{}\"}\n".getBytes(StandardCharsets.UTF_8);
        // The item's run, both times it is sent (a first creation is sent again reading the journal, which would
        // confirm it): it may or may not exist, so not a 503.
        String itemRun =
                RunEntity.persistenceId(BatchService.itemRunId(batchId, 0)).id();
        server.journal().failNextNPersisted(itemRun, 2);
        try {
            HttpResponse<String> response = server.postChunked(items, KEY, "application/x-ndjson", item);
            assertEquals(504, response.statusCode(), response.body());
            assertTrue(json(response).get("error").asText().contains("may exist"), response.body());
        } finally {
            server.recordJournal();
        }
        HttpResponse<String> resent = server.postChunked(items, KEY, "application/x-ndjson", item);
        assertEquals(200, resent.statusCode(), resent.body());
        assertTrue(json(resent).get("sealed").asBoolean(), resent.body());
    }

    @Test
    void changesWhosePersistIsNotConfirmedAreA504() throws Exception {
        String runId = json(server.post(TRIGGER, KEY, "{\"payload\":{\"n\":2},\"options\":{\"delay\":\"1h\"}}"))
                .get("id")
                .asText();
        String run = "/api/v1/runs/" + runId;
        List<Change> changes = List.of(
                () -> server.post(run + "/tags", KEY, "{\"tags\":[\"t1\"]}"),
                () -> server.put(
                        run + "/metadata", KEY, "{\"operations\":[{\"type\":\"set\",\"key\":\"k\",\"value\":1}]}"),
                () -> server.post(run + "/reschedule", KEY, "{\"delay\":\"2h\"}"),
                () -> server.postEmpty("/api/v2/runs/" + runId + "/cancel", KEY));
        for (Change change : changes) {
            server.journal().failNextPersisted();
            try {
                HttpResponse<String> response = change.send();
                assertEquals(504, response.statusCode(), response.body());
                assertTrue(
                        json(response).get("error").asText().contains("whether the change was stored"),
                        response.body());
            } finally {
                server.recordJournal();
            }
            HttpResponse<String> again = change.send();
            assertEquals(200, again.statusCode(), again.body());
        }
    }

    private interface Change {
        HttpResponse<String> send() throws Exception;
    }
}
