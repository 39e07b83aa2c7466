package dev.baton.node;

import com.typesafe.config.Config;
import dev.baton.sdk.client.Run;
import dev.baton.sdk.worker.BatonWorker;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The embedded default (`baton dev`): the same happy path on an H2 file database, across a restart. */
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
        } finally {
            TestNodes.stop(restarted);
        }
    }
}
