package dev.baton.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.Behaviors;
import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.baton.engine.testkit.TestDatabases;
import dev.baton.node.BatonNode;
import dev.baton.sdk.task.Task;
import dev.baton.sdk.worker.BatonWorker;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CLI against a real node on PostgreSQL, with a Java SDK worker that declares and runs the {@code echo} task.
 * The CLI runs in this JVM, its URL and token given as BATON_URL / BATON_TOKEN.
 */
class CliNodeTest {

    private static final String ADMIN_TOKEN = "tr_pat_cli_test_admin_token_0123456789abcdef";
    private static final String SECRET_KEY = "tr_prod_cli_test_secret_key_0123456789abcdef";
    private static final String WORKER_TOKEN = "bw_prod_cli_test_worker_token_0123456789abcdef";
    private static final String PROJECT = "default";
    private static final String ENVIRONMENT = "prod";

    private static BatonNode node;
    private static BatonWorker worker;
    private static String url;
    private static final HttpClient http = HttpClient.newHttpClient();

    @TempDir
    static Path dir;

    @BeforeAll
    static void start() {
        Config config = ConfigFactory.parseMap(Map.of(
                        "baton.db.url", TestDatabases.freshPostgresSchema("cli"),
                        "baton.db.user", TestDatabases.user(),
                        "baton.db.password", TestDatabases.password(),
                        "baton.bootstrap.secret-key", SECRET_KEY,
                        "baton.bootstrap.worker-token", WORKER_TOKEN,
                        "baton.bootstrap.admin-token", ADMIN_TOKEN,
                        "baton.bootstrap.project", PROJECT,
                        "baton.bootstrap.environment", ENVIRONMENT))
                .withFallback(ConfigFactory.parseString("""
            baton.node.http.interface = "127.0.0.1"
            baton.node.http.port = 0
            akka.remote.artery.canonical.port = 0
            akka.coordinated-shutdown.exit-jvm = off
            baton.management.enabled = off
            """))
                .withFallback(ConfigFactory.defaultApplication())
                .withFallback(ConfigFactory.defaultReference())
                .resolve();
        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "cli-test", config);
        try {
            node = BatonNode.start(system);
        } catch (RuntimeException e) {
            system.terminate();
            throw e;
        }
        url = "http://127.0.0.1:" + node.httpPort();
        Task<Map, Map> echo = Task.<Map, Map>define("echo", Map.class, (payload, ctx) -> {
                    ctx.logger().info("echoing {}", payload.keySet(), Map.of("size", payload.size()));
                    if (payload.containsKey("fail"))
                        ctx.logger().error("asked to fail", new IllegalStateException("no"));
                    return payload;
                })
                .build();
        worker = BatonWorker.builder(URI.create(url), WORKER_TOKEN)
                .slots(2)
                .register(echo)
                .build();
        worker.start();
        assertTrue(worker.awaitConnected(Duration.ofSeconds(30)), "the worker connects");
    }

    @AfterAll
    static void stop() throws Exception {
        if (worker != null) worker.close();
        if (node != null) {
            node.system().terminate();
            node.system().getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
        }
    }

    private static CliRunner cli() {
        return new CliRunner(dir, dir).env("BATON_URL", url).env("BATON_TOKEN", ADMIN_TOKEN);
    }

    /** The CLI run in the bootstrap project's environment, which must succeed; its output parsed as JSON. */
    private static JsonNode json(String... args) throws Exception {
        CliRunner.Result result = cli().env("BATON_PROJECT", PROJECT)
                .env("BATON_ENV", ENVIRONMENT)
                .run(with(args, "--json"));
        assertEquals(0, result.exitCode(), () -> String.join(" ", args) + ": " + result.err());
        return ApiClient.JSON.readTree(result.out());
    }

    private static String[] with(String[] args, String extra) {
        String[] all = java.util.Arrays.copyOf(args, args.length + 1);
        all[args.length] = extra;
        return all;
    }

    private static int triggerWithKey(String key) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(url + "/api/v1/tasks/echo/trigger"))
                .header("Authorization", "Bearer " + key)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"payload\":{\"by\":\"key\"}}"))
                .build();
        return http.send(request, HttpResponse.BodyHandlers.ofString()).statusCode();
    }

    @Test
    void whoamiShowsTheAdmin() throws Exception {
        JsonNode me = json("whoami");
        assertEquals("admin@baton.local", me.path("email").asText());
        CliRunner.Result table = cli().run("whoami");
        assertEquals(0, table.exitCode(), table.err());
        assertTrue(table.out().contains("admin@baton.local"), table.out());
    }

    @Test
    void organizationsAndProjectsAreCreatedAndListed() throws Exception {
        JsonNode org = json("orgs", "create", "Acme Labs");
        String orgId = org.path("id").asText();
        assertEquals("Acme Labs", org.path("title").asText());
        assertTrue(json("orgs", "list").findValuesAsText("id").contains(orgId));

        JsonNode project = json("projects", "create", "--org", orgId, "Billing jobs");
        String ref = project.path("externalRef").asText();
        assertEquals("Billing jobs", project.path("name").asText());
        assertEquals(orgId, project.path("organization").path("id").asText());
        assertTrue(json("projects", "list").findValuesAsText("externalRef").contains(ref));

        CliRunner.Result table = cli().run("projects", "list");
        assertEquals(0, table.exitCode(), table.err());
        assertTrue(table.out().startsWith("REF "), table.out());
        assertTrue(table.out().contains(ref) && table.out().contains("Billing jobs"), table.out());

        JsonNode environments = json("envs", "list", "--project", ref);
        assertTrue(environments.findValuesAsText("slug").contains("prod"), environments.toString());
    }

    @Test
    void aCreatedKeyTriggersARotatedKeyWorksBesideItsPredecessorAndARevokedOneIsRefused() throws Exception {
        CliRunner.Result created =
                cli().run("keys", "create", "--project", PROJECT, "--env", ENVIRONMENT, "--name", "ci", "--json");
        assertEquals(0, created.exitCode(), created.err());
        assertTrue(created.err().contains("shown only now"), created.err());
        JsonNode key = ApiClient.JSON.readTree(created.out());
        String secret = key.path("key").asText();
        assertTrue(secret.startsWith("tr_"), secret);
        assertEquals(200, triggerWithKey(secret), "the new key authenticates a trigger");

        JsonNode rotated = json("keys", "rotate", key.path("id").asText(), "--overlap", "1h");
        String successor = rotated.path("key").path("key").asText();
        assertNotEquals(secret, successor);
        assertEquals(
                key.path("id").asText(), rotated.path("replaces").path("id").asText());
        assertFalse(rotated.path("replaces").path("expiresAt").isMissingNode());
        assertEquals(200, triggerWithKey(successor), "the successor works");
        assertEquals(200, triggerWithKey(secret), "the predecessor works for the overlap");

        String successorId = rotated.path("key").path("id").asText();
        JsonNode listed = json("keys", "list");
        assertTrue(listed.path("data").findValuesAsText("id").contains(successorId), listed.toString());

        JsonNode revoked = json("keys", "revoke", successorId);
        assertFalse(
                revoked.path("revokedAt").isNull() || revoked.path("revokedAt").isMissingNode());
        assertTrue(eventually(() -> triggerWithKey(successor) == 401), "the revoked key is refused within 5 s");
    }

    @Test
    void aKeyCreatedAsATableShowsItsValueOnItsOwnLine() {
        CliRunner.Result created = cli().run("keys", "create", "--project", PROJECT, "--env", ENVIRONMENT);
        assertEquals(0, created.exitCode(), created.err());
        String[] lines = created.out().strip().split("\n");
        assertTrue(lines[0].startsWith("ID "), created.out());
        assertTrue(lines[lines.length - 1].startsWith("tr_"), created.out());
    }

    @Test
    void personalAccessTokensAreCreatedListedAndRevoked() throws Exception {
        JsonNode token = json("tokens", "create", "--name", "laptop");
        String secret = token.path("token").asText();
        assertTrue(secret.startsWith("tr_pat_"), secret);
        CliRunner.Result withNewToken = cli().env("BATON_TOKEN", secret).run("whoami", "--json");
        assertEquals(0, withNewToken.exitCode(), withNewToken.err());
        assertTrue(json("tokens", "list")
                .path("data")
                .findValuesAsText("id")
                .contains(token.path("id").asText()));
        json("tokens", "revoke", token.path("id").asText());
        assertTrue(
                eventually(() -> cli().env("BATON_TOKEN", secret).run("whoami").exitCode() == 1));
    }

    @Test
    void runsAreTriggeredReadListedAndCancelled() throws Exception {
        JsonNode triggered =
                json("runs", "trigger", "echo", "--payload", "{\"n\":1}", "--delay", "1h", "--tag", "cli-test,delayed");
        String runId = triggered.path("id").asText();
        assertTrue(runId.startsWith("run_"), triggered.toString());

        JsonNode run = json("runs", "get", runId);
        assertEquals("DELAYED", run.path("status").asText());
        assertEquals(1, run.path("payload").path("n").asInt());

        assertTrue(eventually(() -> json("runs", "list", "--tag", "cli-test", "--status", "DELAYED", "--limit", "5")
                .path("data")
                .findValuesAsText("id")
                .contains(runId)));

        assertEquals(runId, json("runs", "cancel", runId).path("id").asText());
        assertEquals("CANCELED", json("runs", "get", runId).path("status").asText());

        JsonNode replayed = json("runs", "replay", runId);
        assertNotEquals(runId, replayed.path("id").asText());
    }

    @Test
    void runsAreCancelledAndReplayedInBulk() throws Exception {
        java.util.List<String> ids = new java.util.ArrayList<>();
        for (int i = 0; i < 3; i++) {
            ids.add(json(
                            "runs",
                            "trigger",
                            "echo",
                            "--payload",
                            "{\"n\":" + i + "}",
                            "--delay",
                            "1h",
                            "--tag",
                            "cli-bulk")
                    .path("id")
                    .asText());
        }
        assertTrue(eventually(() -> json("runs", "list", "--tag", "cli-bulk", "--limit", "10")
                        .path("data")
                        .size()
                == 3));

        JsonNode canceled = json("runs", "bulk-cancel", "--tag", "cli-bulk", "--status", "DELAYED", "--wait");
        assertTrue(canceled.path("id").asText().startsWith("bulk_"), canceled.toString());
        assertEquals("COMPLETED", canceled.path("status").asText());
        assertEquals(3, canceled.path("counts").path("success").asInt());
        for (String id : ids)
            assertEquals("CANCELED", json("runs", "get", id).path("status").asText());

        JsonNode replayed = json("runs", "bulk-replay", "--id", String.join(",", ids), "--name", "again", "--wait");
        assertEquals("REPLAY", replayed.path("type").asText());
        assertEquals(3, replayed.path("counts").path("success").asInt());
        assertEquals(
                "again",
                json("runs", "bulk-get", replayed.path("id").asText())
                        .path("name")
                        .asText());
        assertTrue(eventually(() -> json("runs", "bulk-list", "--limit", "2")
                .path("data")
                .findValuesAsText("id")
                .containsAll(java.util.List.of(
                        canceled.path("id").asText(), replayed.path("id").asText()))));

        CliRunner.Result aborted = cli().env("BATON_PROJECT", PROJECT)
                .env("BATON_ENV", ENVIRONMENT)
                .run("runs", "bulk-abort", canceled.path("id").asText());
        assertEquals(1, aborted.exitCode(), aborted.out());
        assertTrue(aborted.err().contains("already completed"), aborted.err());
        CliRunner.Result unselected = cli().env("BATON_PROJECT", PROJECT)
                .env("BATON_ENV", ENVIRONMENT)
                .run("runs", "bulk-cancel");
        assertEquals(2, unselected.exitCode(), unselected.err());
    }

    @Test
    void tailFollowsACompletedRunAndExits0() throws Exception {
        String runId = json("runs", "trigger", "echo", "--payload", "{\"hello\":\"tail\"}")
                .path("id")
                .asText();
        CliRunner.Result tail = cli().env("BATON_PROJECT", PROJECT)
                .env("BATON_ENV", ENVIRONMENT)
                .run("tail", runId, "--interval", "100ms");
        assertEquals(0, tail.exitCode(), tail.out() + tail.err());
        assertEquals(1, occurrences(tail.out(), "RunTriggered"), tail.out());
        assertEquals(1, occurrences(tail.out(), "RunSucceeded"), tail.out());
        assertTrue(tail.out().contains("ended COMPLETED"), tail.out());
    }

    @Test
    void tailFollowsARunUntilItIsCancelledAndExits1() throws Exception {
        String runId =
                json("runs", "trigger", "echo", "--delay", "1h").path("id").asText();
        CliRunner tailer = cli().env("BATON_PROJECT", PROJECT).env("BATON_ENV", ENVIRONMENT);
        CompletableFuture<CliRunner.Result> tail =
                CompletableFuture.supplyAsync(() -> tailer.run("tail", runId, "--interval", "100ms", "--json"));
        Thread.sleep(300); // the tail is following the delayed run before it is cancelled (it ends either way)
        json("runs", "cancel", runId);
        CliRunner.Result result = tail.get(30, TimeUnit.SECONDS);
        assertEquals(1, result.exitCode(), result.out() + result.err());
        String[] lines = result.out().strip().split("\n");
        assertEquals(
                "RunTriggered", ApiClient.JSON.readTree(lines[0]).path("type").asText());
        assertEquals(
                "RunCanceled",
                ApiClient.JSON.readTree(lines[lines.length - 1]).path("type").asText());
        assertEquals(1, occurrences(result.out(), "\"RunTriggered\""), result.out());
    }

    @Test
    void logsPrintsARunsLinesAndFollowsThemUntilTheRunEnds() throws Exception {
        String runId = json("runs", "trigger", "echo", "--payload", "{\"fail\":1}")
                .path("id")
                .asText();
        CliRunner runs = cli().env("BATON_PROJECT", PROJECT).env("BATON_ENV", ENVIRONMENT);
        CliRunner.Result followed = runs.run("runs", "logs", runId, "--follow");
        assertEquals(0, followed.exitCode(), followed.out() + followed.err());
        assertTrue(followed.out().contains("#1  INFO   echoing [fail]  {\"size\":1}"), followed.out());
        assertTrue(followed.out().contains("ERROR  asked to fail"), followed.out());
        assertTrue(followed.out().contains("    java.lang.IllegalStateException: no"), followed.out());
        assertTrue(followed.out().contains("ended COMPLETED"), followed.out());

        CliRunner.Result errors = runs.run("runs", "logs", runId, "--level", "error", "--json");
        assertEquals(0, errors.exitCode(), errors.err());
        String[] lines = errors.out().strip().split("\n");
        assertEquals(1, lines.length, errors.out());
        assertEquals(
                "asked to fail",
                ApiClient.JSON.readTree(lines[0]).path("message").asText());

        CliRunner.Result refused = runs.run("runs", "logs", runId, "--level", "loud");
        assertEquals(1, refused.exitCode());
        assertTrue(refused.err().startsWith("baton: 400 Invalid query parameter level"), refused.err());
    }

    @Test
    void aServerErrorIsPrintedAndExits1() {
        CliRunner.Result missingRun = cli().env("BATON_PROJECT", PROJECT)
                .env("BATON_ENV", ENVIRONMENT)
                .run("runs", "get", "run_doesnotexist");
        assertEquals(1, missingRun.exitCode());
        assertTrue(missingRun.err().startsWith("baton: 404 "), missingRun.err());

        CliRunner.Result missingOrg = cli().run("projects", "create", "--org", "org_nope", "x");
        assertEquals(1, missingOrg.exitCode());
        assertEquals("baton: 404 Organization not found", missingOrg.err().strip());

        CliRunner.Result badToken = cli().env("BATON_TOKEN", "tr_pat_wrong").run("whoami");
        assertEquals(1, badToken.exitCode());
        assertTrue(badToken.err().startsWith("baton: 401 "), badToken.err());
    }

    private interface Check {
        boolean holds() throws Exception;
    }

    /** Polls a check for up to 5 s (caches and read models catch up within about a second). */
    private static boolean eventually(Check check) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (true) {
            if (check.holds()) return true;
            if (System.nanoTime() > deadline) return false;
            Thread.sleep(100);
        }
    }

    private static int occurrences(String text, String word) {
        int count = 0;
        for (int at = text.indexOf(word); at >= 0; at = text.indexOf(word, at + word.length())) count++;
        return count;
    }
}
