package dev.baton.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.baton.examples.ExampleTasks;
import dev.baton.sdk.client.BatonClient;
import dev.baton.sdk.client.RunStatus;
import dev.baton.sdk.client.TriggerOptions;
import dev.baton.sdk.worker.BatonWorker;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The analytics API against a real ClickHouse (18.16 in ./scripts/test): a node with the sink on runs tasks that
 * succeed, fail and are canceled in two environments, waits for the sink, and checks the numbers the API answers
 * for each environment exactly (counts per outcome, failure rates, every bucket of a series, and the percentiles
 * against the durations ClickHouse holds), so that another environment's runs, of the same tasks, never appear.
 */
class AnalyticsNodeTest {

    private static final String ADMIN_TOKEN = "tr_pat_analytics_test_admin_token_01234567";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final List<Integer> SLEEPS_MS = List.of(100, 200, 300, 400, 500);

    private BatonNode node;

    @Test
    void answersEachEnvironmentsOwnNumbersExactly() throws Exception {
        String url = ClickHouseServers.url();
        Config config = ClickHouseServers.withClickHouse(
                ConfigFactory.parseMap(Map.of("baton.bootstrap.admin-token", ADMIN_TOKEN))
                        .withFallback(TestNodes.postgresConfig(TestNodes.freshPostgresSchema("analytics_node"))),
                url,
                ClickHouseServers.freshDatabase("baton_analytics"),
                "baton.clickhouse.group-after-duration = 200ms");
        node = TestNodes.start("analytics-node", config);
        String keyA = TestNodes.SECRET_KEY;
        String[] b = otherEnvironment();
        String keyB = b[0];
        try (BatonWorker workerA = HappyPathScenario.worker(node, 8);
                BatonWorker workerB = BatonWorker.builder(HappyPathScenario.url(node), b[1])
                        .slots(4)
                        .register(ExampleTasks.helloWorld())
                        .register(ExampleTasks.sleep())
                        .register(ExampleTasks.fail())
                        .build();
                ClickHouseServers.Reader clickHouse = ClickHouseServers.reader(config)) {
            workerB.start();
            assertTrue(workerB.awaitConnected(Duration.ofSeconds(30)), "environment B's worker connects");

            // A: 5 sleeps (100..500 ms), 2 failures (2 attempts each), 3 hello-worlds and 1 canceled hello-world.
            BatonClient clientA = HappyPathScenario.client(node);
            List<String> runsA = new ArrayList<>();
            for (int ms : SLEEPS_MS)
                runsA.add(clientA.trigger(ExampleTasks.SLEEP, Map.of("ms", ms)).id());
            for (int i = 0; i < 2; i++)
                runsA.add(clientA.trigger(ExampleTasks.FAIL, Map.of("message", "a" + i))
                        .id());
            for (int i = 0; i < 3; i++)
                runsA.add(clientA.trigger(ExampleTasks.HELLO_WORLD, Map.of("name", "a"))
                        .id());
            String delayed = clientA.trigger(
                            ExampleTasks.HELLO_WORLD,
                            Map.of("name", "later"),
                            TriggerOptions.builder().delay("1h").build())
                    .id();
            clientA.cancel(delayed);
            // B: the same tasks, other counts, so any of B's runs in A's numbers would show.
            BatonClient clientB =
                    BatonClient.builder(HappyPathScenario.url(node), keyB).build();
            List<String> runsB = new ArrayList<>();
            for (int ms : List.of(50, 60))
                runsB.add(clientB.trigger(ExampleTasks.SLEEP, Map.of("ms", ms)).id());
            runsB.add(clientB.trigger(ExampleTasks.FAIL, Map.of("message", "b")).id());
            runsB.add(clientB.trigger(ExampleTasks.HELLO_WORLD, Map.of("name", "b"))
                    .id());
            for (String id : runsA)
                assertTrue(clientA.poll(id, Duration.ofSeconds(60)).status().isFinal());
            for (String id : runsB)
                assertTrue(clientB.poll(id, Duration.ofSeconds(60)).status().isFinal());
            assertEquals(RunStatus.CANCELED, clientA.retrieve(delayed).status());

            Map<String, List<Long>> expectedA = Map.of(
                    // finished, completed, failed, canceled, expired
                    ExampleTasks.FAIL, List.of(2L, 0L, 2L, 0L, 0L),
                    ExampleTasks.HELLO_WORLD, List.of(4L, 3L, 0L, 1L, 0L),
                    ExampleTasks.SLEEP, List.of(5L, 5L, 0L, 0L, 0L));
            Map<String, List<Long>> expectedB = Map.of(
                    ExampleTasks.FAIL, List.of(1L, 0L, 1L, 0L, 0L),
                    ExampleTasks.HELLO_WORLD, List.of(1L, 1L, 0L, 0L, 0L),
                    ExampleTasks.SLEEP, List.of(2L, 2L, 0L, 0L, 0L));
            // The sink delivers within its group delay: wait until both environments' numbers are complete.
            Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
            while (!counts(keyA).equals(expectedA) || !counts(keyB).equals(expectedB)) {
                if (Instant.now().isAfter(deadline)) {
                    assertEquals(expectedA, counts(keyA), "environment A per task");
                    assertEquals(expectedB, counts(keyB), "environment B per task");
                }
                Thread.sleep(250);
            }

            JsonNode tasksA = get("/api/v1/analytics/tasks?period=1h", keyA);
            Map<String, JsonNode> byTask = new TreeMap<>();
            tasksA.get("data")
                    .forEach(row -> byTask.put(row.get("taskIdentifier").asText(), row));
            assertEquals(1.0, byTask.get(ExampleTasks.FAIL).get("failureRate").asDouble());
            assertEquals(
                    0.0, byTask.get(ExampleTasks.HELLO_WORLD).get("failureRate").asDouble());
            assertEquals(0.0, byTask.get(ExampleTasks.SLEEP).get("failureRate").asDouble());
            // The percentiles are quantileExact's: the sorted durations' element at floor(level * n).
            String environmentA = node.credentials().environment().id();
            for (String task : byTask.keySet()) {
                List<Long> durations = durations(clickHouse, environmentA, task);
                JsonNode percentiles = byTask.get(task).get("durationMs");
                assertEquals(
                        exactQuantile(durations, 0.5), percentiles.get("p50").asLong(), task + " p50");
                assertEquals(
                        exactQuantile(durations, 0.95), percentiles.get("p95").asLong(), task + " p95");
                assertEquals(
                        exactQuantile(durations, 0.99), percentiles.get("p99").asLong(), task + " p99");
            }
            assertEquals(
                    4,
                    durations(clickHouse, environmentA, ExampleTasks.HELLO_WORLD)
                                    .size()
                            + 1,
                    "the canceled run has no duration to count");
            JsonNode sleeps = byTask.get(ExampleTasks.SLEEP).get("durationMs");
            assertTrue(
                    sleeps.get("p50").asLong() <= sleeps.get("p95").asLong()
                            && sleeps.get("p95").asLong() <= sleeps.get("p99").asLong()
                            && sleeps.get("p99").asLong() - sleeps.get("p50").asLong() >= 100,
                    "sleeps of 300 ms (the median) and 500 ms (the longest) differ by 200 ms: " + sleeps);

            // A task filter, and one that tries to break out of its literal, which matches no task.
            JsonNode failOnly = get("/api/v1/analytics/tasks?period=1h&task=fail", keyA);
            assertEquals(1, failOnly.get("data").size());
            assertEquals(2, failOnly.get("data").get(0).get("finished").asLong());
            String injection = URLEncoder.encode("fail' OR '1'='1", StandardCharsets.UTF_8);
            assertEquals(
                    0,
                    get("/api/v1/analytics/tasks?period=1h&task=" + injection, keyA)
                            .get("data")
                            .size());

            // The series: every minute of the hour, in order, adding up to the same numbers.
            JsonNode series = get("/api/v1/analytics/throughput?period=1h&interval=1m", keyA);
            assertEquals(60_000, series.get("intervalMs").asLong());
            long from = Instant.parse(series.get("from").asText()).toEpochMilli();
            long to = Instant.parse(series.get("to").asText()).toEpochMilli();
            JsonNode buckets = series.get("data");
            assertEquals(Math.floorDiv(to - 1, 60_000) - Math.floorDiv(from, 60_000) + 1, buckets.size());
            long[] sums = new long[5];
            long previous = Long.MIN_VALUE;
            for (JsonNode bucket : buckets) {
                long start = Instant.parse(bucket.get("start").asText()).toEpochMilli();
                assertEquals(0, start % 60_000, "buckets start on whole minutes");
                assertTrue(previous == Long.MIN_VALUE || start == previous + 60_000, "no bucket is missing");
                previous = start;
                String[] fields = {"finished", "completed", "failed", "canceled", "expired"};
                for (int i = 0; i < fields.length; i++)
                    sums[i] += bucket.get(fields[i]).asLong();
                long finished = bucket.get("finished").asLong();
                double rate = finished == 0 ? 0 : (double) bucket.get("failed").asLong() / finished;
                assertEquals(
                        Math.round(rate * 10_000) / 10_000.0,
                        bucket.get("failureRate").asDouble(),
                        1e-9);
            }
            assertEquals(List.of(11L, 8L, 2L, 1L, 0L), List.of(sums[0], sums[1], sums[2], sums[3], sums[4]));
            JsonNode failSeries = get("/api/v1/analytics/throughput?period=1h&task=fail", keyA);
            assertEquals("1m", failSeries.get("interval").asText(), "the finest interval with at most 200 buckets");
            long failed = 0;
            for (JsonNode bucket : failSeries.get("data"))
                failed += bucket.get("failed").asLong();
            assertEquals(2, failed);

            clickHouse.dropDatabase();
        } finally {
            TestNodes.stop(node);
        }
    }

    /** Task → [finished, completed, failed, canceled, expired] as the API answers for the key's environment. */
    private Map<String, List<Long>> counts(String key) throws Exception {
        Map<String, List<Long>> counts = new TreeMap<>();
        for (JsonNode row : get("/api/v1/analytics/tasks?period=1h", key).get("data")) {
            counts.put(
                    row.get("taskIdentifier").asText(),
                    List.of(
                            row.get("finished").asLong(),
                            row.get("completed").asLong(),
                            row.get("failed").asLong(),
                            row.get("canceled").asLong(),
                            row.get("expired").asLong()));
        }
        return counts;
    }

    /** The execution times ClickHouse holds for a task's runs that ran to an end, read without the API. */
    private static List<Long> durations(ClickHouseServers.Reader clickHouse, String environment, String task) {
        List<Long> durations = new ArrayList<>();
        clickHouse
                .store()
                .select("SELECT duration_ms FROM runs FINAL WHERE env_id = '" + environment + "' AND task_id = '" + task
                        + "' AND is_final = 1 AND status NOT IN ('CANCELED', 'EXPIRED') ORDER BY duration_ms")
                .rows()
                .forEach(row -> durations.add(Long.parseLong(row.get(0))));
        return durations;
    }

    private static long exactQuantile(List<Long> sorted, double level) {
        return sorted.get((int) Math.min(sorted.size() - 1, Math.floor(level * sorted.size())));
    }

    private JsonNode get(String path, String key) throws Exception {
        HttpResponse<String> response = send("GET", path, key, null);
        assertEquals(200, response.statusCode(), path + ": " + response.body());
        return JSON.readTree(response.body());
    }

    /** Another organization's project: its prod environment's secret key and worker token. */
    private String[] otherEnvironment() throws Exception {
        String organization = JSON.readTree(send("POST", "/api/v1/orgs", ADMIN_TOKEN, "{\"title\":\"Other\"}")
                        .body())
                .get("id")
                .asText();
        String ref = JSON.readTree(send(
                                "POST",
                                "/api/v1/orgs/" + organization + "/projects",
                                ADMIN_TOKEN,
                                "{\"name\":\"Analytics B\"}")
                        .body())
                .get("externalRef")
                .asText();
        String keys = "/api/v1/projects/" + ref + "/environments/prod/keys";
        String secret = JSON.readTree(send("POST", keys, ADMIN_TOKEN, "{}").body())
                .get("key")
                .asText();
        String worker = JSON.readTree(
                        send("POST", keys, ADMIN_TOKEN, "{\"kind\":\"worker\"}").body())
                .get("key")
                .asText();
        return new String[] {secret, worker};
    }

    private HttpResponse<String> send(String method, String path, String token, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(HappyPathScenario.url(node) + path))
                .header("authorization", "Bearer " + token)
                .method(
                        method,
                        body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) request.header("content-type", "application/json");
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
}
