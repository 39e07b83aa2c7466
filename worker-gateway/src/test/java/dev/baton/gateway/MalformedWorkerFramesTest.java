package dev.baton.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import akka.http.javadsl.Http;
import akka.http.javadsl.ServerBinding;
import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import dev.baton.engine.common.Ids;
import dev.baton.engine.environment.Environment;
import dev.baton.engine.run.RunState;
import dev.baton.engine.run.RunStatus;
import dev.baton.engine.run.TriggerRequest;
import dev.baton.engine.testkit.TestNode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
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
 * "Bad input never hurts", for the worker protocol: malformed frames from raw WebSocket clients, generated from a
 * printed seed ({@code -Dbaton.malformed.seed=N} replays, {@code -Dbaton.malformed.frames=N} sets how many). Each
 * must be answered as docs/worker-protocol.md says: a protocol error is an {@code error} and a close; a message about
 * an attempt the worker does not hold is {@code rejected}; invalid metadata operations and waits about an attempt it
 * holds are {@code metadataRejected} and {@code suspendRejected}, and the socket stays open. The gateway must never
 * crash: afterwards a well-behaved worker still connects and executes a run.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class MalformedWorkerFramesTest {

    private static final long DEFAULT_SEED = 20_260_301L;
    private static final int DEFAULT_FRAMES = 1_200;
    private static final int CONNECTIONS = 4;
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final int DEEP = 10_000;
    /** The gateway's baton.gateway.max-message-size, in characters. */
    private static final int MAX_MESSAGE = 192 * 1024;
    /** Tasks the storm's workers declare: no run of them is ever triggered, so no execution goes to a storm socket. */
    private static final String STORM_TASK = "storm-task";

    private static final String HELD_TASK = "held-task";
    private static final String HELLO = "{\"type\":\"hello\",\"workerId\":\"w-storm\",\"sdk\":\"malformed/1\","
            + "\"slots\":1,"
            + "\"tasks\":[{\"id\":\"" + STORM_TASK + "\"}]}";

    /** The ways a frame is broken; the test counts each. */
    enum Kind {
        NON_JSON("non-json"),
        BINARY("binary"),
        WRONG_TYPE("wrong-type"),
        UNKNOWN_TYPE("unknown-type"),
        MISSING_FIELD("missing-field"),
        HUGE_NUMBER("huge-number"),
        HUGE_ID("huge-id"),
        DEEP_NESTING("deep-nesting"),
        DUPLICATE_KEY("duplicate-key"),
        UNPAIRED_SURROGATE("unpaired-surrogate"),
        OVERSIZED("oversized"),
        BEFORE_HELLO("before-hello"),
        SECOND_HELLO("second-hello"),
        NOT_HELD("attempt-not-held"),
        INVALID_METADATA("invalid-metadata"),
        INVALID_WAIT("invalid-wait"),
        INVALID_LOGS("invalid-logs");

        final String label;

        Kind(String label) {
            this.label = label;
        }
    }

    /** Where a frame is sent: as a connection's first message, after its hello, or about the attempt it holds. */
    enum Stage {
        FIRST,
        AFTER_HELLO,
        HOLDING
    }

    /** What the protocol answers. */
    enum Answer {
        ERROR_AND_CLOSE,
        REJECTED,
        METADATA_REJECTED,
        SUSPEND_REJECTED
    }

    /**
     * One frame: text, or binary when {@code binary} is set. {@code %ATTEMPT%} in the text is the held attempt's id.
     */
    record Frame(long number, Kind kind, Stage stage, String text, byte[] binary, Answer expected) {
        String describe() {
            String shown = binary != null
                    ? "(binary, " + binary.length + " bytes)"
                    : text.length() > 160 ? text.substring(0, 160) + "…(" + text.length() + " chars)" : text;
            return "#" + number + " " + kind.label + " " + stage + ": " + shown;
        }
    }

    private static TestNode node;
    private static ServerBinding binding;
    private static int port;
    private static Environment environment;
    private static String token;

    @BeforeAll
    static void start() throws Exception {
        node = TestNode.start("malformed-frames", ConfigFactory.empty());
        WorkerGateway gateway = new WorkerGateway(node.system(), node.engine(), node.directory());
        binding = Http.get(node.system())
                .newServerAt("127.0.0.1", 0)
                .bind(gateway.route())
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
        port = binding.localAddress().getPort();
        token = "bw_dev_" + Ids.random(32);
        environment = node.createEnvironment("p" + Ids.random(10), "dev", "tr_dev_" + Ids.random(32), token);
    }

    @AfterAll
    static void stop() throws Exception {
        if (binding != null) binding.unbind().toCompletableFuture().get(10, TimeUnit.SECONDS);
        if (node != null) node.close();
    }

    @Test
    void malformedFramesAreAnsweredAsTheProtocolSaysAndTheGatewayKeepsServing() throws Exception {
        long seed = Long.getLong("baton.malformed.seed", DEFAULT_SEED);
        int total = Integer.getInteger("baton.malformed.frames", DEFAULT_FRAMES);
        System.out.println(
                "MalformedWorkerFramesTest: seed " + seed + " (replay with -Dbaton.malformed.seed=" + seed + ")");
        FrameGenerator generator = new FrameGenerator(seed);
        List<Frame> frames = new ArrayList<>();
        Map<Kind, AtomicInteger> tried = new EnumMap<>(Kind.class);
        for (Kind kind : Kind.values()) tried.put(kind, new AtomicInteger());
        for (int i = 0; i < total; i++) {
            Frame frame = generator.next();
            frames.add(frame);
            tried.get(frame.kind()).incrementAndGet();
        }
        Problems problems = new Problems();
        long started = System.nanoTime();

        // Frames that end their connection get one each, several at a time. Frames about an attempt the worker
        // holds go one after the other: each needs a run of its own executing.
        ExecutorService connections = Executors.newFixedThreadPool(CONNECTIONS);
        try {
            List<Callable<Void>> closing = new ArrayList<>();
            for (Frame frame : frames) {
                if (frame.expected() == Answer.ERROR_AND_CLOSE && frame.stage() != Stage.HOLDING) {
                    closing.add(() -> {
                        problems.check(frame, sendOnItsOwnConnection(frame));
                        return null;
                    });
                }
            }
            connections.invokeAll(closing);
            // Rejections keep the socket open: a few helloed workers take all of them, in turn.
            List<List<Frame>> rejected = new ArrayList<>();
            for (int i = 0; i < CONNECTIONS; i++) rejected.add(new ArrayList<>());
            int next = 0;
            for (Frame frame : frames) {
                if (frame.expected() == Answer.REJECTED)
                    rejected.get(next++ % CONNECTIONS).add(frame);
            }
            List<Callable<Void>> rejecting = new ArrayList<>();
            for (List<Frame> share : rejected) {
                rejecting.add(() -> {
                    sendOnOneHelloedConnection(share, problems);
                    return null;
                });
            }
            connections.invokeAll(rejecting);
        } finally {
            connections.shutdownNow();
        }
        sendAboutAHeldAttempt(
                frames.stream().filter(frame -> frame.stage() == Stage.HOLDING).toList(), problems);

        double seconds = (System.nanoTime() - started) / 1e9;
        System.out.printf(
                Locale.ROOT,
                "malformed worker frames tried: %d (%s) in %.1f s, seed %d%n",
                total,
                tried.entrySet().stream()
                        .map(entry ->
                                entry.getKey().label + " " + entry.getValue().get())
                        .collect(Collectors.joining(", ")),
                seconds,
                seed);
        problems.failIfAny(seed);
        for (Map.Entry<Kind, AtomicInteger> kind : tried.entrySet()) {
            assertTrue(kind.getValue().get() > 0 || total < Kind.values().length, "never tried " + kind.getKey().label);
        }
        aWellBehavedWorkerStillExecutesARun();
    }

    // ---------------------------------------------------------------- sending

    /** What the gateway did after the frame: its next message (if any) and whether it closed the socket. */
    private record Reaction(JsonNode message, boolean closed, String failure) {}

    private static Reaction sendOnItsOwnConnection(Frame frame) {
        try (RawWorker worker = RawWorker.connect(port, token)) {
            if (frame.stage() == Stage.AFTER_HELLO) {
                worker.send(HELLO);
                worker.expect("welcome");
            }
            return sendAndWatch(worker, frame, frame.text());
        } catch (Exception e) {
            return new Reaction(null, false, "the connection failed: " + e);
        }
    }

    private static Reaction sendAndWatch(RawWorker worker, Frame frame, String text) throws Exception {
        if (frame.binary() != null) {
            worker.sendBinary(frame.binary());
        } else {
            worker.send(text);
        }
        Optional<JsonNode> message = worker.poll(WAIT);
        // Only an error is followed by a close; after anything else, waiting for one would only cost time.
        boolean closed = frame.expected() == Answer.ERROR_AND_CLOSE
                && message.isPresent()
                && "error".equals(message.get().path("type").asText())
                && worker.awaitClosed(WAIT);
        return new Reaction(message.orElse(null), closed, null);
    }

    private static void sendOnOneHelloedConnection(List<Frame> frames, Problems problems) {
        RawWorker worker = null;
        try {
            for (Frame frame : frames) {
                if (worker == null) worker = RawWorker.connectAndHello(port, token, "w-rejected", 1, tasks(STORM_TASK));
                Reaction reaction = sendAndWatch(worker, frame, frame.text());
                problems.check(frame, reaction);
                if (reaction.message() == null
                        || !"rejected".equals(reaction.message().path("type").asText())) {
                    worker.close(); // whatever happened, the next frame gets a connection in a known state
                    worker = null;
                }
            }
        } catch (Exception e) {
            problems.add("connection", "a helloed connection failed: " + e);
        } finally {
            if (worker != null) worker.close();
        }
    }

    /**
     * One worker holds an executing attempt and gets the frames that leave the socket open, with a heartbeat before
     * each so its lease holds; a frame that closes the socket gets a worker and a run of its own.
     */
    private static void sendAboutAHeldAttempt(List<Frame> frames, Problems problems) throws Exception {
        Holder holder = null;
        try {
            for (Frame frame : frames) {
                if (holder == null) holder = Holder.start();
                holder.worker.send("{\"type\":\"heartbeat\",\"attemptId\":\"" + holder.attemptId + "\"}");
                Reaction reaction =
                        sendAndWatch(holder.worker, frame, frame.text().replace("%ATTEMPT%", holder.attemptId));
                problems.check(frame, reaction, holder.attemptId);
                if (frame.expected() == Answer.ERROR_AND_CLOSE || reaction.message() == null) {
                    holder.worker.close();
                    holder = null;
                }
            }
        } finally {
            if (holder != null) holder.worker.close();
        }
    }

    /** A worker of {@link #HELD_TASK} executing a run of its own (one attempt only, so a lost one never comes back). */
    private record Holder(RawWorker worker, String attemptId) {
        static Holder start() throws Exception {
            RawWorker worker = RawWorker.connectAndHello(port, token, "w-held", 1, tasks(HELD_TASK));
            node.engine()
                    .runs()
                    .trigger(
                            environment.id(),
                            TriggerRequest.builder(HELD_TASK)
                                    .payload("{}", "application/json")
                                    .maxAttempts(1)
                                    .build())
                    .toCompletableFuture()
                    .get(10, TimeUnit.SECONDS);
            String attemptId = worker.expect("execute").path("attemptId").asText();
            worker.send("{\"type\":\"started\",\"attemptId\":\"" + attemptId + "\"}");
            return new Holder(worker, attemptId);
        }
    }

    private static String tasks(String taskId) {
        return "[{\"id\":\"" + taskId + "\"}]";
    }

    // ---------------------------------------------------------------- checking

    /** What went wrong, grouped by kind and reaction, with a few frames of each. */
    private static final class Problems {
        private final Map<String, List<String>> examples = new ConcurrentHashMap<>();
        private final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();

        void check(Frame frame, Reaction reaction) {
            check(frame, reaction, null);
        }

        void check(Frame frame, Reaction reaction, String heldAttempt) {
            String problem = problemWith(frame, reaction, heldAttempt);
            if (problem == null) return;
            String answered = reaction.message() == null
                    ? "nothing"
                    : reaction.message().path("type").asText();
            add(
                    frame.kind().label + " " + frame.stage() + ": expected " + frame.expected() + ", got " + answered,
                    frame.describe() + "\n      → " + problem);
        }

        void add(String group, String example) {
            counts.computeIfAbsent(group, ignored -> new AtomicInteger()).incrementAndGet();
            List<String> list = examples.computeIfAbsent(group, ignored -> new CopyOnWriteArrayList<>());
            if (list.size() < 3) list.add(example);
        }

        void failIfAny(long seed) {
            if (counts.isEmpty()) return;
            StringBuilder report =
                    new StringBuilder("malformed frames were not answered as the protocol says (seed " + seed + "):\n");
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

    private static String problemWith(Frame frame, Reaction reaction, String heldAttempt) {
        if (reaction.failure() != null) return reaction.failure();
        JsonNode message = reaction.message();
        if (message == null) return "no answer within " + WAIT.toSeconds() + " s";
        String type = message.path("type").asText();
        switch (frame.expected()) {
            case ERROR_AND_CLOSE -> {
                if (!type.equals("error") || message.path("message").asText().isBlank()) return "answered " + message;
                if (!reaction.closed()) return "answered an error but left the socket open";
            }
            case REJECTED -> {
                if (!type.equals("rejected") || message.path("reason").asText().isBlank()) return "answered " + message;
                // The answer names the attempt the frame was about (a number is read as its decimal text).
                if (!message.path("attemptId").asText().equals(attemptIdOf(frame))) {
                    return "rejected another attempt: " + message;
                }
            }
            case METADATA_REJECTED, SUSPEND_REJECTED -> {
                String expected = frame.expected() == Answer.METADATA_REJECTED ? "metadataRejected" : "suspendRejected";
                if (!type.equals(expected) || message.path("reason").asText().isBlank()) return "answered " + message;
                if (!message.path("attemptId").asText().equals(heldAttempt)) return "about another attempt: " + message;
            }
        }
        return null;
    }

    /** The attempt id a (well-formed) frame is about, as the gateway reads it. */
    private static String attemptIdOf(Frame frame) {
        try {
            return RawWorker.JSON.readTree(frame.text()).path("attemptId").asText();
        } catch (java.io.IOException e) {
            throw new IllegalStateException("a rejected frame is well-formed JSON: " + frame.describe(), e);
        }
    }

    private static void aWellBehavedWorkerStillExecutesARun() throws Exception {
        try (RawWorker worker = RawWorker.connectAndHello(port, token, "w-good", 2, tasks("hello-world"))) {
            String runId = node.engine()
                    .runs()
                    .trigger(environment.id(), TriggerRequest.of("hello-world", "{\"n\":1}"))
                    .toCompletableFuture()
                    .get(10, TimeUnit.SECONDS)
                    .run()
                    .runId();
            JsonNode execute = worker.expect("execute");
            assertEquals(runId, execute.path("runId").asText());
            String attemptId = execute.path("attemptId").asText();
            worker.send("{\"type\":\"started\",\"attemptId\":\"" + attemptId + "\"}");
            worker.send("{\"type\":\"completed\",\"attemptId\":\"" + attemptId + "\",\"output\":{\"ok\":true}}");
            Instant deadline = Instant.now().plus(WAIT);
            RunState run;
            do {
                run = node.engine()
                        .runs()
                        .get(environment.id(), runId)
                        .toCompletableFuture()
                        .get(10, TimeUnit.SECONDS)
                        .orElseThrow();
                if (run.status() == RunStatus.COMPLETED) break;
                TestNode.sleep(Duration.ofMillis(50));
            } while (Instant.now().isBefore(deadline));
            assertEquals(RunStatus.COMPLETED, run.status(), run.toString());
            assertEquals("{\"ok\":true}", run.outputJson());
        }
    }

    // ---------------------------------------------------------------- the frames

    /** Malformed frames from a seed; kinds take turns. */
    private static final class FrameGenerator {
        private static final List<String> NOT_JSON = List.of(
                "not json",
                "{",
                "",
                "   ",
                "\u0000",
                "{'type':'hello'}",
                "<hello/>",
                "{\"type\":\"hello\",}",
                "[",
                "}{",
                "{\"type\":\"hello\"}{\"type\":\"hello\"}",
                "nul",
                "{\"type\":\"started\",\"attemptId\":\"a\"",
                "{\"type\":\"hello\" \"workerId\":\"w\"}");
        private static final List<String> NOT_OBJECTS =
                List.of("42", "\"hello\"", "true", "null", "[]", "[" + HELLO + "]", "1e400");
        private static final List<String> ABOUT_ATTEMPT =
                List.of("started", "heartbeat", "completed", "failed", "metadata", "step", "suspend");
        private static final List<String> HUGE = List.of(
                "1e400",
                "9223372036854775808",
                "-1",
                "99999999999999999999",
                "0",
                "1001",
                "-9223372036854775809",
                "2147483648");

        private final Random random;
        private long count;

        FrameGenerator(long seed) {
            this.random = new Random(seed);
        }

        Frame next() {
            Kind kind = Kind.values()[(int) (count % Kind.values().length)];
            count++;
            Stage stage = random.nextBoolean() ? Stage.FIRST : Stage.AFTER_HELLO;
            return switch (kind) {
                case NON_JSON -> closing(kind, stage, pick(concat(NOT_JSON, NOT_OBJECTS)));
                case BINARY -> binary(stage);
                case WRONG_TYPE -> wrongType();
                case UNKNOWN_TYPE ->
                    closing(
                            kind,
                            stage,
                            "{\"type\":"
                                    + pick(List.of(
                                            "\"hello2\"",
                                            "\"\"",
                                            "\"HELLO\"",
                                            "\"execute\"",
                                            "\"welcome\"",
                                            "\"Started\"",
                                            "null",
                                            "5",
                                            "{}",
                                            "[\"hello\"]"))
                                    + ",\"attemptId\":\"att_x\"}");
                case MISSING_FIELD -> missingField();
                case HUGE_NUMBER -> closing(kind, Stage.FIRST, hello(pick(HUGE), tasks(STORM_TASK)));
                case HUGE_ID -> hugeId();
                case DEEP_NESTING -> deepNesting();
                case DUPLICATE_KEY -> duplicateKey();
                case UNPAIRED_SURROGATE -> unpairedSurrogate();
                case OVERSIZED ->
                    closing(
                            kind,
                            stage,
                            "{\"type\":\"completed\",\"attemptId\":\"att_x\",\"output\":\""
                                    + "x".repeat(MAX_MESSAGE + random.nextInt(1000)) + "\"}");
                case BEFORE_HELLO ->
                    closing(kind, Stage.FIRST, aboutAttempt(pick(ABOUT_ATTEMPT), "att_" + randomId(12)));
                case SECOND_HELLO -> closing(kind, Stage.AFTER_HELLO, random.nextBoolean() ? HELLO : hello("0", "[]"));
                case NOT_HELD -> rejected(kind, aboutAttempt(pick(ABOUT_ATTEMPT), "att_" + randomId(12)));
                case INVALID_METADATA -> invalidMetadata();
                case INVALID_WAIT -> invalidWait();
                case INVALID_LOGS -> invalidLogs(stage);
            };
        }

        private Frame binary(Stage stage) {
            byte[] data =
                    random.nextBoolean() ? HELLO.getBytes(StandardCharsets.UTF_8) : new byte[1 + random.nextInt(64)];
            if (data.length <= 64) random.nextBytes(data);
            return new Frame(count, Kind.BINARY, stage, null, data, Answer.ERROR_AND_CLOSE);
        }

        private Frame wrongType() {
            if (random.nextInt(3) == 0) {
                // attemptId of a type no string is read from
                String attemptId = pick(List.of("{}", "[]", "[\"att_x\"]", "{\"id\":\"att_x\"}"));
                return closing(
                        Kind.WRONG_TYPE,
                        Stage.AFTER_HELLO,
                        "{\"type\":\"" + pick(ABOUT_ATTEMPT) + "\",\"attemptId\":" + attemptId + ",\"key\":\"k\"}");
            }
            String task = "{\"id\":\"" + STORM_TASK + "\"";
            return closing(
                    Kind.WRONG_TYPE,
                    Stage.FIRST,
                    pick(List.of(
                            "{\"type\":\"hello\",\"workerId\":{},\"sdk\":\"s\",\"slots\":1,\"tasks\":"
                                    + tasks(STORM_TASK) + "}",
                            "{\"type\":\"hello\",\"workerId\":[\"w\"],\"sdk\":\"s\",\"slots\":1,\"tasks\":"
                                    + tasks(STORM_TASK) + "}",
                            hello("\"two\"", tasks(STORM_TASK)),
                            hello("true", tasks(STORM_TASK)),
                            hello("{}", tasks(STORM_TASK)),
                            hello("[1]", tasks(STORM_TASK)),
                            hello("1", "\"" + STORM_TASK + "\""),
                            hello("1", "5"),
                            hello("1", "{}"),
                            hello("1", "[5]"),
                            hello("1", "[null]"),
                            hello("1", "[\"" + STORM_TASK + "\"]"),
                            hello("1", "[" + task + ",\"queue\":5}]"),
                            hello("1", "[" + task + ",\"retry\":\"fast\"}]"),
                            hello("1", "[" + task + ",\"queue\":{\"name\":\"q\",\"concurrencyLimit\":\"many\"}}]"),
                            hello("1", "[" + task + ",\"maxDurationSeconds\":{}}]"))));
        }

        /** A {@code logs} message whose lines break a rule: a protocol error, wherever it comes. */
        private Frame invalidLogs(Stage stage) {
            String fine = "\"attemptId\":\"att_x\",\"timestamp\":\"2026-12-06T10:00:00Z\",\"level\":\"info\"";
            return closing(
                    Kind.INVALID_LOGS,
                    stage,
                    "{\"type\":\"logs\""
                            + pick(List.of(
                                    "",
                                    ",\"lines\":null",
                                    ",\"lines\":[]",
                                    ",\"lines\":\"line\"",
                                    ",\"lines\":[[]]",
                                    ",\"lines\":[{" + fine + "}]",
                                    ",\"lines\":[{" + fine + ",\"message\":{}}]",
                                    ",\"lines\":[{" + fine.replace("info", "notice") + ",\"message\":\"m\"}]",
                                    ",\"lines\":[{" + fine.replace("att_x", "") + ",\"message\":\"m\"}]",
                                    ",\"lines\":[{" + fine.replace("2026-12-06T10:00:00Z", "2026-12-06")
                                            + ",\"message\":\"m\"}]",
                                    ",\"lines\":[{" + fine + ",\"message\":\"m\",\"attributes\":\"a\"}]",
                                    ",\"lines\":[{" + fine + ",\"message\":\"m\",\"error\":{\"name\":[1]}}]",
                                    ",\"lines\":[" + ("{" + fine + ",\"message\":\"m\"},").repeat(1000) + "{" + fine
                                            + ",\"message\":\"m\"}]"))
                            + "}");
        }

        private Frame missingField() {
            if (random.nextBoolean()) {
                // A message about an attempt without one, or a step without a key: protocol errors, not rejections.
                String type = pick(ABOUT_ATTEMPT);
                String frame = random.nextBoolean()
                        ? "{\"type\":\"" + type + "\"}"
                        : "{\"type\":\"" + type + "\",\"attemptId\":\"" + pick(List.of("", "   ")) + "\"}";
                if (random.nextInt(4) == 0)
                    frame = "{\"type\":\"step\",\"attemptId\":\"att_x\""
                            + pick(List.of(
                                    "", ",\"key\":\"\"", ",\"key\":null", ",\"key\":\"" + "k".repeat(257) + "\""))
                            + "}";
                return closing(Kind.MISSING_FIELD, Stage.AFTER_HELLO, frame);
            }
            return closing(
                    Kind.MISSING_FIELD,
                    Stage.FIRST,
                    pick(List.of(
                            "{\"type\":\"hello\",\"sdk\":\"s\",\"slots\":1,\"tasks\":" + tasks(STORM_TASK) + "}",
                            "{\"type\":\"hello\",\"workerId\":\"w\",\"sdk\":\"s\",\"tasks\":" + tasks(STORM_TASK) + "}",
                            "{\"type\":\"hello\",\"workerId\":\"w\",\"sdk\":\"s\",\"slots\":1}",
                            "{\"type\":\"hello\",\"workerId\":\" \",\"sdk\":\"s\",\"slots\":1,\"tasks\":"
                                    + tasks(STORM_TASK) + "}",
                            hello("1", "[]"),
                            hello("1", "[{}]"),
                            hello("1", "[{\"queue\":{\"name\":\"q\"}}]"),
                            "{\"workerId\":\"w\",\"sdk\":\"s\",\"slots\":1,\"tasks\":" + tasks(STORM_TASK) + "}")));
        }

        private Frame hugeId() {
            String id = randomId(random.nextInt(4) == 0 ? 100_000 : 1_000);
            return switch (random.nextInt(4)) {
                // A task id far past the 128 characters a task id may have.
                case 0 -> closing(Kind.HUGE_ID, Stage.FIRST, hello("1", tasks(id)));
                case 1 ->
                    closing(
                            Kind.HUGE_ID,
                            Stage.AFTER_HELLO,
                            "{\"type\":\"step\",\"attemptId\":\"att_x\",\"key\":\"" + id + "\"}");
                default -> rejected(Kind.HUGE_ID, aboutAttempt(pick(ABOUT_ATTEMPT), id));
            };
        }

        /** Ten thousand levels: unread, in a field the protocol ignores, or in an output that would be written back. */
        private Frame deepNesting() {
            String deep = "[".repeat(DEEP) + "]".repeat(DEEP);
            if (random.nextInt(8) == 0) {
                return new Frame(
                        count,
                        Kind.DEEP_NESTING,
                        Stage.HOLDING,
                        "{\"type\":\"completed\",\"attemptId\":\"%ATTEMPT%\"," + "\"output\":" + deep + "}",
                        null,
                        Answer.ERROR_AND_CLOSE);
            }
            return switch (random.nextInt(4)) {
                case 0 ->
                    closing(
                            Kind.DEEP_NESTING,
                            Stage.FIRST,
                            HELLO.replace("{\"type\"", "{\"extra\":" + deep + ",\"type\""));
                case 1 ->
                    closing(
                            Kind.DEEP_NESTING,
                            Stage.AFTER_HELLO,
                            "{\"type\":\"completed\",\"attemptId\":\"att_x\"," + "\"output\":" + deep + "}");
                case 2 ->
                    closing(
                            Kind.DEEP_NESTING,
                            Stage.AFTER_HELLO,
                            "{\"type\":\"metadata\",\"attemptId\":\"att_x\","
                                    + "\"operations\":[{\"type\":\"set\",\"key\":\"k\",\"value\":" + deep + "}]}");
                default -> closing(Kind.DEEP_NESTING, Stage.FIRST, deep);
            };
        }

        private Frame duplicateKey() {
            if (random.nextInt(8) == 0) {
                return new Frame(
                        count,
                        Kind.DUPLICATE_KEY,
                        Stage.HOLDING,
                        "{\"type\":\"completed\",\"attemptId\":\"%ATTEMPT%\",\"output\":{\"a\":1,\"a\":2}}",
                        null,
                        Answer.ERROR_AND_CLOSE);
            }
            return pick(List.of(
                    closing(Kind.DUPLICATE_KEY, Stage.FIRST, HELLO.replace("\"slots\":1", "\"slots\":1,\"slots\":2")),
                    closing(
                            Kind.DUPLICATE_KEY,
                            Stage.FIRST,
                            HELLO.replace("{\"type\":\"hello\"", "{\"type\":\"started\",\"type\":\"hello\"")),
                    closing(
                            Kind.DUPLICATE_KEY,
                            Stage.AFTER_HELLO,
                            "{\"type\":\"heartbeat\",\"attemptId\":\"att_x\"," + "\"attemptId\":\"att_y\"}"),
                    closing(
                            Kind.DUPLICATE_KEY,
                            Stage.AFTER_HELLO,
                            "{\"type\":\"completed\",\"type\":\"failed\"," + "\"attemptId\":\"att_x\"}")));
        }

        /** Valid JSON, yet no text: a surrogate escaped alone, in a hello, in a message, or in an output. */
        private Frame unpairedSurrogate() {
            String lone = pick(List.of("\\uD800", "\\uDC00", "\\uDBFFx", "\\uDFFF\\uD800"));
            if (random.nextInt(6) == 0) {
                return new Frame(
                        count,
                        Kind.UNPAIRED_SURROGATE,
                        Stage.HOLDING,
                        "{\"type\":\"completed\"," + "\"attemptId\":\"%ATTEMPT%\",\"output\":\"a" + lone + "b\"}",
                        null,
                        Answer.ERROR_AND_CLOSE);
            }
            return random.nextBoolean()
                    ? closing(Kind.UNPAIRED_SURROGATE, Stage.FIRST, HELLO.replace("w-storm", "w-" + lone))
                    : closing(
                            Kind.UNPAIRED_SURROGATE,
                            Stage.AFTER_HELLO,
                            "{\"type\":\"failed\",\"attemptId\":\"att_x\"," + "\"error\":{\"message\":\"" + lone
                                    + "\"}}");
        }

        private Frame invalidMetadata() {
            String operations = pick(List.of(
                    "[]",
                    "\"set\"",
                    "{}",
                    "5",
                    "null",
                    "[{\"type\":\"multiply\",\"key\":\"k\"}]",
                    "[{\"type\":\"set\"}]",
                    "[{\"type\":\"set\",\"key\":\"__proto__\",\"value\":1}]",
                    "[{\"key\":\"k\"}]",
                    "[{\"type\":\"increment\",\"key\":\"k\",\"value\":\"one\"}]",
                    "[{\"type\":\"update\",\"value\":[1]}]",
                    "[{\"type\":\"set\",\"key\":\"$..a\",\"value\":1}]",
                    "[5]",
                    "[{\"type\":\"SET\",\"key\":\"k\",\"value\":1}]",
                    "[" + "{\"type\":\"delete\",\"key\":\"k\"},".repeat(100) + "{\"type\":\"delete\",\"key\":\"k\"}]"));
            return new Frame(
                    count,
                    Kind.INVALID_METADATA,
                    Stage.HOLDING,
                    "{\"type\":\"metadata\",\"attemptId\":\"%ATTEMPT%\",\"requestId\":\"m" + count
                            + "\",\"operations\":" + operations + "}",
                    null,
                    Answer.METADATA_REJECTED);
        }

        private Frame invalidWait() {
            String keyAndWait = pick(List.of(
                    "\"key\":\"w1\",\"wait\":{\"type\":\"sleep\"}",
                    "\"key\":\"w1\",\"wait\":{\"type\":\"duration\"}",
                    "\"key\":\"w1\",\"wait\":{\"type\":\"duration\",\"until\":\"not-a-date\"}",
                    "\"key\":\"w1\",\"wait\":{\"type\":\"duration\",\"until\":\"2025-13-45T00:00:00Z\"}",
                    "\"key\":\"w1\",\"wait\":{\"type\":\"duration\",\"until\":12345}",
                    "\"key\":\"w1\",\"wait\":\"1h\"",
                    "\"key\":\"w1\",\"wait\":{\"type\":\"runs\",\"items\":[]}",
                    "\"key\":\"w1\",\"wait\":{\"type\":\"runs\"}",
                    "\"key\":\"w1\",\"wait\":{\"type\":\"runs\",\"items\":[{\"task\":\"a\"},{\"task\":\"b\"}]}",
                    "\"key\":\"w1\",\"wait\":{\"type\":\"runs\",\"batch\":\"yes\",\"items\":[{\"task\":\"a\"}]}",
                    "\"key\":\"w1\",\"wait\":{\"type\":\"runs\",\"items\":[{\"task\":\"bad task id\"}]}",
                    "\"key\":\"w1\",\"wait\":{\"type\":\"token\"}",
                    "\"key\":\"w1\",\"wait\":{\"type\":\"token\",\"tokenId\":5}",
                    "\"key\":\"\",\"wait\":{\"type\":\"duration\",\"until\":\"2030-01-01T00:00:00Z\"}",
                    "\"key\":5,\"wait\":{\"type\":\"duration\",\"until\":\"2030-01-01T00:00:00Z\"}",
                    "\"key\":\"" + "k".repeat(257)
                            + "\",\"wait\":{\"type\":\"duration\",\"until\":\"2030-01-01T00:00:00Z\"}",
                    "\"key\":\"w1\""));
            return new Frame(
                    count,
                    Kind.INVALID_WAIT,
                    Stage.HOLDING,
                    "{\"type\":\"suspend\",\"attemptId\":\"%ATTEMPT%\"," + keyAndWait + "}",
                    null,
                    Answer.SUSPEND_REJECTED);
        }

        private static String hello(String slots, String tasks) {
            return "{\"type\":\"hello\",\"workerId\":\"w-storm\",\"sdk\":\"malformed/1\",\"slots\":" + slots
                    + ",\"tasks\":" + tasks + "}";
        }

        /** A well-formed message of the type about the attempt. */
        private static String aboutAttempt(String type, String attemptId) {
            String rest = switch (type) {
                case "completed" -> ",\"output\":{\"ok\":true}";
                case "failed" -> ",\"error\":{\"message\":\"boom\"},\"retryable\":false";
                case "metadata" -> ",\"operations\":[{\"type\":\"set\",\"key\":\"k\",\"value\":1}]";
                case "step" -> ",\"key\":\"s1\",\"output\":1";
                case "suspend" -> ",\"key\":\"w1\",\"wait\":{\"type\":\"duration\",\"until\":\"2030-01-01T00:00:00Z\"}";
                default -> "";
            };
            return "{\"type\":\"" + type + "\",\"attemptId\":\"" + attemptId + "\"" + rest + "}";
        }

        private Frame closing(Kind kind, Stage stage, String text) {
            return new Frame(count, kind, stage, text, null, Answer.ERROR_AND_CLOSE);
        }

        private Frame rejected(Kind kind, String text) {
            return new Frame(count, kind, Stage.AFTER_HELLO, text, null, Answer.REJECTED);
        }

        private <T> T pick(List<T> choices) {
            return choices.get(random.nextInt(choices.size()));
        }

        private String randomId(int length) {
            StringBuilder id = new StringBuilder(length);
            for (int i = 0; i < length; i++) id.append((char) ('a' + random.nextInt(26)));
            return id.toString();
        }

        private static <T> List<T> concat(List<T> first, List<T> second) {
            List<T> all = new ArrayList<>(first);
            all.addAll(second);
            return all;
        }
    }
}
