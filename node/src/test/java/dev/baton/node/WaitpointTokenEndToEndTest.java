package dev.baton.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.sdk.client.BatonClient;
import dev.baton.sdk.client.CreatedWaitpointToken;
import dev.baton.sdk.client.Run;
import dev.baton.sdk.client.RunStatus;
import dev.baton.sdk.client.WaitpointToken;
import dev.baton.sdk.client.WaitpointTokenOptions;
import dev.baton.sdk.client.WaitpointTokenPage;
import dev.baton.sdk.client.WaitpointTokenQuery;
import dev.baton.sdk.client.WaitpointTokenStatus;
import dev.baton.sdk.task.RetryPolicy;
import dev.baton.sdk.task.Task;
import dev.baton.sdk.task.TokenResult;
import dev.baton.sdk.worker.BatonWorker;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Waitpoint tokens end to end on a real node and PostgreSQL, with the Java SDK on both sides: tokens
 * created over HTTP; runs on a real worker waiting for them (their slot free meanwhile) resume with the
 * data of a completion over the API or over the callback URL (a wrong hash refused), at once for a token
 * already completed, and with the timeout error when the token times out; the list shows them all.
 */
class WaitpointTokenEndToEndTest {

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private BatonNode node;
    private BatonWorker worker;

    /** {@code {tokenId}} → waits for the token → its data; a token that did not complete fails the run. */
    private static Task<Map, JsonNode> approval() {
        return Task.<Map, JsonNode>define("approval-e2e", Map.class, (payload, ctx) -> {
                    TokenResult token = ctx.waitForToken((String) payload.get("tokenId"));
                    if (!token.ok())
                        throw new IllegalStateException(
                                token.error().name() + ": " + token.error().message());
                    return token.data();
                })
                .retry(new RetryPolicy(1, 1, 100, 100, false))
                .build();
    }

    private static Task<Map, Map> echo() {
        return Task.<Map, Map>define("echo-e2e", Map.class, (payload, ctx) -> payload)
                .build();
    }

    @BeforeEach
    void start() {
        node = TestNodes.start("waitpoints", TestNodes.postgresConfig(TestNodes.freshPostgresSchema("waitpoints")));
        // One slot: the runs waiting for tokens must not hold it.
        worker = BatonWorker.builder(HappyPathScenario.url(node), TestNodes.WORKER_TOKEN)
                .slots(1)
                .register(approval())
                .register(echo())
                .build();
        worker.start();
        assertTrue(worker.awaitConnected(Duration.ofSeconds(30)), "worker did not connect");
    }

    @AfterEach
    void stop() {
        if (worker != null) worker.close();
        if (node != null) TestNodes.stop(node);
    }

    private static Run awaitStatus(BatonClient client, String runId, RunStatus status) throws Exception {
        Instant deadline = Instant.now().plusSeconds(30);
        Run run = client.retrieve(runId);
        while (run.status() != status) {
            if (Instant.now().isAfter(deadline)) throw new AssertionError("run " + runId + " stayed " + run.status());
            Thread.sleep(100);
            run = client.retrieve(runId);
        }
        return run;
    }

    private static int callback(String url, String body) throws Exception {
        return HTTP.send(
                        HttpRequest.newBuilder(URI.create(url))
                                .header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString(body))
                                .build(),
                        HttpResponse.BodyHandlers.ofString())
                .statusCode();
    }

    @Test
    void runsResumeWithTheDataOfTheirTokensOrTheirTimeout() throws Exception {
        BatonClient client = HappyPathScenario.client(node);
        CreatedWaitpointToken byCallback = client.createToken(
                WaitpointTokenOptions.builder().tags("e2e", "callback").build());
        CreatedWaitpointToken byApi =
                client.createToken(WaitpointTokenOptions.builder().tags("e2e").build());
        CreatedWaitpointToken timingOut = client.createToken(WaitpointTokenOptions.builder()
                .tags("e2e")
                .timeout(Duration.ofSeconds(10))
                .build()); // after the third run is seen waiting, on a busy machine too
        assertTrue(
                byCallback.url().startsWith(HappyPathScenario.url(node) + "/api/v1/waitpoints/tokens/"),
                byCallback.url());

        String first = client.trigger("approval-e2e", Map.of("tokenId", byCallback.id()))
                .id();
        String second =
                client.trigger("approval-e2e", Map.of("tokenId", byApi.id())).id();
        String third = client.trigger("approval-e2e", Map.of("tokenId", timingOut.id()))
                .id();
        for (String runId : List.of(first, second, third)) awaitStatus(client, runId, RunStatus.WAITING);
        // Three runs wait, yet the only slot is free.
        Run echoed = client.poll(client.trigger("echo-e2e", Map.of("n", 1)).id(), Duration.ofSeconds(30));
        assertEquals(RunStatus.COMPLETED, echoed.status());

        String wrongHash = byCallback.url().substring(0, byCallback.url().lastIndexOf('/') + 1) + "0".repeat(40);
        assertEquals(401, callback(wrongHash, "{\"hacked\":1}"));
        assertEquals(
                WaitpointTokenStatus.WAITING,
                client.retrieveToken(byCallback.id()).status());
        assertEquals(200, callback(byCallback.url(), "{\"approved\":true,\"by\":\"ada\"}"));
        Run approved = client.poll(first, Duration.ofSeconds(30));
        assertEquals(RunStatus.COMPLETED, approved.status(), () -> String.valueOf(approved.error()));
        assertEquals("{\"approved\":true,\"by\":\"ada\"}", approved.output().toString());

        client.completeToken(byApi.id(), Map.of("approved", false));
        Run rejected = client.poll(second, Duration.ofSeconds(30));
        assertEquals("{\"approved\":false}", rejected.output().toString());
        // A run that starts waiting for a token already completed goes on at once.
        Run late = client.poll(
                client.trigger("approval-e2e", Map.of("tokenId", byApi.id())).id(), Duration.ofSeconds(30));
        assertEquals("{\"approved\":false}", late.output().toString());

        Run timedOut = client.poll(third, Duration.ofSeconds(60));
        assertEquals(RunStatus.FAILED, timedOut.status());
        assertTrue(
                timedOut.error().message().startsWith("TRIGGER_WAITPOINT_TIMEOUT: Waitpoint timed out at"),
                timedOut.error().message());
        WaitpointToken token = client.retrieveToken(timingOut.id());
        assertEquals(WaitpointTokenStatus.TIMED_OUT, token.status());
        assertTrue(token.error().startsWith("Waitpoint timed out at"), token.error());
        assertEquals(
                "{\"approved\":true,\"by\":\"ada\"}",
                client.retrieveToken(byCallback.id()).output().toString());

        // The list, from the token index (eventually consistent).
        WaitpointTokenQuery completed = WaitpointTokenQuery.builder()
                .tags("e2e")
                .statuses(WaitpointTokenStatus.COMPLETED)
                .build();
        Instant deadline = Instant.now().plusSeconds(30);
        WaitpointTokenPage page = client.listTokens(completed);
        while (page.data().size() < 2 && Instant.now().isBefore(deadline)) {
            Thread.sleep(200);
            page = client.listTokens(completed);
        }
        assertEquals(
                List.of(byApi.id(), byCallback.id()),
                page.data().stream().map(WaitpointToken::id).toList());
        WaitpointTokenPage all = client.listTokens(
                WaitpointTokenQuery.builder().tags("e2e").pageSize(2).build());
        WaitpointTokenPage rest = client.listTokens(
                WaitpointTokenQuery.builder().tags("e2e").pageSize(2).build().after(all.next()));
        Set<String> listed = java.util.stream.Stream.concat(all.data().stream(), rest.data().stream())
                .map(WaitpointToken::id)
                .collect(Collectors.toSet());
        assertEquals(Set.of(byCallback.id(), byApi.id(), timingOut.id()), listed);
    }
}
