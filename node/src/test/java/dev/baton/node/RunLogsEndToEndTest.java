package dev.baton.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigValueFactory;
import dev.baton.sdk.client.BatonClient;
import dev.baton.sdk.client.Run;
import dev.baton.sdk.client.RunStatus;
import dev.baton.sdk.task.RetryPolicy;
import dev.baton.sdk.task.Task;
import dev.baton.sdk.task.TaskLogger;
import dev.baton.sdk.worker.BatonWorker;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Run logs end to end on a node and PostgreSQL with the Java SDK: what a handler logs through {@code ctx.logger()}
 * comes back through {@code GET /api/v1/runs/{id}/logs} per attempt and in order, a flood is cut at the worker's
 * rate with a marker instead of silently, and {@code follow=true} streams lines while the run executes.
 */
class RunLogsEndToEndTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final int FLOOD_LINES = 50_000;
    private static final int FLOOD_RATE = 1_000;

    private static BatonNode node;
    private static BatonWorker worker;
    private static BatonWorker floodWorker;
    private static final CountDownLatch followerSawFirstLine = new CountDownLatch(1);

    @BeforeAll
    static void start() {
        Config config = TestNodes.postgresConfig(TestNodes.freshPostgresSchema("runlogs"))
                // the flood's lines all fit, so the marker's count can be checked against the stored lines
                .withValue("baton.logs.max-lines-per-run", ConfigValueFactory.fromAnyRef(100_000))
                .withValue("baton.logs.follow-interval", ConfigValueFactory.fromAnyRef("500ms"));
        node = TestNodes.start("runlogs", config);

        Task<Map, Map> flaky = Task.<Map, Map>define("logs-flaky", Map.class, (payload, ctx) -> {
                    TaskLogger log = ctx.logger().with("attempt", ctx.attemptNumber());
                    log.info("attempt {} of {}", ctx.attemptNumber(), payload.get("order"), Map.of("orderId", "o-7"));
                    log.debug("details", Map.of("items", List.of(1, 2)));
                    if (ctx.attemptNumber() == 1) {
                        IllegalStateException boom = new IllegalStateException("card declined");
                        log.error("charge failed for {}", "o-7", boom);
                        throw boom;
                    }
                    log.warn("charged on the retry");
                    return Map.of("ok", true);
                })
                .retry(new RetryPolicy(2, 1, 100, 100, false))
                .build();
        Task<Map, Map> live = Task.<Map, Map>define("logs-live", Map.class, (payload, ctx) -> {
                    ctx.logger().info("before the follower saw anything");
                    if (!followerSawFirstLine.await(30, TimeUnit.SECONDS))
                        throw new IllegalStateException("the follower never saw the first line");
                    ctx.logger().info("after the follower saw the first line");
                    return Map.of();
                })
                .build();
        worker = BatonWorker.builder(HappyPathScenario.url(node), TestNodes.WORKER_TOKEN)
                .slots(4)
                .register(flaky)
                .register(live)
                .build();
        worker.start();
        assertTrue(worker.awaitConnected(Duration.ofSeconds(30)));

        Task<Map, Map> flood = Task.<Map, Map>define("logs-flood", Map.class, (payload, ctx) -> {
                    for (int i = 0; i < FLOOD_LINES; i++) ctx.logger().info("line {}", i);
                    return Map.of("logged", FLOOD_LINES);
                })
                .build();
        floodWorker = BatonWorker.builder(HappyPathScenario.url(node), TestNodes.WORKER_TOKEN)
                .slots(1)
                .logRateLimit(FLOOD_RATE)
                .register(flood)
                .build();
        floodWorker.start();
        assertTrue(floodWorker.awaitConnected(Duration.ofSeconds(30)));
    }

    @AfterAll
    static void stop() {
        if (worker != null) worker.close();
        if (floodWorker != null) floodWorker.close();
        if (node != null) TestNodes.stop(node);
    }

    @Test
    void aRetriedRunsLinesComeBackPerAttemptInOrder() throws Exception {
        BatonClient client = HappyPathScenario.client(node);
        String runId = client.trigger("logs-flaky", Map.of("order", "o-7")).id();
        Run run = client.poll(runId, Duration.ofSeconds(60));
        assertEquals(RunStatus.COMPLETED, run.status());

        List<JsonNode> lines = data(get("/api/v1/runs/" + runId + "/logs"));
        assertEquals(
                List.of(
                        "attempt 1 of o-7",
                        "details",
                        "charge failed for o-7",
                        "attempt 2 of o-7",
                        "details",
                        "charged on the retry"),
                lines.stream().map(line -> line.path("message").asText()).toList());
        assertEquals(
                List.of(1, 1, 1, 2, 2, 2),
                lines.stream().map(line -> line.path("attemptNumber").asInt()).toList());
        assertEquals(
                List.of("info", "debug", "error", "info", "debug", "warn"),
                lines.stream().map(line -> line.path("level").asText()).toList());
        assertEquals(
                JSON.readTree("{\"attempt\":1,\"orderId\":\"o-7\"}"),
                lines.get(0).path("attributes"));
        assertEquals(
                JSON.readTree("{\"attempt\":2,\"items\":[1,2]}"), lines.get(4).path("attributes"));
        JsonNode error = lines.get(2).path("error");
        assertEquals("IllegalStateException", error.path("name").asText());
        assertEquals("card declined", error.path("message").asText());
        assertTrue(error.path("stackTrace").asText().contains("at "), error.toString());
        assertFalse(lines.get(3).has("error"));
        for (int i = 1; i < lines.size(); i++)
            assertTrue(lines.get(i).path("seq").asLong()
                    > lines.get(i - 1).path("seq").asLong());

        // filters and keyset pages
        assertEquals(
                List.of("attempt 2 of o-7", "details", "charged on the retry"),
                messages(data(get("/api/v1/runs/" + runId + "/logs?attempt=2"))));
        assertEquals(
                List.of("charge failed for o-7", "charged on the retry"),
                messages(data(get("/api/v1/runs/" + runId + "/logs?level=warn"))));
        JsonNode firstPage = get("/api/v1/runs/" + runId + "/logs?page%5Bsize%5D=4");
        assertEquals(4, firstPage.path("data").size());
        String next = firstPage.path("pagination").path("next").asText();
        assertEquals(lines.get(3).path("seq").asText(), next);
        JsonNode secondPage = get("/api/v1/runs/" + runId + "/logs?page%5Bsize%5D=4&page%5Bafter%5D=" + next);
        assertEquals(List.of("details", "charged on the retry"), messages(data(secondPage)));
        assertTrue(secondPage.path("pagination").path("next").isNull());
    }

    @Test
    void refusesWhatItCannotHonour() throws Exception {
        BatonClient client = HappyPathScenario.client(node);
        String runId = client.trigger("logs-flaky", Map.of("order", "o-8")).id();
        for (String query : List.of(
                "attempt=0",
                "attempt=x",
                "level=fatal",
                "page%5Bsize%5D=0",
                "page%5Bsize%5D=1001",
                "page%5Bafter%5D=-1",
                "follow=yes",
                "page%5Bsize%5D=5&follow=true",
                "since=1")) {
            HttpResponse<String> response = send("/api/v1/runs/" + runId + "/logs?" + query);
            assertEquals(400, response.statusCode(), query);
            String name = java.net.URLDecoder.decode(query.substring(0, query.indexOf('=')), StandardCharsets.UTF_8);
            assertTrue(JSON.readTree(response.body()).path("error").asText().contains(name), response.body());
        }
        assertEquals(404, send("/api/v1/runs/run_doesnotexist/logs").statusCode());
        // a public access token reads the logs of the runs its scopes cover, as it reads the runs
        assertEquals(200, withToken(publicToken("read:runs:" + runId), "/api/v1/runs/" + runId + "/logs"));
        assertEquals(403, withToken(publicToken("read:runs:run_other"), "/api/v1/runs/" + runId + "/logs"));
        HttpResponse<String> anonymous = HTTP.send(
                HttpRequest.newBuilder(URI.create(HappyPathScenario.url(node) + "/api/v1/runs/" + runId + "/logs"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(401, anonymous.statusCode());
    }

    @Test
    void aFloodIsCutAtTheWorkersRateWithAMarkerLine() throws Exception {
        BatonClient client = HappyPathScenario.client(node);
        String runId = client.trigger("logs-flood", Map.of()).id();
        Run run = client.poll(runId, Duration.ofSeconds(60));
        assertEquals(RunStatus.COMPLETED, run.status());
        assertEquals(FLOOD_LINES, run.output().path("logged").asInt(), "the handler ran to its end");
        assertTrue(floodWorker.logLinesDropped() > 0, "the flood went past the rate");

        // markers may follow the result: wait until every line is accounted for, stored or counted as dropped
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        long stored;
        long dropped;
        List<JsonNode> markers;
        do {
            List<JsonNode> all = allLines(runId);
            markers = all.stream()
                    .filter(line -> line.path("attributes").path("baton.marker").asBoolean())
                    .toList();
            stored = all.size() - markers.size();
            dropped = markers.stream()
                    .mapToLong(
                            line -> line.path("attributes").path("droppedLines").asLong())
                    .sum();
            if (stored + dropped == FLOOD_LINES) break;
            Thread.sleep(200);
        } while (System.nanoTime() < deadline);
        assertEquals(FLOOD_LINES, stored + dropped, "every line is stored or counted in a marker");
        assertFalse(markers.isEmpty());
        assertTrue(stored >= FLOOD_RATE, "at least the first second's worth is kept: " + stored);
        assertTrue(dropped > 0);
        JsonNode marker = markers.get(0);
        assertEquals("warn", marker.path("level").asText());
        assertTrue(
                marker.path("message").asText().endsWith("lines/s, or its buffer of 10000 lines was full"),
                marker.toString());
        assertEquals(dropped, floodWorker.logLinesDropped());

        // following a finished run sends every stored line, page after page, then the end
        Followed followed = follow(runId, line -> {});
        assertEquals(stored + markers.size(), followed.messages().size());
        assertEquals("COMPLETED", followed.endStatus());
    }

    @Test
    void followStreamsLinesWhileTheRunExecutesAndEndsWithIt() throws Exception {
        BatonClient client = HappyPathScenario.client(node);
        String runId = client.trigger("logs-live", Map.of()).id();
        // the handler logs its second line only once the follower has its first: it came live
        Followed followed = follow(runId, line -> followerSawFirstLine.countDown());
        assertEquals(
                List.of("before the follower saw anything", "after the follower saw the first line"),
                followed.messages(),
                followed::raw);
        assertEquals("COMPLETED", followed.endStatus(), "the stream ends with the run");
    }

    /** What a follow stream sent: its lines' messages, the end event's status, and the raw text for failures. */
    private record Followed(List<String> messages, String endStatus, String raw) {}

    private static Followed follow(String runId, java.util.function.Consumer<JsonNode> onLine) throws Exception {
        HttpResponse<InputStream> stream = HTTP.send(
                request("/api/v1/runs/" + runId + "/logs?follow=true").build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, stream.statusCode());
        assertEquals(
                "text/event-stream", stream.headers().firstValue("Content-Type").orElse(""));
        List<String> messages = new ArrayList<>();
        StringBuilder raw = new StringBuilder();
        String endStatus = null;
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(stream.body(), StandardCharsets.UTF_8))) {
            // an event is its fields up to a blank line, in any order (akka-http writes data first)
            String event = null;
            String data = null;
            String line;
            while ((line = reader.readLine()) != null) {
                if (raw.length() < 20_000) raw.append(line).append('\n');
                if (line.startsWith("event:")) event = line.substring(6).trim();
                else if (line.startsWith("data:")) data = line.substring(5);
                else if (line.isEmpty()) {
                    if ("log".equals(event)) {
                        JsonNode logged = JSON.readTree(data);
                        messages.add(logged.path("message").asText());
                        onLine.accept(logged);
                    } else if ("end".equals(event)) {
                        endStatus = JSON.readTree(data).path("status").asText();
                    }
                    event = null;
                    data = null;
                }
            }
        }
        return new Followed(messages, endStatus, raw.toString());
    }

    // ---------------------------------------------------------------- helpers

    private static String publicToken(String scope) throws Exception {
        HttpResponse<String> minted = HTTP.send(
                request("/api/v1/auth/public-tokens")
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"scopes\":[\"" + scope + "\"]}"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, minted.statusCode(), minted.body());
        return JSON.readTree(minted.body()).path("token").asText();
    }

    private static int withToken(String token, String path) throws Exception {
        return HTTP.send(
                        HttpRequest.newBuilder(URI.create(HappyPathScenario.url(node) + path))
                                .header("Authorization", "Bearer " + token)
                                .build(),
                        HttpResponse.BodyHandlers.ofString())
                .statusCode();
    }

    private static List<JsonNode> allLines(String runId) throws Exception {
        List<JsonNode> all = new ArrayList<>();
        String after = "0";
        while (true) {
            JsonNode page = get("/api/v1/runs/" + runId + "/logs?page%5Bsize%5D=1000&page%5Bafter%5D=" + after);
            all.addAll(data(page));
            JsonNode next = page.path("pagination").path("next");
            if (next.isNull()) return all;
            after = next.asText();
        }
    }

    private static List<String> messages(List<JsonNode> lines) {
        return lines.stream().map(line -> line.path("message").asText()).toList();
    }

    private static List<JsonNode> data(JsonNode page) {
        List<JsonNode> lines = new ArrayList<>();
        page.path("data").forEach(lines::add);
        return lines;
    }

    private static JsonNode get(String path) throws Exception {
        HttpResponse<String> response = send(path);
        assertEquals(200, response.statusCode(), response.body());
        return JSON.readTree(response.body());
    }

    private static HttpResponse<String> send(String path) throws Exception {
        return HTTP.send(request(path).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create(HappyPathScenario.url(node) + path))
                .header("Authorization", "Bearer " + TestNodes.SECRET_KEY)
                .timeout(Duration.ofSeconds(60));
    }
}
