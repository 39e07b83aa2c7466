package dev.baton.sdk.worker;

import dev.baton.sdk.internal.SerialSender;
import dev.baton.sdk.internal.WorkerMessages;
import dev.baton.sdk.internal.WorkerMessages.Cancel;
import dev.baton.sdk.internal.WorkerMessages.Execute;
import dev.baton.sdk.internal.WorkerMessages.Failed;
import dev.baton.sdk.internal.WorkerMessages.GatewayError;
import dev.baton.sdk.internal.WorkerMessages.Heartbeat;
import dev.baton.sdk.internal.WorkerMessages.Inbound;
import dev.baton.sdk.internal.WorkerMessages.MetadataRejected;
import dev.baton.sdk.internal.WorkerMessages.MetadataUpdated;
import dev.baton.sdk.internal.WorkerMessages.Outbound;
import dev.baton.sdk.internal.WorkerMessages.Rejected;
import dev.baton.sdk.internal.WorkerMessages.Started;
import dev.baton.sdk.internal.WorkerMessages.StepRecorded;
import dev.baton.sdk.internal.WorkerMessages.SuspendRejected;
import dev.baton.sdk.internal.WorkerMessages.Suspended;
import dev.baton.sdk.internal.WorkerMessages.Unknown;
import dev.baton.sdk.internal.WorkerMessages.Welcome;
import dev.baton.sdk.task.LogEntry;
import dev.baton.sdk.task.Memoized;
import dev.baton.sdk.task.Task;
import java.net.URI;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One WebSocket connection to the gateway, from hello until the socket closes. Owns the attempts
 * received on it: when it ends they are interrupted, because the gateway fails them as
 * {@code WORKER_LOST} and a result sent on a later connection would only be rejected.
 *
 * <p>An attempt is in {@link #running} while the worker may still send about it. Whoever removes
 * it (its result, a {@code cancel}, a {@code rejected}, the connection ending) does so holding the
 * attempt's monitor, and every message about an attempt is sent holding it too
 * ({@link #sendAbout}), so nothing is sent about an attempt once it is over.
 */
final class Session implements WebSocket.Listener {

    private static final Logger log = LoggerFactory.getLogger(Session.class);
    private static final int REMEMBERED_RESULTS = 1024;

    private final BatonWorker worker;
    /** The node's HTTP base this session connects to. */
    private final URI node;
    /** Attempts received and not yet answered. Removing an entry is the right to send its result. */
    private final Map<String, RunningAttempt> running = new ConcurrentHashMap<>();
    /**
     * The last attempts whose result was sent (the message type by attempt id): a {@code rejected} for one of them
     * means it had been fenced, so the gateway refuses the result and the handler's work does not count.
     */
    private final Map<String, String> resultsSent = Collections.synchronizedMap(new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
            return size() > REMEMBERED_RESULTS;
        }
    });

    private final AtomicLong requestIds = new AtomicLong();
    private final CompletableFuture<Void> ended = new CompletableFuture<>();
    /** Text frames may arrive in parts; java.net.http calls the listener sequentially, so no lock. */
    private final StringBuilder partialMessage = new StringBuilder();

    private volatile WebSocket socket;
    private volatile SerialSender sender;
    private volatile Welcome welcome;
    private volatile ScheduledFuture<?> heartbeatTimer;
    /** Checks that the gateway is still heard from; null when the idle timeout is off. */
    private volatile ScheduledFuture<?> silenceWatch;
    /**
     * When the last frame (a message, a ping or a pong) came from the gateway. The gateway pings an idle connection,
     * so a long silence means the node or the path to it is gone even though no FIN or RST arrived.
     */
    private volatile long lastHeardNanos = System.nanoTime();
    /** Set by kill(): from then on nothing at all is sent. */
    private volatile boolean silenced;

    Session(BatonWorker worker, URI node) {
        this.worker = worker;
        this.node = node;
    }

    URI node() {
        return node;
    }

    boolean isWelcomed() {
        return welcome != null;
    }

    /** Whether the gateway takes {@code logs} messages (a node older than them closes the socket on one). */
    boolean gatewayTakesLogs() {
        Welcome w = welcome;
        return w != null && w.logs();
    }

    boolean hasEnded() {
        return ended.isDone();
    }

    void awaitEnd() throws InterruptedException {
        try {
            ended.get();
        } catch (ExecutionException e) {
            throw new IllegalStateException("session end is never exceptional", e);
        }
    }

    // ---- WebSocket.Listener ----

    @Override
    public void onOpen(WebSocket webSocket) {
        this.socket = webSocket;
        this.sender = new SerialSender(webSocket);
        heard();
        watchForSilence();
        webSocket.request(1);
    }

    @Override
    public CompletionStage<?> onPing(WebSocket webSocket, ByteBuffer message) {
        heard(); // the WebSocket answers with a pong by itself
        webSocket.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onPong(WebSocket webSocket, ByteBuffer message) {
        heard();
        webSocket.request(1);
        return null;
    }

    private void heard() {
        lastHeardNanos = System.nanoTime();
    }

    private void watchForSilence() {
        Duration idleTimeout = worker.idleTimeout();
        if (idleTimeout.isZero()) {
            return;
        }
        long every = Math.max(TimeUnit.MILLISECONDS.toNanos(50), idleTimeout.toNanos() / 4);
        try {
            silenceWatch = worker.heartbeats()
                    .scheduleWithFixedDelay(
                            () -> {
                                long silentNanos = System.nanoTime() - lastHeardNanos;
                                if (silentNanos > idleTimeout.toNanos() && !ended.isDone()) {
                                    log.warn(
                                            "worker {}: nothing heard from {} for {} ms; dropping the connection",
                                            worker.id(),
                                            node,
                                            TimeUnit.NANOSECONDS.toMillis(silentNanos));
                                    abort();
                                }
                            },
                            every,
                            every,
                            TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            log.debug("worker {}: not watching the connection, the worker is stopping", worker.id());
        }
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
        heard();
        partialMessage.append(data);
        if (last) {
            String text = partialMessage.toString();
            partialMessage.setLength(0);
            handle(text);
        }
        webSocket.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
        heard();
        log.debug("worker {}: ignoring a binary frame", worker.id());
        webSocket.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
        if (!worker.isStopping()) {
            log.warn("worker {}: gateway closed the connection ({} {})", worker.id(), statusCode, reason);
        }
        end();
        return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
        if (!worker.isStopping()) {
            log.warn("worker {}: connection failed: {}", worker.id(), error.toString());
        }
        end();
    }

    // ---- messages from the gateway ----

    private void handle(String text) {
        Inbound message;
        try {
            message = WorkerMessages.decode(text);
        } catch (IllegalArgumentException e) {
            log.warn("worker {}: ignoring unreadable message: {}", worker.id(), e.getMessage());
            return;
        }
        if (message instanceof Welcome w) {
            onWelcome(w);
        } else if (message instanceof Execute e) {
            onExecute(e);
        } else if (message instanceof Rejected r) {
            onRejected(r);
        } else if (message instanceof Cancel c) {
            onCancel(c);
        } else if (message instanceof MetadataUpdated m) {
            RunningAttempt attempt = running.get(m.attemptId());
            if (attempt != null) {
                attempt.metadataUpdated(m.requestId(), m.metadata());
            }
        } else if (message instanceof MetadataRejected m) {
            RunningAttempt attempt = running.get(m.attemptId());
            if (attempt != null) {
                log.debug(
                        "worker {}: metadata update of attempt {} rejected: {}",
                        worker.id(),
                        m.attemptId(),
                        m.reason());
                attempt.metadataRejected(m.requestId(), m.reason());
            }
        } else if (message instanceof StepRecorded r) {
            RunningAttempt attempt = running.get(r.attemptId());
            if (attempt != null) {
                attempt.stepRecorded(r.key());
            }
        } else if (message instanceof Suspended m) {
            onSuspended(m);
        } else if (message instanceof SuspendRejected m) {
            RunningAttempt attempt = running.get(m.attemptId());
            if (attempt != null) {
                log.info(
                        "worker {}: the wait {} of attempt {} was refused: {}",
                        worker.id(),
                        m.key(),
                        m.attemptId(),
                        m.reason());
                attempt.suspendRejected(m.key(), m.reason());
            }
        } else if (message instanceof GatewayError g) {
            // the gateway closes after an error; abort now so the worker reconnects without waiting for it
            log.error("worker {}: gateway reported a protocol error: {}", worker.id(), g.message());
            abort();
        } else if (message instanceof Unknown u) {
            log.debug("worker {}: ignoring message of unknown type {}", worker.id(), u.type());
        }
    }

    private void onWelcome(Welcome w) {
        welcome = w;
        log.info(
                "worker {} connected to {}: session {}, environment {}",
                worker.id(),
                node,
                w.sessionId(),
                w.environmentId());
        long interval = Math.max(1, w.heartbeatIntervalMs());
        try {
            heartbeatTimer = worker.heartbeats()
                    .scheduleAtFixedRate(this::sendHeartbeats, interval, interval, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            log.debug("worker {}: not scheduling heartbeats, the worker is stopping", worker.id());
        }
        worker.sessionStateChanged();
    }

    private void onExecute(Execute execute) {
        if (worker.isStopping()) {
            // the connection closes shortly; the gateway then hands the attempt to another worker
            log.info("worker {}: not starting attempt {}, the worker is stopping", worker.id(), execute.attemptId());
            return;
        }
        Task<?, ?> task = worker.task(execute.taskId());
        if (task == null) {
            send(new Failed(
                    execute.attemptId(),
                    new WorkerMessages.ErrorBody(
                            "task " + execute.taskId() + " is not registered on worker " + worker.id(),
                            "TaskNotRegistered",
                            null),
                    true,
                    null));
            return;
        }
        log.debug(
                "worker {}: executing {} attempt {} of run {}",
                worker.id(),
                task.id(),
                execute.attemptNumber(),
                execute.runId());
        RunningAttempt attempt = new RunningAttempt(
                execute.attemptId(),
                this,
                AttemptRunner.initialMetadata(execute),
                Memoized.fromWire(execute.steps()),
                worker.attemptSettings(),
                execute.traceparent());
        running.put(attempt.attemptId(), attempt);
        try {
            attempt.submit(AttemptRunner.of(task, execute, welcome, this, attempt), worker.handlers());
        } catch (RejectedExecutionException e) {
            running.remove(attempt.attemptId(), attempt);
            log.info("worker {}: not starting attempt {}, the worker is stopping", worker.id(), execute.attemptId());
        }
    }

    private void onRejected(Rejected rejected) {
        RunningAttempt attempt = takeOver(rejected.attemptId());
        if (attempt != null) {
            log.warn(
                    "worker {}: attempt {} was fenced ({}); interrupting it and dropping its result",
                    worker.id(),
                    rejected.attemptId(),
                    rejected.reason());
            attempt.end(rejected.reason() == null ? "rejected" : rejected.reason());
            return;
        }
        String result = resultsSent.remove(rejected.attemptId());
        if (result != null) {
            // the handler ran to its end, but another attempt owns the run now: an operator should know
            log.warn(
                    "worker {}: attempt {} was fenced ({}); its {} result, sent already, does not count",
                    worker.id(),
                    rejected.attemptId(),
                    rejected.reason(),
                    result);
        } else {
            log.debug(
                    "worker {}: gateway rejected a message about finished attempt {} ({})",
                    worker.id(),
                    rejected.attemptId(),
                    rejected.reason());
        }
    }

    /** The run was canceled or exceeded its maxDuration: stop the handler, send nothing more about it. */
    private void onCancel(Cancel cancel) {
        RunningAttempt attempt = takeOver(cancel.attemptId());
        if (attempt != null) {
            log.info(
                    "worker {}: attempt {} of run {} canceled ({}); interrupting it",
                    worker.id(),
                    cancel.attemptId(),
                    cancel.runId(),
                    cancel.reason());
            attempt.end(cancel.reason() == null ? "canceled" : cancel.reason());
        } else {
            log.debug("worker {}: cancel for attempt {} that is no longer running", worker.id(), cancel.attemptId());
        }
    }

    /**
     * The run is suspended on the attempt's wait: the attempt is over for this worker (its slot is
     * free at the gateway), so nothing more is sent about it, and its handler ends without a report.
     */
    private void onSuspended(Suspended suspended) {
        RunningAttempt attempt = takeOver(suspended.attemptId());
        if (attempt != null) {
            log.debug("worker {}: attempt {} suspended at {}", worker.id(), suspended.attemptId(), suspended.key());
            attempt.suspended(suspended.key());
        } else {
            log.debug(
                    "worker {}: suspended for attempt {} that is no longer running",
                    worker.id(),
                    suspended.attemptId());
        }
    }

    /** Removes the attempt, if still running, so that nothing more is sent about it; null when it was not. */
    private RunningAttempt takeOver(String attemptId) {
        RunningAttempt attempt = running.get(attemptId);
        if (attempt == null) {
            return null;
        }
        synchronized (attempt) {
            return running.remove(attemptId, attempt) ? attempt : null;
        }
    }

    // ---- what attempts use ----

    /** Sends a message about a running attempt; false (nothing sent) once the attempt is over. */
    boolean sendAbout(RunningAttempt attempt, Outbound message) {
        synchronized (attempt) {
            if (running.get(attempt.attemptId()) != attempt) {
                return false;
            }
            reportStarted(attempt); // whatever the attempt says next, the gateway hears that it started first
            send(message);
            return true;
        }
    }

    /**
     * The handler is about to run; false when the attempt is over already (fenced or canceled while queued).
     * {@code started} is sent only once the handler has run for {@code startedDelay}, or before any other message
     * about the attempt: a handler that finishes sooner sends just its result, which the protocol allows, and
     * saves the node a message and a round trip to the run per execution.
     */
    boolean begin(RunningAttempt attempt) {
        if (running.get(attempt.attemptId()) != attempt) {
            return false;
        }
        attempt.markBegun();
        Runnable started = () -> {
            synchronized (attempt) {
                if (running.get(attempt.attemptId()) == attempt) reportStarted(attempt);
            }
        };
        Duration delay = worker.startedDelay();
        if (delay.isZero()) {
            started.run();
        } else {
            worker.heartbeats().schedule(started, delay.toNanos(), TimeUnit.NANOSECONDS);
        }
        return true;
    }

    /** Sends {@code started} once; the caller holds the attempt's lock and knows it is current. */
    private void reportStarted(RunningAttempt attempt) {
        if (!attempt.hasStarted()) {
            send(new Started(attempt.attemptId(), attempt.runningForMs()));
            attempt.markStarted(); // from now on heartbeats keep its lease alive
        }
    }

    /** Sends an attempt's final message, unless the attempt was fenced, canceled or abandoned meanwhile. */
    void finish(RunningAttempt attempt, Outbound result) {
        synchronized (attempt) {
            if (running.remove(attempt.attemptId(), attempt)) {
                resultsSent.put(
                        attempt.attemptId(), result.getClass().getSimpleName().toLowerCase(Locale.ROOT));
                send(result);
                return;
            }
        }
        log.debug("worker {}: dropping the result of attempt {}", worker.id(), attempt.attemptId());
    }

    /** Takes a handler's log line for the worker's buffer. */
    void log(RunningAttempt attempt, LogEntry entry) {
        worker.logs().offer(attempt.attemptId(), entry);
    }

    /** Sends the buffered log lines, so that an attempt's lines go out before its result. */
    void flushLogs() {
        worker.flushLogs();
    }

    String nextRequestId() {
        return "m" + requestIds.incrementAndGet();
    }

    void send(Outbound message) {
        SerialSender out = sender;
        if (silenced || out == null || ended.isDone()) {
            return;
        }
        out.sendText(WorkerMessages.encode(message)).whenComplete((ok, error) -> {
            if (error != null && !ended.isDone()) {
                log.debug(
                        "worker {}: could not send {}: {}",
                        worker.id(),
                        message.getClass().getSimpleName(),
                        error.toString());
            }
        });
    }

    private void sendHeartbeats() {
        for (RunningAttempt attempt : running.values()) {
            if (attempt.hasStarted()) {
                sendAbout(attempt, new Heartbeat(attempt.attemptId()));
            }
        }
    }

    // ---- ending ----

    /** Interrupts every attempt and forgets it, so none of their results is sent. */
    void abandonAttempts(String reason) {
        for (RunningAttempt attempt : running.values()) {
            RunningAttempt taken = takeOver(attempt.attemptId());
            if (taken != null) {
                taken.end(reason);
            }
        }
    }

    /** Sends a close frame after all queued results, then waits briefly for the gateway's. */
    void closeGracefully(Duration wait) {
        SerialSender out = sender;
        if (out != null && !ended.isDone() && !silenced) {
            out.sendClose(WebSocket.NORMAL_CLOSURE, "worker shutting down");
            try {
                ended.get(wait.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException | TimeoutException e) {
                log.debug("worker {}: no close frame from the gateway; aborting", worker.id());
            }
        }
        abort();
    }

    void kill() {
        silenced = true;
        abort();
    }

    private void abort() {
        WebSocket ws = socket;
        if (ws != null) {
            ws.abort();
        }
        end();
    }

    private void end() {
        if (!ended.complete(null)) {
            return;
        }
        ScheduledFuture<?> timer = heartbeatTimer;
        if (timer != null) {
            timer.cancel(false);
        }
        ScheduledFuture<?> watch = silenceWatch;
        if (watch != null) {
            watch.cancel(false);
        }
        if (!running.isEmpty()) {
            log.warn(
                    "worker {}: connection lost with {} attempt(s) running; interrupting them",
                    worker.id(),
                    running.size());
            abandonAttempts("connection lost");
        }
        worker.sessionStateChanged();
    }
}
