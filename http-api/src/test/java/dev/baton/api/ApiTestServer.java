package dev.baton.api;

import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import akka.http.javadsl.Http;
import akka.http.javadsl.ServerBinding;
import akka.persistence.query.Offset;
import akka.persistence.query.PersistenceQuery;
import akka.persistence.testkit.JournalOperation;
import akka.persistence.testkit.ProcessingSuccess;
import akka.persistence.testkit.javadsl.PersistenceTestKit;
import akka.persistence.testkit.query.javadsl.PersistenceTestKitReadJournal;
import akka.projection.eventsourced.EventEnvelope;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.baton.engine.dispatch.DispatchReply;
import dev.baton.engine.environment.Environment;
import dev.baton.engine.run.RunEntity;
import dev.baton.engine.task.TaskDefinition;
import dev.baton.engine.testkit.TestNode;
import dev.baton.engine.worker.WorkerChannel;
import dev.baton.projections.Projections;
import dev.baton.projections.batches.BatchList;
import dev.baton.projections.bulkactions.BulkActionList;
import dev.baton.projections.clickhouse.TaskAnalytics;
import dev.baton.projections.internal.DataSourceJdbcSession;
import dev.baton.projections.lag.ProjectionLag;
import dev.baton.projections.runs.RunIndexHandler;
import dev.baton.projections.runs.RunIndexSettings;
import dev.baton.projections.runs.RunList;
import dev.baton.projections.runs.RunTable;
import dev.baton.projections.schedules.ScheduleList;
import dev.baton.projections.waitpoints.TokenList;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.InputStreamReader;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A {@link TestNode} with the HTTP API bound on a random local port, a plain JDK HTTP client, and a
 * spy on the journal that records every operation on run entities (so a test can prove a rejected
 * request never reached the engine).
 */
public final class ApiTestServer implements AutoCloseable {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final String RUN_PERSISTENCE_PREFIX =
            RunEntity.persistenceId("x").id().replace("x", "");

    private final TestNode node;
    private final ServerBinding binding;
    private final HttpClient client;
    private final String baseUrl;
    private final PersistenceTestKit journal;
    private final List<String> runJournalOperations = new CopyOnWriteArrayList<>();

    private ApiTestServer(TestNode node) throws Exception {
        this.node = node;
        node.database().runSchemaScript(Projections.SCHEMA_SCRIPT);
        Clock clock = Clock.systemUTC();
        ReadModels reads = new ReadModels(
                RunList.create(node.system(), node.database(), clock),
                TokenList.create(node.system(), node.database(), clock),
                ScheduleList.create(node.system(), node.database()),
                BatchList.create(node.system(), node.database(), clock),
                BulkActionList.create(node.system(), node.database()),
                ProjectionLag.create(node.system(), node.database(), clock),
                TaskAnalytics.create(node.system()));
        HttpApi api = new HttpApi(node.system(), node.engine(), node.directory(), node.database(), reads, clock);
        this.binding = Http.get(node.system())
                .newServerAt("127.0.0.1", 0)
                .bind(api.route())
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
        this.baseUrl = "http://127.0.0.1:" + binding.localAddress().getPort();
        this.client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(TIMEOUT)
                .build();
        this.journal = PersistenceTestKit.create(node.system());
        recordJournal();
    }

    public static ApiTestServer start(String name) throws Exception {
        return start(name, ConfigFactory.empty());
    }

    public static ApiTestServer start(String name, Config overrides) throws Exception {
        return new ApiTestServer(TestNode.start(name, overrides));
    }

    public TestNode node() {
        return node;
    }

    /** The local port the API is bound on, for tests that speak raw HTTP over a socket. */
    public int port() {
        return binding.localAddress().getPort();
    }

    public PersistenceTestKit journal() {
        return journal;
    }

    /** Puts the recording policy (back) in place, e.g. after a test injected journal failures. */
    public void recordJournal() {
        journal.withPolicy((String persistenceId, JournalOperation operation) -> {
            if (persistenceId.startsWith(RUN_PERSISTENCE_PREFIX)) {
                runJournalOperations.add(
                        persistenceId + " " + operation.getClass().getSimpleName());
            }
            return ProcessingSuccess.getInstance();
        });
    }

    /** Every journal operation (write, read, recovery) on any run since the last {@link #forgetJournal()}. */
    public List<String> runJournalOperations() {
        return new ArrayList<>(runJournalOperations);
    }

    public void forgetJournal() {
        runJournalOperations.clear();
    }

    public Environment environment(String projectRef, String slug, String secretKey) {
        return node.createEnvironment(projectRef, slug, secretKey, "bw_" + projectRef + "_" + slug);
    }

    public void declareTask(Environment environment, String taskId) throws Exception {
        node.engine()
                .declareTasks(environment.id(), List.of(new TaskDefinition(taskId, null, null, null, null)))
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
    }

    public HttpResponse<String> get(String path, String secretKey) throws Exception {
        return send(request(path, secretKey).GET().build());
    }

    public HttpResponse<String> post(String path, String secretKey, String json) throws Exception {
        return send(request(path, secretKey)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json))
                .build());
    }

    public HttpResponse<String> put(String path, String secretKey, String json) throws Exception {
        return send(request(path, secretKey)
                .header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(json))
                .build());
    }

    /**
     * Sends only a request's head, declaring a JSON body of {@code contentLength} bytes that never comes,
     * and returns the status line and body of the answer: proves a limit is enforced from Content-Length
     * alone, without the body (the answer comes once the server gave up waiting for it).
     */
    public String[] sendHeadOnly(String method, String path, String secretKey, long contentLength) throws Exception {
        return sendRaw(method, path, secretKey, contentLength, null);
    }

    /**
     * Sends a request's head, then, half a second later, {@code body} (unless null); returns the status line,
     * the body of the answer, and whether any of the answer had arrived before the body was sent.
     */
    public String[] sendRaw(String method, String path, String secretKey, long contentLength, byte[] body)
            throws Exception {
        try (Socket socket = new Socket("127.0.0.1", binding.localAddress().getPort())) {
            socket.setSoTimeout((int) TIMEOUT.toMillis());
            String head = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + secretKey
                    + "\r\nContent-Type: application/json\r\nContent-Length: " + contentLength + "\r\n\r\n";
            socket.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            boolean answeredBeforeBody = false;
            if (body != null) {
                Thread.sleep(500);
                answeredBeforeBody = socket.getInputStream().available() > 0;
                socket.getOutputStream().write(body);
                socket.getOutputStream().flush();
            }
            BufferedReader reader =
                    new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            String statusLine = reader.readLine();
            int length = 0;
            for (String line = reader.readLine(); line != null && !line.isEmpty(); line = reader.readLine()) {
                if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
                    length = Integer.parseInt(
                            line.substring("content-length:".length()).strip());
                }
            }
            char[] answer = new char[length];
            int read = 0;
            while (read < length) {
                int n = reader.read(answer, read, length - read);
                if (n < 0) break;
                read += n;
            }
            return new String[] {statusLine, new String(answer, 0, read), String.valueOf(answeredBeforeBody)};
        }
    }

    /** A POST without a body ({@code Content-Length: 0}, no content type), as the SDK cancels. */
    public HttpResponse<String> postEmpty(String path, String secretKey) throws Exception {
        return send(request(path, secretKey)
                .POST(HttpRequest.BodyPublishers.noBody())
                .build());
    }

    /** A POST whose body has no Content-Length: the JDK client sends it chunked. */
    public HttpResponse<String> postChunked(String path, String secretKey, byte[] body) throws Exception {
        return send(request(path, secretKey)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body)))
                .build());
    }

    /** A POST of {@code contentType} without a Content-Length: the JDK client streams it chunked. */
    public HttpResponse<String> postChunked(String path, String secretKey, String contentType, byte[] body)
            throws Exception {
        return send(request(path, secretKey)
                .header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body)))
                .build());
    }

    public HttpResponse<String> send(String method, String path, Map<String, String> headers, String body)
            throws Exception {
        HttpRequest.Builder builder = request(path, null)
                .method(
                        method,
                        body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        headers.forEach(builder::header);
        return send(builder.build());
    }

    private HttpRequest.Builder request(String path, String secretKey) {
        HttpRequest.Builder builder =
                HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(TIMEOUT);
        if (secretKey != null) builder.header("Authorization", "Bearer " + secretKey);
        return builder;
    }

    private HttpResponse<String> send(HttpRequest request) throws Exception {
        return client.send(request, HttpResponse.BodyHandlers.ofString());
    }

    /** The run as {@code GET /api/v3/runs/{id}} shows it; fails unless that answers 200. */
    public JsonNode retrieve(String runId, String secretKey) throws Exception {
        JsonNode run = retrieveIfExists(runId, secretKey);
        if (run == null) throw new AssertionError("retrieve " + runId + ": 404");
        return run;
    }

    /**
     * Polls the run until it exists (a child run is created after its parent's wait is journaled) and
     * {@code until} holds, failing after {@code timeout} with the last state seen.
     */
    public JsonNode awaitRun(String runId, String secretKey, Predicate<JsonNode> until, Duration timeout)
            throws Exception {
        Instant deadline = Instant.now().plus(timeout);
        JsonNode run = retrieveIfExists(runId, secretKey);
        while (run == null || !until.test(run)) {
            if (Instant.now().isAfter(deadline)) throw new AssertionError("run never got there, last seen: " + run);
            Thread.sleep(50);
            run = retrieveIfExists(runId, secretKey);
        }
        return run;
    }

    private JsonNode retrieveIfExists(String runId, String secretKey) throws Exception {
        HttpResponse<String> response = get("/api/v3/runs/" + runId, secretKey);
        if (response.statusCode() == 404) return null;
        if (response.statusCode() != 200) throw new AssertionError("retrieve " + runId + ": " + response.body());
        return json(response);
    }

    public JsonNode awaitStatus(String runId, String secretKey, String status) throws Exception {
        return awaitRun(
                runId, secretKey, run -> status.equals(run.path("status").asText()), Duration.ofSeconds(10));
    }

    /** The types of the run's journal events, in order. */
    public List<String> eventTypes(String runId, String secretKey) throws Exception {
        List<String> types = new ArrayList<>();
        json(get("/api/v1/runs/" + runId + "/events", secretKey))
                .get("data")
                .forEach(event -> types.add(event.get("type").asText()));
        return types;
    }

    /**
     * Plays the dispatcher: offers the queued run to {@code worker} (a probe standing in for a worker
     * session) and returns the leased attempt's id.
     */
    public String lease(String runId, TestProbe<WorkerChannel.Message> worker) {
        TestProbe<DispatchReply> reply = node.testKit().createTestProbe();
        ClusterSharding.get(node.system())
                .entityRefFor(RunEntity.ENTITY_TYPE_KEY, runId)
                .tell(new RunEntity.Dispatch("session-" + runId, "worker-1", worker.ref(), reply.ref()));
        if (!reply.receiveMessage().accepted()) throw new AssertionError("run " + runId + " refused the lease");
        WorkerChannel.Execute execute = worker.expectMessageClass(WorkerChannel.Execute.class);
        if (!execute.runId().equals(runId)) throw new AssertionError("executed " + execute.runId() + ", not " + runId);
        return execute.attemptId();
    }

    /** Leases the run to a throw-away probe and starts the attempt: the run is EXECUTING. */
    public String startExecuting(String runId, TestProbe<WorkerChannel.Message> worker) throws Exception {
        String attemptId = lease(runId, worker);
        node.engine()
                .runs()
                .startAttempt(runId, attemptId)
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
        return attemptId;
    }

    /**
     * Brings the read model up to date with the journal: every tag's events from the start, through the
     * run index projection's own handler (idempotent, so calling it again changes only what changed). The
     * testkit journal has no live tag query, so this stands in for the projection a node runs.
     */
    public void projectRuns() throws Exception {
        RunIndexSettings settings =
                RunIndexSettings.fromConfig(node.system().settings().config());
        RunTable table = new RunTable(node.database().dialect());
        PersistenceTestKitReadJournal journal = PersistenceQuery.get(node.system())
                .getReadJournalFor(PersistenceTestKitReadJournal.class, PersistenceTestKitReadJournal.Identifier());
        for (String tag : settings.tags()) {
            List<EventEnvelope<RunEntity.Event>> envelopes = new ArrayList<>();
            journal.currentEventsByTag(tag, Offset.noOffset())
                    .runForeach(
                            envelope -> envelopes.add(EventEnvelope.create(
                                    envelope.offset(),
                                    envelope.persistenceId(),
                                    envelope.sequenceNr(),
                                    (RunEntity.Event) envelope.event(),
                                    envelope.timestamp())),
                            node.system())
                    .toCompletableFuture()
                    .get(10, TimeUnit.SECONDS);
            if (envelopes.isEmpty()) continue;
            DataSourceJdbcSession session =
                    new DataSourceJdbcSession(node.database().dataSource());
            try {
                new RunIndexHandler(tag, table, settings.wakeRules()).process(session, envelopes);
                session.commit();
            } finally {
                session.close();
            }
        }
    }

    public static JsonNode json(HttpResponse<String> response) throws Exception {
        return new ObjectMapper().readTree(response.body());
    }

    @Override
    public void close() throws Exception {
        binding.terminate(Duration.ofSeconds(5)).toCompletableFuture().get(10, TimeUnit.SECONDS);
        node.close();
    }
}
