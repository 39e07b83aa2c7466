package dev.baton.api.auth;

import static dev.baton.api.ApiTestServer.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.api.ApiTestServer;
import dev.baton.engine.environment.Environment;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Public access tokens end to end: minted by {@code POST /api/v1/auth/public-tokens} or answered by a trigger,
 * accepted with Trigger.dev's scopes by the run, batch, trigger and waitpoint routes, refused everywhere else.
 */
class PublicAccessTokenTest {

    private static final String KEY = "tr_dev_sk_publicTokenTestKey0001";
    private static final String OTHER_KEY = "tr_dev_sk_publicTokenOtherEnv001";
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static ApiTestServer server;
    private static Environment environment;
    private static Environment other;

    @BeforeAll
    static void start() throws Exception {
        server = ApiTestServer.start("PublicAccessTokenTest");
        environment = server.environment("tokens", "dev", KEY);
        other = server.environment("tokens", "prod", OTHER_KEY);
        server.declareTask(environment, "hello-world");
        server.declareTask(environment, "other-task");
        server.declareTask(other, "hello-world");
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    // ---------------------------------------------------------------- minting

    @Test
    void aMintedTokenCarriesTheScopesAndExpiresInFifteenMinutesByDefault() throws Exception {
        String token = mint("{\"scopes\":[\"read:runs:run_x\",\"read:tags:env:staging\"]}");
        JsonNode claims = claims(token);
        assertEquals(environment.id(), claims.get("sub").asText());
        assertTrue(claims.get("pub").asBoolean());
        assertEquals("read:runs:run_x", claims.get("scopes").get(0).asText());
        assertEquals("read:tags:env:staging", claims.get("scopes").get(1).asText());
        assertEquals(900, claims.get("exp").asLong() - claims.get("iat").asLong());
        assertTrue(claims.get("jti").asText().length() > 10);
        assertTrue(claims.path("otu").isMissingNode());
        assertEquals("https://api.trigger.dev", claims.get("aud").asText());

        JsonNode hour = claims(mint("{\"scopes\":[\"read:runs\"],\"expirationTime\":\"1h\",\"oneTimeUse\":true}"));
        assertEquals(3600, hour.get("exp").asLong() - hour.get("iat").asLong());
        assertTrue(hour.get("otu").asBoolean());
        long at = Instant.now().getEpochSecond() + 120;
        assertEquals(
                at,
                claims(mint("{\"scopes\":[\"read:runs\"],\"expirationTime\":" + at + "}"))
                        .get("exp")
                        .asLong());
        assertEquals(
                List.of("a"),
                List.of(claims(mint("{\"scopes\":[\"admin\"],\"realtime\":{\"skipColumns\":[\"a\"]}}"))
                        .get("realtime")
                        .get("skipColumns")
                        .get(0)
                        .asText()));
    }

    @Test
    void mintingRefusesWhatItCannotHonour() throws Exception {
        assertError(mintResponse("{\"scopes\":[]}"), 400, "scopes must name at least one scope");
        assertError(mintResponse("{}"), 400, "scopes is required");
        assertError(mintResponse("{\"scopes\":[\"read:nothing:x\"]}"), 400, "'read:nothing:x'");
        assertError(mintResponse("{\"scopes\":[\"fly:runs\"]}"), 400, "'fly:runs'");
        assertError(mintResponse("{\"scopes\":[\"read\"]}"), 400, "'read'");
        assertError(mintResponse("{\"scopes\":[\"read:runs:\"]}"), 400, "'read:runs:'");
        assertError(mintResponse("{\"scopes\":[\"read:runs\"],\"expirationTime\":\"-5m\"}"), 400, "expirationTime");
        assertError(mintResponse("{\"scopes\":[\"read:runs\"],\"expirationTime\":\"5m ago\"}"), 400, "expirationTime");
        assertError(mintResponse("{\"scopes\":[\"read:runs\"],\"expirationTime\":\"soon\"}"), 400, "expirationTime");
        assertError(mintResponse("{\"scopes\":[\"read:runs\"],\"expirationTime\":\"31d\"}"), 400, "expirationTime");
        assertError(mintResponse("{\"scopes\":[\"read:runs\"],\"expirationTime\":1000}"), 400, "expirationTime");
        assertError(mintResponse("{\"scopes\":[\"read:runs\"],\"oneTimeUse\":\"yes\"}"), 400, "oneTimeUse");
        assertError(mintResponse("{\"scopes\":[\"read:runs\"],\"realtime\":{\"x\":1}}"), 400, "realtime.x");
        assertError(server.post("/api/v1/auth/public-tokens", null, "{\"scopes\":[\"read:runs\"]}"), 401, "API key");

        // A public token mints no other.
        String token = mint("{\"scopes\":[\"admin\"]}");
        assertError(
                server.post("/api/v1/auth/public-tokens", token, "{\"scopes\":[\"read:runs\"]}"),
                403,
                "public access token is not allowed");
    }

    @Test
    void selfSignedClaimsAreRefusedWithTheWayOut() throws Exception {
        HttpResponse<String> response = server.postEmpty("/api/v1/auth/jwt/claims", KEY);
        assertError(response, 422, "./baton keys create");
        assertTrue(json(response).get("error").asText().contains("tr_<env>_sk_"));
        assertEquals(401, server.postEmpty("/api/v1/auth/jwt/claims", null).statusCode());
    }

    // ---------------------------------------------------------------- verifying

    @Test
    void aTokenReadsTheRunsItsScopesCoverAndNoOther() throws Exception {
        String run = trigger(KEY, "hello-world", "{\"payload\":{}}");
        String another = trigger(KEY, "hello-world", "{\"payload\":{}}");
        String token = mint("{\"scopes\":[\"read:runs:" + run + "\"]}");

        assertEquals(
                run,
                json(ok(server.get("/api/v3/runs/" + run, token))).get("id").asText());
        ok(server.get("/api/v1/runs/" + run + "/events", token));
        assertError(server.get("/api/v3/runs/" + another, token), 403, "Unauthorized");
        assertError(server.get("/api/v1/runs/" + another + "/events", token), 403, "Unauthorized");
        assertEquals(404, server.get("/api/v3/runs/run_doesnotexist", token).statusCode());

        // Every other route refuses it, whatever it may read.
        String admin = mint("{\"scopes\":[\"admin\"]}");
        assertError(server.postEmpty("/api/v2/runs/" + run + "/cancel", token), 403, "not allowed");
        assertError(server.postEmpty("/api/v2/runs/" + run + "/cancel", admin), 403, "not allowed");
        assertError(server.get("/api/v1/schedules", admin), 403, "not allowed");
        assertError(server.get("/api/v1/waitpoints/tokens", admin), 403, "not allowed");
        assertError(server.get("/api/v1/projects/tokens/runs", admin), 403, "not allowed");
        assertEquals("QUEUED", server.retrieve(run, KEY).get("status").asText());
    }

    @Test
    void aRunIsReadableByItsTaskTagOrBatchScopeOrABroadOne() throws Exception {
        String tagged = trigger(KEY, "other-task", "{\"payload\":{},\"options\":{\"tags\":[\"env:staging\"]}}");
        ok(server.get("/api/v3/runs/" + tagged, mint("{\"scopes\":[\"read:tags:env:staging\"]}")));
        ok(server.get("/api/v3/runs/" + tagged, mint("{\"scopes\":[\"read:tasks:other-task\"]}")));
        ok(server.get("/api/v3/runs/" + tagged, mint("{\"scopes\":[\"read:runs\"]}")));
        ok(server.get("/api/v3/runs/" + tagged, mint("{\"scopes\":[\"read:all\"]}")));
        ok(server.get("/api/v3/runs/" + tagged, mint("{\"scopes\":[\"admin\"]}")));
        assertError(server.get("/api/v3/runs/" + tagged, mint("{\"scopes\":[\"read:tags:env\"]}")), 403, "");
        assertError(server.get("/api/v3/runs/" + tagged, mint("{\"scopes\":[\"read:tasks:hello-world\"]}")), 403, "");
        assertError(server.get("/api/v3/runs/" + tagged, mint("{\"scopes\":[\"trigger:tasks\"]}")), 403, "");

        HttpResponse<String> batched =
                ok(server.post("/api/v1/tasks/batch", KEY, "{\"items\":[{\"task\":\"hello-world\",\"payload\":{}}]}"));
        JsonNode batch = json(batched);
        String batchId = batch.get("id").asText();
        String batchRun = batch.get("runs").get(0).get("id").asText();
        String batchToken = mint("{\"scopes\":[\"read:batch:" + batchId + "\"]}");
        ok(server.get("/api/v3/runs/" + batchRun, batchToken));
        ok(server.get("/api/v2/batches/" + batchId, batchToken));
        // A batch create answers with a token scoped to its batch: the SDK needs it from the server for a tr_<env>_sk_
        // key, which it cannot sign with.
        String answered = batched.headers().firstValue("x-trigger-jwt").orElseThrow();
        assertEquals(
                "read:batch:" + batchId, claims(answered).get("scopes").get(0).asText());
        ok(server.get("/api/v3/runs/" + batchRun, answered));
        HttpResponse<String> created = server.post("/api/v3/batches", KEY, "{\"runCount\":1}");
        assertEquals(
                "read:batch:" + json(created).get("id").asText(),
                claims(created.headers().firstValue("x-trigger-jwt").orElseThrow())
                        .get("scopes")
                        .get(0)
                        .asText());
        ok(server.get("/api/v2/batches/" + batchId, mint("{\"scopes\":[\"read:runs\"]}")));
        assertError(server.get("/api/v3/runs/" + tagged, batchToken), 403, "");
        assertError(
                server.get("/api/v2/batches/" + batchId, mint("{\"scopes\":[\"read:batch:batch_other\"]}")), 403, "");
    }

    @Test
    void theTokenATriggerAnswersWithReadsItsRun() throws Exception {
        HttpResponse<String> triggered = server.post("/api/v1/tasks/hello-world/trigger", KEY, "{}");
        String jwt = triggered.headers().firstValue("x-trigger-jwt").orElseThrow();
        ok(server.get("/api/v3/runs/" + json(triggered).get("id").asText(), jwt));
    }

    @Test
    void aTokenOfOneEnvironmentDoesNotReachAnothersRuns() throws Exception {
        String otherRun = trigger(OTHER_KEY, "hello-world", "{}");
        String token = mint("{\"scopes\":[\"read:runs:" + otherRun + "\"]}");
        assertEquals(404, server.get("/api/v3/runs/" + otherRun, token).statusCode());
        assertEquals(
                404, server.get("/api/v1/runs/" + otherRun + "/events", token).statusCode());
        String otherToken = json(ok(server.post(
                        "/api/v1/auth/public-tokens", OTHER_KEY, "{\"scopes\":[\"read:runs:" + otherRun + "\"]}")))
                .get("token")
                .asText();
        ok(server.get("/api/v3/runs/" + otherRun, otherToken));
    }

    @Test
    void forgedTamperedExpiredAndMisaddressedTokensAre401() throws Exception {
        String run = trigger(KEY, "hello-world", "{}");
        String token = mint("{\"scopes\":[\"read:runs\"]}");
        String[] parts = token.split("\\.");
        long now = Instant.now().getEpochSecond();

        // Signature of other claims.
        String widened =
                parts[0] + "." + encode(claims(token).toString().replace("read:runs", "read:all")) + "." + parts[2];
        assertError(server.get("/api/v3/runs/" + run, widened), 401, "Public Access Token is invalid");
        String flipped =
                parts[0] + "." + parts[1] + "." + (parts[2].charAt(0) == 'A' ? 'B' : 'A') + parts[2].substring(1);
        assertError(server.get("/api/v3/runs/" + run, flipped), 401, "signature");
        String none = encode("{\"alg\":\"none\",\"typ\":\"JWT\"}") + "." + parts[1] + ".";
        assertError(server.get("/api/v3/runs/" + run, none), 401, "HS256");

        String claims = "{\"sub\":\"" + environment.id() + "\",\"pub\":true,\"scopes\":[\"read:runs\"],"
                + "\"iss\":\"https://id.trigger.dev\",\"aud\":\"%s\",\"iat\":%d,\"exp\":%d%s}";
        ok(server.get(
                "/api/v3/runs/" + run, sign(String.format(claims, "https://api.trigger.dev", now, now + 60, ""))));
        assertError(
                server.get(
                        "/api/v3/runs/" + run,
                        sign(String.format(claims, "https://api.trigger.dev", now - 120, now - 60, ""))),
                401,
                "expired");
        assertError(
                server.get(
                        "/api/v3/runs/" + run, sign(String.format(claims, "https://example.com", now, now + 60, ""))),
                401,
                "audience");
        assertError(
                server.get(
                        "/api/v3/runs/" + run,
                        sign(String.format(
                                claims, "https://api.trigger.dev", now, now + 120, ",\"nbf\":" + (now + 60)))),
                401,
                "nbf");
        assertError(
                server.get(
                        "/api/v3/runs/" + run,
                        sign(String.format(claims, "https://api.trigger.dev", now, now + 60, "")
                                .replace("true", "false"))),
                401,
                "pub");
        String unknown = sign(String.format(claims, "https://api.trigger.dev", now, now + 60, "")
                .replace(environment.id(), "env_nobody"));
        assertError(server.get("/api/v3/runs/" + run, unknown), 401, "Invalid Public Access Token");
        // Signed with another environment's secret, naming this one.
        String crossSigned =
                signWith(secret(other), String.format(claims, "https://api.trigger.dev", now, now + 60, ""));
        assertError(server.get("/api/v3/runs/" + run, crossSigned), 401, "signature");
    }

    // ---------------------------------------------------------------- listing

    @Test
    void aTokenListsOnlyRunsItsScopesCover() throws Exception {
        String tagged = trigger(KEY, "other-task", "{\"options\":{\"tags\":[\"listed\"]}}");
        trigger(KEY, "hello-world", "{}");
        server.projectRuns();

        String byTag = mint("{\"scopes\":[\"read:tags:listed\"]}");
        assertEquals(List.of(tagged), ids(server.get("/api/v1/runs?filter%5Btag%5D=listed", byTag)));
        assertError(server.get("/api/v1/runs", byTag), 403, "Unauthorized");
        assertError(server.get("/api/v1/runs?filter%5Btag%5D=listed,other", byTag), 403, "Unauthorized");
        String byTask = mint("{\"scopes\":[\"read:tasks:other-task\"]}");
        assertTrue(ids(server.get("/api/v1/runs?filter%5BtaskIdentifier%5D=other-task", byTask))
                .contains(tagged));
        assertError(server.get("/api/v1/runs?filter%5BtaskIdentifier%5D=hello-world", byTask), 403, "");
        assertTrue(ids(server.get("/api/v1/runs", mint("{\"scopes\":[\"read:runs\"]}")))
                        .size()
                >= 2);
        assertError(server.get("/api/v1/runs", mint("{\"scopes\":[\"read:runs:" + tagged + "\"]}")), 403, "");
    }

    // ---------------------------------------------------------------- triggering

    @Test
    void aTriggerTokenTriggersItsTaskAndAOneTimeUseTokenOnlyOnce() throws Exception {
        String once = mint("{\"scopes\":[\"trigger:tasks:hello-world\"],\"oneTimeUse\":true}");
        String run = json(ok(server.post("/api/v1/tasks/hello-world/trigger", once, "{}")))
                .get("id")
                .asText();
        assertEquals(
                "hello-world", server.retrieve(run, KEY).get("taskIdentifier").asText());
        assertError(server.post("/api/v1/tasks/hello-world/trigger", once, "{}"), 401, "already been used");

        String many = mint("{\"scopes\":[\"trigger:tasks:hello-world\"]}");
        ok(server.post("/api/v1/tasks/hello-world/trigger", many, "{}"));
        ok(server.post("/api/v1/tasks/hello-world/trigger", many, "{}"));
        assertError(server.post("/api/v1/tasks/other-task/trigger", many, "{}"), 403, "Unauthorized");
        assertError(
                server.post("/api/v1/tasks/hello-world/trigger", mint("{\"scopes\":[\"read:runs\"]}"), "{}"),
                403,
                "Unauthorized");
        // A refused trigger uses nothing up.
        String unused = mint("{\"scopes\":[\"trigger:tasks:hello-world\"],\"oneTimeUse\":true}");
        assertEquals(
                400,
                server.post("/api/v1/tasks/hello-world/trigger", unused, "[]").statusCode());
        ok(server.post("/api/v1/tasks/hello-world/trigger", unused, "{}"));
    }

    @Test
    void aBatchTriggerTokenCoversEveryTaskOfTheBatch() throws Exception {
        String token = mint("{\"scopes\":[\"batchTrigger:tasks:hello-world\"],\"oneTimeUse\":true}");
        String mixed = "{\"items\":[{\"task\":\"hello-world\"},{\"task\":\"other-task\"}]}";
        assertError(server.post("/api/v2/tasks/batch", token, mixed), 403, "Unauthorized");
        String single = "{\"items\":[{\"task\":\"hello-world\"},{\"task\":\"hello-world\"}]}";
        assertEquals(202, server.post("/api/v2/tasks/batch", token, single).statusCode());
        assertError(server.post("/api/v2/tasks/batch", token, single), 401, "already been used");

        // Two phases: the create declares the tasks, the items must stay within the token's.
        String twoPhase = mint("{\"scopes\":[\"batchTrigger:tasks:hello-world\"],\"oneTimeUse\":true}");
        assertError(
                server.post("/api/v3/batches", twoPhase, "{\"runCount\":1,\"taskIdentifiers\":[\"other-task\"]}"),
                403,
                "Unauthorized");
        assertError(server.post("/api/v3/batches", twoPhase, "{\"runCount\":1}"), 403, "Unauthorized");
        JsonNode created = json(
                server.post("/api/v3/batches", twoPhase, "{\"runCount\":1,\"taskIdentifiers\":[\"hello-world\"]}"));
        String items = "/api/v3/batches/" + created.get("id").asText() + "/items";
        Map<String, String> headers =
                Map.of("Authorization", "Bearer " + twoPhase, "Content-Type", "application/x-ndjson");
        assertError(
                server.send("POST", items, headers, "{\"index\":0,\"task\":\"other-task\"}\n"), 403, "Unauthorized");
        ok(server.send("POST", items, headers, "{\"index\":0,\"task\":\"hello-world\"}\n"));
    }

    @Test
    void aWaitpointTokensJwtCompletesItAndNoOther() throws Exception {
        HttpResponse<String> first = server.post("/api/v1/waitpoints/tokens", KEY, "{}");
        HttpResponse<String> second = server.post("/api/v1/waitpoints/tokens", KEY, "{}");
        String jwt = first.headers().firstValue("x-trigger-jwt").orElseThrow();
        String secondId = json(second).get("id").asText();
        assertError(server.post("/api/v1/waitpoints/tokens/" + secondId + "/complete", jwt, "{}"), 403, "Unauthorized");
        ok(server.post("/api/v1/waitpoints/tokens/" + json(first).get("id").asText() + "/complete", jwt, "{}"));
        assertError(server.get("/api/v1/waitpoints/tokens/" + secondId, jwt), 403, "not allowed");
    }

    // ---------------------------------------------------------------- helpers

    private static String trigger(String key, String task, String body) throws Exception {
        return json(ok(server.post("/api/v1/tasks/" + task + "/trigger", key, body)))
                .get("id")
                .asText();
    }

    private static HttpResponse<String> mintResponse(String body) throws Exception {
        return server.post("/api/v1/auth/public-tokens", KEY, body);
    }

    private static String mint(String body) throws Exception {
        return json(ok(mintResponse(body))).get("token").asText();
    }

    private static HttpResponse<String> ok(HttpResponse<String> response) {
        assertTrue(response.statusCode() / 100 == 2, response.statusCode() + " " + response.body());
        return response;
    }

    private static void assertError(HttpResponse<String> response, int status, String fragment) throws Exception {
        assertEquals(status, response.statusCode(), response.body());
        String error = json(response).get("error").asText();
        assertTrue(error.contains(fragment), error);
    }

    private static List<String> ids(HttpResponse<String> response) throws Exception {
        List<String> ids = new ArrayList<>();
        json(ok(response)).get("data").forEach(run -> ids.add(run.get("id").asText()));
        return ids;
    }

    private static JsonNode claims(String token) throws Exception {
        return MAPPER.readTree(Base64.getUrlDecoder().decode(token.split("\\.")[1]));
    }

    private static String encode(String json) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.UTF_8));
    }

    private static String sign(String claims) throws Exception {
        return signWith(secret(environment), claims);
    }

    private static String signWith(byte[] secret, String claims) throws Exception {
        String signed = encode("{\"alg\":\"HS256\",\"typ\":\"JWT\"}") + "." + encode(claims);
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(secret, "HmacSHA256"));
        return signed + "."
                + Base64.getUrlEncoder()
                        .withoutPadding()
                        .encodeToString(mac.doFinal(signed.getBytes(StandardCharsets.US_ASCII)));
    }

    /** The environment's server secret, created by minting a token if it has none yet. */
    private static byte[] secret(Environment of) throws Exception {
        ok(server.post(
                "/api/v1/auth/public-tokens", of == environment ? KEY : OTHER_KEY, "{\"scopes\":[\"read:runs\"]}"));
        try (Connection connection = server.node().database().dataSource().getConnection();
                PreparedStatement select = connection.prepareStatement(
                        "SELECT secret FROM baton_environment_secrets WHERE environment_id = ?")) {
            select.setString(1, of.id());
            try (ResultSet result = select.executeQuery()) {
                assertTrue(result.next());
                return HexFormat.of().parseHex(result.getString(1).trim());
            }
        }
    }
}
