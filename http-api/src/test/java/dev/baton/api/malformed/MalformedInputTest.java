package dev.baton.api.malformed;

import static dev.baton.api.ApiTestServer.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import akka.persistence.testkit.JournalOperation;
import akka.persistence.testkit.ProcessingSuccess;
import akka.persistence.testkit.WriteEvents;
import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.api.ApiTestServer;
import dev.baton.api.malformed.MalformedRequests.Kind;
import dev.baton.api.malformed.MalformedRequests.Request;
import dev.baton.api.malformed.MalformedRequests.Targets;
import dev.baton.engine.environment.Environment;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * "Bad input never hurts": ten thousand malformed requests (see {@link MalformedRequests}) against the public routes
 * of a real node. Each must get a 4xx {@code {"error": "…"}} within 10 s: never a 5xx, never a 2xx, never a hang or
 * a non-JSON error. Between every thousand inputs the node must still trigger and retrieve a valid run, and no
 * journal may have been written: a malformed request creates no run, and changes neither the run, token, schedule
 * and batch it aims at.
 *
 * <p>The seed is printed; {@code -Dbaton.malformed.seed=N} replays a run, {@code -Dbaton.malformed.count=N} sets
 * how many inputs are tried.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class MalformedInputTest {

    private static final long DEFAULT_SEED = 20_260_301L;
    private static final int DEFAULT_COUNT = 10_000;
    private static final int CHUNK = 1_000;
    /** Concurrent connections: the requests are small, so a few keep both cores busy. */
    private static final int CONNECTIONS = 4;

    private static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(10);
    private static final int EXAMPLES_PER_PROBLEM = 3;
    private static final String KEY = "tr_dev_malformed_test_key";
    private static final String TASK = "hello-world";

    private static ApiTestServer server;
    private static HttpClient client;
    private static Targets targets;
    /** Persistence ids written since the last {@link #journalWrites} was cleared. */
    private static final List<String> journalWrites = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        server = ApiTestServer.start("MalformedInputTest");
        Environment environment = server.environment("malformed", "dev", KEY);
        server.declareTask(environment, TASK);
        client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(ANSWER_TIMEOUT)
                .build();

        // Something of each kind for the garbage to aim at; none of it changes by itself (no timer is due for months).
        String runId = id(
                server.post(
                        "/api/v1/tasks/" + TASK + "/trigger",
                        KEY,
                        "{\"payload\":{\"n\":0},\"options\":{\"delay\":\"30d\",\"tags\""
                                + ":[\"setup\"],\"metadata\":{\"s\":1}}}"),
                200);
        String tokenId = id(server.post("/api/v1/waitpoints/tokens", KEY, "{\"tags\":[\"setup\"]}"), 200);
        String scheduleId = id(
                server.post(
                        "/api/v1/schedules",
                        KEY,
                        "{\"task\":\"" + TASK + "\",\"cron\":\"0 0 1 1 *\",\"deduplicationKey\":\"setup\"}"),
                200);
        String batchId = id(server.post("/api/v3/batches", KEY, "{\"runCount\":2}"), 202);
        targets = new Targets(KEY, TASK, runId, tokenId, scheduleId, batchId);

        server.journal().withPolicy((String persistenceId, JournalOperation operation) -> {
            if (operation instanceof WriteEvents) journalWrites.add(persistenceId);
            return ProcessingSuccess.getInstance();
        });
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) server.close();
    }

    @Test
    void malformedRequestsGetAJsonClientErrorAndChangeNothing() throws Exception {
        long seed = Long.getLong("baton.malformed.seed", DEFAULT_SEED);
        int total = Integer.getInteger("baton.malformed.count", DEFAULT_COUNT);
        System.out.println("MalformedInputTest: seed " + seed + " (replay with -Dbaton.malformed.seed=" + seed + ")");
        Map<String, String> before = targetStates();
        int runsBefore = listedRuns();

        MalformedRequests generator = new MalformedRequests(seed, targets);
        Map<Kind, AtomicInteger> tried = new EnumMap<>(Kind.class);
        for (Kind kind : Kind.values()) tried.put(kind, new AtomicInteger());
        Problems problems = new Problems();
        int healthyRuns = 0;
        ExecutorService connections = Executors.newFixedThreadPool(CONNECTIONS);
        long started = System.nanoTime();
        try {
            for (int done = 0; done < total; done += CHUNK) {
                List<Callable<Void>> chunk = new ArrayList<>();
                for (int i = 0; i < Math.min(CHUNK, total - done); i++) {
                    Request request = generator.next();
                    tried.get(request.kind()).incrementAndGet();
                    chunk.add(() -> {
                        problems.check(request, send(request));
                        return null;
                    });
                }
                journalWrites.clear();
                connections.invokeAll(chunk);
                if (!journalWrites.isEmpty()) {
                    problems.add(
                            "journal",
                            "inputs up to #" + (done + chunk.size()) + " wrote events for "
                                    + journalWrites.stream()
                                            .distinct()
                                            .limit(10)
                                            .toList());
                }
                assertStillServing(done + chunk.size());
                healthyRuns++;
            }
        } finally {
            connections.shutdownNow();
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        System.out.printf(
                Locale.ROOT,
                "malformed inputs tried: %d (%s) in %.1f s, %d connections, seed %d%n",
                total,
                tried.entrySet().stream()
                        .map(entry ->
                                entry.getKey().label + " " + entry.getValue().get())
                        .collect(Collectors.joining(", ")),
                seconds,
                CONNECTIONS,
                seed);

        problems.failIfAny(seed);
        for (Map.Entry<Kind, AtomicInteger> kind : tried.entrySet()) {
            assertTrue(kind.getValue().get() > 0 || total < Kind.values().length, "never tried " + kind.getKey().label);
        }
        assertEquals(before, targetStates(), "a malformed request changed what it aimed at");
        assertEquals(runsBefore + healthyRuns, listedRuns(), "runs other than the valid ones exist");
    }

    // ---------------------------------------------------------------- sending

    /** What came back: a status, a content type and a body, or why nothing usable did. */
    private record Answer(int status, String contentType, byte[] body, String failure) {
        static Answer failed(String failure) {
            return new Answer(0, "", new byte[0], failure);
        }
    }

    private static Answer send(Request request) {
        try {
            return request.raw() ? sendRaw(request) : sendWithClient(request);
        } catch (HttpTimeoutException | SocketTimeoutException e) {
            return Answer.failed("no answer within " + ANSWER_TIMEOUT.toSeconds() + " s");
        } catch (IOException e) {
            return Answer.failed("connection failed: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Answer.failed("interrupted");
        }
    }

    private static Answer sendWithClient(Request request) throws IOException, InterruptedException {
        HttpRequest.Builder builder = HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + server.port() + request.path()))
                .timeout(ANSWER_TIMEOUT)
                .method(
                        request.method(),
                        request.body() == null
                                ? HttpRequest.BodyPublishers.noBody()
                                : HttpRequest.BodyPublishers.ofByteArray(request.body()));
        request.headers().forEach(builder::header);
        HttpResponse<byte[]> response = client.send(builder.build(), HttpResponse.BodyHandlers.ofByteArray());
        return new Answer(
                response.statusCode(),
                response.headers().firstValue("Content-Type").orElse(""),
                response.body(),
                null);
    }

    /**
     * Writes the bytes, closes the sending side (so a body that claims more than it has ends there, and the
     * server sees it end) and reads the answer until the server closes the connection.
     */
    private static Answer sendRaw(Request request) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout((int) ANSWER_TIMEOUT.toMillis());
            OutputStream out = socket.getOutputStream();
            out.write(request.body());
            out.flush();
            socket.shutdownOutput();
            InputStream in = socket.getInputStream();
            byte[] answer = in.readAllBytes();
            return parseRawAnswer(answer);
        }
    }

    private static Answer parseRawAnswer(byte[] answer) {
        String text = new String(answer, StandardCharsets.ISO_8859_1);
        int headEnd = text.indexOf("\r\n\r\n");
        if (headEnd < 0) return Answer.failed("the connection closed without an answer: '" + text + "'");
        String[] lines = text.substring(0, headEnd).split("\r\n");
        String[] statusLine = lines[0].split(" ", 3);
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon > 0)
                headers.put(
                        lines[i].substring(0, colon).strip().toLowerCase(Locale.ROOT),
                        lines[i].substring(colon + 1).strip());
        }
        int bodyStart = headEnd + 4;
        int length = headers.containsKey("content-length")
                ? Integer.parseInt(headers.get("content-length"))
                : answer.length - bodyStart;
        byte[] body = new byte[Math.max(0, Math.min(length, answer.length - bodyStart))];
        System.arraycopy(answer, bodyStart, body, 0, body.length);
        return new Answer(Integer.parseInt(statusLine[1]), headers.getOrDefault("content-type", ""), body, null);
    }

    // ---------------------------------------------------------------- checking

    /** What went wrong, grouped by route, kind and answer, with a few requests of each for the report. */
    private static final class Problems {
        private final Map<String, List<String>> examples = new ConcurrentHashMap<>();
        private final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();

        void check(Request request, Answer answer) {
            String problem = problemWith(request, answer);
            if (problem == null) return;
            String group = request.route() + " " + request.kind().label + ": "
                    + (answer.failure() != null ? answer.failure().replaceAll("'.*", "") : "HTTP " + answer.status());
            add(group, request.describe() + "\n      → " + problem);
        }

        void add(String group, String example) {
            counts.computeIfAbsent(group, ignored -> new AtomicInteger()).incrementAndGet();
            List<String> list = examples.computeIfAbsent(group, ignored -> new CopyOnWriteArrayList<>());
            if (list.size() < EXAMPLES_PER_PROBLEM) list.add(example);
        }

        void failIfAny(long seed) {
            if (counts.isEmpty()) return;
            StringBuilder report = new StringBuilder("malformed input was not refused cleanly (seed " + seed + "):\n");
            counts.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(entry -> {
                report.append("  ")
                        .append(entry.getValue().get())
                        .append("× ")
                        .append(entry.getKey())
                        .append('\n');
                examples.get(entry.getKey())
                        .forEach(
                                example -> report.append("    ").append(example).append('\n'));
            });
            fail(report.toString());
        }
    }

    /** Null when the answer is a 4xx {"error": "…"} (naming what the request must see named); else what is wrong. */
    static String problemWith(Request request, Answer answer) {
        if (answer.failure() != null) return answer.failure();
        String shown = MalformedRequests.preview(answer.body());
        if (answer.status() < 400 || answer.status() > 499) {
            return "answered " + answer.status() + " (a malformed request must get a 4xx): " + shown;
        }
        if (!answer.contentType().startsWith("application/json")) {
            return "answered " + answer.status() + " with a " + answer.contentType() + " body, not JSON: " + shown;
        }
        JsonNode body;
        try {
            body = MalformedRequests.JSON.readTree(answer.body());
        } catch (IOException e) {
            return "answered " + answer.status() + " with a body that is not JSON: " + shown;
        }
        JsonNode error = body == null ? null : body.get("error");
        if (error == null || !error.isTextual() || error.textValue().isBlank()) {
            return "answered " + answer.status() + " without an \"error\" string: " + shown;
        }
        if (request.mustName() != null && !error.textValue().contains(request.mustName())) {
            return "the error does not name " + request.mustName() + ": " + shown;
        }
        return null;
    }

    // ---------------------------------------------------------------- the node, before and after

    /** A valid trigger still answers 200 and its run can be retrieved. */
    private static void assertStillServing(int after) throws Exception {
        HttpResponse<String> triggered =
                server.post("/api/v1/tasks/" + TASK + "/trigger", KEY, "{\"payload\":{\"after\":" + after + "}}");
        assertEquals(200, triggered.statusCode(), "after " + after + " malformed inputs: " + triggered.body());
        JsonNode run = server.retrieve(json(triggered).get("id").asText(), KEY);
        assertEquals(after, run.path("payload").path("after").asInt(), run.toString());
    }

    /** The targets as the API shows them: a refused request must leave every field as it was. */
    private static Map<String, String> targetStates() throws Exception {
        Map<String, String> states = new LinkedHashMap<>();
        states.put("run", server.retrieve(targets.runId(), KEY).toString());
        states.put(
                "run events",
                server.get("/api/v1/runs/" + targets.runId() + "/events", KEY).body());
        states.put(
                "token",
                server.get("/api/v1/waitpoints/tokens/" + targets.tokenId(), KEY)
                        .body());
        states.put(
                "schedule",
                server.get("/api/v1/schedules/" + targets.scheduleId(), KEY).body());
        states.put(
                "batch", server.get("/api/v2/batches/" + targets.batchId(), KEY).body());
        // Its settings, not its counts: the valid triggers between chunks queue runs in it.
        JsonNode queue = json(server.get("/api/v1/queues/" + TASK + "?type=task", KEY));
        states.put("queue", queue.get("paused") + " " + queue.get("concurrency"));
        return states;
    }

    /** How many runs the runs list shows, once the read model caught up with the journal. */
    private static int listedRuns() throws Exception {
        server.projectRuns();
        HttpResponse<String> list = server.get("/api/v1/runs?page%5Bsize%5D=100", KEY);
        assertEquals(200, list.statusCode(), list.body());
        return json(list).get("data").size();
    }

    private static String id(HttpResponse<String> response, int status) throws Exception {
        assertEquals(status, response.statusCode(), response.body());
        return json(response).get("id").asText();
    }
}
