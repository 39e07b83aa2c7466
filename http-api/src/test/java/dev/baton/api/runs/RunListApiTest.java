package dev.baton.api.runs;

import static dev.baton.api.ApiTestServer.json;
import static dev.baton.api.runs.TriggerTaskTest.assertError;
import static dev.baton.api.runs.TriggerTaskTest.texts;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import akka.actor.testkit.typed.javadsl.TestProbe;
import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.api.ApiTestServer;
import dev.baton.engine.environment.Environment;
import dev.baton.engine.task.RetryPolicy;
import dev.baton.engine.task.TaskDefinition;
import dev.baton.engine.worker.RunError;
import dev.baton.engine.worker.WorkerChannel;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code GET /api/v1/runs} and {@code GET /api/v1/projections}: authentication before anything, a 400
 * naming the parameter for every bad value (never a 5xx), and items that say what retrieve says, with
 * the environment and without nulls. Runs are driven through the engine, then projected into the read
 * model by the run index handler.
 */
class RunListApiTest {

    private static final String KEY = "tr_dev_list_test_key";
    private static final String OTHER_KEY = "tr_prod_list_other_key";
    /** The common run fields (Trigger.dev's), which list and retrieve must agree on. */
    private static final List<String> COMMON_FIELDS = List.of(
            "id",
            "status",
            "taskIdentifier",
            "isQueued",
            "isExecuting",
            "isWaiting",
            "isCompleted",
            "isSuccess",
            "isFailed",
            "isCancelled",
            "isTest",
            "createdAt",
            "updatedAt",
            "startedAt",
            "finishedAt",
            "delayedUntil",
            "ttl",
            "expiredAt",
            "tags",
            "costInCents",
            "baseCostInCents",
            "durationMs",
            "idempotencyKey");

    private static ApiTestServer server;
    private static Environment environment;
    private static final Map<String, String> runs = new LinkedHashMap<>();
    private static String otherRun;

    @BeforeAll
    static void start() throws Exception {
        server = ApiTestServer.start("RunListApiTest");
        environment = server.environment("lister", "staging", KEY);
        server.declareTask(environment, "hello-world");
        // Retries an hour apart: the retrying run stays RETRYING while the tests compare it.
        server.node()
                .engine()
                .declareTasks(
                        environment.id(),
                        List.of(new TaskDefinition(
                                "charge", null, null, new RetryPolicy(3, 1, 3_600_000, 3_600_000, false), null)))
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
        Environment other = server.environment("other", "prod", OTHER_KEY);
        server.declareTask(other, "hello-world");

        runs.put("queued", trigger("hello-world", "{\"options\":{\"tags\":[\"a\",\"b\"],\"ttl\":\"1h\"}}"));
        runs.put("delayed", trigger("hello-world", "{\"options\":{\"delay\":\"2h\",\"tags\":\"later\"}}"));
        runs.put("test", trigger("charge", "{\"options\":{\"test\":true,\"idempotencyKey\":\"order-1\"}}"));
        runs.put("completed", trigger("hello-world", "{\"options\":{\"tags\":[\"b\"]}}"));
        runs.put("retrying", trigger("charge", "{\"options\":{\"maxAttempts\":3}}"));
        runs.put("failed", trigger("charge", "{\"options\":{\"maxAttempts\":1,\"tags\":[\"a\"]}}"));
        runs.put("canceled", trigger("hello-world", "{}"));
        otherRun = trigger("hello-world", "{}", OTHER_KEY);

        TestProbe<WorkerChannel.Message> worker = server.node().testKit().createTestProbe();
        String attempt = server.startExecuting(runs.get("completed"), worker);
        Thread.sleep(20);
        server.node()
                .engine()
                .runs()
                .complete(runs.get("completed"), attempt, "{\"ok\":true}")
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
        RunError boom = new RunError("Error", "boom", null);
        for (String name : List.of("retrying", "failed")) {
            attempt = server.startExecuting(runs.get(name), worker);
            server.node()
                    .engine()
                    .runs()
                    .fail(runs.get(name), attempt, boom, true)
                    .toCompletableFuture()
                    .get(10, TimeUnit.SECONDS);
        }
        server.postEmpty("/api/v2/runs/" + runs.get("canceled") + "/cancel", KEY);
        server.post("/api/v1/runs/" + runs.get("queued") + "/tags", KEY, "{\"tags\":[\"c\",\"a\"]}");
        server.projectRuns();
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    private static String trigger(String task, String body) throws Exception {
        return trigger(task, body, KEY);
    }

    private static String trigger(String task, String body, String key) throws Exception {
        HttpResponse<String> response = server.post("/api/v1/tasks/" + task + "/trigger", key, body);
        assertEquals(200, response.statusCode(), response.body());
        return json(response).get("id").asText();
    }

    private static JsonNode list(String query) throws Exception {
        return list(query, KEY);
    }

    private static JsonNode list(String query, String key) throws Exception {
        HttpResponse<String> response = server.get("/api/v1/runs" + query, key);
        assertEquals(200, response.statusCode(), response.body());
        JsonNode body = json(response);
        assertNoNulls(body, "$");
        assertTrue(body.get("pagination").isObject(), "pagination is always there");
        return body;
    }

    private static List<String> ids(JsonNode body) {
        List<String> ids = new ArrayList<>();
        body.get("data").forEach(item -> ids.add(item.get("id").asText()));
        return ids;
    }

    private static Set<String> idSet(JsonNode body) {
        return new TreeSet<>(ids(body));
    }

    private static Set<String> runsNamed(String... names) {
        Set<String> ids = new TreeSet<>();
        for (String name : names) ids.add(runs.get(name));
        return ids;
    }

    private static String q(String name, String value) {
        return URLEncoder.encode(name, StandardCharsets.UTF_8) + "=" + URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    /** Trigger.dev's docs write {@code ?page[size]=2} as is; curl -g and hand-written clients send the brackets raw. */
    @Test
    void unencodedBracketsInTheQueryAreTheSameAsEncodedOnes() throws Exception {
        String[] raw = server.sendRaw("GET", "/api/v1/runs?page[size]=2", KEY, 0, null);
        assertTrue(raw[0].contains(" 200 "), raw[0] + " " + raw[1]);
        JsonNode body = new com.fasterxml.jackson.databind.ObjectMapper().readTree(raw[1]);
        assertEquals(ids(list("?" + q("page[size]", "2"))), ids(body));
        assertEquals(2, ids(body).size());
    }

    @Test
    void everyItemSaysWhatRetrieveSaysWithItsEnvironment() throws Exception {
        JsonNode body = list("");
        List<String> expectedOrder = new ArrayList<>(runs.values());
        java.util.Collections.reverse(expectedOrder);
        assertEquals(expectedOrder, ids(body), "newest first");
        assertFalse(body.get("pagination").has("next"));
        assertFalse(body.get("pagination").has("previous"));
        for (JsonNode item : body.get("data")) {
            JsonNode retrieved = server.retrieve(item.get("id").asText(), KEY);
            for (String field : COMMON_FIELDS) {
                assertEquals(
                        retrieved.get(field), item.get(field), item.get("id").asText() + " " + field);
            }
            assertEquals(environment.id(), item.get("env").get("id").asText());
            assertEquals("staging", item.get("env").get("name").asText());
            assertEquals(Set.of("id", "name"), fieldNames(item.get("env")));
        }
        JsonNode queued = body.get("data").get(expectedOrder.indexOf(runs.get("queued")));
        assertEquals(List.of("a", "b", "c"), texts(queued.get("tags")));
        assertEquals("1h", queued.get("ttl").asText());
        JsonNode test = body.get("data").get(expectedOrder.indexOf(runs.get("test")));
        assertTrue(test.get("isTest").asBoolean());
        assertEquals("order-1", test.get("idempotencyKey").asText());
        JsonNode completed = body.get("data").get(expectedOrder.indexOf(runs.get("completed")));
        assertTrue(completed.get("durationMs").asLong() >= 20, completed.toString());
    }

    @Test
    void anotherEnvironmentsRunsNeverAppear() throws Exception {
        assertEquals(List.of(otherRun), ids(list("", OTHER_KEY)));
        assertEquals(
                "prod",
                list("", OTHER_KEY).get("data").get(0).get("env").get("name").asText());
        assertFalse(ids(list("")).contains(otherRun));
        assertFalse(ids(list("?" + q("filter[taskIdentifier]", "hello-world"))).contains(otherRun));
    }

    @Test
    void filtersSelectTheRunsTheyName() throws Exception {
        assertEquals(runsNamed("completed"), idSet(list("?" + q("filter[status]", "COMPLETED"))));
        assertEquals(
                runsNamed("retrying"),
                idSet(list("?" + q("filter[status]", "EXECUTING"))),
                "EXECUTING includes a run waiting out its retry backoff, as it is shown");
        assertEquals(runsNamed("retrying"), idSet(list("?" + q("filter[status]", "REATTEMPTING"))), "a v1 name");
        assertEquals(runsNamed("failed", "canceled"), idSet(list("?" + q("filter[status]", "FAILED,CANCELED"))));
        assertEquals(runsNamed("queued", "test"), idSet(list("?" + q("filter[status]", "QUEUED"))));
        assertEquals(runsNamed("delayed"), idSet(list("?" + q("filter[status]", "delayed"))));
        assertEquals(Set.of(), idSet(list("?" + q("filter[status]", "INTERRUPTED"))));
        assertEquals(runsNamed("test", "retrying", "failed"), idSet(list("?" + q("filter[taskIdentifier]", "charge"))));
        assertEquals(runsNamed("queued", "failed", "completed"), idSet(list("?" + q("filter[tag]", "a,b"))));
        assertEquals(runsNamed("queued"), idSet(list("?" + q("filter[tag]", "c"))), "a tag added after the trigger");
        assertEquals(runsNamed("test", "retrying", "failed"), idSet(list("?" + q("filter[queue]", "task/charge"))));
        assertEquals(runsNamed("test"), idSet(list("?" + q("filter[isTest]", "true"))));
        assertEquals(6, ids(list("?" + q("filter[isTest]", "false"))).size());
        assertEquals(7, ids(list("?" + q("filter[createdAt][period]", "1h"))).size());
        assertEquals(
                7,
                ids(list("?" + q("filter[createdAt][from]", "0") + "&"
                                + q("filter[createdAt][to]", String.valueOf(System.currentTimeMillis()))))
                        .size());
        assertEquals(Set.of(), idSet(list("?" + q("filter[createdAt][to]", "1000"))));
        assertEquals(Set.of(), idSet(list("?" + q("filter[version]", "20250101.1"))));
        assertEquals(Set.of(), idSet(list("?" + q("filter[machine]", "small-1x"))));
        assertEquals(
                runsNamed("failed"),
                idSet(list("?" + q("filter[status]", "FAILED") + "&" + q("filter[tag]", "a") + "&"
                        + q("filter[isTest]", "false"))));
        assertEquals(
                7,
                ids(list("?" + q("filter[status]", "") + "&" + q("filter[tag]", " ")))
                        .size(),
                "empty: no filter");
    }

    @Test
    void cursorsWalkDownAndBackUp() throws Exception {
        List<String> all = ids(list(""));
        List<String> down = new ArrayList<>();
        List<JsonNode> pages = new ArrayList<>();
        JsonNode page = list("?" + q("page[size]", "3"));
        while (true) {
            pages.add(page);
            down.addAll(ids(page));
            JsonNode next = page.get("pagination").get("next");
            if (next == null) break;
            assertEquals(3, ids(page).size());
            page = list("?" + q("page[size]", "3") + "&" + q("page[after]", next.asText()));
            assertTrue(page.get("pagination").has("previous"));
        }
        assertEquals(all, down);
        assertEquals(3, pages.size());
        // The SDK's getPreviousPage() sends the page's own after cursor along with before: before wins.
        JsonNode back = list("?" + q("page[size]", "3") + "&"
                + q("page[after]", pages.get(1).get("pagination").get("next").asText()) + "&"
                + q(
                        "page[before]",
                        pages.get(2).get("pagination").get("previous").asText()));
        assertEquals(ids(pages.get(1)), ids(back));
        assertTrue(back.get("pagination").has("next"));
        back = list("?" + q("page[size]", "3") + "&"
                + q("page[before]", back.get("pagination").get("previous").asText()));
        assertEquals(ids(pages.get(0)), ids(back));
        assertFalse(back.get("pagination").has("previous"), "nothing newer than the first page");
    }

    @Test
    void authenticationComesFirst() throws Exception {
        assertError(server.get("/api/v1/runs", null), 401, "Invalid or Missing API key");
        assertError(server.get("/api/v1/runs?page%5Bsize%5D=0", "tr_dev_wrong"), 401, "Invalid or Missing API key");
        assertError(server.get("/api/v1/projections", null), 401, "Invalid or Missing API key");
    }

    @Test
    void badParametersAreA400NamingThem() throws Exception {
        String foreignCursor = Base64.getUrlEncoder()
                .withoutPadding()
                .encodeToString("99999999999999999999:run_x".getBytes(StandardCharsets.UTF_8));
        String farCursor = Base64.getUrlEncoder()
                .withoutPadding()
                .encodeToString("9000000000000000000:run_x".getBytes(StandardCharsets.UTF_8));
        Map<String, String> bad = new LinkedHashMap<>();
        bad.put(q("page[size]", "0"), "page[size]");
        bad.put(q("page[size]", "101"), "page[size]");
        bad.put(q("page[size]", "-1"), "page[size]");
        bad.put(q("page[size]", "ten"), "page[size]");
        bad.put(q("page[size]", "99999999999999999999"), "page[size]");
        bad.put(q("page[after]", "not-a-cursor"), "page[after]");
        bad.put(q("page[after]", foreignCursor), "page[after]");
        bad.put(q("page[before]", farCursor), "page[before]");
        bad.put(q("page[before]", "%%%"), "page[before]");
        bad.put(q("filter[status]", "RUNNING"), "filter[status]");
        bad.put(q("filter[isTest]", "yes"), "filter[isTest]");
        bad.put(q("filter[createdAt][from]", "yesterday"), "filter[createdAt][from]");
        bad.put(q("filter[createdAt][to]", "12.5"), "filter[createdAt][to]");
        bad.put(q("filter[createdAt][period]", "forever"), "filter[createdAt][period]");
        bad.put(q("filter[createdAt][period]", "99999999999999999999d"), "filter[createdAt][period]");
        bad.put(q("filter[batch]", "batch_1,batch_2"), "filter[batch]");
        bad.put(
                q(
                        "filter[tag]",
                        String.join(
                                ",",
                                java.util.stream.IntStream.rangeClosed(1, 101)
                                        .mapToObj(i -> "t" + i)
                                        .toList())),
                "filter[tag]");
        for (Map.Entry<String, String> entry : bad.entrySet()) {
            HttpResponse<String> response = server.get("/api/v1/runs?" + entry.getKey(), KEY);
            assertError(response, 400, null);
            assertTrue(
                    json(response).get("error").asText().contains(entry.getValue()),
                    entry.getKey() + " → " + response.body());
        }
    }

    @Test
    void extremeButValidValuesAreNoServerError() throws Exception {
        for (String query : List.of(
                q("filter[createdAt][from]", "-9999999999999999"),
                q("filter[createdAt][to]", "9999999999999999"),
                q("filter[createdAt][period]", "999999w"),
                q("filter[createdAt][from]", "2025-01-01T00:00:00Z"),
                q("filter[tag]", "x".repeat(1500)),
                q("filter[status]", "QUEUED,QUEUED,WAITING_FOR_DEPLOY,FROZEN"),
                q("page[size]", "100"),
                q("unknown", "ignored"))) {
            list("?" + query);
        }
    }

    @Test
    void projectionLagListsTheRunIndexTags() throws Exception {
        HttpResponse<String> response = server.get("/api/v1/projections", KEY);
        assertEquals(200, response.statusCode(), response.body());
        JsonNode data = json(response).get("data");
        Set<String> keys = new TreeSet<>();
        data.forEach(entry -> {
            if (entry.get("name").asText().equals("baton-run-index"))
                keys.add(entry.get("key").asText());
        });
        assertEquals(Set.of("run-0", "run-1", "run-2", "run-3"), keys);
        assertNoNulls(json(response), "$");
    }

    private static Set<String> fieldNames(JsonNode node) {
        Set<String> names = new TreeSet<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private static void assertNoNulls(JsonNode node, String path) {
        if (node.isNull()) fail("null at " + path);
        if (node.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> fields = node.fields(); fields.hasNext(); ) {
                Map.Entry<String, JsonNode> field = fields.next();
                assertNoNulls(field.getValue(), path + "." + field.getKey());
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) assertNoNulls(node.get(i), path + "[" + i + "]");
        }
    }
}
