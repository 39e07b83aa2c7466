package dev.baton.api.runs;

import static dev.baton.api.ApiTestServer.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.persistence.testkit.JournalOperation;
import akka.persistence.testkit.ProcessingSuccess;
import akka.persistence.testkit.StorageFailure;
import dev.baton.api.ApiTestServer;
import dev.baton.engine.environment.Environment;
import dev.baton.engine.storage.StoreAvailability;
import java.net.http.HttpResponse;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * While the journal's database is unreachable, triggers and batches are refused at once with 503 and Retry-After,
 * and nothing of them reaches the journal (the 503 promises that); once a probe through the journal succeeds they
 * are accepted again, with nothing restarted.
 */
class StoreOutageTest {

    private static final String KEY = "tr_dev_store_outage_key";
    private static final String TRIGGER = "/api/v1/tasks/hello-world/trigger";

    private static ApiTestServer server;

    @BeforeAll
    static void start() throws Exception {
        server = ApiTestServer.start("StoreOutageTest");
        Environment environment = server.environment("outage", "dev", KEY);
        server.declareTask(environment, "hello-world");
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    @Test
    void triggersAreRefusedWith503UntilTheJournalAnswersAgain() throws Exception {
        AtomicBoolean databaseDown = new AtomicBoolean(true);
        // The journal fails every call while "down": the store's probe included.
        server.journal()
                .withPolicy((String persistenceId, JournalOperation operation) -> databaseDown.get()
                        ? new StorageFailure(new SQLTransientConnectionException("Connection is not available"))
                        : ProcessingSuccess.getInstance());
        StoreAvailability store = StoreAvailability.get(server.node().system());
        try {
            server.forgetJournal();
            // What the JDBC journal reports when it cannot get a connection.
            store.journalCallFailed(
                    new SQLTransientConnectionException("Connection is not available, request timed out"));

            HttpResponse<String> refused = server.post(TRIGGER, KEY, "{\"payload\":{\"n\":1}}");
            assertEquals(503, refused.statusCode(), refused.body());
            assertEquals(
                    "1",
                    refused.headers().firstValue("retry-after").orElse(null),
                    refused.headers().toString());
            assertTrue(json(refused).get("error").asText().contains("nothing was stored"), refused.body());
            HttpResponse<String> batch = server.post("/api/v3/batches", KEY, "{\"runCount\":2}");
            assertEquals(503, batch.statusCode(), batch.body());
            assertEquals(List.of(), server.runJournalOperations(), "a refused trigger reached the journal");

            // Still down after several probes: still refused.
            Thread.sleep(1_500);
            assertEquals(
                    503, server.post(TRIGGER, KEY, "{\"payload\":{\"n\":2}}").statusCode());
        } finally {
            databaseDown.set(false);
            server.recordJournal();
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!store.available() && System.nanoTime() < deadline) Thread.sleep(50);
        assertTrue(store.available(), "no probe made the store available again");
        HttpResponse<String> accepted = server.post(TRIGGER, KEY, "{\"payload\":{\"n\":3}}");
        assertEquals(200, accepted.statusCode(), accepted.body());
    }

    @Test
    void aFailureTheDatabaseAnsweredDoesNotRefuseTriggers() throws Exception {
        StoreAvailability store = StoreAvailability.get(server.node().system());
        store.journalCallFailed(new java.sql.SQLIntegrityConstraintViolationException("duplicate key", "23505"));
        assertTrue(store.available());
        HttpResponse<String> accepted = server.post(TRIGGER, KEY, "{\"payload\":{\"n\":4}}");
        assertEquals(200, accepted.statusCode(), accepted.body());
    }
}
