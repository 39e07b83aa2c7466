package dev.baton.api.runs;

import static dev.baton.api.ApiTestServer.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.http.javadsl.model.sse.ServerSentEvent;
import akka.stream.javadsl.Sink;
import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import dev.baton.api.ApiTestServer;
import dev.baton.api.config.HttpSettings;
import dev.baton.engine.changes.RunChanged;
import dev.baton.engine.environment.Environment;
import dev.baton.engine.run.RunStatus;
import dev.baton.engine.worker.WorkerChannel;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;

/**
 * The run change streams over HTTP, as a browser's reader sees them: a triggered run arrives and changes in place,
 * the filters hold, a client that cannot take every change gets a resync and the node keeps no more than
 * {@code max-pending} notices for it, and the routes are authorised like the list and retrieve.
 */
class RunStreamRoutesTest {

    private static final String KEY = "tr_dev_sk_runStreamRoutesTestKey1";
    private static final String OTHER_KEY = "tr_dev_sk_runStreamRoutesOtherEnv";
    private static final String CAPPED_KEY = "tr_dev_sk_runStreamRoutesCapped01";
    private static final int MAX_PENDING = 20;

    private static ApiTestServer server;
    private static Environment environment;
    private static Environment capped;
    private static HttpClient client;

    @BeforeAll
    static void start() throws Exception {
        server = ApiTestServer.start(
                "RunStreamRoutesTest",
                ConfigFactory.parseString("baton.http.run-stream.window = 100ms\n"
                        + "baton.http.run-stream.max-pending = " + MAX_PENDING + "\n"
                        + "baton.http.run-stream.heartbeat = 1s\n"
                        + "baton.http.run-stream.max-per-environment = 4\n"
                        // A stream outlives both: its response has started, and heartbeats keep it busy.
                        + "akka.http.server.request-timeout = 2s\n"
                        + "akka.http.server.idle-timeout = 3s\n"));
        environment = server.environment("streams", "dev", KEY);
        Environment other = server.environment("streams", "prod", OTHER_KEY);
        capped = server.environment("streams", "stg", CAPPED_KEY);
        server.declareTask(environment, "hello-world");
        server.declareTask(environment, "other-task");
        server.declareTask(other, "hello-world");
        client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    @Test
    void aTriggeredRunArrivesAndChangesInPlaceAndOtherTasksStayOut() throws Exception {
        try (EventReader events = open("/api/v1/runs/stream?filter[taskIdentifier]=hello-world", KEY)) {
            assertEquals(200, events.status);
            assertTrue(events.contentType.startsWith("text/event-stream"), events.contentType);
            assertTrue(events.next("ready").get("at").asText().endsWith("Z"), "the node's time");
            String skipped = trigger("other-task", "{\"payload\":{}}");
            String runId = trigger("hello-world", "{\"payload\":{},\"options\":{\"tags\":[\"live\"]}}");
            JsonNode queued = events.run(runId, "QUEUED");
            assertEquals("hello-world", queued.get("taskIdentifier").asText());
            assertEquals("live", queued.get("tags").get(0).asText());
            assertEquals(environment.id(), queued.get("env").get("id").asText());
            assertTrue(queued.path("attemptStartedAt").isMissingNode(), "no attempt runs yet");

            // A worker starting it: not journaled until the attempt ends, but sent, with the attempt's start.
            TestProbe<WorkerChannel.Message> worker = server.node().testKit().createTestProbe();
            server.startExecuting(runId, worker);
            JsonNode executing = events.run(runId, "EXECUTING");
            assertFalse(executing.path("attemptStartedAt").asText().isEmpty(), executing.toString());

            assertEquals(
                    200,
                    server.post("/api/v2/runs/" + runId + "/cancel", KEY, "{}").statusCode());
            JsonNode canceled = events.run(runId, "CANCELED");
            assertTrue(canceled.get("isCompleted").asBoolean());
            assertNotNull(canceled.get("finishedAt").asText());
            assertFalse(events.seenRunIds.contains(skipped), "a run of another task was sent");
        }
    }

    @Test
    void aQuietStreamStaysOpenPastTheRequestAndIdleTimeouts() throws Exception {
        try (EventReader events = open("/api/v1/runs/stream", KEY)) {
            events.next("ready");
            Thread.sleep(5_000);
            String runId = trigger("hello-world", "{\"payload\":{}}");
            events.run(runId, "QUEUED");
            assertTrue(events.heartbeats.get() >= 3, "heartbeats: " + events.heartbeats.get());
        }
    }

    @Test
    void aRunsOwnStreamSendsItsChanges() throws Exception {
        String runId = trigger("hello-world", "{\"payload\":{}}");
        String unrelated = trigger("hello-world", "{\"payload\":{}}");
        try (EventReader events = open("/api/v1/runs/" + runId + "/stream", KEY)) {
            events.next("ready");
            server.put("/api/v1/runs/" + unrelated + "/metadata", KEY, "{\"metadata\":{\"n\":1}}");
            server.put("/api/v1/runs/" + runId + "/metadata", KEY, "{\"metadata\":{\"n\":2}}");
            JsonNode runs = events.next("runs");
            assertEquals(1, runs.size(), runs.toString());
            assertEquals(runId, runs.get(0).get("id").asText());
        }
    }

    @Test
    void moreChangesThanAConnectionHoldsEndInOneResync() throws Exception {
        try (EventReader events = open("/api/v1/runs/stream", KEY)) {
            events.next("ready");
            String first = trigger("hello-world", "{\"payload\":{}}");
            events.run(first, "QUEUED");
            for (int i = 0; i < MAX_PENDING * 10; i++)
                server.node().engine().changes().publish(notice(environment.id(), "run_burst" + i));
            JsonNode resync = events.next("resync");
            assertTrue(resync.get("dropped").asInt() > MAX_PENDING, resync.toString());
            // The stream goes on: the next change is sent as usual.
            String runId = trigger("hello-world", "{\"payload\":{}}");
            events.run(runId, "QUEUED");
        }
    }

    /**
     * A client that takes nothing: the window's drains wait for it, so every notice past {@code max-pending} is
     * dropped, not kept, and what it gets when it reads again is one resync counting them all.
     */
    @Test
    void aClientThatReadsNothingGetsAResyncAndTheNodeKeepsNoBacklog() throws Exception {
        var settings = new RunStreamSettings(Duration.ofMillis(50), MAX_PENDING, Duration.ofSeconds(30), 10);
        var config = server.node().system().settings().config();
        var routes = new RunStreamRoutes(
                server.node().engine(), null, HttpSettings.fromConfig(config), settings, Clock.systemUTC());
        String environmentId = "env_slow_reader";
        BlockingQueue<ServerSentEvent> received = new LinkedBlockingQueue<>();
        Subscription[] subscription = new Subscription[1];
        RunChangeConflator pending = new RunChangeConflator(MAX_PENDING);
        AtomicInteger offered = new AtomicInteger();
        Predicate<RunChanged> counting = change -> offered.incrementAndGet() > 0;
        routes.events(new Environment(environmentId, "proj_slow", "proj_slow", "dev"), counting, pending)
                .runWith(
                        Sink.fromSubscriber(collect(received, subscription)),
                        server.node().system());
        while (subscription[0] == null) Thread.sleep(10);
        subscription[0].request(1);
        assertEquals("ready", received.poll(10, TimeUnit.SECONDS).getEventType().orElseThrow());
        // A topic new on this node may miss its first notices (RunChangeFeed): wait until one gets through.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (offered.get() == 0) {
            assertTrue(System.nanoTime() < deadline, "no notice reached the stream");
            server.node().engine().changes().publish(notice(environmentId, "run_slow_first"));
            Thread.sleep(50);
        }
        int expected = offered.get() + 10_000;
        for (int i = 0; i < 10_000; i++)
            server.node().engine().changes().publish(notice(environmentId, "run_slow" + i));
        // Many windows pass while it reads nothing; the node never keeps more than max-pending notices for it.
        while (offered.get() < expected) {
            assertTrue(pending.pending() <= MAX_PENDING, "kept " + pending.pending());
            assertTrue(System.nanoTime() < deadline, "offered only " + offered.get());
            Thread.sleep(20);
        }
        Thread.sleep(300);
        assertTrue(pending.pending() <= MAX_PENDING, "kept " + pending.pending());
        assertTrue(received.isEmpty(), "sent without demand");
        // What it gets when it reads again: at most the one drain the stream took before it stopped, then a resync.
        subscription[0].request(2);
        ServerSentEvent first = received.poll(10, TimeUnit.SECONDS);
        if (!first.getEventType().orElseThrow().equals("resync")) {
            assertTrue(parse(first.getData()).size() <= MAX_PENDING, first.getData());
            first = received.poll(10, TimeUnit.SECONDS);
        }
        assertEquals("resync", first.getEventType().orElseThrow(), first.getData());
        assertTrue(parse(first.getData()).get("dropped").asInt() > MAX_PENDING, first.getData());
        subscription[0].cancel();
    }

    @Test
    void theStreamsAreAuthorisedLikeTheListAndTheRun() throws Exception {
        HttpResponse<String> triggered = server.post(
                "/api/v1/tasks/hello-world/trigger", KEY, "{\"payload\":{},\"options\":{\"tags\":[\"a\"]}}");
        String runId = json(triggered).get("id").asText();
        String token = triggered.headers().firstValue("x-trigger-jwt").orElseThrow();

        assertError(open("/api/v1/runs/stream", null), 401, "Invalid or Missing API key");
        assertError(open("/api/v1/runs/" + runId + "/stream", null), 401, "Invalid or Missing API key");
        assertError(open("/api/v1/runs/" + runId + "/stream", OTHER_KEY), 404, "Run not found");
        // A token scoped to one run may follow that run, not the whole list.
        assertError(open("/api/v1/runs/stream", token), 403, "Unauthorized");
        try (EventReader own = open("/api/v1/runs/" + runId + "/stream", token)) {
            assertEquals(200, own.status);
            own.next("ready");
        }
        String otherRun = trigger("hello-world", "{\"payload\":{}}");
        assertError(open("/api/v1/runs/" + otherRun + "/stream", token), 403, "Unauthorized");
        // The other environment's stream never sees this one's runs.
        try (EventReader others = open("/api/v1/runs/stream", OTHER_KEY)) {
            others.next("ready");
            String mine = trigger("hello-world", "{\"payload\":{}}");
            try (EventReader own = open("/api/v1/runs/" + mine + "/stream", KEY)) {
                own.next("ready");
                server.put("/api/v1/runs/" + mine + "/metadata", KEY, "{\"metadata\":{\"n\":1}}");
                own.next("runs");
            }
            assertTrue(others.seenRunIds.isEmpty(), others.seenRunIds.toString());
        }
    }

    @Test
    void optionsItCannotHonourAreRefused() throws Exception {
        assertError(open("/api/v1/runs/stream?page[size]=10", KEY), 400, "page[size]");
        assertError(open("/api/v1/runs/stream?filter[status]=NOPE", KEY), 400, "filter[status]");
        assertError(open("/api/v1/runs/stream?filter[createdAt][period]=soon", KEY), 400, "period");
        String runId = trigger("hello-world", "{\"payload\":{}}");
        assertError(open("/api/v1/runs/" + runId + "/stream?filter[status]=QUEUED", KEY), 400, "filter[status]");
    }

    @Test
    void anEnvironmentHoldsAtMostItsCapOfStreamsAndAClosedOneGivesItsPlaceBack() throws Exception {
        EventReader first = openOnce("/api/v1/runs/stream", CAPPED_KEY);
        first.next("ready");
        List<EventReader> others = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            others.add(openOnce("/api/v1/runs/stream", CAPPED_KEY));
            others.get(i).next("ready");
        }
        try {
            assertError(openOnce("/api/v1/runs/stream", CAPPED_KEY), 429, "run streams open");
            first.close();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (true) {
                EventReader third = openOnce("/api/v1/runs/stream", CAPPED_KEY);
                if (third.status == 200) {
                    third.next("ready");
                    third.close();
                    break;
                }
                third.close();
                assertTrue(System.nanoTime() < deadline, "a closed stream's place was not given back");
                Thread.sleep(200);
            }
        } finally {
            others.forEach(EventReader::close);
        }
    }

    // ---------------------------------------------------------------- helpers

    private static RunChanged notice(String environmentId, String runId) {
        Instant now = Instant.now();
        return new RunChanged(
                environmentId,
                runId,
                List.of(),
                null,
                now,
                new RunChanged.Summary(
                        RunStatus.QUEUED,
                        "hello-world",
                        "task/hello-world",
                        false,
                        now,
                        null,
                        null,
                        null,
                        0,
                        null,
                        0,
                        null,
                        null));
    }

    private static String trigger(String task, String body) throws Exception {
        HttpResponse<String> response = server.post("/api/v1/tasks/" + task + "/trigger", KEY, body);
        assertEquals(200, response.statusCode(), response.body());
        return json(response).get("id").asText();
    }

    private static void assertError(EventReader reader, int status, String fragment) throws Exception {
        try (reader) {
            assertEquals(status, reader.status);
            String error = parse(String.join("\n", reader.rest())).get("error").asText();
            assertTrue(error.contains(fragment), error);
        }
    }

    private static Subscriber<ServerSentEvent> collect(
            BlockingQueue<ServerSentEvent> received, Subscription[] subscription) {
        return new Subscriber<>() {
            @Override
            public void onSubscribe(Subscription given) {
                subscription[0] = given;
            }

            @Override
            public void onNext(ServerSentEvent event) {
                received.add(event);
            }

            @Override
            public void onError(Throwable failure) {}

            @Override
            public void onComplete() {}
        };
    }

    /**
     * A stream that is not about the cap: a stream the previous test closed holds its place until the node next
     * writes to it (a heartbeat), so a 429 is waited out.
     */
    private static EventReader open(String path, String key) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            EventReader reader = openOnce(path, key);
            if (reader.status != 429 || System.nanoTime() > deadline) return reader;
            reader.close();
            Thread.sleep(200);
        }
    }

    private static EventReader openOnce(String path, String key) throws Exception {
        String encoded = path.replace("[", "%5B").replace("]", "%5D");
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + encoded))
                .header("accept", "text/event-stream")
                .GET();
        if (key != null) request.header("Authorization", "Bearer " + key);
        HttpResponse<Stream<String>> response = client.sendAsync(request.build(), HttpResponse.BodyHandlers.ofLines())
                .get(30, TimeUnit.SECONDS);
        return new EventReader(response);
    }

    /** Reads a response's lines on a thread of its own and parses them into events. */
    private static final class EventReader implements AutoCloseable {
        record Event(String type, String data) {}

        final int status;
        final String contentType;
        final List<String> seenRunIds = new java.util.concurrent.CopyOnWriteArrayList<>();
        final AtomicInteger heartbeats = new AtomicInteger();
        private final Stream<String> lines;
        private final BlockingQueue<Object> items = new LinkedBlockingQueue<>();
        private final Thread reader;

        EventReader(HttpResponse<Stream<String>> response) {
            this.status = response.statusCode();
            this.contentType = response.headers().firstValue("content-type").orElse("");
            this.lines = response.body();
            this.reader = new Thread(() -> {
                String type = "message";
                StringBuilder data = new StringBuilder();
                try {
                    for (var iterator = lines.iterator(); iterator.hasNext(); ) {
                        String line = iterator.next();
                        if (status != 200) {
                            items.add(line);
                        } else if (line.isEmpty()) {
                            if (!data.isEmpty()) items.add(new Event(type, data.toString()));
                            else heartbeats.incrementAndGet();
                            type = "message";
                            data.setLength(0);
                        } else if (line.startsWith("event:")) {
                            type = line.substring(6).strip();
                        } else if (line.startsWith("data:")) {
                            if (!data.isEmpty()) data.append('\n');
                            data.append(line.substring(5).strip());
                        }
                    }
                } catch (RuntimeException closed) {
                    // The test closed the stream.
                }
                items.add(this);
            });
            reader.setDaemon(true);
            reader.start();
        }

        /** The next event of this type (others, and heartbeats, are passed over); its data as JSON. */
        JsonNode next(String type) throws Exception {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (true) {
                Object item = items.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (item == null || item == this) throw new AssertionError("no " + type + " event");
                if (item instanceof Event event) {
                    JsonNode data = parse(event.data());
                    if (event.type().equals("runs"))
                        data.forEach(run -> seenRunIds.add(run.get("id").asText()));
                    if (event.type().equals(type)) return data;
                }
            }
        }

        /** The next row of this run in this status. */
        JsonNode run(String runId, String status) throws Exception {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (System.nanoTime() < deadline) {
                for (JsonNode run : next("runs")) {
                    if (run.get("id").asText().equals(runId)
                            && run.get("status").asText().equals(status)) return run;
                }
            }
            throw new AssertionError("no row of " + runId + " in " + status);
        }

        /** The whole body of a refused request. */
        List<String> rest() throws Exception {
            List<String> body = new ArrayList<>();
            while (true) {
                Object item = items.poll(30, TimeUnit.SECONDS);
                if (item == null || item == this) return body;
                if (item instanceof String line) body.add(line);
            }
        }

        @Override
        public void close() {
            lines.close();
        }
    }

    private static JsonNode parse(String text) throws Exception {
        return dev.baton.api.json.Json.parse(text);
    }
}
