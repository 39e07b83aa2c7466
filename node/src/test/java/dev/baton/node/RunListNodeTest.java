package dev.baton.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.projection.javadsl.ProjectionManagement;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import dev.baton.examples.ExampleTasks;
import dev.baton.projections.runs.RunIndexProjection;
import dev.baton.projections.runs.RunIndexSettings;
import dev.baton.sdk.client.BatonClient;
import dev.baton.sdk.client.Run;
import dev.baton.sdk.client.RunStatus;
import dev.baton.sdk.client.TriggerOptions;
import dev.baton.sdk.worker.BatonWorker;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * On a full node over PostgreSQL, with real runs executed by a real worker: the read model behind
 * {@code GET /api/v1/runs} equals the journal (each run's status, attempt count and tags, as the run
 * entity recovered from its events shows them) — after the run index projection is paused and resumed
 * (while paused its lag shows on {@code GET /api/v1/projections}), after the node restarts, and after
 * every tag's projection replays from offset 0, which leaves the tables exactly as they were.
 */
class RunListNodeTest {

    private static final Duration CONVERGE = Duration.ofSeconds(60);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    /** What the test compares per run. */
    private record RunFacts(String status, int attemptCount, List<String> tags) {}

    @Test
    void theReadModelEqualsTheJournalAfterARestartAndAReplayFromOffsetZero() throws Exception {
        Config config = TestNodes.postgresConfig(TestNodes.freshPostgresSchema("list_node"));
        List<String> tags = RunIndexSettings.fromConfig(config).tags();
        List<String> runIds = new ArrayList<>();

        BatonNode node = TestNodes.start("list-node", config);
        try {
            try (BatonWorker worker = HappyPathScenario.worker(node, 4)) {
                BatonClient client = HappyPathScenario.client(node);
                runIds.addAll(settledRuns(client, "a"));

                awaitReadModelEqualsJournal(node, config, runIds, "after the first runs");

                // Paused, the projection falls behind, and says so; resumed, it catches up.
                ProjectionManagement management = ProjectionManagement.get(node.system());
                for (String tag : tags) {
                    management
                            .pause(RunIndexProjection.projectionId(tag))
                            .toCompletableFuture()
                            .get(30, TimeUnit.SECONDS);
                }
                List<String> whilePaused = new ArrayList<>();
                for (int i = 0; i < 6; i++)
                    whilePaused.add(client.trigger("hello-world", Map.of("name", "p" + i))
                            .id());
                for (String id : whilePaused) client.poll(id, Duration.ofSeconds(60));
                runIds.addAll(whilePaused);
                assertTrue(
                        lag(node).stream().anyMatch(entry -> entry.get("behind").asLong() > 0),
                        "a paused projection shows it is behind: " + lag(node));
                assertFalse(
                        listedRuns(node).keySet().stream().anyMatch(whilePaused::contains),
                        "nothing reaches the read model while the projection is paused");
                for (String tag : tags) {
                    management
                            .resume(RunIndexProjection.projectionId(tag))
                            .toCompletableFuture()
                            .get(30, TimeUnit.SECONDS);
                }
                awaitReadModelEqualsJournal(node, config, runIds, "after a projection pause and resume");
                awaitCaughtUp(node, tags);
            }
        } finally {
            TestNodes.stop(node);
        }

        node = TestNodes.start("list-node-restarted", config);
        try {
            try (BatonWorker worker = HappyPathScenario.worker(node, 4)) {
                BatonClient client = HappyPathScenario.client(node);
                runIds.addAll(settledRuns(client, "b"));
                awaitReadModelEqualsJournal(node, config, runIds, "after the node restarted");

                long[] tablesBefore = tableSizes(config);
                Map<String, RunFacts> before = listed(node, config);
                ProjectionManagement management = ProjectionManagement.get(node.system());
                for (String tag : tags) {
                    management
                            .clearOffset(RunIndexProjection.projectionId(tag))
                            .toCompletableFuture()
                            .get(30, TimeUnit.SECONDS);
                }
                awaitCaughtUp(node, tags);
                awaitReadModelEqualsJournal(node, config, runIds, "after a replay from offset 0");
                assertEquals(before, listed(node, config), "the replay changed no run");
                assertEquals(
                        List.of(tablesBefore[0], tablesBefore[1]),
                        List.of(tableSizes(config)[0], tableSizes(config)[1]),
                        "no run and no tag counted twice");
            }
        } finally {
            TestNodes.stop(node);
        }
    }

    /**
     * Runs that stop changing: completed ones (some tagged, some tagged later), failed ones (two attempts),
     * delayed ones, and canceled ones. Returns their ids once each has settled.
     */
    private static List<String> settledRuns(BatonClient client, String prefix) {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            TriggerOptions options = TriggerOptions.builder()
                    .tags(prefix + "-batch", "n" + (i % 3))
                    .build();
            ids.add(client.trigger(ExampleTasks.HELLO_WORLD, Map.of("name", prefix + i), options)
                    .id());
        }
        for (int i = 0; i < 3; i++) {
            ids.add(client.trigger(
                            ExampleTasks.FAIL,
                            Map.of("message", "no " + i),
                            TriggerOptions.builder().tags("failing").build())
                    .id());
        }
        List<String> delayed = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            delayed.add(client.trigger(
                            ExampleTasks.HELLO_WORLD,
                            Map.of("name", "later"),
                            TriggerOptions.builder().delay("1h").tags("later").build())
                    .id());
        }
        ids.addAll(delayed);
        client.cancel(delayed.get(0));
        for (String id : ids) {
            Run run = client.retrieve(id);
            if (run.status() != RunStatus.DELAYED) client.poll(id, Duration.ofSeconds(60));
        }
        client.addTags(ids.get(0), "added-later", prefix + "-batch");
        client.addTags(ids.get(9), "added-later");
        return ids;
    }

    private static void awaitReadModelEqualsJournal(BatonNode node, Config config, List<String> runIds, String when)
            throws Exception {
        BatonClient client = HappyPathScenario.client(node);
        Map<String, RunFacts> journal = new TreeMap<>();
        for (String id : runIds) {
            Run run = client.retrieve(id);
            journal.put(id, new RunFacts(run.status().name(), run.attemptCount(), run.tags()));
        }
        assertTrue(journal.values().stream()
                .anyMatch(facts -> facts.status().equals("FAILED") && facts.attemptCount() == 2));
        Instant deadline = Instant.now().plus(CONVERGE);
        Map<String, RunFacts> listed = listed(node, config);
        while (!journal.equals(listed)) {
            if (Instant.now().isAfter(deadline)) {
                assertEquals(journal, listed, "the read model " + when);
            }
            Thread.sleep(200);
            listed = listed(node, config);
        }
    }

    /** Every run the list API shows, with its attempt count from the read model's table. */
    private static Map<String, RunFacts> listed(BatonNode node, Config config) throws Exception {
        Map<String, JsonNode> items = listedRuns(node);
        Map<String, Integer> attempts = new TreeMap<>();
        try (Connection connection = connect(config);
                Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery("SELECT run_id, attempt_count FROM baton_runs")) {
            while (result.next()) attempts.put(result.getString(1), result.getInt(2));
        }
        Map<String, RunFacts> facts = new TreeMap<>();
        items.forEach((id, item) -> {
            List<String> tags = new ArrayList<>();
            item.get("tags").forEach(tag -> tags.add(tag.asText()));
            facts.put(id, new RunFacts(item.get("status").asText(), attempts.getOrDefault(id, -1), tags));
        });
        return facts;
    }

    /** Every run of the node's environment, walking the list's pages. */
    private static Map<String, JsonNode> listedRuns(BatonNode node) throws Exception {
        Map<String, JsonNode> items = new TreeMap<>();
        String after = null;
        do {
            String query = "?page%5Bsize%5D=7"
                    + (after == null ? "" : "&page%5Bafter%5D=" + URLEncoder.encode(after, StandardCharsets.UTF_8));
            JsonNode page = get(node, "/api/v1/runs" + query);
            for (JsonNode item : page.get("data")) {
                assertEquals(null, items.put(item.get("id").asText(), item), "a run listed twice");
            }
            after = page.get("pagination").has("next")
                    ? page.get("pagination").get("next").asText()
                    : null;
        } while (after != null);
        return items;
    }

    private static List<JsonNode> lag(BatonNode node) throws Exception {
        List<JsonNode> entries = new ArrayList<>();
        get(node, "/api/v1/projections").get("data").forEach(entry -> {
            if (entry.get("name").asText().equals(RunIndexProjection.NAME)) entries.add(entry);
        });
        return entries;
    }

    /** Every tag's offset reached the journal's latest event of the tag (a tag no run hashed to has neither). */
    private static void awaitCaughtUp(BatonNode node, List<String> tags) throws Exception {
        Instant deadline = Instant.now().plus(CONVERGE);
        while (true) {
            List<JsonNode> lag = lag(node);
            boolean caughtUp = lag.size() == tags.size()
                    && lag.stream()
                            .allMatch(entry -> entry.get("behind").asLong() == 0
                                    && (entry.get("journalOrdering").asLong() == 0 && !entry.hasNonNull("offset")
                                            || entry.hasNonNull("offset")
                                                    && entry.get("offset").asLong()
                                                            == entry.get("journalOrdering")
                                                                    .asLong()
                                                    && entry.get("secondsSinceUpdate")
                                                                    .asDouble()
                                                            >= 0));
            if (caughtUp) return;
            if (Instant.now().isAfter(deadline)) throw new AssertionError("projections did not catch up: " + lag);
            Thread.sleep(200);
        }
    }

    private static JsonNode get(BatonNode node, String path) throws Exception {
        HttpResponse<String> response = HTTP.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.httpPort() + path))
                        .header("Authorization", "Bearer " + TestNodes.SECRET_KEY)
                        .GET()
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), response.body());
        return JSON.readTree(response.body());
    }

    /** Rows in baton_runs and baton_run_tags. */
    private static long[] tableSizes(Config config) throws Exception {
        try (Connection connection = connect(config);
                Statement statement = connection.createStatement()) {
            long[] sizes = new long[2];
            try (ResultSet result = statement.executeQuery("SELECT count(*) FROM baton_runs")) {
                result.next();
                sizes[0] = result.getLong(1);
            }
            try (ResultSet result = statement.executeQuery("SELECT count(*) FROM baton_run_tags")) {
                result.next();
                sizes[1] = result.getLong(1);
            }
            return sizes;
        }
    }

    private static Connection connect(Config config) throws Exception {
        return DriverManager.getConnection(
                config.getString("baton.db.url"),
                config.getString("baton.db.user"),
                config.getString("baton.db.password"));
    }
}
