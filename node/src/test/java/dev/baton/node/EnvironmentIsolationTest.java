package dev.baton.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import dev.baton.engine.task.TaskDefinition;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A key of one environment never reads, triggers, changes or lists anything of another project's environment: every
 * HTTP route family, with environment A's resources and environment B's key. Each case first shows that A's own key
 * succeeds, so a refusal is the isolation at work and not a broken route. The worker protocol's isolation is
 * WorkerIsolationTest (worker-gateway); the management API's is ManagementApiTest (http-api).
 */
class EnvironmentIsolationTest {

    private static final String ADMIN_TOKEN = "tr_pat_isolation_test_admin_token_012345678";
    private static final String TASK = "iso-task";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private static BatonNode node;
    private static String keyA;
    private static String keyB;
    private static String runA;
    private static String environmentB;

    @BeforeAll
    static void start() throws Exception {
        node = TestNodes.start(
                "isolation",
                ConfigFactory.parseMap(Map.of("baton.bootstrap.admin-token", ADMIN_TOKEN))
                        .withFallback(TestNodes.postgresConfig(TestNodes.freshPostgresSchema("isolation"))));
        keyA = TestNodes.SECRET_KEY;
        // Environment B: another project, made and keyed through the management API.
        TestNodes.OtherEnvironment other = TestNodes.otherEnvironment(node, ADMIN_TOKEN);
        keyB = other.secretKey();
        environmentB = other.id();
        for (String environmentId : List.of(node.credentials().environment().id(), environmentB)) {
            node.engine()
                    .declareTasks(environmentId, List.of(new TaskDefinition(TASK, null, null, null, null, null)))
                    .toCompletableFuture()
                    .get(10, TimeUnit.SECONDS);
        }
        runA = json(expect(
                        200,
                        "POST",
                        "/api/v1/tasks/" + TASK + "/trigger",
                        keyA,
                        "{\"payload\":{},\"options\":{\"delay\":\"1h\",\"tags\":[\"iso-tag\"],"
                                + "\"idempotencyKey\":\"iso-key\"}}"))
                .get("id")
                .asText();
    }

    @AfterAll
    static void stop() {
        if (node != null) TestNodes.stop(node);
    }

    @Test
    void runsCannotBeReadOrChangedFromAnotherEnvironment() throws Exception {
        String run = "/api/v3/runs/" + runA;
        expect(200, "GET", run, keyA, null);
        expect(404, "GET", run, keyB, null);
        expect(404, "GET", "/api/v1/runs/" + runA + "/events", keyB, null);
        expect(200, "GET", "/api/v1/runs/" + runA + "/logs", keyA, null);
        expect(404, "GET", "/api/v1/runs/" + runA + "/logs", keyB, null);
        expect(404, "GET", "/api/v1/runs/" + runA + "/logs?follow=true", keyB, null);
        expect(404, "POST", "/api/v2/runs/" + runA + "/cancel", keyB, null);
        expect(404, "POST", "/api/v1/runs/" + runA + "/replay", keyB, "{}");
        expect(404, "POST", "/api/v1/runs/" + runA + "/reschedule", keyB, "{\"delay\":\"2h\"}");
        expect(404, "POST", "/api/v1/runs/" + runA + "/tags", keyB, "{\"tags\":[\"intruder\"]}");
        expect(404, "PUT", "/api/v1/runs/" + runA + "/metadata", keyB, "{\"metadata\":{\"by\":\"intruder\"}}");

        JsonNode after = json(expect(200, "GET", run, keyA, null));
        assertEquals("DELAYED", after.get("status").asText(), "the run was neither canceled nor changed");
        assertFalse(after.toString().contains("intruder"), after.toString());
    }

    @Test
    void anIdempotencyKeyResetInOneEnvironmentLeavesTheOtherAlone() throws Exception {
        send("POST", "/api/v1/idempotencyKeys/iso-key/reset", keyB, "{\"taskIdentifier\":\"" + TASK + "\"}");
        JsonNode again = json(expect(
                200,
                "POST",
                "/api/v1/tasks/" + TASK + "/trigger",
                keyA,
                "{\"payload\":{},\"options\":{\"idempotencyKey\":\"iso-key\"}}"));
        assertEquals(runA, again.get("id").asText(), "A's key still names A's run");
    }

    @Test
    void listsShowOnlyTheCallersEnvironment() throws Exception {
        awaitListed("/api/v1/runs?filter%5Btag%5D=iso-tag", keyA, runA);
        assertFalse(send("GET", "/api/v1/runs?filter%5Btag%5D=iso-tag", keyB, null)
                .body()
                .contains(runA));
        assertFalse(send("GET", "/api/v1/runs", keyB, null).body().contains(runA));
        expect(
                404,
                "GET",
                "/api/v1/projects/" + node.credentials().environment().projectRef() + "/runs",
                keyB,
                null);
    }

    @Test
    void batchesCannotBeReadOrFilledFromAnotherEnvironment() throws Exception {
        String batch = json(expect(202, "POST", "/api/v3/batches", keyA, "{\"runCount\":2}"))
                .get("id")
                .asText();
        HttpResponse<String> items =
                sendNdjson(batch, keyB, "{\"index\":0,\"task\":\"" + TASK + "\",\"payload\":{}}\n");
        assertEquals(404, items.statusCode(), items.body());
        expect(200, "GET", "/api/v2/batches/" + batch, keyA, null);
        expect(404, "GET", "/api/v2/batches/" + batch, keyB, null);
        assertEquals(
                200,
                sendNdjson(batch, keyA, "{\"index\":0,\"task\":\"" + TASK + "\",\"payload\":{}}\n")
                        .statusCode());
    }

    @Test
    void schedulesCannotBeReadOrChangedFromAnotherEnvironment() throws Exception {
        String schedule = json(expect(
                        200,
                        "POST",
                        "/api/v1/schedules",
                        keyA,
                        "{\"task\":\"" + TASK + "\",\"cron\":\"0 0 * * *\",\"deduplicationKey\":\"iso\"}"))
                .get("id")
                .asText();
        String path = "/api/v1/schedules/" + schedule;
        expect(200, "GET", path, keyA, null);
        expect(404, "GET", path, keyB, null);
        expect(404, "PUT", path, keyB, "{\"task\":\"" + TASK + "\",\"cron\":\"5 5 * * *\"}");
        expect(404, "POST", path + "/deactivate", keyB, null);
        expect(404, "DELETE", path, keyB, null);
        assertFalse(send("GET", "/api/v1/schedules", keyB, null).body().contains(schedule));
        JsonNode still = json(expect(200, "GET", path, keyA, null));
        assertTrue(still.get("active").asBoolean());
        assertEquals("0 0 * * *", still.get("generator").get("expression").asText());
    }

    @Test
    void waitpointTokensCannotBeReadOrCompletedFromAnotherEnvironmentOrItsCallback() throws Exception {
        JsonNode tokenA = json(expect(200, "POST", "/api/v1/waitpoints/tokens", keyA, "{}"));
        JsonNode tokenB = json(expect(200, "POST", "/api/v1/waitpoints/tokens", keyB, "{}"));
        String path = "/api/v1/waitpoints/tokens/" + tokenA.get("id").asText();
        expect(404, "GET", path, keyB, null);
        expect(404, "POST", path + "/complete", keyB, "{\"data\":{\"by\":\"intruder\"}}");
        awaitListed("/api/v1/waitpoints/tokens", keyA, tokenA.get("id").asText());
        assertFalse(send("GET", "/api/v1/waitpoints/tokens", keyB, null)
                .body()
                .contains(tokenA.get("id").asText()));

        // A's signed callback URL, pointed at B's token, is refused: the signature binds the token.
        String forged = URI.create(tokenA.get("url").asText())
                .getPath()
                .replace(tokenA.get("id").asText(), tokenB.get("id").asText());
        HttpResponse<String> callback = send("POST", forged, null, "{\"by\":\"intruder\"}");
        assertTrue(
                callback.statusCode() >= 400 && callback.statusCode() < 500,
                callback.statusCode() + " " + callback.body());
        assertEquals(
                "WAITING",
                json(expect(
                                200,
                                "GET",
                                "/api/v1/waitpoints/tokens/" + tokenB.get("id").asText(),
                                keyB,
                                null))
                        .get("status")
                        .asText());
        assertEquals(
                "WAITING",
                json(expect(200, "GET", path, keyA, null)).get("status").asText());
    }

    @Test
    void packetsOfOneEnvironmentAreNeverFoundFromAnother() throws Exception {
        String packetPath = "/api/v2/packets/iso%2Fpayload.json";
        String upload = json(expect(200, "PUT", packetPath, keyA, null))
                .get("presignedUrl")
                .asText();
        assertEquals(
                200,
                HTTP.send(
                                HttpRequest.newBuilder(URI.create(upload))
                                        .header("Content-Type", "application/json")
                                        .PUT(HttpRequest.BodyPublishers.ofString("{\"secret\":1}"))
                                        .build(),
                                HttpResponse.BodyHandlers.ofString())
                        .statusCode());
        String downloadB = json(expect(200, "GET", "/api/v1/packets/iso%2Fpayload.json", keyB, null))
                .get("presignedUrl")
                .asText();
        HttpResponse<String> fromB = HTTP.send(
                HttpRequest.newBuilder(URI.create(downloadB)).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(404, fromB.statusCode(), fromB.body());
        // A's own URL, moved to B's environment, fails its signature.
        String movedToB = upload.replace(node.credentials().environment().id(), environmentB);
        assertEquals(
                403,
                HTTP.send(
                                HttpRequest.newBuilder(URI.create(movedToB))
                                        .GET()
                                        .build(),
                                HttpResponse.BodyHandlers.ofString())
                        .statusCode());
    }

    private static void awaitListed(String path, String key, String id) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!send("GET", path, key, null).body().contains(id)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(id + " never listed by " + path + ": "
                        + send("GET", path, key, null).body());
            }
            Thread.sleep(100);
        }
    }

    private static HttpResponse<String> sendNdjson(String batch, String key, String body) throws Exception {
        return HTTP.send(
                HttpRequest.newBuilder(uri("/api/v3/batches/" + batch + "/items"))
                        .header("Authorization", "Bearer " + key)
                        .header("Content-Type", "application/x-ndjson")
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> expect(int status, String method, String path, String key, String body)
            throws Exception {
        HttpResponse<String> response = send(method, path, key, body);
        assertEquals(status, response.statusCode(), method + " " + path + ": " + response.body());
        return response;
    }

    private static HttpResponse<String> send(String method, String path, String key, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(30));
        if (key != null) request.header("Authorization", "Bearer " + key);
        if (body != null) request.header("Content-Type", "application/json");
        return HTTP.send(
                request.method(
                                method,
                                body == null
                                        ? HttpRequest.BodyPublishers.noBody()
                                        : HttpRequest.BodyPublishers.ofString(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static URI uri(String path) {
        return URI.create("http://127.0.0.1:" + node.httpPort() + path);
    }

    private static JsonNode json(HttpResponse<String> response) throws Exception {
        return JSON.readTree(response.body());
    }
}
