package dev.baton.api.envvars;

import static dev.baton.api.ApiTestServer.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import dev.baton.api.ApiTestServer;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code /api/v1/projects/{ref}/envvars/{env}…} on a real port: shapes, redaction, scoping and every 4xx. */
class EnvVarRoutesTest {

    private static final String KEY = "tr_dev_envvar_routes";
    private static final String PROD_KEY = "tr_prod_envvar_routes";
    private static final String OTHER_PROJECT_KEY = "tr_dev_envvar_other_project";
    private static final String DEV = "/api/v1/projects/envproj/envvars/dev";

    private static ApiTestServer server;

    @BeforeAll
    static void start() throws Exception {
        String key = Base64.getEncoder().encodeToString(new byte[32]);
        server = ApiTestServer.start(
                "EnvVarRoutesTest",
                ConfigFactory.parseString("baton.secrets.encryption-key = \"" + key + "\"\n"
                        + "baton.http.envvars.max-value-size = 16\n"
                        + "baton.http.envvars.max-import-variables = 3"));
        server.environment("envproj", "dev", KEY);
        server.environment("envproj", "prod", PROD_KEY);
        server.environment("otherproj", "dev", OTHER_PROJECT_KEY);
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    @Test
    void createListRetrieveUpdateDelete() throws Exception {
        assertSuccess(server.post(DEV, KEY, "{\"name\":\"CRUD_PLAIN\",\"value\":\"hello\"}"));
        assertSuccess(server.post(DEV, KEY, "{\"name\":\"CRUD_SECRET\",\"value\":\"s3cr3t\",\"isSecret\":true}"));

        JsonNode plain = ok(server.get(DEV + "/CRUD_PLAIN", KEY));
        assertEquals("{\"name\":\"CRUD_PLAIN\",\"value\":\"hello\",\"isSecret\":false}", plain.toString());
        JsonNode secret = ok(server.get(DEV + "/CRUD_SECRET", KEY));
        assertEquals("{\"name\":\"CRUD_SECRET\",\"value\":\"<redacted>\",\"isSecret\":true}", secret.toString());
        JsonNode list = ok(server.get(DEV, KEY));
        assertTrue(list.isArray());
        assertTrue(list.toString().contains("{\"name\":\"CRUD_SECRET\",\"value\":\"<redacted>\",\"isSecret\":true}"));
        assertFalse(list.toString().contains("s3cr3t"));

        assertSuccess(server.put(DEV + "/CRUD_PLAIN", KEY, "{\"value\":\"changed\"}"));
        assertEquals(
                "changed", ok(server.get(DEV + "/CRUD_PLAIN", KEY)).get("value").asText());
        assertSuccess(server.put(DEV + "/CRUD_PLAIN", KEY, "{\"value\":\"\"}")); // Trigger.dev keeps empty updates
        assertEquals("", ok(server.get(DEV + "/CRUD_PLAIN", KEY)).get("value").asText());

        // create overrides an existing name (Trigger.dev's create), keeping the secret flag unless given
        assertSuccess(server.post(DEV, KEY, "{\"name\":\"CRUD_SECRET\",\"value\":\"again\"}"));
        assertTrue(ok(server.get(DEV + "/CRUD_SECRET", KEY)).get("isSecret").asBoolean());

        assertSuccess(server.send("DELETE", DEV + "/CRUD_PLAIN", Map.of("Authorization", "Bearer " + KEY), null));
        assertError(server.get(DEV + "/CRUD_PLAIN", KEY), 404, "Environment variable not found");
    }

    @Test
    void theStoredValueIsNotThePlaintext() throws Exception {
        assertSuccess(server.post(DEV, KEY, "{\"name\":\"AT_REST\",\"value\":\"plain-text-x\"}"));
        try (Connection connection = server.node().database().dataSource().getConnection();
                Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery(
                        "SELECT value_ciphertext FROM baton_environment_variables WHERE name = 'AT_REST'")) {
            assertTrue(rows.next());
            assertFalse(rows.getString(1).contains("plain-text-x"));
        }
    }

    @Test
    void missingVariablesAre404() throws Exception {
        assertError(server.get(DEV + "/NOPE", KEY), 404, "Environment variable not found");
        assertError(server.put(DEV + "/NOPE", KEY, "{\"value\":\"x\"}"), 404, "Environment variable not found");
        assertError(
                server.send("DELETE", DEV + "/NOPE", Map.of("Authorization", "Bearer " + KEY), null),
                404,
                "Environment variable not found");
    }

    @Test
    void aKeyReachesOnlyItsOwnProjectAndEnvironment() throws Exception {
        assertSuccess(server.post(DEV, KEY, "{\"name\":\"SCOPED\",\"value\":\"dev-only\"}"));
        // the environment's other names reach it too
        assertEquals(
                "dev-only",
                ok(server.get("/api/v1/projects/envproj/envvars/development/SCOPED", KEY))
                        .get("value")
                        .asText());

        assertError(server.get("/api/v1/projects/envproj/envvars/prod", KEY), 403, null);
        assertError(server.get("/api/v1/projects/otherproj/envvars/dev", KEY), 403, null);
        assertError(server.get(DEV + "/SCOPED", PROD_KEY), 403, null);
        assertError(server.post(DEV, OTHER_PROJECT_KEY, "{\"name\":\"X\",\"value\":\"y\"}"), 403, null);
        assertError(server.put(DEV + "/SCOPED", PROD_KEY, "{\"value\":\"z\"}"), 403, null);
        assertError(server.post(DEV + "/import", PROD_KEY, "{\"variables\":{\"A\":\"b\"}}"), 403, null);
        // the prod environment has its own variables
        assertError(server.get("/api/v1/projects/envproj/envvars/prod/SCOPED", PROD_KEY), 404, null);

        assertError(server.get(DEV, null), 401, "Invalid or Missing API key");
        assertError(server.get(DEV, "tr_dev_wrong"), 401, "Invalid or Missing API key");
        assertEquals(
                "dev-only", ok(server.get(DEV + "/SCOPED", KEY)).get("value").asText());
    }

    @Test
    void invalidBodiesAre400NamingTheProblem() throws Exception {
        assertError(server.post(DEV, KEY, "{\"name\":\"1ABC\",\"value\":\"x\"}"), 400, null);
        assertError(server.post(DEV, KEY, "{\"name\":\"A-B\",\"value\":\"x\"}"), 400, null);
        assertError(server.post(DEV, KEY, "{\"name\":\"\",\"value\":\"x\"}"), 400, null);
        assertError(server.post(DEV, KEY, "{\"name\":\"TRIGGER_SECRET_KEY\",\"value\":\"x\"}"), 400, null);
        assertError(server.post(DEV, KEY, "{\"value\":\"x\"}"), 400, "Invalid request body: name is required");
        assertError(
                server.post(DEV, KEY, "{\"name\":\"A\",\"value\":1}"),
                400,
                "Invalid request body: value must be a string");
        assertError(server.post(DEV, KEY, "{\"name\":\"A\",\"value\":\"  \"}"), 400, null);
        assertError(
                server.post(DEV, KEY, "{\"name\":\"A\",\"value\":\"x\",\"isSecret\":\"yes\"}"),
                400,
                "Invalid request body: isSecret must be a boolean");
        assertError(
                server.post(DEV, KEY, "{\"name\":\"A\",\"value\":\"x\",\"description\":\"d\"}"),
                400,
                "Invalid request body: unknown field(s): description");
        assertError(server.post(DEV, KEY, "{\"name\":\"A\",\"value\":\"12345678901234567\"}"), 413, null);
        assertError(server.put(DEV + "/A", KEY, "{\"value\":\"x\",\"isSecret\":true}"), 400, null);
        assertError(server.post(DEV + "/import", KEY, "{\"variables\":{}}"), 400, null);
        assertError(server.post(DEV + "/import", KEY, "{\"variables\":{\"A\":1}}"), 400, null);
        assertError(server.post(DEV + "/import", KEY, "{\"variables\":{\"A\":\"\"}}"), 400, null);
        assertError(
                server.post(DEV + "/import", KEY, "{\"variables\":{\"A\":\"1\",\"B\":\"2\",\"C\":\"3\",\"D\":\"4\"}}"),
                400,
                null);
        assertError(server.post(DEV + "/import", KEY, "{\"variables\":{\"A\":\"1\"},\"override\":\"yes\"}"), 400, null);
        assertError(
                server.post(DEV + "/import", KEY, "{\"variables\":{\"A\":\"1\"},\"parentVariables\":{\"B\":\"2\"}}"),
                400,
                null);
        assertError(
                server.post(DEV + "/import", KEY, "{\"variables\":{\"A\":\"1\"},\"extra\":1}"),
                400,
                "Invalid request body: unknown field(s): extra");
        // nothing of it was stored
        assertError(server.get(DEV + "/A", KEY), 404, null);
    }

    @Test
    void importWithoutOverrideChangesNothingWhenANameExists() throws Exception {
        assertSuccess(server.post(DEV + "/import", KEY, "{\"variables\":{\"IMP_A\":\"1\",\"IMP_B\":\"2\"}}"));
        assertEquals("1", ok(server.get(DEV + "/IMP_A", KEY)).get("value").asText());

        HttpResponse<String> refused =
                server.post(DEV + "/import", KEY, "{\"variables\":{\"IMP_A\":\"changed\",\"IMP_C\":\"3\"}}");
        assertEquals(400, refused.statusCode(), refused.body());
        JsonNode body = json(refused);
        assertTrue(body.get("error").asText().contains("IMP_A"), refused.body());
        assertEquals("IMP_A", body.get("variableErrors").get(0).get("key").asText());
        assertEquals("1", ok(server.get(DEV + "/IMP_A", KEY)).get("value").asText());
        assertError(server.get(DEV + "/IMP_C", KEY), 404, null);

        assertSuccess(server.post(
                DEV + "/import",
                KEY,
                "{\"variables\":{\"IMP_A\":\"changed\",\"IMP_C\":\"3\"},\"override\":true,\"isSecret\":true}"));
        assertEquals(
                "<redacted>", ok(server.get(DEV + "/IMP_A", KEY)).get("value").asText());
        assertTrue(ok(server.get(DEV + "/IMP_C", KEY)).get("isSecret").asBoolean());
        assertFalse(ok(server.get(DEV + "/IMP_B", KEY)).get("isSecret").asBoolean());
    }

    @Test
    void withoutAnEncryptionKeyTheRoutesAnswer503() throws Exception {
        try (ApiTestServer keyless = ApiTestServer.start("EnvVarRoutesKeyless")) {
            keyless.environment("envproj", "dev", KEY);
            HttpResponse<String> response = keyless.get(DEV, KEY);
            assertEquals(503, response.statusCode(), response.body());
            assertTrue(json(response).get("error").asText().contains("baton.secrets.encryption-key"));
            assertEquals(
                    503,
                    keyless.post(DEV, KEY, "{\"name\":\"A\",\"value\":\"b\"}").statusCode());
            // still authenticated first
            assertEquals(401, keyless.get(DEV, "tr_dev_wrong").statusCode());
        }
    }

    private static JsonNode ok(HttpResponse<String> response) throws Exception {
        assertEquals(200, response.statusCode(), response.body());
        return json(response);
    }

    private static void assertSuccess(HttpResponse<String> response) throws Exception {
        assertEquals("{\"success\":true}", ok(response).toString());
    }

    private static void assertError(HttpResponse<String> response, int status, String message) throws Exception {
        assertEquals(status, response.statusCode(), response.body());
        JsonNode body = json(response);
        assertTrue(body.get("error").isTextual(), response.body());
        if (message != null) assertEquals(message, body.get("error").asText());
    }
}
