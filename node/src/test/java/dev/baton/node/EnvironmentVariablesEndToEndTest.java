package dev.baton.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.baton.sdk.client.BatonClient;
import dev.baton.sdk.client.Run;
import dev.baton.sdk.client.RunStatus;
import dev.baton.sdk.task.Task;
import dev.baton.sdk.worker.BatonWorker;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Environment variables end to end on a real node and PostgreSQL: set through the envvars API, read by a Java SDK
 * task through its context, secret ones in plain text; an update or a delete reaches the next run once the node's
 * cache has expired.
 */
class EnvironmentVariablesEndToEndTest {

    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final Duration CACHE_TTL = Duration.ofMillis(200);

    private BatonNode node;
    private BatonWorker worker;
    private String envvars;

    /** Answers the variables the task saw: all of them, and GREETING alone. */
    private static Task<Map, Map> readsEnv() {
        return Task.<Map, Map>define(
                        "reads-env-e2e",
                        Map.class,
                        (payload, ctx) -> Map.of(
                                "all",
                                new TreeMap<>(ctx.env()),
                                "greeting",
                                ctx.env("GREETING").orElse("<unset>")))
                .build();
    }

    @BeforeEach
    void start() {
        Config config = ConfigFactory.parseString("baton.secrets.encryption-key = \""
                        + Base64.getEncoder().encodeToString(new byte[32]) + "\"\n"
                        + "baton.gateway.env-vars-cache-ttl = " + CACHE_TTL.toMillis() + "ms")
                .withFallback(TestNodes.postgresConfig(TestNodes.freshPostgresSchema("envvars")));
        node = TestNodes.start("envvars", config);
        envvars = HappyPathScenario.url(node) + "/api/v1/projects/"
                + node.credentials().environment().projectRef() + "/envvars/"
                + node.credentials().environment().slug();
        worker = BatonWorker.builder(HappyPathScenario.url(node), TestNodes.WORKER_TOKEN)
                .register(readsEnv())
                .build();
        worker.start();
        assertTrue(worker.awaitConnected(Duration.ofSeconds(30)), "worker did not connect");
    }

    @AfterEach
    void stop() {
        if (worker != null) worker.close();
        if (node != null) TestNodes.stop(node);
    }

    @Test
    void tasksReadTheVariablesSetThroughTheApi() throws Exception {
        BatonClient client = HappyPathScenario.client(node);
        assertEquals(Map.of("all", Map.of(), "greeting", "<unset>"), outputOf(client));

        call("POST", "", "{\"name\":\"GREETING\",\"value\":\"hello\"}");
        call("POST", "", "{\"name\":\"API_TOKEN\",\"value\":\"t0ken\",\"isSecret\":true}");
        Thread.sleep(CACHE_TTL.multipliedBy(3).toMillis());
        assertEquals(
                Map.of("all", Map.of("API_TOKEN", "t0ken", "GREETING", "hello"), "greeting", "hello"),
                outputOf(client));

        call("PUT", "/GREETING", "{\"value\":\"changed\"}");
        call("DELETE", "/API_TOKEN", null);
        Thread.sleep(CACHE_TTL.multipliedBy(3).toMillis());
        assertEquals(Map.of("all", Map.of("GREETING", "changed"), "greeting", "changed"), outputOf(client));
    }

    private Map<String, Object> outputOf(BatonClient client) throws Exception {
        String id = client.trigger("reads-env-e2e", Map.of()).id();
        Run run = client.poll(id, Duration.ofSeconds(60));
        assertEquals(RunStatus.COMPLETED, run.status(), () -> "run " + id + " " + run.error());
        @SuppressWarnings("unchecked")
        Map<String, Object> output = new ObjectMapper().convertValue(run.output(), Map.class);
        return output;
    }

    private void call(String method, String path, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(envvars + path))
                .header("Authorization", "Bearer " + TestNodes.SECRET_KEY)
                .timeout(Duration.ofSeconds(30));
        if (body == null) {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            request.header("Content-Type", "application/json")
                    .method(method, HttpRequest.BodyPublishers.ofString(body));
        }
        HttpResponse<String> response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), response.body());
    }
}
