package dev.baton.loadtest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The fault suite's clients: {@code clients} threads, each triggering a seeded mix of runs over HTTP until
 * stopped — immediate, delayed by seconds and by an hour, executing for a while, flaky, durably waiting,
 * parents of child runs, and v3 batches. Half the single triggers carry an idempotency key and are sent again
 * until answered, as a careful client would; the others are sent once. It keeps what the invariant checker
 * needs: every run id answered 2xx, the calls that got no answer (their runs may or may not exist), and every
 * answer's status, so a test can assert that a refused trigger was refused clearly (503 while the store is down,
 * 504 when the node could not confirm a write).
 *
 * <p>Given several nodes' URLs, client {@code i} starts on node {@code i mod n} and moves to the next node after a
 * call that got no answer or a 503, as a client behind a list of nodes would. In {@linkplain #retryingEveryCall
 * retrying mode} every call is sent again until answered 2xx, each under its own {@code
 * x-trigger-request-idempotency-key} as the SDK sends it, so a repeat never triggers twice.
 */
final class FaultLoad implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration KEYED_RETRY_FOR = Duration.ofSeconds(120);

    private final List<URI> urls;
    /** The index in {@link #urls} each client thread sends to now. */
    private final ThreadLocal<int[]> target = ThreadLocal.withInitial(() -> new int[] {0});

    private boolean retryEveryCall;
    private final AtomicLong givenUp = new AtomicLong();
    private final String authorization;
    private final long seed;
    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final List<Thread> threads = new ArrayList<>();
    private final Set<String> singleRunIds = ConcurrentHashMap.newKeySet();
    private final Set<String> batchRunIds = ConcurrentHashMap.newKeySet();
    private final Set<String> pendingRunIds = ConcurrentHashMap.newKeySet();
    private final Set<String> batchIds = ConcurrentHashMap.newKeySet();
    private final AtomicLong acceptedBatchItems = new AtomicLong();
    private final AtomicLong unanswered = new AtomicLong();
    private final Map<String, AtomicLong> answers = new ConcurrentHashMap<>();
    private final List<String> unclearRefusals = java.util.Collections.synchronizedList(new ArrayList<>());

    FaultLoad(URI url, String secretKey, long seed) {
        this(List.of(url), secretKey, seed);
    }

    FaultLoad(List<URI> urls, String secretKey, long seed) {
        this.urls = List.copyOf(urls);
        this.authorization = "Bearer " + secretKey;
        this.seed = seed;
    }

    /** Sends every call again until it is answered 2xx (each with a request idempotency key); before {@link #start}. */
    FaultLoad retryingEveryCall() {
        this.retryEveryCall = true;
        return this;
    }

    /** Starts {@code clients} threads. */
    FaultLoad start(int clients) {
        for (int client = 0; client < clients; client++) {
            Random random = new Random(seed * 1_000 + client);
            int id = client;
            Thread thread = new Thread(() -> loop(id, random), "fault-client-" + client);
            thread.setDaemon(true);
            threads.add(thread);
            thread.start();
        }
        return this;
    }

    /** Stops the clients after their current call (a keyed one may still be retrying, for up to two minutes). */
    void stop() throws InterruptedException {
        running.set(false);
        for (Thread thread : threads)
            thread.join(KEYED_RETRY_FOR.plusSeconds(10).toMillis());
    }

    private void loop(int client, Random random) {
        target.get()[0] = client % urls.size();
        long n = 0;
        while (running.get()) {
            try {
                int roll = random.nextInt(100);
                if (roll < 10) batch(random);
                else single(random, roll, random.nextBoolean() ? "fault-" + seed + "-" + client + "-" + n : null);
                n++;
                Thread.sleep(random.nextInt(20));
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void single(Random random, int roll, String idempotencyKey) throws InterruptedException {
        String task;
        String payload;
        String options = "";
        boolean pending = false;
        if (roll < 45) {
            task = FaultTasks.NOOP;
            payload = "{}";
        } else if (roll < 55) {
            task = FaultTasks.NOOP;
            payload = "{}";
            options = "\"delay\":\"" + (1 + random.nextInt(4)) + "s\"";
        } else if (roll < 57) {
            task = FaultTasks.NOOP;
            payload = "{}";
            options = "\"delay\":\"1h\"";
            pending = true;
        } else if (roll < 67) {
            task = FaultTasks.SLEEP;
            payload = "{\"ms\":" + (300 + random.nextInt(1200)) + "}";
        } else if (roll < 77) {
            task = FaultTasks.WAIT;
            payload = "{\"seconds\":" + (2 + random.nextInt(2)) + "}";
        } else if (roll < 85) {
            task = FaultTasks.PARENT;
            payload = "{}";
        } else {
            task = FaultTasks.FLAKY;
            payload = "{}";
        }
        if (idempotencyKey != null)
            options += (options.isEmpty() ? "" : ",") + "\"idempotencyKey\":\"" + idempotencyKey + "\"";
        String body = "{\"payload\":" + payload + (options.isEmpty() ? "" : ",\"options\":{" + options + "}") + "}";
        JsonNode answer = send("/api/v1/tasks/" + task + "/trigger", "application/json", body, idempotencyKey != null);
        if (answer != null) {
            String runId = answer.path("id").asText();
            singleRunIds.add(runId);
            if (pending) pendingRunIds.add(runId);
        }
    }

    /**
     * Triggers one run of {@code task} from the calling thread, sent once and counted like the mix's runs (so a
     * scenario's own runs are in the checker's expectation); its run id, or null when it was not accepted.
     */
    String trigger(String task, String payloadJson) throws InterruptedException {
        JsonNode answer = send(
                "/api/v1/tasks/" + task + "/trigger", "application/json", "{\"payload\":" + payloadJson + "}", false);
        if (answer == null) return null;
        String runId = answer.path("id").asText();
        singleRunIds.add(runId);
        return runId;
    }

    private void batch(Random random) throws InterruptedException {
        int count = 5 + random.nextInt(11);
        JsonNode created = send("/api/v3/batches", "application/json", "{\"runCount\":" + count + "}", false);
        if (created == null) return;
        StringBuilder items = new StringBuilder();
        for (int index = 0; index < count; index++) {
            items.append("{\"index\":")
                    .append(index)
                    .append(",\"task\":\"")
                    .append(FaultTasks.NOOP)
                    .append("\",\"payload\":\"{}\"}\n");
        }
        String batchId = created.path("id").asText();
        Sent itemsCall = call("/api/v3/batches/" + batchId + "/items", "application/x-ndjson", items.toString(), false);
        JsonNode sent = itemsCall.answer();
        if (sent == null) {
            // call() counted a call that may have stored something once: its items may each exist or not. After a
            // 503 or 429, none may.
            if (itemsCall.maybeStored()) unanswered.addAndGet(count - 1);
            return;
        }
        // A repeat of a send that stored the items (its answer lost) finds them there: deduplicated, not accepted.
        int stored = sent.path("itemsAccepted").asInt()
                + sent.path("itemsDeduplicated").asInt();
        if (!sent.path("sealed").asBoolean() || stored != count) {
            unclearRefusals.add("batch " + batchId + " answered " + sent + " for " + count + " items");
            return;
        }
        batchIds.add(batchId);
        acceptedBatchItems.addAndGet(count);
    }

    /**
     * Sends once, or, when {@code retry}, again until answered 2xx (the same idempotency key makes a repeat safe).
     * Returns the 2xx answer, or null. A call that may have stored its run without a 2xx (no answer, or a 504: the node
     * could not confirm whether it stored it) is counted as unanswered; a 503 or 429 promises nothing was stored. An
     * answer that is not 2xx must be one of those three with an error body: anything else is an unclear refusal.
     */
    private JsonNode send(String path, String contentType, String body, boolean retry) throws InterruptedException {
        return call(path, contentType, body, retry).answer();
    }

    /** A call's 2xx answer (null if none), and whether it may have stored something all the same. */
    private record Sent(JsonNode answer, boolean maybeStored) {}

    /** As {@link #send}, saying whether a call without a 2xx may have stored something. */
    private Sent call(String path, String contentType, String body, boolean retry) throws InterruptedException {
        retry = retry || retryEveryCall;
        String requestKey = retryEveryCall ? java.util.UUID.randomUUID().toString() : null;
        Instant giveUp = Instant.now().plus(KEYED_RETRY_FOR);
        boolean maybeStored = false;
        while (true) {
            int[] node = target.get();
            HttpRequest.Builder builder = HttpRequest.newBuilder(
                            urls.get(node[0]).resolve(path))
                    .timeout(Duration.ofSeconds(30))
                    .header("Authorization", authorization)
                    .header("Content-Type", contentType);
            if (requestKey != null) builder.header("x-trigger-request-idempotency-key", requestKey);
            HttpRequest request =
                    builder.POST(HttpRequest.BodyPublishers.ofString(body)).build();
            try {
                HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
                int status = response.statusCode();
                answers.computeIfAbsent(String.valueOf(status), s -> new AtomicLong())
                        .incrementAndGet();
                if (status / 100 == 2) return new Sent(JSON.readTree(response.body()), true);
                if (status == 504) maybeStored = true;
                if (status == 503) node[0] = (node[0] + 1) % urls.size();
                boolean clear = (status == 503 || status == 504 || status == 429)
                        && response.body().contains("\"error\"");
                if (!clear) unclearRefusals.add(path + " answered " + status + ": " + response.body());
            } catch (IOException e) {
                answers.computeIfAbsent("no answer", s -> new AtomicLong()).incrementAndGet();
                maybeStored = true;
                node[0] = (node[0] + 1) % urls.size();
            }
            // A keyed call that gives up counts once, if any of its sends may have stored the run (a later 503 does not
            // undo an earlier send that went unanswered).
            if (!retry || Instant.now().isAfter(giveUp)) {
                givenUp.incrementAndGet();
                if (maybeStored) unanswered.incrementAndGet();
                return new Sent(null, maybeStored);
            }
            Thread.sleep(250);
        }
    }

    /**
     * Reads the run ids of the accepted batches' items (the items call answers with counts only). A 503 is a refusal
     * to retry, as the load's own calls take it (right after a node rejoined, the batch may still be moving back to
     * it): the read is sent again for up to a minute; any other answer but 200 means the batch was lost.
     */
    void resolveBatchRuns() throws IOException, InterruptedException {
        batchRunIds.clear();
        for (String batchId : batchIds) {
            HttpResponse<String> response = readBatch(batchId);
            for (long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                    response.statusCode() == 503 && System.nanoTime() < deadline; ) {
                Thread.sleep(1_000);
                response = readBatch(batchId);
            }
            if (response.statusCode() != 200) {
                throw new IllegalStateException("batch " + batchId + " was accepted, now answers "
                        + response.statusCode() + ": " + response.body());
            }
            for (JsonNode run : JSON.readTree(response.body()).path("runs")) batchRunIds.add(run.asText());
        }
    }

    /** GET of the batch from the first node that takes the connection. */
    private HttpResponse<String> readBatch(String batchId) throws IOException, InterruptedException {
        HttpResponse<String> response = null;
        for (int node = 0; response == null; node++) {
            HttpRequest request = HttpRequest.newBuilder(urls.get(node).resolve("/api/v2/batches/" + batchId))
                    .timeout(Duration.ofSeconds(30))
                    .header("Authorization", authorization)
                    .GET()
                    .build();
            try {
                response = http.send(request, HttpResponse.BodyHandlers.ofString());
            } catch (java.net.ConnectException gone) {
                // a node killed or stopped by the scenario: ask the next one
                if (node == urls.size() - 1) throw gone;
            }
        }
        return response;
    }

    /**
     * What the checker expects, given the worker's handler starts and how often the node was killed; after
     * {@link #resolveBatchRuns}, so the batch items' run ids are among the accepted ones.
     */
    InvariantChecker.Expectation expectation(Instant since, Map<String, Integer> executions, int nodeCrashes) {
        Set<String> accepted = new java.util.HashSet<>(singleRunIds);
        accepted.addAll(batchRunIds);
        return new InvariantChecker.Expectation(
                since,
                singleRunIds.size() + acceptedBatchItems.get(),
                unanswered.get(),
                accepted,
                executions,
                FaultTasks.ALL,
                Set.copyOf(pendingRunIds),
                nodeCrashes);
    }

    /** Runs answered 2xx so far (batch items counted as they were accepted). */
    long acceptedSoFar() {
        return singleRunIds.size() + acceptedBatchItems.get();
    }

    /** Calls that ended without a 2xx: sent once and refused or unanswered, or retried until the retries ran out. */
    long failedCalls() {
        return givenUp.get();
    }

    /** Answers other than 2xx, and sends that got no answer, over every send including retries. */
    long refusedSends() {
        long refused = 0;
        for (Map.Entry<String, AtomicLong> answer : answers.entrySet())
            if (!answer.getKey().startsWith("2")) refused += answer.getValue().get();
        return refused;
    }

    List<String> unclearRefusals() {
        return List.copyOf(unclearRefusals);
    }

    long answered(int status) {
        AtomicLong count = answers.get(String.valueOf(status));
        return count == null ? 0 : count.get();
    }

    String summary() {
        Map<String, Long> sorted = new TreeMap<>();
        answers.forEach((status, count) -> sorted.put(status, count.get()));
        return "runs accepted " + (singleRunIds.size() + acceptedBatchItems.get()) + " (" + acceptedBatchItems.get()
                + " as batch items in "
                + batchIds.size() + " batches, " + pendingRunIds.size()
                + " delayed by an hour), calls without an answer "
                + unanswered.get() + ", answers " + sorted;
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }
}
