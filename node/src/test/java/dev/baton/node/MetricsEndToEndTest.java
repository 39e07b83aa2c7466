package dev.baton.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import dev.baton.sdk.client.BatonClient;
import dev.baton.sdk.client.Run;
import dev.baton.sdk.client.RunStatus;
import dev.baton.sdk.task.RetryPolicy;
import dev.baton.sdk.task.Task;
import dev.baton.sdk.worker.BatonWorker;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code GET /metrics} on Akka Management's port of a real node (PostgreSQL) with a Java SDK worker: a run that
 * fails its first attempt and succeeds on the second is counted once triggered, once started and once COMPLETED,
 * with one failed and one succeeded attempt and two queue waits; the JVM's meters are there too.
 */
class MetricsEndToEndTest {

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private static BatonNode node;
    private static BatonWorker worker;

    @BeforeAll
    static void start() {
        node = TestNodes.start(
                "metrics",
                ConfigFactory.parseMap(Map.of(
                                "baton.management.enabled",
                                true,
                                "akka.management.http.hostname",
                                "127.0.0.1",
                                "akka.management.http.port",
                                0))
                        .withFallback(TestNodes.postgresConfig(TestNodes.freshPostgresSchema("metrics"))));
        Task<Map, Map> flaky = Task.<Map, Map>define("flaky", Map.class, (payload, ctx) -> {
                    ctx.logger().info("attempt {}", ctx.attemptNumber());
                    if (ctx.attemptNumber() == 1) throw new IllegalStateException("first attempt fails");
                    return Map.of("attempt", ctx.attemptNumber());
                })
                .retry(RetryPolicy.attempts(2))
                .build();
        worker = BatonWorker.builder(HappyPathScenario.url(node), TestNodes.WORKER_TOKEN)
                .slots(1)
                .register(flaky)
                .build();
        worker.start();
        assertTrue(worker.awaitConnected(Duration.ofSeconds(30)), "the worker connects");
    }

    @AfterAll
    static void stop() {
        if (worker != null) worker.close();
        if (node != null) TestNodes.stop(node);
    }

    @Test
    void aRunThatFailsOnceAndSucceedsIsCountedWithBothAttempts() throws Exception {
        BatonClient client = HappyPathScenario.client(node);
        Run run = client.poll(client.trigger("flaky", Map.of()).id(), Duration.ofSeconds(60));
        assertEquals(RunStatus.COMPLETED, run.status(), () -> String.valueOf(run.error()));
        assertEquals(2, run.attemptCount());

        URI metrics = node.metricsUri().orElseThrow();
        var response = HTTP.send(HttpRequest.newBuilder(metrics).build(), BodyHandlers.ofString());
        assertEquals(200, response.statusCode());
        assertTrue(response.headers().firstValue("content-type").orElse("").startsWith("text/plain"));
        String text = response.body();
        String task = "task=\"flaky\"";
        assertEquals(1.0, value(text, "baton_runs_triggered_total", task));
        assertEquals(1.0, value(text, "baton_runs_started_total", task));
        assertEquals(1.0, value(text, "baton_runs_finished_total", task, "status=\"COMPLETED\""));
        assertEquals(1.0, value(text, "baton_attempts_duration_seconds_count", task, "outcome=\"failed\""));
        assertEquals(1.0, value(text, "baton_attempts_duration_seconds_count", task, "outcome=\"succeeded\""));
        assertEquals(2.0, value(text, "baton_runs_queue_wait_seconds_count", task));
        assertTrue(text.contains("baton_runs_queue_wait_seconds_bucket{"), "the queue wait is a histogram");
        assertTrue(text.contains("jvm_memory_used_bytes{"), "the JVM's meters");
        // each attempt's log line is written just before or after its result: wait for both
        Pattern stored = Pattern.compile("(?m)^baton_run_logs_lines_stored_total (\\S+)$");
        long logsDeadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!stored.matcher(HTTP.send(HttpRequest.newBuilder(metrics).build(), BodyHandlers.ofString())
                        .body())
                .results()
                .anyMatch(found -> Double.parseDouble(found.group(1)) >= 2.0)) {
            assertTrue(System.nanoTime() < logsDeadline, "both attempts' log lines are counted");
            Thread.sleep(100);
        }
        assertTrue(text.contains("baton_run_logs_lines_dropped_total "), "drops are counted (none here)");
        assertTrue(text.contains("jvm_gc_"), "the garbage collector's meters");
        // The trigger, by its route's words with the task's name left out.
        assertTrue(
                value(text, "baton_http_requests_seconds_count", "route=\"/api/v1/tasks/{}/trigger\"", "status=\"200\"")
                        >= 1);

        // The run's events went through the journal: triggered, the failed attempt, the success.
        assertTrue(simple(text, "baton_journal_writes_seconds_count") >= 1, text);
        assertTrue(simple(text, "baton_journal_write_events_sum") >= 3, text);

        // Sampled gauges: the dispatcher this node hosts, and every run index projection's lag.
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!text.contains("baton_sharding_entities{type=\"EnvironmentDispatcher\"} 1.0")
                && System.nanoTime() < deadline) {
            Thread.sleep(200);
            text = HTTP.send(HttpRequest.newBuilder(metrics).build(), BodyHandlers.ofString())
                    .body();
        }
        assertEquals(1.0, value(text, "baton_sharding_entities", "type=\"EnvironmentDispatcher\""), text);
        assertTrue(value(text, "baton_sharding_shards", "type=\"Run\"") >= 1);
        assertTrue(text.contains("baton_projection_lag{key="), "a projection's lag");
        // The environment's dispatcher lives here: its one worker session, that session's slot, the task's queue.
        while (!text.contains("baton_worker_sessions{") && System.nanoTime() < deadline) {
            Thread.sleep(200);
            text = HTTP.send(HttpRequest.newBuilder(metrics).build(), BodyHandlers.ofString())
                    .body();
        }
        assertEquals(1.0, value(text, "baton_worker_sessions"), text);
        assertEquals(1.0, value(text, "baton_worker_slots", "state=\"free\""));
        assertEquals(0.0, value(text, "baton_worker_slots", "state=\"in_use\""));
        assertEquals(0.0, value(text, "baton_queue_runs", "queue=\"task/flaky\"", "state=\"queued\""));
        assertEquals(0.0, value(text, "baton_queue_paused", "queue=\"task/flaky\""));

        // The ready Grafana dashboard draws only series this node serves.
        JsonNode dashboard = new ObjectMapper()
                .readTree(
                        Path.of("..", "docs", "grafana", "baton-dashboard.json").toFile());
        Matcher names = Pattern.compile("\\b(baton|jvm)_[a-z_]+").matcher(dashboard.toString());
        int checked = 0;
        while (names.find()) {
            String name = names.group();
            assertTrue(Pattern.compile("(?m)^" + name + "[{ ]").matcher(text).find(), "the dashboard's " + name);
            checked++;
        }
        assertTrue(checked >= 10, "the dashboard names metrics");
    }

    /** The value of a sample without labels. */
    private static double simple(String text, String name) {
        Matcher sample =
                Pattern.compile("(?m)^" + Pattern.quote(name) + " (\\S+)$").matcher(text);
        if (!sample.find()) throw new AssertionError("no sample of " + name);
        return Double.parseDouble(sample.group(1));
    }

    /** The value of the one sample of {@code name} whose labels include every one of {@code labels}. */
    private static double value(String text, String name, String... labels) {
        Matcher sample = Pattern.compile("(?m)^" + Pattern.quote(name) + "\\{((?:[^\"}]|\"[^\"]*\")*)\\} (\\S+)$")
                .matcher(text);
        Double found = null;
        while (sample.find()) {
            String present = sample.group(1);
            boolean all = true;
            for (String label : labels) all &= present.contains(label);
            if (!all) continue;
            assertEquals(null, found, "one sample of " + name + " with " + String.join(",", labels));
            found = Double.parseDouble(sample.group(2));
        }
        if (found == null) throw new AssertionError("no sample of " + name + " with " + String.join(",", labels));
        return found;
    }
}
