package dev.baton.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.sdk.task.Task;
import dev.baton.sdk.worker.BatonWorker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code BATON_LOG_FORMAT=json} with the node's own logback.xml, in a node process of its own: every line it prints is
 * one JSON object, the start-up line among them, and a worker session's lines carry its environment and session id.
 */
class JsonLogsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void everyLineIsJsonAndAWorkerSessionsLinesNameItsEnvironment() throws Exception {
        Path logs = Files.createDirectories(Path.of("target", "json-logs"));
        Path log = logs.resolve("node.log");
        Files.deleteIfExists(log);
        NodeProcess.Store store = NodeProcess.Store.postgres(TestNodes.freshPostgresSchema("jsonlogs"));
        Path productionConfig = Path.of("target", "classes", "logback.xml").toAbsolutePath();
        Map<String, String> settings =
                Map.of("BATON_LOG_FORMAT", "json", "logback.configurationFile", productionConfig.toString());
        String sessionLine;
        try (NodeProcess node = NodeProcess.start(store, NodeProcess.freePort(), settings, log)) {
            Task<Map, Map> noop = Task.<Map, Map>define("noop", Map.class, (payload, ctx) -> Map.of())
                    .build();
            try (BatonWorker worker = BatonWorker.builder(node.url(), TestNodes.WORKER_TOKEN)
                    .register(noop)
                    .build()) {
                worker.start();
                assertTrue(worker.awaitConnected(Duration.ofSeconds(30)), "the worker connects");
                sessionLine = awaitLine(log, "connected to");
            }
        }

        List<JsonNode> lines = new ArrayList<>();
        for (String line : Files.readAllLines(log)) {
            if (line.isBlank()) continue;
            lines.add(JSON.readTree(line)); // throws on a line that is not JSON
        }
        JsonNode up = lines.stream()
                .filter(line -> line.path("message").asText().startsWith("Baton node up"))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no start-up line in " + log));
        assertEquals("INFO", up.path("level").asText());
        assertTrue(up.hasNonNull("@timestamp"), up.toString());
        assertEquals("dev.baton.node.BatonNode", up.path("logger_name").asText());

        JsonNode session = JSON.readTree(sessionLine);
        assertTrue(session.path("environment").asText().startsWith("env_"), session.toString());
        assertTrue(
                session.path("message")
                        .asText()
                        .contains(session.path("workerSession").asText()),
                session.toString());
    }

    private static String awaitLine(Path log, String containing) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            for (String line : Files.readAllLines(log)) if (line.contains(containing)) return line;
            Thread.sleep(100);
        }
        throw new AssertionError("no line with '" + containing + "' in " + log);
    }
}
