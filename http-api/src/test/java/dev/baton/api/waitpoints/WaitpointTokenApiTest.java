package dev.baton.api.waitpoints;

import static dev.baton.api.ApiTestServer.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.persistence.query.Offset;
import akka.persistence.query.PersistenceQuery;
import akka.persistence.testkit.query.javadsl.PersistenceTestKitReadJournal;
import akka.projection.eventsourced.EventEnvelope;
import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import dev.baton.api.ApiTestServer;
import dev.baton.engine.environment.Environment;
import dev.baton.engine.run.Wait;
import dev.baton.engine.waitpoint.WaitpointTokenEntity;
import dev.baton.engine.worker.StepResult;
import dev.baton.engine.worker.WorkerChannel;
import dev.baton.projections.internal.DataSourceJdbcSession;
import dev.baton.projections.waitpoints.TokenIndexHandler;
import dev.baton.projections.waitpoints.TokenIndexProjection;
import dev.baton.projections.waitpoints.TokenTable;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The waitpoint token API on a node: create (idempotency keys, timeouts, tags, limits), retrieve, complete
 * over the API and over the callback URL (a wrong hash refused), the timeout, the list's filters and pages
 * (token events projected into the index by its own handler), and a run waiting for a token.
 */
class WaitpointTokenApiTest {

    private static final String KEY = "tr_dev_waitpoint_test_key";
    private static final String OTHER_KEY = "tr_prod_waitpoint_other_key";
    private static final String TOKENS = "/api/v1/waitpoints/tokens";

    private static ApiTestServer server;
    private static Environment environment;
    private static String baseUrl;

    @BeforeAll
    static void start() throws Exception {
        server = ApiTestServer.start("WaitpointTokenApiTest");
        server.node().database().runSchemaScript(TokenIndexProjection.SCHEMA_SCRIPT);
        environment = server.environment("tokens", "dev", KEY);
        server.environment("tokens-other", "prod", OTHER_KEY);
        server.declareTask(environment, "approval");
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    private static JsonNode create(String body) throws Exception {
        HttpResponse<String> response = server.post(TOKENS, KEY, body);
        assertEquals(200, response.statusCode(), response.body());
        return json(response);
    }

    private static JsonNode retrieve(String tokenId) throws Exception {
        HttpResponse<String> response = server.get(TOKENS + "/" + tokenId, KEY);
        assertEquals(200, response.statusCode(), response.body());
        return json(response);
    }

    static void assertError(HttpResponse<String> response, int status, String message) throws Exception {
        assertEquals(status, response.statusCode(), response.body());
        JsonNode body = json(response);
        assertEquals(Set.of("error"), fields(body), response.body());
        if (message != null) assertEquals(message, body.get("error").asText());
    }

    private static Set<String> fields(JsonNode node) {
        Set<String> names = new TreeSet<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    /** Posts to a token's callback URL (an absolute URL on the test server), without any key. */
    private static HttpResponse<String> callback(String url, String contentType, String body) throws Exception {
        String path = URI.create(url).getRawPath();
        return server.send("POST", path, contentType == null ? Map.of() : Map.of("Content-Type", contentType), body);
    }

    // ---------------------------------------------------------------- create and retrieve

    @Test
    void aCreatedTokenHasAnAbsoluteCallbackUrlAPublicAccessTokenAndIsWaiting() throws Exception {
        HttpResponse<String> response = server.post(TOKENS, KEY, "{}");
        assertEquals(200, response.statusCode(), response.body());
        JsonNode created = json(response);
        String id = created.get("id").asText();
        String jwt = response.headers().firstValue("x-trigger-jwt").orElseThrow();
        JsonNode claims =
                parse(new String(java.util.Base64.getUrlDecoder().decode(jwt.split("\\.")[1]), StandardCharsets.UTF_8));
        assertEquals("[\"write:waitpoints:" + id + "\"]", claims.get("scopes").toString());
        assertEquals(environment.id(), claims.get("sub").asText());
        assertEquals(24 * 3600, claims.get("exp").asLong() - claims.get("iat").asLong());
        assertTrue(id.matches("waitpoint_[0-9a-z]{24}"), id);
        assertFalse(created.get("isCached").asBoolean());
        String url = created.get("url").asText();
        assertTrue(
                url.matches("http://127\\.0\\.0\\.1:\\d+/api/v1/waitpoints/tokens/" + id + "/callback/[0-9a-z]{40}"),
                url);

        JsonNode token = retrieve(id);
        assertEquals(Set.of("id", "url", "status", "tags", "createdAt"), fields(token), token.toString());
        assertEquals(id, token.get("id").asText());
        assertEquals(url, token.get("url").asText());
        assertEquals("WAITING", token.get("status").asText());
        assertEquals(0, token.get("tags").size());
        Instant createdAt = Instant.parse(token.get("createdAt").asText());
        assertTrue(Duration.between(createdAt, Instant.now()).abs().getSeconds() < 10);
    }

    @Test
    void anEmptyBodyIsAnEmptyCreate() throws Exception {
        HttpResponse<String> response = server.postEmpty(TOKENS, KEY);
        assertEquals(200, response.statusCode(), response.body());
        assertTrue(json(response).get("id").asText().startsWith("waitpoint_"));
    }

    @Test
    void tagsAndTimeoutsAreKept() throws Exception {
        JsonNode single = retrieve(create("{\"tags\":\"approval\"}").get("id").asText());
        assertEquals("[\"approval\"]", single.get("tags").toString());
        Instant before = Instant.now();
        JsonNode token = retrieve(create("{\"tags\":[\"user:1\",\"approval\",\"user:1\"],\"timeout\":\"1h\"}")
                .get("id")
                .asText());
        assertEquals("[\"user:1\",\"approval\"]", token.get("tags").toString());
        Instant timeoutAt = Instant.parse(token.get("timeoutAt").asText());
        assertTrue(
                !timeoutAt.isBefore(before.plus(Duration.ofHours(1)).minusSeconds(1))
                        && timeoutAt.isBefore(
                                Instant.now().plus(Duration.ofHours(1)).plusSeconds(1)),
                timeoutAt.toString());
        String date = Instant.now()
                .plus(Duration.ofDays(1))
                .truncatedTo(java.time.temporal.ChronoUnit.MILLIS)
                .toString();
        assertEquals(
                date,
                retrieve(create("{\"timeout\":\"" + date + "\"}").get("id").asText())
                        .get("timeoutAt")
                        .asText());
    }

    @Test
    void invalidCreatesAreRefusedBeforeTheEngine() throws Exception {
        String eleven = "[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\",\"i\",\"j\",\"k\"]";
        assertError(
                server.post(TOKENS, KEY, "{\"tags\":" + eleven + "}"),
                422,
                "Waitpoints can only have 10 tags, you're trying to set 11.");
        assertError(server.post(TOKENS, KEY, "{\"tags\":[\"" + "x".repeat(129) + "\"]}"), 400, null);
        assertError(server.post(TOKENS, KEY, "{\"tags\":[1]}"), 400, null);
        assertError(server.post(TOKENS, KEY, "{\"timeout\":\"soon\"}"), 422, null);
        assertError(server.post(TOKENS, KEY, "{\"timeout\":\"9999w\"}"), 422, null);
        assertError(server.post(TOKENS, KEY, "{\"timeout\":true}"), 400, null);
        assertError(server.post(TOKENS, KEY, "{\"idempotencyKey\":42}"), 400, null);
        assertError(server.post(TOKENS, KEY, "{\"idempotencyKey\":\"" + "k".repeat(2049) + "\"}"), 400, null);
        assertError(
                server.post(TOKENS, KEY, "{\"idempotencyKey\":\"k\",\"idempotencyKeyTTL\":\"forever\"}"), 422, null);
        assertError(server.post(TOKENS, KEY, "[1,2]"), 400, null);
        assertError(server.post(TOKENS, KEY, "{\"tags\":"), 400, null);
        assertError(server.post(TOKENS, KEY, "{\"tags\":[\"" + "x".repeat(11_000) + "\"]}"), 413, null);
        String[] head = server.sendHeadOnly("POST", TOKENS, KEY, 20_000);
        assertTrue(head[0].contains(" 413 "), head[0]);
        assertError(server.post(TOKENS, "tr_dev_wrong", "{}"), 401, "Invalid or Missing API key");
        assertError(server.post(TOKENS, null, "{}"), 401, "Invalid or Missing API key");
    }

    @Test
    void unknownTokensAndTokensOfAnotherEnvironmentAreNotFound() throws Exception {
        String id = create("{}").get("id").asText();
        assertError(server.get(TOKENS + "/" + id, OTHER_KEY), 404, "Waitpoint not found");
        assertError(
                server.post(TOKENS + "/" + id + "/complete", OTHER_KEY, "{\"data\":1}"), 404, "Waitpoint not found");
        assertError(server.get(TOKENS + "/waitpoint_doesnotexist", KEY), 404, "Waitpoint not found");
        assertError(server.get(TOKENS + "/run_notatoken", KEY), 404, "Waitpoint not found");
        assertError(server.post(TOKENS + "/waitpoint_doesnotexist/complete", KEY, "{}"), 404, "Waitpoint not found");
        assertEquals("WAITING", retrieve(id).get("status").asText());
        assertError(server.get(TOKENS + "/" + id, null), 401, null);
    }

    // ---------------------------------------------------------------- completing

    @Test
    void completingOverTheApiKeepsTheFirstData() throws Exception {
        String id = create("{}").get("id").asText();
        HttpResponse<String> completed =
                server.post(TOKENS + "/" + id + "/complete", KEY, "{\"data\":{\"approved\":true}}");
        assertEquals(200, completed.statusCode(), completed.body());
        assertEquals("{\"success\":true}", completed.body());
        JsonNode token = retrieve(id);
        assertEquals("COMPLETED", token.get("status").asText());
        assertEquals("{\"approved\":true}", token.get("output").asText());
        assertEquals("application/json", token.get("outputType").asText());
        assertFalse(token.get("outputIsError").asBoolean());
        assertTrue(token.has("completedAt"));

        HttpResponse<String> again = server.post(TOKENS + "/" + id + "/complete", KEY, "{\"data\":\"later\"}");
        assertEquals("{\"success\":true}", again.body());
        assertEquals("{\"approved\":true}", retrieve(id).get("output").asText());
    }

    @Test
    void completingWithoutDataLeavesNoOutput() throws Exception {
        String id = create("{}").get("id").asText();
        assertEquals(200, server.postEmpty(TOKENS + "/" + id + "/complete", KEY).statusCode());
        JsonNode token = retrieve(id);
        assertEquals("COMPLETED", token.get("status").asText());
        assertFalse(token.has("output"), token.toString());
        assertFalse(token.has("outputIsError"), token.toString());
        assertError(server.post(TOKENS + "/" + id + "/complete", KEY, "[]"), 400, null);
    }

    @Test
    void theCallbackUrlCompletesWithTheRawBodyAndRefusesAWrongHash() throws Exception {
        JsonNode created = create("{}");
        String id = created.get("id").asText();
        String url = created.get("url").asText();

        assertError(
                callback(url.substring(0, url.lastIndexOf('/') + 1) + "0".repeat(40), "application/json", "{\"a\":1}"),
                401,
                "Invalid URL, hash doesn't match");
        assertError(callback(url.replace(id, "waitpoint_doesnotexist"), "application/json", "{}"), 404, null);
        assertEquals("WAITING", retrieve(id).get("status").asText());

        HttpResponse<String> completed = callback(url, "application/json", "{\"approved\":true,\"by\":\"ada\"}");
        assertEquals(200, completed.statusCode(), completed.body());
        assertEquals("{\"success\":true}", completed.body());
        JsonNode token = retrieve(id);
        assertEquals("COMPLETED", token.get("status").asText());
        assertEquals("{\"approved\":true,\"by\":\"ada\"}", token.get("output").asText());

        assertEquals(200, callback(url, "application/json", "{\"again\":true}").statusCode());
        assertEquals(
                "{\"approved\":true,\"by\":\"ada\"}", retrieve(id).get("output").asText());
        assertError(
                callback(url.substring(0, url.lastIndexOf('/') + 1) + "0".repeat(40), "application/json", "{}"),
                401,
                null);
    }

    @Test
    void aCallbackBodyThatIsNotJsonCompletesWithAnEmptyObject() throws Exception {
        JsonNode created = create("{}");
        assertEquals(
                200,
                callback(created.get("url").asText(), "text/plain", "approved").statusCode());
        assertEquals("{}", retrieve(created.get("id").asText()).get("output").asText());
    }

    @Test
    void aTokenTimesOutWithTheTimeoutErrorAndCompletingItChangesNothing() throws Exception {
        String id = create("{\"timeout\":\"4s\"}").get("id").asText(); // still waiting when read back
        assertEquals("WAITING", retrieve(id).get("status").asText());
        Instant deadline = Instant.now().plusSeconds(15);
        JsonNode token = retrieve(id);
        while (!"TIMED_OUT".equals(token.get("status").asText())) {
            assertTrue(Instant.now().isBefore(deadline), "never timed out: " + token);
            Thread.sleep(100);
            token = retrieve(id);
        }
        assertTrue(token.get("outputIsError").asBoolean());
        assertEquals("application/json", token.get("outputType").asText());
        JsonNode output = parse(token.get("output").asText());
        assertEquals(WaitpointTokenEntity.TIMEOUT_ERROR, output.get("code").asText());
        assertEquals(
                "Waitpoint timed out at " + token.get("timeoutAt").asText(),
                output.get("message").asText());
        assertFalse(Instant.parse(token.get("completedAt").asText())
                .isBefore(Instant.parse(token.get("timeoutAt").asText())));

        assertEquals(
                "{\"success\":true}",
                server.post(TOKENS + "/" + id + "/complete", KEY, "{\"data\":1}")
                        .body());
        assertEquals("TIMED_OUT", retrieve(id).get("status").asText());
    }

    private static JsonNode parse(String text) throws Exception {
        return new com.fasterxml.jackson.databind.ObjectMapper().readTree(text);
    }

    // ---------------------------------------------------------------- idempotency

    @Test
    void anIdempotencyKeyReturnsTheSameTokenUntilItsTtlEnds() throws Exception {
        JsonNode first = create("{\"idempotencyKey\":\"approval-42\",\"idempotencyKeyTTL\":\"4s\"}");
        JsonNode second = create("{\"idempotencyKey\":\"approval-42\"}");
        assertEquals(first.get("id"), second.get("id"));
        assertTrue(second.get("isCached").asBoolean());
        assertEquals(first.get("url"), second.get("url"));
        JsonNode token = retrieve(first.get("id").asText());
        assertEquals("approval-42", token.get("idempotencyKey").asText());
        Instant expiresAt = Instant.parse(token.get("idempotencyKeyExpiresAt").asText());
        assertTrue(
                expiresAt.isAfter(Instant.now())
                        && expiresAt.isBefore(Instant.now().plusSeconds(5)),
                expiresAt.toString());

        HttpResponse<String> otherEnvironment = server.post(TOKENS, OTHER_KEY, "{\"idempotencyKey\":\"approval-42\"}");
        assertNotEquals(first.get("id"), json(otherEnvironment).get("id"));
        Thread.sleep(Duration.between(Instant.now(), expiresAt).toMillis() + 100);
        JsonNode afterExpiry = create("{\"idempotencyKey\":\"approval-42\"}");
        assertFalse(afterExpiry.get("isCached").asBoolean());
        assertNotEquals(first.get("id"), afterExpiry.get("id"));
    }

    // ---------------------------------------------------------------- a run waiting for a token

    @Test
    void aRunWaitingForATokenResumesWithTheDataOfItsCallback() throws Exception {
        JsonNode created = create("{}");
        String tokenId = created.get("id").asText();
        HttpResponse<String> triggered = server.post("/api/v1/tasks/approval/trigger", KEY, "{\"payload\":{}}");
        String runId = json(triggered).get("id").asText();
        TestProbe<WorkerChannel.Message> worker = server.node().testKit().createTestProbe();
        String attemptId = server.startExecuting(runId, worker);
        server.node()
                .engine()
                .runs()
                .suspend(runId, attemptId, Wait.token("approval#1", tokenId))
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
        server.awaitStatus(runId, KEY, "WAITING");

        assertEquals(
                200,
                callback(created.get("url").asText(), "application/json", "{\"approved\":true}")
                        .statusCode());
        server.awaitRun(runId, KEY, run -> !"WAITING".equals(run.path("status").asText()), Duration.ofSeconds(10));
        StepResult step = server.node()
                .engine()
                .runs()
                .get(environment.id(), runId)
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS)
                .orElseThrow()
                .steps()
                .get("approval#1");
        assertEquals(StepResult.success("{\"approved\":true}"), step);
    }

    // ---------------------------------------------------------------- the list

    /** Projects every token event into the index (the in-memory journal has no live tag query). */
    private static void projectTokens() throws Exception {
        PersistenceTestKitReadJournal journal = PersistenceQuery.get(
                        server.node().system())
                .getReadJournalFor(PersistenceTestKitReadJournal.class, PersistenceTestKitReadJournal.Identifier());
        List<EventEnvelope<WaitpointTokenEntity.Event>> envelopes = new ArrayList<>();
        journal.currentEventsByTag(WaitpointTokenEntity.TAG, Offset.noOffset())
                .runForeach(
                        envelope -> envelopes.add(EventEnvelope.create(
                                envelope.offset(),
                                envelope.persistenceId(),
                                envelope.sequenceNr(),
                                (WaitpointTokenEntity.Event) envelope.event(),
                                envelope.timestamp())),
                        server.node().system())
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
        DataSourceJdbcSession session =
                new DataSourceJdbcSession(server.node().database().dataSource());
        try {
            new TokenIndexHandler(new TokenTable(server.node().database().dialect())).process(session, envelopes);
            session.commit();
        } finally {
            session.close();
        }
    }

    private static List<String> ids(String query, String key) throws Exception {
        HttpResponse<String> response = server.get(TOKENS + query, key);
        assertEquals(200, response.statusCode(), response.body());
        List<String> ids = new ArrayList<>();
        json(response).get("data").forEach(item -> ids.add(item.get("id").asText()));
        return ids;
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    @Test
    void theListFiltersAndPagesNewestFirst() throws Exception {
        // In their own environment, so the other tests' tokens stay out of the way.
        String key = "tr_dev_waitpoint_list_key";
        server.environment("tokens-list", "dev", key);
        List<String> created = new ArrayList<>();
        Instant start = Instant.now();
        for (int i = 0; i < 7; i++) {
            String body =
                    "{\"tags\":[\"list\",\"n" + i + "\"]" + (i == 3 ? ",\"idempotencyKey\":\"list-key\"" : "") + "}";
            HttpResponse<String> response = server.post(TOKENS, key, body);
            created.add(0, json(response).get("id").asText());
            Thread.sleep(5);
        }
        String done = created.get(1);
        server.post(TOKENS + "/" + done + "/complete", key, "{\"data\":1}");
        projectTokens();

        assertEquals(created, ids("", key));
        HttpResponse<String> full = server.get(TOKENS, key);
        JsonNode item = json(full).get("data").get(1);
        assertEquals(Set.of("id", "url", "status", "tags", "createdAt", "completedAt"), fields(item), item.toString());
        assertEquals("COMPLETED", item.get("status").asText());
        assertEquals(retrieve2(done, key).get("url"), item.get("url"));
        assertEquals("{}", json(full).get("pagination").toString());

        assertEquals(List.of(done), ids("?filter%5Bstatus%5D=COMPLETED", key));
        assertEquals(
                created.stream().filter(id -> !id.equals(done)).toList(),
                ids("?filter%5Bstatus%5D=WAITING,TIMED_OUT", key));
        assertEquals(List.of(created.get(3)), ids("?filter%5BidempotencyKey%5D=list-key", key));
        assertEquals(List.of(created.get(5), created.get(6)), ids("?filter%5Btags%5D=n0,n1", key));
        assertEquals(created, ids("?filter%5Btags%5D=list", key));
        assertEquals(created, ids("?filter%5BcreatedAt%5D%5Bperiod%5D=1h", key));
        assertEquals(
                created,
                ids("?filter%5BcreatedAt%5D%5Bfrom%5D=" + start.minusSeconds(1).toEpochMilli(), key));
        assertEquals(
                List.of(),
                ids("?filter%5BcreatedAt%5D%5Bto%5D=" + start.minusSeconds(1).toEpochMilli(), key));
        assertEquals(
                List.of(),
                ids(
                        "?filter%5BcreatedAt%5D%5Bfrom%5D="
                                + encode(Instant.now().plusSeconds(60).toString()),
                        key));
        assertEquals(
                List.of(), ids("", OTHER_KEY).stream().filter(created::contains).toList());

        // Pages of 3 forwards, then back.
        List<String> walked = new ArrayList<>();
        String next = null;
        List<String> previousCursors = new ArrayList<>();
        do {
            JsonNode page = json(
                    server.get(TOKENS + "?page%5Bsize%5D=3" + (next == null ? "" : "&page%5Bafter%5D=" + next), key));
            page.get("data").forEach(token -> walked.add(token.get("id").asText()));
            JsonNode pagination = page.get("pagination");
            assertEquals(next != null, pagination.has("previous"), pagination.toString());
            if (pagination.has("previous"))
                previousCursors.add(pagination.get("previous").asText());
            next = pagination.has("next") ? pagination.get("next").asText() : null;
        } while (next != null);
        assertEquals(created, walked);
        JsonNode back = json(server.get(TOKENS + "?page%5Bsize%5D=3&page%5Bbefore%5D=" + previousCursors.get(0), key));
        List<String> firstPage = new ArrayList<>();
        back.get("data").forEach(token -> firstPage.add(token.get("id").asText()));
        assertEquals(created.subList(0, 3), firstPage);
        assertFalse(back.get("pagination").has("previous"));
        assertTrue(back.get("pagination").has("next"));
        // The SDK's getPreviousPage() sends the page[after] it came with too: page[before] wins.
        JsonNode both = json(server.get(
                TOKENS + "?page%5Bsize%5D=3&page%5Bafter%5D=" + previousCursors.get(0) + "&page%5Bbefore%5D="
                        + previousCursors.get(0),
                key));
        assertEquals(back.get("data"), both.get("data"));
    }

    private static JsonNode retrieve2(String tokenId, String key) throws Exception {
        return json(server.get(TOKENS + "/" + tokenId, key));
    }

    @Test
    void badListParametersAre400() throws Exception {
        assertError(server.get(TOKENS + "?filter%5Bstatus%5D=DONE", KEY), 400, null);
        assertError(server.get(TOKENS + "?filter%5Bstatus%5D=NEW", KEY), 400, null);
        assertError(server.get(TOKENS + "?page%5Bsize%5D=0", KEY), 400, null);
        assertError(server.get(TOKENS + "?page%5Bsize%5D=101", KEY), 400, null);
        assertError(server.get(TOKENS + "?page%5Bafter%5D=nonsense", KEY), 400, null);
        assertError(server.get(TOKENS + "?filter%5BcreatedAt%5D%5Bperiod%5D=soon", KEY), 400, null);
        assertError(server.get(TOKENS + "?filter%5BcreatedAt%5D%5Bfrom%5D=yesterday", KEY), 400, null);
        assertError(server.get(TOKENS, null), 401, null);
    }

    // ---------------------------------------------------------------- callback URL base

    @Test
    void aConfiguredPublicUrlIsTheCallbacksBase() {
        WaitpointSettings settings = WaitpointSettings.fromConfig(
                ConfigFactory.parseString("baton.http.public-url = \"https://baton.example.com/\"")
                        .withFallback(ConfigFactory.load()));
        assertEquals("https://baton.example.com", settings.publicUrl());
        assertEquals(10 * 1024, settings.maxCreateBodySize());
        assertEquals("", WaitpointSettings.fromConfig(ConfigFactory.load()).publicUrl());
        assertEquals(
                "http://localhost:8080",
                WaitpointRoutes.origin(
                        akka.http.javadsl.model.Uri.create("http://localhost:8080/api/v1/waitpoints/tokens?x=1")));
    }
}
