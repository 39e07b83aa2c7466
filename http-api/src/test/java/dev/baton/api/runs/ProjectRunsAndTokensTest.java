package dev.baton.api.runs;

import static dev.baton.api.ApiTestServer.json;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code runs.list(projectRef, …)} ({@code GET /api/v1/projects/{ref}/runs}) and the trigger's {@code x-trigger-jwt}.
 */
class ProjectRunsAndTokensTest {

    private static final String KEY = "tr_dev_project_runs";
    private static ApiTestServer server;
    private static Environment environment;

    @BeforeAll
    static void start() throws Exception {
        server = ApiTestServer.start("ProjectRunsAndTokensTest");
        environment = server.environment("acme", "dev", KEY);
        server.declareTask(environment, "hello-world");
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    private static String trigger() throws Exception {
        HttpResponse<String> response = server.post("/api/v1/tasks/hello-world/trigger", KEY, "{\"payload\":{}}");
        assertEquals(200, response.statusCode(), response.body());
        return json(response).get("id").asText();
    }

    private static List<String> ids(HttpResponse<String> response) throws Exception {
        assertEquals(200, response.statusCode(), response.body());
        List<String> ids = new ArrayList<>();
        json(response).get("data").forEach(run -> ids.add(run.get("id").asText()));
        return ids;
    }

    @Test
    void theProjectListIsTheKeysEnvironmentsList() throws Exception {
        String first = trigger();
        String second = trigger();
        server.projectRuns();
        assertEquals(List.of(second, first), ids(server.get("/api/v1/projects/acme/runs", KEY)));
        assertEquals(
                ids(server.get("/api/v1/runs?page%5Bsize%5D=1", KEY)),
                ids(server.get("/api/v1/projects/acme/runs?page%5Bsize%5D=1", KEY)));
        assertEquals(List.of(second, first), ids(server.get("/api/v1/projects/acme/runs?filter%5Benv%5D=dev", KEY)));
        assertEquals(
                List.of(second, first),
                ids(server.get("/api/v1/projects/acme/runs?filter%5Benv%5D=staging,DEVELOPMENT", KEY)));
        assertEquals(List.of(), ids(server.get("/api/v1/projects/acme/runs?filter%5Benv%5D=prod", KEY)));

        HttpResponse<String> otherProject = server.get("/api/v1/projects/other/runs", KEY);
        assertEquals(404, otherProject.statusCode());
        assertEquals("{\"error\":\"Project not found\"}", otherProject.body());
        assertEquals(
                400,
                server.get("/api/v1/projects/acme/runs?page%5Bsize%5D=0", KEY).statusCode());
        assertEquals(
                400,
                server.get("/api/v1/projects/acme/runs?filter%5Benv%5D=prod&page%5Bsize%5D=0", KEY)
                        .statusCode());
        assertEquals(401, server.get("/api/v1/projects/acme/runs", null).statusCode());
    }

    @Test
    void aTriggerAnswersWithAPublicAccessTokenScopedToItsRun() throws Exception {
        HttpResponse<String> response = server.post("/api/v1/tasks/hello-world/trigger", KEY, "{}");
        String runId = json(response).get("id").asText();
        String jwt = response.headers().firstValue("x-trigger-jwt").orElseThrow();
        String[] parts = jwt.split("\\.");
        assertEquals(3, parts.length, jwt);
        ObjectMapper mapper = new ObjectMapper();
        JsonNode header = mapper.readTree(Base64.getUrlDecoder().decode(parts[0]));
        assertEquals("HS256", header.get("alg").asText());
        JsonNode claims = mapper.readTree(Base64.getUrlDecoder().decode(parts[1]));
        assertEquals(environment.id(), claims.get("sub").asText());
        assertTrue(claims.get("pub").asBoolean());
        assertEquals("read:runs:" + runId, claims.get("scopes").get(0).asText());
        assertEquals(3600, claims.get("exp").asLong() - claims.get("iat").asLong());
        JsonNode claimsHeader = mapper.readTree(
                response.headers().firstValue("x-trigger-jwt-claims").orElseThrow());
        assertEquals(environment.id(), claimsHeader.get("sub").asText());

        // Signed with the environment's server secret.
        byte[] secret;
        try (Connection connection = server.node().database().dataSource().getConnection();
                PreparedStatement select = connection.prepareStatement(
                        "SELECT secret FROM baton_environment_secrets WHERE environment_id = ?")) {
            select.setString(1, environment.id());
            try (ResultSet result = select.executeQuery()) {
                assertTrue(result.next());
                secret = HexFormat.of().parseHex(result.getString(1).trim());
            }
        }
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(secret, "HmacSHA256"));
        byte[] expected = mac.doFinal((parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII));
        assertArrayEquals(expected, Base64.getUrlDecoder().decode(parts[2]));

        // The next trigger's token names its own run, with the same secret.
        HttpResponse<String> next = server.post("/api/v1/tasks/hello-world/trigger", KEY, "{}");
        JsonNode nextClaims = mapper.readTree(Base64.getUrlDecoder()
                .decode(next.headers().firstValue("x-trigger-jwt").orElseThrow().split("\\.")[1]));
        assertEquals(
                "read:runs:" + json(next).get("id").asText(),
                nextClaims.get("scopes").get(0).asText());
    }
}
