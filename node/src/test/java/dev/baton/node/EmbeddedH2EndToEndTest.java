package dev.baton.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import dev.baton.sdk.client.Run;
import dev.baton.sdk.worker.BatonWorker;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded default (`baton dev`): the same happy path on an H2 file database, across a restart, after which the
 * node reports itself ready.
 */
class EmbeddedH2EndToEndTest {

    @Test
    void runsCompleteAndSurviveARestartOnTheEmbeddedStore(@TempDir Path data) throws Exception {
        Config config = TestNodes.h2Config(data);
        BatonNode node = TestNodes.start("e2e-h2", config);
        List<Run> completed;
        try (BatonWorker worker = HappyPathScenario.worker(node, 8)) {
            completed = HappyPathScenario.triggerAndComplete(node, 30);
        } finally {
            TestNodes.stop(node);
        }
        BatonNode restarted = TestNodes.start("e2e-h2", config);
        try {
            HappyPathScenario.assertReadBackIdentically(restarted, completed);
            HttpResponse<String> ready = HttpClient.newHttpClient()
                    .send(
                            HttpRequest.newBuilder(
                                            HappyPathScenario.url(restarted).resolve("/ready"))
                                    .build(),
                            BodyHandlers.ofString());
            assertEquals(200, ready.statusCode(), "the journal and read model on H2 answer: " + ready.body());
            // hello-world logs a line: the log table on H2 kept it across the restart
            HttpResponse<String> logs = HttpClient.newHttpClient()
                    .send(
                            HttpRequest.newBuilder(HappyPathScenario.url(restarted)
                                            .resolve("/api/v1/runs/"
                                                    + completed.get(0).id() + "/logs"))
                                    .header("Authorization", "Bearer " + TestNodes.SECRET_KEY)
                                    .build(),
                            BodyHandlers.ofString());
            assertEquals(200, logs.statusCode(), logs.body());
            assertTrue(logs.body().contains("\"message\":\"greeting "), logs.body());
        } finally {
            TestNodes.stop(restarted);
        }
    }
}
