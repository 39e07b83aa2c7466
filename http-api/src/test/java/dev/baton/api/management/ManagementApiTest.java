package dev.baton.api.management;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.api.ApiTestServer;
import dev.baton.engine.environment.Accounts;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The management API over a real node: personal access tokens, organizations, projects and their keys. */
class ManagementApiTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static ApiTestServer server;
    private static String adminToken;
    private static String otherToken;

    @BeforeAll
    static void start() throws Exception {
        server = ApiTestServer.start("management-api");
        Accounts accounts = new Accounts(server.node().directory());
        adminToken = accounts.createToken(accounts.ensureUser("admin@example.com", "Admin", true), "test")
                .secret();
        otherToken = accounts.createToken(accounts.ensureUser("other@example.com", "Other", false), "test")
                .secret();
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    @Test
    void whoAmIAnswersAPersonalAccessTokenOnly() throws Exception {
        HttpResponse<String> me = server.get("/api/v2/whoami", adminToken);
        assertEquals(200, me.statusCode(), me.body());
        assertEquals("admin@example.com", json(me).get("email").asText());
        assertTrue(json(me).get("userId").asText().startsWith("user_"));

        assertEquals(401, server.get("/api/v2/whoami", "tr_pat_not_a_token").statusCode());
        assertEquals(401, server.get("/api/v2/whoami", null).statusCode());
    }

    @Test
    void aProjectHasFourEnvironmentsAndItsKeysOpenThem() throws Exception {
        String ref = newProject(adminToken);
        JsonNode environments = json(server.get("/api/v1/projects/" + ref + "/environments", adminToken));
        assertEquals(4, environments.size());
        assertEquals("dev", environments.get(0).get("slug").asText());
        assertEquals("DEVELOPMENT", environments.get(0).get("type").asText());
        assertTrue(environments.get(0).has("branchName"), "Trigger.dev's schema requires branchName");

        JsonNode created = createKey(ref, "prod", "{\"name\":\"deploy\"}");
        String key = created.get("key").asText();
        assertTrue(key.matches("tr_prod_sk_[0-9a-z]{24}"), key);
        assertEquals(200, server.get("/api/v1/runs", key).statusCode());

        JsonNode listed = json(server.get(keysPath(ref, "prod"), adminToken)).get("data");
        assertEquals(1, listed.size());
        assertFalse(listed.get(0).has("key"), "a list never shows the secret again");
        assertTrue(key.startsWith(listed.get(0).get("prefix").asText()));
        assertTrue(listed.get(0).has("lastUsedAt"), listed.toString());

        // A key opens its own environment only: the project's dev environment has no keys yet.
        assertEquals(
                0,
                json(server.get(keysPath(ref, "development"), adminToken))
                        .get("data")
                        .size());
    }

    @Test
    void aRotatedKeyWorksDuringItsOverlapAndNotAfter() throws Exception {
        String ref = newProject(adminToken);
        String old = createKey(ref, "stg", null).get("key").asText();
        String oldId = json(server.get(keysPath(ref, "stg"), adminToken))
                .get("data")
                .get(0)
                .get("id")
                .asText();

        HttpResponse<String> rotated =
                server.post(keysPath(ref, "stg") + "/" + oldId + "/rotate", adminToken, "{\"overlap\":\"2s\"}");
        assertEquals(201, rotated.statusCode(), rotated.body());
        String fresh = json(rotated).get("key").get("key").asText();
        Instant oldExpiry =
                Instant.parse(json(rotated).get("replaces").get("expiresAt").asText());

        assertEquals(200, server.get("/api/v1/runs", fresh).statusCode());
        assertEquals(200, server.get("/api/v1/runs", old).statusCode(), "both keys work during the overlap");
        awaitStatus(old, 401, oldExpiry.plusSeconds(3));
        assertEquals(200, server.get("/api/v1/runs", fresh).statusCode());
        assertEquals(
                404,
                server.post(keysPath(ref, "stg") + "/" + oldId + "/rotate", adminToken, "{}")
                        .statusCode(),
                "an expired key cannot be rotated again");
    }

    @Test
    void aRevokedKeyIsRefusedAtOnce() throws Exception {
        String ref = newProject(adminToken);
        JsonNode created = createKey(ref, "dev", "{\"kind\":\"secret\"}");
        assertEquals(
                200, server.get("/api/v1/runs", created.get("key").asText()).statusCode());

        HttpResponse<String> revoked = server.send(
                "DELETE", keysPath(ref, "dev") + "/" + created.get("id").asText(), bearer(adminToken), null);
        assertEquals(200, revoked.statusCode(), revoked.body());
        assertTrue(json(revoked).has("revokedAt"));
        assertEquals(
                401, server.get("/api/v1/runs", created.get("key").asText()).statusCode());
    }

    @Test
    void requestsNameOnlyWhatTheyMayAndValuesAreChecked() throws Exception {
        String ref = newProject(adminToken);
        assertError(server.post(keysPath(ref, "dev"), adminToken, "{\"scopes\":[]}"), 400, "scopes");
        assertError(server.post(keysPath(ref, "dev"), adminToken, "{\"kind\":\"root\"}"), 400, "kind");
        assertError(
                server.post(keysPath(ref, "dev"), adminToken, "{\"expiresAt\":\"2001-01-01T00:00:00Z\"}"),
                422,
                "expiresAt");
        String id = createKey(ref, "dev", null).get("id").asText();
        assertError(
                server.post(keysPath(ref, "dev") + "/" + id + "/rotate", adminToken, "{\"overlap\":\"soon\"}"),
                400,
                "overlap");
        assertError(
                server.post(keysPath(ref, "dev") + "/" + id + "/rotate", adminToken, "{\"overlap\":\"365d\"}"),
                422,
                "overlap");
        assertError(server.post("/api/v1/orgs", adminToken, "{}"), 400, "title");
        assertEquals(
                404,
                server.get("/api/v1/projects/" + ref + "/environments/nowhere/keys", adminToken)
                        .statusCode());
    }

    @Test
    void aUserSeesOnlyTheOrganizationsItBelongsTo() throws Exception {
        String ref = newProject(adminToken);
        String key = createKey(ref, "dev", null).get("key").asText();

        assertEquals(404, server.get("/api/v1/projects/" + ref, otherToken).statusCode());
        assertEquals(404, server.get(keysPath(ref, "dev"), otherToken).statusCode());
        assertFalse(server.get("/api/v1/projects", otherToken).body().contains(ref));
        assertEquals(
                404, server.get("/api/v1/projects/" + ref + "/dev", otherToken).statusCode());
        // Nor can the user reach the project's runs with the environment header.
        HttpResponse<String> runs = server.send(
                "GET",
                "/api/v1/runs",
                Map.of("Authorization", "Bearer " + otherToken, "x-baton-environment", ref + "/dev"),
                null);
        assertEquals(401, runs.statusCode(), runs.body());
        // A secret key is not a personal access token.
        assertEquals(401, server.get("/api/v1/projects", key).statusCode());
    }

    @Test
    void aPersonalAccessTokenReachesAnEnvironmentItsUserMayOpen() throws Exception {
        String ref = newProject(adminToken);
        Map<String, String> headers =
                Map.of("Authorization", "Bearer " + adminToken, "x-baton-environment", ref + "/prod");
        assertEquals(200, server.send("GET", "/api/v1/runs", headers, null).statusCode());
        assertError(server.get("/api/v1/runs", adminToken), 400, "x-baton-environment");
    }

    @Test
    void theTriggerDevCliGetsAKeyThatExpires() throws Exception {
        String ref = newProject(adminToken);
        HttpResponse<String> env = server.get("/api/v1/projects/" + ref + "/dev", adminToken);
        assertEquals(200, env.statusCode(), env.body());
        String apiKey = json(env).get("apiKey").asText();
        assertTrue(apiKey.startsWith("tr_dev_sk_"));
        assertEquals(ref, json(env).get("projectId").asText());
        assertTrue(json(env).get("apiUrl").asText().startsWith("http://127.0.0.1:"));
        assertEquals(200, server.get("/api/v1/runs", apiKey).statusCode());
        JsonNode key =
                json(server.get(keysPath(ref, "dev"), adminToken)).get("data").get(0);
        assertEquals("trigger.dev CLI", key.get("name").asText());
        assertTrue(key.has("expiresAt"));
    }

    @Test
    void anEnvironmentsOverridesAreSetCheckedAndShown() throws Exception {
        String ref = newProject(adminToken);
        String path = "/api/v1/projects/" + ref + "/environments/staging";
        HttpResponse<String> set = server.send(
                "PATCH",
                path,
                Map.of("Authorization", "Bearer " + adminToken, "Content-Type", "application/json"),
                "{\"concurrencyLimit\":3,\"paused\":true}");
        assertEquals(200, set.statusCode(), set.body());
        assertEquals(3, json(set).get("concurrencyLimit").asInt());
        JsonNode listed = json(server.get("/api/v1/projects/" + ref + "/environments", adminToken));
        JsonNode staging = listed.get(1);
        assertEquals("stg", staging.get("slug").asText());
        assertTrue(staging.get("paused").asBoolean());
        assertFalse(listed.get(0).get("paused").asBoolean(), "only that environment");

        Map<String, String> headers =
                Map.of("Authorization", "Bearer " + adminToken, "Content-Type", "application/json");
        assertError(server.send("PATCH", path, headers, "{\"concurrencyLimit\":0}"), 400, "concurrencyLimit");
        assertError(server.send("PATCH", path, headers, "{\"paused\":\"yes\"}"), 400, "paused");
        assertError(server.send("PATCH", path, headers, "{\"queues\":{}}"), 400, "queues");
        assertEquals(
                404,
                server.send(
                                "PATCH",
                                path,
                                Map.of("Authorization", "Bearer " + otherToken, "Content-Type", "application/json"),
                                "{}")
                        .statusCode());
    }

    @Test
    void anEnvironmentsOwnTriggerRateLimitAppliesToItAlone() throws Exception {
        String ref = newProject(adminToken);
        Map<String, String> headers =
                Map.of("Authorization", "Bearer " + adminToken, "Content-Type", "application/json");
        String path = "/api/v1/projects/" + ref + "/environments/prod";
        HttpResponse<String> set = server.send(
                "PATCH", path, headers, "{\"triggerRateLimit\":{\"burst\":2,\"refill\":1,\"interval\":\"1m\"}}");
        assertEquals(200, set.statusCode(), set.body());
        assertEquals(2, json(set).get("triggerRateLimit").get("burst").asInt());
        assertError(
                server.send(
                        "PATCH",
                        path,
                        headers,
                        "{\"triggerRateLimit\":{\"burst\":0,\"refill\":1,\"interval\":\"1s\"}}"),
                400,
                "burst");
        assertError(
                server.send(
                        "PATCH", path, headers, "{\"triggerRateLimit\":{\"burst\":1,\"refill\":1,\"interval\":\"x\"}}"),
                400,
                "interval");

        String prodKey = createKey(ref, "prod", null).get("key").asText();
        String devKey = createKey(ref, "dev", null).get("key").asText();
        server.declareTask(server.node().directory().environment(ref, "prod").orElseThrow(), "limited");
        server.declareTask(server.node().directory().environment(ref, "dev").orElseThrow(), "limited");
        String trigger = "/api/v1/tasks/limited/trigger";
        assertEquals(200, server.post(trigger, prodKey, "{\"payload\":{}}").statusCode());
        assertEquals(200, server.post(trigger, prodKey, "{\"payload\":{}}").statusCode());
        HttpResponse<String> refused = server.post(trigger, prodKey, "{\"payload\":{}}");
        assertEquals(429, refused.statusCode(), refused.body());
        assertEquals("2", refused.headers().firstValue("x-ratelimit-limit").orElseThrow());
        for (int i = 0; i < 3; i++) {
            assertEquals(200, server.post(trigger, devKey, "{\"payload\":{}}").statusCode(), "dev keeps the default");
        }
    }

    @Test
    void personalAccessTokensAreMadeListedAndRevoked() throws Exception {
        HttpResponse<String> made = server.post("/api/v1/personal-access-tokens", adminToken, "{\"name\":\"laptop\"}");
        assertEquals(201, made.statusCode(), made.body());
        String token = json(made).get("token").asText();
        assertTrue(token.startsWith("tr_pat_"));
        assertEquals(200, server.get("/api/v2/whoami", token).statusCode());
        assertTrue(
                server.get("/api/v1/personal-access-tokens", adminToken).body().contains("laptop"));
        assertFalse(
                server.get("/api/v1/personal-access-tokens", adminToken).body().contains(token));

        HttpResponse<String> revoked = server.send(
                "DELETE",
                "/api/v1/personal-access-tokens/" + json(made).get("id").asText(),
                bearer(adminToken),
                null);
        assertEquals(200, revoked.statusCode(), revoked.body());
        assertEquals(401, server.get("/api/v2/whoami", token).statusCode());
    }

    @Test
    void onlyAnAdminCreatesUsersAndMembersJoinOrganizations() throws Exception {
        assertEquals(
                403,
                server.post("/api/v1/users", otherToken, "{\"email\":\"x@example.com\"}")
                        .statusCode());
        HttpResponse<String> created =
                server.post("/api/v1/users", adminToken, "{\"email\":\"new@example.com\",\"name\":\"New\"}");
        assertEquals(201, created.statusCode(), created.body());
        String newToken = json(created).get("token").get("token").asText();
        assertEquals(
                "new@example.com",
                json(server.get("/api/v2/whoami", newToken)).get("email").asText());
        assertEquals(
                409,
                server.post("/api/v1/users", adminToken, "{\"email\":\"new@example.com\"}")
                        .statusCode());

        String organization = json(server.post("/api/v1/orgs", adminToken, "{\"title\":\"Shared\"}"))
                .get("id")
                .asText();
        assertEquals(0, json(server.get("/api/v1/orgs", newToken)).size());
        assertEquals(
                200,
                server.post("/api/v1/orgs/" + organization + "/members", adminToken, "{\"email\":\"new@example.com\"}")
                        .statusCode());
        assertEquals(
                organization,
                json(server.get("/api/v1/orgs", newToken)).get(0).get("id").asText());
        assertEquals(
                404,
                server.post("/api/v1/orgs/" + organization + "/members", otherToken, "{\"email\":\"o@example.com\"}")
                        .statusCode());
    }

    private static String newProject(String token) throws Exception {
        HttpResponse<String> organization = server.post("/api/v1/orgs", token, "{\"title\":\"Acme\"}");
        assertEquals(201, organization.statusCode(), organization.body());
        HttpResponse<String> project = server.post(
                "/api/v1/orgs/" + json(organization).get("id").asText() + "/projects", token, "{\"name\":\"Shop\"}");
        assertEquals(201, project.statusCode(), project.body());
        String ref = json(project).get("externalRef").asText();
        assertTrue(ref.startsWith("proj_"), ref);
        return ref;
    }

    private static JsonNode createKey(String ref, String environment, String body) throws Exception {
        HttpResponse<String> created = server.post(keysPath(ref, environment), adminToken, body == null ? "{}" : body);
        assertEquals(201, created.statusCode(), created.body());
        return json(created);
    }

    private static String keysPath(String ref, String environment) {
        return "/api/v1/projects/" + ref + "/environments/" + environment + "/keys";
    }

    private static Map<String, String> bearer(String token) {
        return Map.of("Authorization", "Bearer " + token);
    }

    private static void awaitStatus(String key, int status, Instant deadline) throws Exception {
        int last;
        do {
            last = server.get("/api/v1/runs", key).statusCode();
            if (last == status) return;
            Thread.sleep(100);
        } while (Instant.now().isBefore(deadline));
        assertEquals(status, last, "by " + deadline);
    }

    private static void assertError(HttpResponse<String> response, int status, String naming) throws Exception {
        assertEquals(status, response.statusCode(), response.body());
        assertTrue(json(response).get("error").asText().contains(naming), response.body());
    }

    private static JsonNode json(HttpResponse<String> response) throws Exception {
        return JSON.readTree(response.body());
    }
}
