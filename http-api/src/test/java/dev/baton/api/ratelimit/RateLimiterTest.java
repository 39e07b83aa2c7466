package dev.baton.api.ratelimit;

import static dev.baton.api.ApiTestServer.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.baton.api.ApiTestServer;
import dev.baton.engine.environment.EnvironmentSettings.TriggerRateLimit;
import dev.baton.engine.environment.EnvironmentSettingsStore;
import dev.baton.engine.testkit.MutableClock;
import dev.baton.engine.testkit.TestNode;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The per-environment token bucket, by itself and in front of the trigger route. */
class RateLimiterTest {

    private static final Instant T0 = Instant.parse("2026-03-02T10:00:00Z");

    @Test
    void theBucketAllowsABurstThenRefillsContinuously() {
        MutableClock clock = new MutableClock(T0);
        try (TestNode node = TestNode.start("RateLimiterBucket")) {
            RateLimiter limiter = new RateLimiter(
                    node.system(),
                    new RateLimiter.Settings(
                            true,
                            new TriggerRateLimit(3, 1, Duration.ofSeconds(10)),
                            0.05,
                            0.25,
                            Duration.ofSeconds(30)),
                    new EnvironmentSettingsStore(node.directory()),
                    clock);
            theBucketAllowsABurstThenRefillsContinuously(limiter, clock);
        }
    }

    private static void theBucketAllowsABurstThenRefillsContinuously(RateLimiter limiter, MutableClock clock) {
        assertEquals(new RateLimiter.Decision(true, 3, 2, T0.toEpochMilli() + 10_000), take(limiter, "env_a"));
        assertTrue(take(limiter, "env_a").allowed());
        RateLimiter.Decision last = take(limiter, "env_a");
        assertEquals(new RateLimiter.Decision(true, 3, 0, T0.toEpochMilli() + 10_000), last);
        RateLimiter.Decision refused = take(limiter, "env_a");
        assertFalse(refused.allowed());
        assertEquals(0, refused.remaining());
        assertEquals(T0.toEpochMilli() + 10_000, refused.resetAtMillis(), "one token after 10 s");
        // Another environment has its own bucket.
        assertTrue(take(limiter, "env_b").allowed());

        clock.advance(Duration.ofSeconds(5));
        RateLimiter.Decision halfway = take(limiter, "env_a");
        assertFalse(halfway.allowed());
        assertEquals(T0.toEpochMilli() + 10_000, halfway.resetAtMillis());
        clock.advance(Duration.ofSeconds(5));
        assertTrue(take(limiter, "env_a").allowed());
        assertFalse(take(limiter, "env_a").allowed());
        // A long pause fills the bucket up to the burst, never beyond.
        clock.advance(Duration.ofHours(1));
        for (int i = 0; i < 3; i++) assertTrue(take(limiter, "env_a").allowed());
        assertFalse(take(limiter, "env_a").allowed());
    }

    private static RateLimiter.Decision take(RateLimiter limiter, String environmentId) {
        return limiter.take(environmentId).toCompletableFuture().join();
    }

    @Test
    void triggersPastTheLimitAre429WithTheHeadersTheSdkReadsAndNeverReachTheEngine() throws Exception {
        try (ApiTestServer server = ApiTestServer.start("RateLimiterTest", ConfigFactory.parseString("""
        baton.http.rate-limit { burst = 2, refill = 1, interval = 60s }
        """))) {
            String key = "tr_dev_rate_limited";
            server.declareTask(server.environment("limits", "dev", key), "hello-world");
            String otherKey = "tr_prod_rate_limited";
            server.declareTask(server.environment("limits", "prod", otherKey), "hello-world");

            for (int i = 0; i < 2; i++) {
                HttpResponse<String> ok = server.post("/api/v1/tasks/hello-world/trigger", key, "{}");
                assertEquals(200, ok.statusCode(), ok.body());
                assertEquals("2", ok.headers().firstValue("x-ratelimit-limit").orElseThrow());
                assertEquals(
                        Integer.toString(1 - i),
                        ok.headers().firstValue("x-ratelimit-remaining").orElseThrow());
            }
            server.forgetJournal();
            long before = System.currentTimeMillis();
            HttpResponse<String> limited =
                    server.post("/api/v1/tasks/hello-world/trigger", key, "{\"payload\":{\"a\":1}}");
            assertEquals(429, limited.statusCode(), limited.body());
            assertTrue(json(limited).get("error").asText().startsWith("Rate limit exceeded"), limited.body());
            assertEquals("2", limited.headers().firstValue("x-ratelimit-limit").orElseThrow());
            assertEquals(
                    "0", limited.headers().firstValue("x-ratelimit-remaining").orElseThrow());
            long reset = Long.parseLong(
                    limited.headers().firstValue("x-ratelimit-reset").orElseThrow());
            assertTrue(reset > before && reset <= System.currentTimeMillis() + 60_000, "reset " + reset);
            long retryAfter =
                    Long.parseLong(limited.headers().firstValue("retry-after").orElseThrow());
            assertTrue(retryAfter >= 1 && retryAfter <= 60, "retry-after " + retryAfter);
            // Decided before the body is read: even a malformed one gets the 429.
            assertEquals(
                    429,
                    server.post("/api/v1/tasks/hello-world/trigger", key, "{oops")
                            .statusCode());
            assertEquals(java.util.List.of(), server.runJournalOperations());

            // Other environments and other calls are not limited.
            assertEquals(
                    200,
                    server.post("/api/v1/tasks/hello-world/trigger", otherKey, "{}")
                            .statusCode());
            assertEquals(404, server.get("/api/v3/runs/run_unknown000000", key).statusCode());
        }
    }
}
