package dev.baton.sdk.worker;

import dev.baton.sdk.internal.Backoff;
import dev.baton.sdk.internal.NodeRotation;
import dev.baton.sdk.internal.WorkerMessages.Hello;
import dev.baton.sdk.internal.WorkerMessages.TaskDeclaration;
import dev.baton.sdk.task.Task;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A worker process's connection to Baton: it declares its tasks to a node's worker gateway over a
 * WebSocket and runs the executions it is sent, at most {@code slots} at a time.
 *
 * <pre>{@code
 * try (BatonWorker worker = BatonWorker.builder(URI.create("http://127.0.0.1:8080"), token)
 *         .register(helloWorld)
 *         .build()) {
 *     worker.start();
 *     ...
 * }
 * }</pre>
 *
 * <p>{@link #start()} connects in the background and keeps reconnecting, with backoff, whenever
 * the connection fails or drops; executions running when a connection drops are interrupted,
 * because the server has already given them to another attempt. Given several nodes' URLs
 * ({@link #builder(List, String)}), it connects to the first and, when a connection fails or drops,
 * tries the next one, so a worker follows the cluster when a node stops; a node that failed in the
 * last 30 s is tried after the others. A connection silent for longer than the idle timeout (nodes
 * ping idle ones) counts as dropped. {@link #close()} stops
 * gracefully; {@link #kill()} stops like a crashed process. Implements
 * docs/worker-protocol.md.
 */
public final class BatonWorker implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(BatonWorker.class);

    static final String SDK_NAME = "baton-java/0.1.0";
    private static final String CONNECT_PATH = "/api/v1/workers/connect";
    /** How long a node that failed is tried after the others. */
    static final Duration NODE_FAILURE_MEMORY = Duration.ofSeconds(30);

    private final NodeRotation nodes;
    private final String workerToken;
    private final String workerId;
    private final int slots;
    private final Map<String, Task<?, ?>> tasks;
    /** The version of the task set this worker serves, as its hello names it. */
    private final String version;

    private final Duration minBackoff;
    private final Duration maxBackoff;
    private final Duration connectTimeout;
    private final Duration idleTimeout;
    private final Duration shutdownGracePeriod;
    private final Duration startedDelay;
    private final RunningAttempt.Settings attemptSettings;
    private final LogShipper logs;
    private final Duration logFlushInterval;

    private final HttpClient http;
    /** Runs handlers; sized to the slots declared, since the gateway never sends more than that. */
    private final ThreadPoolExecutor handlers;

    private final ScheduledExecutorService heartbeats;

    /** Guards the lifecycle fields below and is the monitor {@link #awaitConnected} waits on. */
    private final Object lifecycle = new Object();

    private Thread connector;
    private Session session;
    private boolean stopping;
    private boolean killed;

    private BatonWorker(Builder builder) {
        this.nodes = new NodeRotation(builder.serverUrls, NODE_FAILURE_MEMORY);
        this.workerToken = builder.workerToken;
        this.workerId = builder.workerId != null
                ? builder.workerId
                : "worker-" + UUID.randomUUID().toString().substring(0, 8);
        this.slots = builder.slots;
        // keeps registration order, so hello declares tasks in the order the code lists them
        this.tasks = Collections.unmodifiableMap(new LinkedHashMap<>(builder.tasks));
        this.version = builder.version != null ? builder.version : contentVersion(tasks.values());
        this.minBackoff = builder.minBackoff;
        this.maxBackoff = builder.maxBackoff;
        this.connectTimeout = builder.connectTimeout;
        this.idleTimeout = builder.idleTimeout;
        this.shutdownGracePeriod = builder.shutdownGracePeriod;
        this.startedDelay = builder.startedDelay;
        this.attemptSettings = new RunningAttempt.Settings(
                builder.metadataTimeout, builder.durableCallTimeout, builder.shortWaitThreshold);
        this.http = HttpClient.newBuilder().connectTimeout(connectTimeout).build();
        this.handlers = new ThreadPoolExecutor(
                slots,
                slots,
                0,
                TimeUnit.MILLISECONDS,
                new LinkedBlockingQueue<>(),
                threads("baton-task-" + workerId + "-", true));
        this.heartbeats =
                Executors.newSingleThreadScheduledExecutor(threads("baton-heartbeat-" + workerId + "-", true));
        this.logs = new LogShipper(this::currentSession, builder.logRateLimit, builder.logBufferSize);
        this.logFlushInterval = builder.logFlushInterval;
    }

    /** @param serverUrl a node's HTTP base, or a load balancer's in front of several nodes */
    public static Builder builder(URI serverUrl, String workerToken) {
        return new Builder(List.of(Objects.requireNonNull(serverUrl, "serverUrl")), workerToken);
    }

    /**
     * @param serverUrls several nodes' HTTP bases, in the order they are tried: the worker connects to the first
     *     and moves to the next whenever its connection fails or drops
     */
    public static Builder builder(List<URI> serverUrls, String workerToken) {
        return new Builder(serverUrls, workerToken);
    }

    /** Connects in the background and stays connected until {@link #close()} or {@link #kill()}. */
    public void start() {
        synchronized (lifecycle) {
            if (stopping) {
                throw new IllegalStateException("worker " + workerId + " was stopped; build a new one");
            }
            if (connector != null) {
                throw new IllegalStateException("worker " + workerId + " is already started");
            }
            // not a daemon: like a server, a started worker keeps the JVM alive until closed
            connector = threads("baton-connector-" + workerId + "-", false).newThread(this::connectLoop);
            connector.start();
            long flushEvery = logFlushInterval.toNanos();
            heartbeats.scheduleWithFixedDelay(this::flushLogs, flushEvery, flushEvery, TimeUnit.NANOSECONDS);
        }
    }

    /** Waits until the gateway has welcomed this worker; false when {@code timeout} passed first. */
    public boolean awaitConnected(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (lifecycle) {
            while (!isConnected()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(lifecycle, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return isConnected();
                }
            }
            return true;
        }
    }

    /** Whether a connection is open and welcomed, i.e. the gateway can send executions now. */
    public boolean isConnected() {
        synchronized (lifecycle) {
            return session != null && session.isWelcomed() && !session.hasEnded();
        }
    }

    public String workerId() {
        return workerId;
    }

    /** The node this worker is connected to, or empty while it is not connected. */
    public Optional<URI> connectedNode() {
        synchronized (lifecycle) {
            return isConnected() ? Optional.of(session.node()) : Optional.empty();
        }
    }

    /**
     * Stops gracefully: takes no new executions, lets running handlers finish for up to the
     * shutdown grace period (10 s by default) and sends their results, then closes the connection.
     * Handlers still running after that are interrupted and their results dropped. Idempotent.
     */
    @Override
    public void close() {
        Session current;
        Thread connectorThread;
        synchronized (lifecycle) {
            if (stopping) {
                return;
            }
            stopping = true;
            current = session;
            connectorThread = connector;
        }
        log.info("worker {} closing", workerId);
        handlers.shutdown();
        try {
            if (!handlers.awaitTermination(shutdownGracePeriod.toMillis(), TimeUnit.MILLISECONDS)) {
                log.warn(
                        "worker {}: handlers still running after {}; interrupting them", workerId, shutdownGracePeriod);
                if (current != null) {
                    current.abandonAttempts("worker stopping");
                }
                handlers.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            if (current != null) {
                current.abandonAttempts("worker stopping");
            }
            handlers.shutdownNow();
        }
        heartbeats.shutdownNow();
        flushLogs(); // the last lines of the handlers that finished, before the close frame
        if (current != null) {
            current.closeGracefully(connectTimeout);
        }
        stopConnector(connectorThread);
        log.info("worker {} closed", workerId);
    }

    /**
     * Stops like a crashed process: aborts the connection without a close frame, interrupts all
     * handlers and never sends anything more. Meant for tests of the server's failure handling.
     */
    public void kill() {
        Session current;
        Thread connectorThread;
        synchronized (lifecycle) {
            if (killed) {
                return;
            }
            killed = true;
            stopping = true;
            current = session;
            connectorThread = connector;
        }
        log.warn("worker {} killed", workerId);
        if (current != null) {
            current.kill();
        }
        handlers.shutdownNow();
        heartbeats.shutdownNow();
        stopConnector(connectorThread);
    }

    // ---- connection loop ----

    private void connectLoop() {
        Backoff backoff = new Backoff(minBackoff, maxBackoff);
        while (!isStopping()) {
            URI node = nodes.current();
            Session attempt = new Session(this, node);
            String failure = null;
            try {
                if (connect(attempt)) {
                    attempt.awaitEnd();
                }
            } catch (InterruptedException e) {
                break; // close() or kill() woke us
            } catch (ExecutionException e) {
                failure = describe(e.getCause() != null ? e.getCause() : e);
            }
            if (attempt.isWelcomed()) {
                backoff.reset();
            }
            if (isStopping()) {
                break;
            }
            // A node that refused or dropped us is likely stopping or gone: the next try goes to another one.
            URI next = nodes.failed(node);
            Duration delay = backoff.next();
            if (failure != null) {
                log.warn(
                        "worker {} cannot connect to {}: {}; trying {} in {} ms",
                        workerId,
                        node,
                        failure,
                        next,
                        delay.toMillis());
            } else {
                log.info(
                        "worker {} lost its connection to {}; connecting to {} in {} ms",
                        workerId,
                        node,
                        next,
                        delay.toMillis());
            }
            try {
                Thread.sleep(delay.toMillis());
            } catch (InterruptedException e) {
                break;
            }
        }
    }

    /** Opens the socket to the session's node and sends hello; false when the worker was stopped meanwhile. */
    private boolean connect(Session attempt) throws InterruptedException, ExecutionException {
        URI connectUri = connectUri(attempt.node());
        CompletableFuture<WebSocket> opening = http.newWebSocketBuilder()
                .header("Authorization", "Bearer " + workerToken)
                .connectTimeout(connectTimeout)
                .buildAsync(connectUri, attempt);
        WebSocket socket;
        try {
            socket = opening.get();
        } catch (InterruptedException e) {
            opening.thenAccept(WebSocket::abort); // don't leak a socket that opens after we gave up
            throw e;
        }
        synchronized (lifecycle) {
            if (stopping) {
                socket.abort();
                return false;
            }
            session = attempt;
        }
        nodes.succeeded(attempt.node());
        log.debug("worker {} connected to {}; sending hello", workerId, connectUri);
        attempt.send(hello());
        return true;
    }

    private void stopConnector(Thread connectorThread) {
        if (connectorThread == null || connectorThread == Thread.currentThread()) {
            return;
        }
        connectorThread.interrupt();
        try {
            connectorThread.join(connectTimeout.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---- what sessions use ----

    Hello hello() {
        List<TaskDeclaration> declarations =
                tasks.values().stream().map(TaskDeclaration::of).toList();
        return new Hello(workerId, SDK_NAME, slots, declarations, version);
    }

    /** The version this worker's hello names (see {@link Builder#version}). */
    public String version() {
        return version;
    }

    /**
     * A version named by the tasks' declarations: the same tasks declared alike are one version, and any change to
     * them (a task added, a queue or retry changed) makes another.
     */
    static String contentVersion(Collection<Task<?, ?>> tasks) {
        List<String> declarations = new ArrayList<>();
        tasks.forEach(task -> declarations.add(TaskDeclaration.of(task).toString()));
        Collections.sort(declarations);
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest(String.join("\n", declarations).getBytes(StandardCharsets.UTF_8));
            return "sha256-" + HexFormat.of().formatHex(digest, 0, 6);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    Task<?, ?> task(String taskId) {
        return tasks.get(taskId);
    }

    ThreadPoolExecutor handlers() {
        return handlers;
    }

    ScheduledExecutorService heartbeats() {
        return heartbeats;
    }

    Duration startedDelay() {
        return startedDelay;
    }

    Duration idleTimeout() {
        return idleTimeout;
    }

    RunningAttempt.Settings attemptSettings() {
        return attemptSettings;
    }

    LogShipper logs() {
        return logs;
    }

    /** Sends the buffered log lines now; never throws (it runs on the heartbeat timer too). */
    void flushLogs() {
        try {
            logs.flush();
        } catch (RuntimeException e) {
            log.warn("worker {}: could not send log lines: {}", workerId, e.toString());
        }
    }

    /** Log lines dropped by this worker since it started (over the rate limit or with a full buffer). */
    public long logLinesDropped() {
        return logs.linesDropped();
    }

    private Session currentSession() {
        synchronized (lifecycle) {
            return session;
        }
    }

    boolean isStopping() {
        synchronized (lifecycle) {
            return stopping;
        }
    }

    /** A session was welcomed or ended: wake {@link #awaitConnected} callers. */
    void sessionStateChanged() {
        synchronized (lifecycle) {
            lifecycle.notifyAll();
        }
    }

    String id() {
        return workerId;
    }

    // ---- helpers ----

    /** {@code http(s)://host:port[/base]} → {@code ws(s)://host:port[/base]/api/v1/workers/connect}. */
    static URI connectUri(URI serverUrl) {
        String scheme = switch (String.valueOf(serverUrl.getScheme()).toLowerCase()) {
            case "http", "ws" -> "ws";
            case "https", "wss" -> "wss";
            default -> throw new IllegalArgumentException("server URL must be http(s): " + serverUrl);
        };
        String base =
                serverUrl.getRawPath() == null ? "" : serverUrl.getRawPath().replaceAll("/+$", "");
        try {
            return new URI(scheme, serverUrl.getRawAuthority(), null, null, null).resolve(base + CONNECT_PATH);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("invalid server URL: " + serverUrl, e);
        }
    }

    private static String describe(Throwable error) {
        if (error instanceof WebSocketHandshakeException handshake) {
            int status = handshake.getResponse().statusCode();
            return "HTTP " + status + (status == 401 ? " (is the worker token right?)" : "");
        }
        return error.getMessage() != null
                ? error.getClass().getSimpleName() + ": " + error.getMessage()
                : error.getClass().getSimpleName();
    }

    private static ThreadFactory threads(String prefix, boolean daemon) {
        AtomicInteger counter = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, prefix + counter.incrementAndGet());
            thread.setDaemon(daemon);
            return thread;
        };
    }

    public static final class Builder {
        private final List<URI> serverUrls;
        private final String workerToken;
        private final Map<String, Task<?, ?>> tasks = new LinkedHashMap<>();
        private int slots = 8;
        private String workerId;
        private String version;
        private Duration minBackoff = Duration.ofMillis(250);
        private Duration maxBackoff = Duration.ofSeconds(10);
        private Duration connectTimeout = Duration.ofSeconds(10);
        private Duration idleTimeout = Duration.ofSeconds(30);
        private Duration shutdownGracePeriod = Duration.ofSeconds(10);
        private Duration metadataTimeout = Duration.ofSeconds(10);
        private Duration durableCallTimeout = Duration.ofSeconds(10);
        private Duration shortWaitThreshold = Duration.ofSeconds(5);
        private Duration startedDelay = Duration.ofMillis(50);
        private int logRateLimit = 10_000;
        private int logBufferSize = 10_000;
        private Duration logFlushInterval = Duration.ofMillis(200);

        private Builder(List<URI> serverUrls, String workerToken) {
            Objects.requireNonNull(serverUrls, "serverUrls");
            if (serverUrls.isEmpty()) {
                throw new IllegalArgumentException("at least one server URL is required");
            }
            if (workerToken == null || workerToken.isBlank()) {
                throw new IllegalArgumentException("a worker token is required");
            }
            this.serverUrls = List.copyOf(serverUrls);
            this.workerToken = workerToken;
            this.serverUrls.forEach(BatonWorker::connectUri); // fail here rather than in the background
            new NodeRotation(this.serverUrls, NODE_FAILURE_MEMORY); // refuses a URL listed twice
        }

        /** How many executions may run at once (default 8). */
        public Builder slots(int slots) {
            if (slots < 1) {
                throw new IllegalArgumentException("slots must be at least 1, was " + slots);
            }
            this.slots = slots;
            return this;
        }

        /** Names this process to the server (default {@code worker-<8 random hex>}); must be unique. */
        public Builder workerId(String workerId) {
            if (workerId == null || workerId.isBlank()) {
                throw new IllegalArgumentException("workerId must not be blank");
            }
            this.workerId = workerId;
            return this;
        }

        /**
         * Names the version of the task set this worker serves (default: a hash of its task declarations). Workers of
         * the newest version of a task take its new runs; runs locked to a version ({@code lockToVersion}, or by a
         * first attempt on it) go to that version's workers only. Up to 128 letters, digits and {@code . _ : + -}.
         */
        public Builder version(String version) {
            if (version == null || !version.matches("[A-Za-z0-9][A-Za-z0-9_.:+-]{0,127}")) {
                throw new IllegalArgumentException(
                        "version must be up to 128 letters, digits and . _ : + -, starting with a letter or digit, was "
                                + version);
            }
            this.version = version;
            return this;
        }

        /**
         * The version from the build: the {@code Implementation-Version} of the jar holding {@code classOfYourApp}
         * (Maven's and Gradle's jar plugins write it from the project's version when asked to).
         *
         * @throws IllegalStateException when that jar's manifest names no version (e.g. running from classes)
         */
        public Builder versionFromBuild(Class<?> classOfYourApp) {
            Package where = classOfYourApp.getPackage();
            String built = where == null ? null : where.getImplementationVersion();
            if (built == null) {
                throw new IllegalStateException("the jar of " + classOfYourApp.getName()
                        + " has no Implementation-Version in its manifest; name the version with version(…)");
            }
            return version(built);
        }

        public Builder register(Task<?, ?> task) {
            Objects.requireNonNull(task, "task");
            if (tasks.putIfAbsent(task.id(), task) != null) {
                throw new IllegalArgumentException("task " + task.id() + " is registered twice");
            }
            return this;
        }

        /** Delay between reconnect tries: from {@code min}, doubling up to {@code max} (default 250 ms – 10 s). */
        public Builder reconnectBackoff(Duration min, Duration max) {
            if (min.isNegative() || min.compareTo(max) > 0) {
                throw new IllegalArgumentException("reconnect backoff needs 0 <= min <= max, got " + min + ", " + max);
            }
            this.minBackoff = min;
            this.maxBackoff = max;
            return this;
        }

        /** How long one connect try may take (default 10 s). */
        public Builder connectTimeout(Duration connectTimeout) {
            this.connectTimeout = requirePositive(connectTimeout, "connectTimeout");
            return this;
        }

        /**
         * How long the connection may stay silent before the worker drops it and connects again, to the next node when
         * it has several (default 30 s; zero: never). A node pings an idle connection every 10 s, so silence means the
         * node or the network path to it is gone, which a crashed machine or a partition does not announce.
         */
        public Builder idleTimeout(Duration idleTimeout) {
            if (idleTimeout == null || idleTimeout.isNegative()) {
                throw new IllegalArgumentException("idleTimeout must not be negative, was " + idleTimeout);
            }
            this.idleTimeout = idleTimeout;
            return this;
        }

        /** How long {@link #close()} lets running handlers finish (default 10 s). */
        public Builder shutdownGracePeriod(Duration shutdownGracePeriod) {
            this.shutdownGracePeriod = requirePositive(shutdownGracePeriod, "shutdownGracePeriod");
            return this;
        }

        /** How long a handler's metadata update waits for the server's answer (default 10 s). */
        public Builder metadataTimeout(Duration metadataTimeout) {
            this.metadataTimeout = requirePositive(metadataTimeout, "metadataTimeout");
            return this;
        }

        /**
         * How long a handler's durable call waits for the server's answer: a step's record, a
         * suspension for a wait, child runs or a token (default 10 s).
         */
        public Builder durableCallTimeout(Duration durableCallTimeout) {
            this.durableCallTimeout = requirePositive(durableCallTimeout, "durableCallTimeout");
            return this;
        }

        /**
         * Waits ({@code TaskContext.waitFor/waitUntil}) shorter than this sleep in the worker, holding
         * their slot; longer ones suspend the run (default 5 s; zero: every wait suspends).
         */
        public Builder shortWaitThreshold(Duration shortWaitThreshold) {
            if (shortWaitThreshold == null || shortWaitThreshold.isNegative()) {
                throw new IllegalArgumentException(
                        "shortWaitThreshold must not be negative, was " + shortWaitThreshold);
            }
            this.shortWaitThreshold = shortWaitThreshold;
            return this;
        }

        /**
         * How long a handler runs before the worker tells the server it started (default 50 ms; zero: at once).
         * A handler that finishes sooner, or sends a step, metadata or a wait first, needs no separate
         * {@code started}; the run shows as dequeued rather than executing until then. Keep it well below
         * the server's lease timeout.
         */
        public Builder startedDelay(Duration startedDelay) {
            if (startedDelay == null || startedDelay.isNegative()) {
                throw new IllegalArgumentException("startedDelay must not be negative, was " + startedDelay);
            }
            this.startedDelay = startedDelay;
            return this;
        }

        /**
         * The most lines per second the worker's handlers may log together (default 10,000): lines beyond it are
         * dropped, and a line saying how many takes their place ({@code TaskContext.logger()}).
         */
        public Builder logRateLimit(int linesPerSecond) {
            if (linesPerSecond < 1) throw new IllegalArgumentException("logRateLimit must be at least 1");
            this.logRateLimit = linesPerSecond;
            return this;
        }

        /** Log lines buffered while waiting to be sent (default 10,000); when full, lines are dropped and counted. */
        public Builder logBufferSize(int lines) {
            if (lines < 1) throw new IllegalArgumentException("logBufferSize must be at least 1");
            this.logBufferSize = lines;
            return this;
        }

        /** How often buffered log lines are sent (default 200 ms); an attempt's are also sent before its result. */
        public Builder logFlushInterval(Duration interval) {
            this.logFlushInterval = requirePositive(interval, "logFlushInterval");
            return this;
        }

        public BatonWorker build() {
            return new BatonWorker(this);
        }

        private static Duration requirePositive(Duration value, String name) {
            if (value == null || value.isNegative() || value.isZero()) {
                throw new IllegalArgumentException(name + " must be positive, was " + value);
            }
            return value;
        }
    }
}
