package dev.baton.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.baton.engine.task.TaskDefinition;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/**
 * Bulk actions on a full node over PostgreSQL, through the HTTP API: cancel by filter and by ids, replay, abort,
 * the list, the refusals; and an action that resumes after its node stopped mid-way, processing every run once.
 * No worker is connected, so triggered runs stay QUEUED until something cancels them.
 */
class BulkActionsNodeTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final Duration WAIT = Duration.ofSeconds(120);

    private static Config config(String schema, int pageSize, int concurrency) {
        return ConfigFactory.parseString("baton.engine.bulk-actions.page-size = " + pageSize
                        + "\nbaton.engine.bulk-actions.concurrency = " + concurrency
                        + "\nbaton.projections.bulk-action-index.sweep-interval = 1s")
                .withFallback(TestNodes.postgresConfig(TestNodes.freshPostgresSchema(schema)));
    }

    @Test
    void cancelsAndReplaysByFilterAndByIdsAndAborts() throws Exception {
        BatonNode node = TestNodes.start("bulk-actions", config("bulk_actions", 2, 2));
        try {
            declare(node);

            // Cancel by filter: every QUEUED run tagged f1, and nothing else.
            List<String> filtered = trigger(node, "f1", 5);
            List<String> untouched = trigger(node, "other", 2);
            awaitListed(node, "f1", 5);
            awaitListed(node, "other", 2);
            String byFilter = create(
                    node,
                    "{\"action\":\"cancel\",\"name\":\"by filter\",\"filter\":"
                            + "{\"tag\":\"f1\",\"status\":[\"QUEUED\",\"DELAYED\"]}}");
            assertTrue(byFilter.startsWith("bulk_"), byFilter);
            JsonNode done = awaitEnded(node, byFilter);
            assertEquals("COMPLETED", done.get("status").asText());
            assertEquals("CANCEL", done.get("type").asText());
            assertEquals("by filter", done.get("name").asText());
            assertCounts(done, 5, 5, 0);
            assertNotNull(done.get("completedAt"));
            for (String runId : filtered) assertEquals("CANCELED", status(node, runId));
            for (String runId : untouched) assertEquals("QUEUED", status(node, runId));

            // Cancel by ids: a finished run and an unknown id are failures, as Trigger.dev counts them.
            List<String> byIds = trigger(node, "i1", 3);
            send(node, "POST", "/api/v2/runs/" + byIds.get(0) + "/cancel", null, 200);
            String cancelIds = create(
                    node,
                    "{\"action\":\"cancel\",\"runIds\":[\"" + String.join("\",\"", byIds)
                            + "\",\"run_doesnotexist0000000000\"]}");
            JsonNode idsDone = awaitEnded(node, cancelIds);
            assertEquals("COMPLETED", idsDone.get("status").asText());
            assertCounts(idsDone, 4, 2, 2);
            for (String runId : byIds) assertEquals("CANCELED", status(node, runId));

            // Replay by ids: one new run per original, carrying its tags.
            String replay =
                    create(node, "{\"action\":\"replay\",\"runIds\":[\"" + String.join("\",\"", byIds) + "\"]}");
            JsonNode replayed = awaitEnded(node, replay);
            assertEquals("REPLAY", replayed.get("type").asText());
            assertCounts(replayed, 3, 3, 0);
            List<String> i1Runs = awaitListed(node, "i1", 6);
            assertEquals(6, new HashSet<>(i1Runs).size());

            // The list, newest first, in keyset pages.
            JsonNode listed = await(
                    () -> send(node, "GET", "/api/v1/bulk-actions", null, 200),
                    page -> page.get("data").size() == 3
                            && page.get("data")
                                            .get(2)
                                            .get("counts")
                                            .get("success")
                                            .asLong()
                                    == 5,
                    WAIT);
            assertEquals(replay, listed.get("data").get(0).get("id").asText());
            assertEquals(byFilter, listed.get("data").get(2).get("id").asText());
            JsonNode first = send(node, "GET", "/api/v1/bulk-actions?page%5Bsize%5D=1", null, 200);
            assertEquals(1, first.get("data").size());
            String next = first.get("pagination").get("next").asText();
            JsonNode second =
                    send(node, "GET", "/api/v1/bulk-actions?page%5Bsize%5D=1&page%5Bafter%5D=" + next, null, 200);
            assertEquals(cancelIds, second.get("data").get(0).get("id").asText());

            // Abort: asked right after the create, well before its 60 runs are through (2 per page, 2 at a time).
            List<String> many = trigger(node, "a1", 60);
            awaitListed(node, "a1", 60);
            String aborted = create(node, "{\"action\":\"cancel\",\"filter\":{\"tag\":[\"a1\"]}}");
            assertEquals(
                    aborted,
                    send(node, "POST", "/api/v1/bulk-actions/" + aborted + "/abort", null, 200)
                            .get("id")
                            .asText());
            JsonNode abortedState = send(node, "GET", "/api/v1/bulk-actions/" + aborted, null, 200);
            assertEquals("ABORTED", abortedState.get("status").asText());
            assertEquals(60, abortedState.get("counts").get("total").asLong());
            assertTrue(abortedState.get("completedAt") == null, abortedState.toString());
            assertTrue(abortedState.get("counts").get("success").asLong() < 60, abortedState.toString());
            long stillQueued = 0;
            for (String runId : many) if (status(node, runId).equals("QUEUED")) stillQueued++;
            assertTrue(stillQueued > 0, "an aborted action leaves the rest of its runs alone");
            assertTrue(send(node, "POST", "/api/v1/bulk-actions/" + aborted + "/abort", null, 409)
                    .get("error")
                    .asText()
                    .contains("already aborted"));
            assertTrue(send(node, "POST", "/api/v1/bulk-actions/" + byFilter + "/abort", null, 409)
                    .get("error")
                    .asText()
                    .contains("already completed"));
            send(node, "POST", "/api/v1/bulk-actions/bulk_unknown/abort", null, 404);
            send(node, "GET", "/api/v1/bulk-actions/bulk_unknown", null, 404);

            // Refusals name what they refuse.
            assertRefused(node, "{\"action\":\"cancel\",\"filter\":{\"colour\":\"red\"}}", "filter.colour");
            assertRefused(node, "{\"action\":\"cancel\",\"filter\":{\"status\":\"SLEEPY\"}}", "filter.status");
            assertRefused(node, "{\"action\":\"cancel\",\"filter\":{\"tag\":\"\"}}", "At least one filter");
            assertRefused(
                    node, "{\"action\":\"cancel\",\"filter\":{\"tag\":\"x\"},\"runIds\":[\"run_a\"]}", "Exactly one");
            assertRefused(
                    node, "{\"action\":\"replay\",\"runIds\":[\"run_a\"],\"targetRegion\":\"eu\"}", "targetRegion");
            assertRefused(node, "{\"action\":\"delete\",\"runIds\":[\"run_a\"]}", "action");
            assertRefused(node, "{\"action\":\"cancel\",\"runIds\":[\"run_a\"],\"priority\":1}", "priority");
            StringBuilder tooMany = new StringBuilder("{\"action\":\"cancel\",\"runIds\":[\"run_0\"");
            for (int i = 1; i <= 500; i++) tooMany.append(",\"run_").append(i).append('"');
            assertRefused(node, tooMany.append("]}").toString(), "Too many runIds");
        } finally {
            TestNodes.stop(node);
        }
    }

    @Test
    void actionsResumeAfterTheirNodeStopsAndProcessEveryRunOnce() throws Exception {
        Config config = config("bulk_actions_restart", 3, 1);
        BatonNode node = TestNodes.start("bulk-actions-restart", config);
        String replay;
        String cancel;
        List<String> originals;
        List<String> toCancel;
        try {
            declare(node);
            originals = trigger(node, "r", 60);
            toCancel = trigger(node, "c", 90);
            awaitListed(node, "r", 60);
            awaitListed(node, "c", 90);
            replay = create(node, "{\"action\":\"replay\",\"filter\":{\"tag\":\"r\",\"taskIdentifier\":\"held\"}}");
            cancel = create(node, "{\"action\":\"cancel\",\"filter\":{\"tag\":\"c\"}}");
            for (String id : List.of(replay, cancel)) {
                JsonNode midway = await(
                        () -> send(node, "GET", "/api/v1/bulk-actions/" + id, null, 200),
                        state -> state.get("counts").get("success").asLong() >= 3,
                        WAIT);
                assertEquals("PENDING", midway.get("status").asText(), "stopped mid-way: " + midway);
            }
        } finally {
            TestNodes.stop(node);
        }

        BatonNode restarted = TestNodes.start("bulk-actions-restarted", config);
        try {
            // The sweeper wakes the pending actions; each goes on from its recorded page and cursor.
            JsonNode replayed = awaitEnded(restarted, replay);
            assertEquals("COMPLETED", replayed.get("status").asText());
            assertCounts(replayed, 60, 60, 0);
            JsonNode canceled = awaitEnded(restarted, cancel);
            assertEquals("COMPLETED", canceled.get("status").asText());
            // A run whose cancel the stop interrupted before its outcome was recorded still counts as the action's.
            assertCounts(canceled, 90, 90, 0);
            for (String runId : toCancel) assertEquals("CANCELED", status(restarted, runId));
            // One replay per original, never two: the runs tagged r are the originals and exactly 60 replays.
            List<String> tagged = awaitListed(restarted, "r", 120);
            assertEquals(120, new HashSet<>(tagged).size());
            assertTrue(tagged.containsAll(originals));
            Thread.sleep(2_000);
            assertEquals(120, listed(restarted, "r").size(), "no replay made after the action completed");
        } finally {
            TestNodes.stop(restarted);
        }
    }

    // ---------------------------------------------------------------- helpers

    private static void declare(BatonNode node) throws Exception {
        node.engine()
                .declareTasks(
                        node.credentials().environment().id(),
                        List.of(new TaskDefinition("held", null, null, null, null)))
                .toCompletableFuture()
                .get(30, TimeUnit.SECONDS);
    }

    /** Triggers {@code count} runs of {@code held} tagged {@code tag}, 8 at a time; their ids. */
    private static List<String> trigger(BatonNode node, String tag, int count) throws Exception {
        List<String> ids = new ArrayList<>();
        for (int from = 0; from < count; from += 8) {
            List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
            for (int i = from; i < Math.min(count, from + 8); i++) {
                calls.add(HTTP.sendAsync(
                        request(
                                node,
                                "POST",
                                "/api/v1/tasks/held/trigger",
                                "{\"payload\":{\"i\":" + i + "},\"options\":{\"tags\":[\"" + tag + "\"]}}"),
                        HttpResponse.BodyHandlers.ofString()));
            }
            for (CompletableFuture<HttpResponse<String>> call : calls) {
                HttpResponse<String> response = call.get(60, TimeUnit.SECONDS);
                assertEquals(200, response.statusCode(), response.body());
                ids.add(JSON.readTree(response.body()).get("id").asText());
            }
        }
        return ids;
    }

    private static String create(BatonNode node, String body) throws Exception {
        return send(node, "POST", "/api/v1/bulk-actions", body, 202).get("id").asText();
    }

    private static void assertRefused(BatonNode node, String body, String named) throws Exception {
        String error = send(node, "POST", "/api/v1/bulk-actions", body, 400)
                .get("error")
                .asText();
        assertTrue(error.contains(named), error);
    }

    private static void assertCounts(JsonNode action, long total, long success, long failure) {
        JsonNode counts = action.get("counts");
        assertEquals(total, counts.get("total").asLong(), action.toString());
        assertEquals(success, counts.get("success").asLong(), action.toString());
        assertEquals(failure, counts.get("failure").asLong(), action.toString());
    }

    private static JsonNode awaitEnded(BatonNode node, String id) throws Exception {
        return await(
                () -> send(node, "GET", "/api/v1/bulk-actions/" + id, null, 200),
                state -> !state.get("status").asText().equals("PENDING"),
                WAIT);
    }

    private static String status(BatonNode node, String runId) throws Exception {
        return send(node, "GET", "/api/v3/runs/" + runId, null, 200)
                .get("status")
                .asText();
    }

    /** The run ids tagged {@code tag}, once the run index lists {@code count} of them. */
    private static List<String> awaitListed(BatonNode node, String tag, int count) throws Exception {
        Instant deadline = Instant.now().plus(WAIT);
        while (true) {
            List<String> ids = listed(node, tag);
            if (ids.size() == count) return ids;
            if (Instant.now().isAfter(deadline)) throw new AssertionError("listed " + ids.size() + " of " + count);
            Thread.sleep(250);
        }
    }

    private static List<String> listed(BatonNode node, String tag) throws Exception {
        List<String> ids = new ArrayList<>();
        String after = null;
        do {
            String path =
                    "/api/v1/runs?page%5Bsize%5D=100&filter%5Btag%5D=" + URLEncoder.encode(tag, StandardCharsets.UTF_8)
                            + (after == null ? "" : "&page%5Bafter%5D=" + after);
            JsonNode page = send(node, "GET", path, null, 200);
            page.get("data").forEach(run -> ids.add(run.get("id").asText()));
            JsonNode next = page.get("pagination").get("next");
            after = next == null || next.isNull() ? null : next.asText();
        } while (after != null);
        return ids;
    }

    private static JsonNode await(ThrowingSupplier<JsonNode> call, Predicate<JsonNode> until, Duration timeout)
            throws Exception {
        Instant deadline = Instant.now().plus(timeout);
        JsonNode value = call.get();
        while (!until.test(value)) {
            if (Instant.now().isAfter(deadline)) throw new AssertionError("never got there: " + value);
            Thread.sleep(100);
            value = call.get();
        }
        return value;
    }

    private interface ThrowingSupplier<T> {
        T get() throws Exception;
    }

    private static HttpRequest request(BatonNode node, String method, String path, String body) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.httpPort() + path))
                .header("Authorization", "Bearer " + TestNodes.SECRET_KEY)
                .timeout(Duration.ofSeconds(60));
        return (body == null
                        ? request.method(method, HttpRequest.BodyPublishers.noBody())
                        : request.header("Content-Type", "application/json")
                                .method(method, HttpRequest.BodyPublishers.ofString(body)))
                .build();
    }

    private static JsonNode send(BatonNode node, String method, String path, String body, int expected)
            throws Exception {
        HttpResponse<String> response =
                HTTP.send(request(node, method, path, body), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != expected) {
            throw new AssertionError(method + " " + path + ": " + response.statusCode() + " " + response.body());
        }
        return JSON.readTree(response.body());
    }
}
