package dev.baton.api.realtime;

import static dev.baton.api.ApiTestServer.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.testkit.typed.javadsl.TestProbe;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import dev.baton.api.ApiTestServer;
import dev.baton.engine.environment.Environment;
import dev.baton.engine.worker.WorkerChannel;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The realtime routes as Electric's client sees them: the shape of a snapshot and its headers, offsets and
 * handles, a live request held until its run changes or its hold ends, and what is refused (401, 403, 404, 400,
 * 409, 429).
 */
class RealtimeRoutesTest {

    private static final String KEY = "tr_dev_sk_realtimeRoutesTestKey01";
    private static final String OTHER_KEY = "tr_dev_sk_realtimeRoutesOtherEnv1";
    /** Long enough that a held request is still held when the test changes its run, short enough to wait out. */
    private static final Duration HOLD = Duration.ofSeconds(4);

    private static ApiTestServer server;
    private static Environment environment;
    private static HttpClient client;

    @BeforeAll
    static void start() throws Exception {
        server = ApiTestServer.start(
                "RealtimeRoutesTest",
                ConfigFactory.parseString("baton.http.realtime.live-hold = " + HOLD.toMillis() + "ms\n"
                        + "baton.http.realtime.max-live-per-environment = 2\n"
                        // Shorter than a hold: a held request must outlive it.
                        + "akka.http.server.request-timeout = 2s"));
        environment = server.environment("realtime", "dev", KEY);
        Environment other = server.environment("realtime", "prod", OTHER_KEY);
        server.declareTask(environment, "hello-world");
        server.declareTask(other, "hello-world");
        client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    @Test
    void aSnapshotIsTheRunAsATaskRunRowWithElectricsHeaders() throws Exception {
        String runId = trigger("{\"payload\":{\"n\":1},\"options\":{\"tags\":[\"snap\"]}}");
        HttpResponse<String> response = get("/realtime/v1/runs/" + runId + "?offset=-1", KEY);
        assertEquals(200, response.statusCode(), response.body());
        assertEquals(
                "application/json",
                response.headers().firstValue("content-type").orElseThrow());
        assertEquals("no-store", response.headers().firstValue("cache-control").orElseThrow());
        assertEquals(
                "*",
                response.headers().firstValue("access-control-allow-origin").orElseThrow());
        assertEquals(
                "*",
                response.headers().firstValue("access-control-expose-headers").orElseThrow());
        assertTrue(offset(response).matches("\\d+_\\d+"), offset(response));
        assertFalse(handle(response).isBlank());
        JsonNode schema = new ObjectMapper().readTree(header(response, "electric-schema"));
        assertEquals("timestamp", schema.get("createdAt").get("type").asText());
        assertEquals(1, schema.get("runTags").get("dims").asInt());

        JsonNode messages = json(response);
        assertEquals(2, messages.size());
        JsonNode insert = messages.get(0);
        assertEquals(
                "\"public\".\"TaskRun\"/\"" + runId + "\"", insert.get("key").asText());
        assertEquals("insert", insert.get("headers").get("operation").asText());
        JsonNode value = insert.get("value");
        assertEquals(runId, value.get("friendlyId").asText());
        assertEquals("hello-world", value.get("taskIdentifier").asText());
        assertEquals("PENDING", value.get("status").asText());
        assertEquals("f", value.get("isTest").asText());
        assertEquals("{\"snap\"}", value.get("runTags").asText());
        assertEquals("{\"n\":1}", value.get("payload").asText());
        assertEquals("application/json", value.get("payloadType").asText());
        assertTrue(value.get("completedAt").isNull());
        assertFalse(value.get("createdAt").asText().endsWith("Z"));
        assertEquals("up-to-date", messages.get(1).get("headers").get("control").asText());

        HttpResponse<String> skipping =
                get("/realtime/v1/runs/" + runId + "?offset=-1&skipColumns=payload,output", KEY);
        assertEquals(200, skipping.statusCode(), skipping.body());
        assertTrue(json(skipping).get(0).get("value").path("payload").isMissingNode());
        assertFalse(header(skipping, "electric-schema").contains("\"payload\""));
    }

    @Test
    void aLiveRequestIsHeldUntilItsRunChangesAndAnswersTheChange() throws Exception {
        String runId = trigger("{\"payload\":{}}");
        HttpResponse<String> snapshot = get("/realtime/v1/runs/" + runId + "?offset=-1", KEY);
        String offset = offset(snapshot);
        String handle = handle(snapshot);

        // Nothing new since the offset: the same offset, no rows.
        HttpResponse<String> caughtUp = get(live(runId, handle, offset).replace("&live=true", ""), KEY);
        assertEquals(List.of("up-to-date"), controls(caughtUp));
        assertEquals(offset, offset(caughtUp));

        CompletableFuture<HttpResponse<String>> held = getAsync(live(runId, handle, offset), KEY);
        // Still held until the run changes (its subscription is in place once the first read is done).
        Thread.sleep(300);
        assertFalse(held.isDone(), "a live request with nothing new must be held");
        HttpResponse<String> updated =
                server.put("/api/v1/runs/" + runId + "/metadata", KEY, "{\"metadata\":{\"progress\":1}}");
        assertEquals(200, updated.statusCode(), updated.body());
        HttpResponse<String> changed = held.get(30, TimeUnit.SECONDS);
        assertEquals(200, changed.statusCode(), changed.body());
        JsonNode update = json(changed).get(0);
        assertEquals("update", update.get("headers").get("operation").asText());
        assertEquals("{\"progress\":1}", update.get("value").get("metadata").asText());
        assertEquals("application/json", update.get("value").get("metadataType").asText());
        assertNotEquals(offset, offset(changed));
        assertTrue(changed.headers().firstValue("electric-cursor").isPresent());

        // A worker taking the run is news too, though the journal records it only with the outcome: the held
        // request sees the lease (DEQUEUED) or, if it is read after the start, EXECUTING.
        String next = offset(changed);
        CompletableFuture<HttpResponse<String>> executing = getAsync(live(runId, handle, next), KEY);
        Thread.sleep(300);
        TestProbe<WorkerChannel.Message> worker = server.node().testKit().createTestProbe();
        server.startExecuting(runId, worker);
        HttpResponse<String> taken = executing.get(30, TimeUnit.SECONDS);
        String takenStatus = json(taken).get(0).get("value").get("status").asText();
        assertTrue(List.of("DEQUEUED", "EXECUTING").contains(takenStatus), takenStatus);

        // A client that missed changes (it was not holding a request) gets the run as it is from its old offset.
        HttpResponse<String> behind =
                get("/realtime/v1/runs/" + runId + "?offset=" + offset + "&handle=" + handle, KEY);
        JsonNode now = json(behind).get(0).get("value");
        assertEquals("EXECUTING", now.get("status").asText());
        assertEquals("{\"progress\":1}", now.get("metadata").asText());
        String current = offset(get("/realtime/v1/runs/" + runId + "?offset=-1", KEY));
        assertEquals(current, offset(behind));
        assertEquals(
                List.of("up-to-date"), controls(get(live(runId, handle, current).replace("&live=true", ""), KEY)));
    }

    @Test
    void aLiveRequestWithNothingNewEndsUpToDateWhenItsHoldEnds() throws Exception {
        String runId = trigger("{\"payload\":{}}");
        HttpResponse<String> snapshot = get("/realtime/v1/runs/" + runId + "?offset=-1", KEY);
        HttpResponse<String> quiet = get(live(runId, handle(snapshot), offset(snapshot)), KEY);
        assertEquals(200, quiet.statusCode(), quiet.body());
        assertEquals(List.of("up-to-date"), controls(quiet));
        assertEquals(offset(snapshot), offset(quiet));
        assertTrue(quiet.headers().firstValue("electric-cursor").isPresent());
    }

    @Test
    void anEnvironmentHoldsAtMostItsCapOfLiveRequests() throws Exception {
        String runId = trigger("{\"payload\":{}}");
        HttpResponse<String> snapshot = get("/realtime/v1/runs/" + runId + "?offset=-1", KEY);
        String live = live(runId, handle(snapshot), offset(snapshot));
        List<CompletableFuture<HttpResponse<String>>> held = new ArrayList<>();
        held.add(getAsync(live, KEY));
        held.add(getAsync(live, KEY));
        Thread.sleep(300);
        HttpResponse<String> refused = get(live, KEY);
        assertEquals(429, refused.statusCode(), refused.body());
        assertTrue(json(refused).get("error").asText().contains("live realtime requests"));
        for (var request : held)
            assertEquals(200, request.get(30, TimeUnit.SECONDS).statusCode());
        // The places are given back.
        assertEquals(200, get(live, KEY).statusCode());
    }

    @Test
    void callersSeeOnlyWhatTheyMay() throws Exception {
        HttpResponse<String> triggered = server.post(
                "/api/v1/tasks/hello-world/trigger", KEY, "{\"payload\":{},\"options\":{\"tags\":[\"t1\"]}}");
        String runId = json(triggered).get("id").asText();
        String token = triggered.headers().firstValue("x-trigger-jwt").orElseThrow();
        String path = "/realtime/v1/runs/" + runId + "?offset=-1";

        assertEquals(200, get(path, token).statusCode());
        assertEquals(401, get(path, null).statusCode());
        assertEquals(404, get(path, OTHER_KEY).statusCode());
        assertEquals(
                404,
                get("/realtime/v1/runs/run_doesnotexist0000000000?offset=-1", KEY)
                        .statusCode());
        String otherRun = trigger("{\"payload\":{}}");
        assertEquals(
                403, get("/realtime/v1/runs/" + otherRun + "?offset=-1", token).statusCode());
        assertEquals(403, get("/realtime/v1/runs?tags=t1&offset=-1", token).statusCode());
        assertEquals(403, get("/realtime/v1/batches/batch_x?offset=-1", token).statusCode());
        assertEquals(
                404,
                get("/realtime/v1/batches/batch_doesnotexist?offset=-1", KEY).statusCode());
        // Every run of the environment, without tags: a secret key or a scope over all runs.
        assertEquals(200, get("/realtime/v1/runs?offset=-1", KEY).statusCode());
        assertEquals(403, get("/realtime/v1/runs?offset=-1", token).statusCode());
    }

    @Test
    void aTokensRealtimeSkipColumnsReplaceTheRequests() throws Exception {
        String runId = trigger("{\"payload\":{\"n\":2},\"options\":{\"metadata\":{\"m\":1}}}");
        HttpResponse<String> minted = server.post(
                "/api/v1/auth/public-tokens",
                KEY,
                "{\"scopes\":[\"read:runs\"],\"realtime\":{\"skipColumns\":[\"payload\",\"id\",\"nope\"]}}");
        assertEquals(200, minted.statusCode(), minted.body());
        String token = json(minted).get("token").asText();
        HttpResponse<String> response = get("/realtime/v1/runs/" + runId + "?offset=-1&skipColumns=metadata", token);
        assertEquals(200, response.statusCode(), response.body());
        JsonNode value = json(response).get(0).get("value");
        assertTrue(value.path("payload").isMissingNode());
        assertEquals(runId, value.get("id").asText());
        assertEquals("{\"m\":1}", value.get("metadata").asText());
    }

    @Test
    void parametersItCannotHonourAreRefused() throws Exception {
        String runId = trigger("{\"payload\":{}}");
        String base = "/realtime/v1/runs/" + runId + "?offset=-1";
        assertError(get(base + "&where=1", KEY), 400, "[where]");
        assertError(get(base + "&skipColumns=id", KEY), 400, "cannot skip [id]");
        assertError(get(base + "&skipColumns=nope", KEY), 400, "unknown columns [nope]");
        assertError(get(base + "&live=maybe", KEY), 400, "live");
        assertError(get(base + "&live=true", KEY), 400, "live=true");
        assertError(get(base + "&log=changes_only", KEY), 400, "log");
        assertError(get("/realtime/v1/runs/" + runId + "?offset=12", KEY), 400, "offset");
        assertError(get("/realtime/v1/runs?tags=a&createdAt=yesterday&offset=-1", KEY), 400, "createdAt");

        HttpResponse<String> stale = get("/realtime/v1/runs/" + runId + "?offset=1_1&handle=gone", KEY);
        assertEquals(409, stale.statusCode(), stale.body());
        assertEquals(List.of("must-refetch"), controls(stale));
        // Older clients name the handle shape_id.
        assertEquals(
                409,
                get("/realtime/v1/runs/" + runId + "?offset=1_1&shape_id=gone", KEY)
                        .statusCode());
    }

    @Test
    void aTagShapeHoldsTheRunsWithEveryTag() throws Exception {
        String both = trigger("{\"payload\":{},\"options\":{\"tags\":[\"colour:red\",\"size:big\"]}}");
        trigger("{\"payload\":{},\"options\":{\"tags\":[\"colour:red\"]}}");
        server.projectRuns();
        HttpResponse<String> response = get("/realtime/v1/runs?tags=colour:red,size:big&offset=-1", KEY);
        assertEquals(200, response.statusCode(), response.body());
        JsonNode messages = json(response);
        assertEquals(2, messages.size(), response.body());
        assertEquals(both, messages.get(0).get("value").get("friendlyId").asText());

        // A new run with the tags reaches a held request before the runs table has it.
        CompletableFuture<HttpResponse<String>> held = getAsync(
                "/realtime/v1/runs?tags=colour:red,size:big&offset=" + offset(response) + "&handle=" + handle(response)
                        + "&live=true",
                KEY);
        Thread.sleep(300);
        String newer = trigger("{\"payload\":{},\"options\":{\"tags\":[\"size:big\",\"colour:red\"]}}");
        HttpResponse<String> arrived = held.get(30, TimeUnit.SECONDS);
        assertEquals(newer, json(arrived).get(0).get("value").get("friendlyId").asText(), arrived.body());
    }

    // ---------------------------------------------------------------- helpers

    private static String trigger(String body) throws Exception {
        HttpResponse<String> response = server.post("/api/v1/tasks/hello-world/trigger", KEY, body);
        assertEquals(200, response.statusCode(), response.body());
        return json(response).get("id").asText();
    }

    private static String live(String runId, String handle, String offset) {
        return "/realtime/v1/runs/" + runId + "?offset=" + offset + "&handle=" + handle + "&live=true";
    }

    private static HttpResponse<String> get(String path, String key) throws Exception {
        return getAsync(path, key).get(30, TimeUnit.SECONDS);
    }

    private static CompletableFuture<HttpResponse<String>> getAsync(String path, String key) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .header("x-trigger-electric-version", "1.0.0-beta.1")
                .GET();
        if (key != null) request.header("Authorization", "Bearer " + key);
        return client.sendAsync(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String header(HttpResponse<String> response, String name) {
        return response.headers().firstValue(name).orElseThrow(() -> new AssertionError("no " + name + " header"));
    }

    private static String offset(HttpResponse<String> response) {
        return header(response, "electric-offset");
    }

    private static String handle(HttpResponse<String> response) {
        return header(response, "electric-handle");
    }

    private static List<String> controls(HttpResponse<String> response) throws Exception {
        List<String> controls = new ArrayList<>();
        for (JsonNode message : json(response)) {
            if (message.get("headers").has("control"))
                controls.add(message.get("headers").get("control").asText());
            else controls.add("row");
        }
        return controls;
    }

    private static void assertError(HttpResponse<String> response, int status, String fragment) throws Exception {
        assertEquals(status, response.statusCode(), response.body());
        String error = json(response).get("error").asText();
        assertTrue(error.contains(fragment), error);
    }
}
