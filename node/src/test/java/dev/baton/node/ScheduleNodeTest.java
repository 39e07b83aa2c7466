package dev.baton.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import dev.baton.engine.task.TaskDefinition;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/**
 * A schedule on a full node over PostgreSQL, through the HTTP API: it fires every minute, each occurrence
 * once, listed by the schedule index; after the node stops and a new one starts on the same database (no
 * entity alive, no timer), the sweeper wakes the schedule and it fires the next occurrence, and no
 * occurrence ever gets a second run.
 */
class ScheduleNodeTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final Duration ONE_FIRE = Duration.ofSeconds(100);

    @Test
    void aScheduleFiresEachOccurrenceOnceAcrossANodeRestart() throws Exception {
        Config config = TestNodes.postgresConfig(TestNodes.freshPostgresSchema("schedule_node"));
        BatonNode node = TestNodes.start("schedule-node", config);
        String scheduleId;
        List<JsonNode> firstRuns;
        try {
            node.engine()
                    .declareTasks(
                            node.credentials().environment().id(),
                            List.of(new TaskDefinition("tick", null, null, null, null)))
                    .toCompletableFuture()
                    .get(30, TimeUnit.SECONDS);
            JsonNode created = send(
                    node,
                    "POST",
                    "/api/v1/schedules",
                    "{\"task\":\"tick\",\"cron\":\"* * * * *\",\"deduplicationKey\":\"e"
                            + "very-minute\",\"externalId\":\"node\"}");
            scheduleId = created.get("id").asText();
            Instant nextRun = Instant.parse(created.get("nextRun").asText());
            assertEquals(nextRun.truncatedTo(ChronoUnit.MINUTES), nextRun);

            // Listed once the schedule index caught up.
            await(
                    () -> send(node, "GET", "/api/v1/schedules", null),
                    page -> page.get("data").size() == 1
                            && page.get("data").get(0).get("id").asText().equals(scheduleId),
                    ONE_FIRE);

            firstRuns = awaitRuns(node, runs -> !runs.isEmpty());
            JsonNode payload = firstRuns.get(0).get("payload");
            assertEquals(scheduleId, payload.get("scheduleId").asText());
            assertEquals("IMPERATIVE", payload.get("type").asText());
            assertEquals("node", payload.get("externalId").asText());
            assertEquals(nextRun, Instant.parse(payload.get("timestamp").asText()));
            assertEquals(5, payload.get("upcoming").size());
            // The run knows its schedule: the runs list filters by it.
            JsonNode bySchedule =
                    send(node, "GET", "/api/v1/runs?filter%5Bschedule%5D=" + scheduleId + "&page%5Bsize%5D=100", null);
            Set<String> listed = new HashSet<>();
            bySchedule.get("data").forEach(item -> listed.add(item.get("id").asText()));
            assertTrue(listed.contains(firstRuns.get(0).get("id").asText()), "filter[schedule]: " + bySchedule);
            assertEquals(
                    0,
                    send(node, "GET", "/api/v1/runs?filter%5Bschedule%5D=sched_other", null)
                            .get("data")
                            .size());
        } finally {
            TestNodes.stop(node);
        }

        Set<String> before = timestamps(firstRuns);
        BatonNode restarted = TestNodes.start("schedule-node-restarted", config);
        try {
            JsonNode schedule = send(restarted, "GET", "/api/v1/schedules/" + scheduleId, null);
            assertTrue(schedule.get("active").asBoolean());
            List<JsonNode> runs = awaitRuns(restarted, found -> found.size() > before.size());
            Set<String> after = timestamps(runs);
            assertTrue(after.containsAll(before));
            assertEquals(runs.size(), after.size(), "one run per occurrence: " + after);
            for (JsonNode run : runs) {
                Instant timestamp =
                        Instant.parse(run.get("payload").get("timestamp").asText());
                assertTrue(!Instant.parse(run.get("createdAt").asText()).isBefore(timestamp), run.toString());
            }
        } finally {
            TestNodes.stop(restarted);
        }
    }

    private static Set<String> timestamps(List<JsonNode> runs) {
        Set<String> timestamps = new HashSet<>();
        runs.forEach(run -> timestamps.add(run.get("payload").get("timestamp").asText()));
        return timestamps;
    }

    /** The runs of task {@code tick}, retrieved one by one (with payloads), once {@code until} holds for them. */
    private static List<JsonNode> awaitRuns(BatonNode node, Predicate<List<JsonNode>> until) throws Exception {
        Instant deadline = Instant.now().plus(ONE_FIRE);
        while (true) {
            List<JsonNode> runs = new ArrayList<>();
            for (JsonNode item : send(
                            node, "GET", "/api/v1/runs?filter%5BtaskIdentifier%5D=tick&page%5Bsize%5D=100", null)
                    .get("data")) {
                runs.add(send(node, "GET", "/api/v3/runs/" + item.get("id").asText(), null));
            }
            if (until.test(runs)) return runs;
            if (Instant.now().isAfter(deadline)) throw new AssertionError("runs never got there: " + runs);
            Thread.sleep(500);
        }
    }

    private static JsonNode await(ThrowingSupplier<JsonNode> call, Predicate<JsonNode> until, Duration timeout)
            throws Exception {
        Instant deadline = Instant.now().plus(timeout);
        JsonNode value = call.get();
        while (!until.test(value)) {
            if (Instant.now().isAfter(deadline)) throw new AssertionError("never got there: " + value);
            Thread.sleep(250);
            value = call.get();
        }
        return value;
    }

    private interface ThrowingSupplier<T> {
        T get() throws Exception;
    }

    private static JsonNode send(BatonNode node, String method, String path, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.httpPort() + path))
                .header("Authorization", "Bearer " + TestNodes.SECRET_KEY)
                .timeout(Duration.ofSeconds(30));
        request = body == null
                ? request.method(method, HttpRequest.BodyPublishers.noBody())
                : request.header("Content-Type", "application/json")
                        .method(method, HttpRequest.BodyPublishers.ofString(body));
        HttpResponse<String> response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) throw new AssertionError(method + " " + path + ": " + response.body());
        return JSON.readTree(response.body());
    }
}
