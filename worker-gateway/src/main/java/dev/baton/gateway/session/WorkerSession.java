package dev.baton.gateway.session;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.PostStop;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;
import akka.actor.typed.javadsl.ReceiveBuilder;
import akka.actor.typed.javadsl.TimerScheduler;
import akka.actor.typed.receptionist.Receptionist;
import dev.baton.engine.Engine;
import dev.baton.engine.common.Failures;
import dev.baton.engine.dispatch.EnvironmentDispatcher;
import dev.baton.engine.environment.Environment;
import dev.baton.engine.logs.LogLine;
import dev.baton.engine.logs.RunLogSink;
import dev.baton.engine.run.MetadataOperation;
import dev.baton.engine.run.RunRejectedException;
import dev.baton.engine.run.RunState;
import dev.baton.engine.run.StaleAttemptException;
import dev.baton.engine.task.QueueLimits;
import dev.baton.engine.worker.WorkerChannel;
import dev.baton.gateway.envvars.VariableCache;
import dev.baton.gateway.protocol.GatewayMessage;
import dev.baton.gateway.protocol.ProtocolException;
import dev.baton.gateway.protocol.WorkerMessage;
import dev.baton.gateway.protocol.WorkerProtocol;
import dev.baton.gateway.protocol.WorkerProtocol.AcceptedHello;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * One connected worker. Waits for {@code hello}, declares the worker's tasks, then serves as the
 * engine's {@link WorkerChannel} for it: executions go out within the worker's free slots, the
 * worker's messages become {@code RunService} calls (in order per attempt), and fenced messages are
 * answered {@code rejected} and counted. An attempt the engine cancels is over for the session at
 * once: the worker gets {@code cancel}, its slot is free, and later messages about it are answered
 * {@code rejected} without asking the engine (not counted as stale). A {@code suspend} the engine
 * accepts ends the attempt the same way: the worker gets {@code suspended} and its slot is free. When
 * the socket ends, every attempt it still held is reported lost so the runs retry elsewhere. A worker's
 * outcome the engine does not answer is sent again a few times ({@link #OUTCOME_REPEATS}).
 */
public final class WorkerSession extends AbstractBehavior<WorkerSession.Command> {

    public sealed interface Command {}

    // ---- from the socket (see WorkerSocket)
    record SocketOpened(ActorRef<SocketAck> ackTo) implements Command {}

    record FrameReceived(ActorRef<SocketAck> ackTo, WorkerSocket.Incoming frame) implements Command {}

    enum SocketClosed implements Command {
        INSTANCE
    }

    record SocketFailed(Throwable cause) implements Command {}

    /** Asks the socket for the next frame. */
    enum SocketAck {
        INSTANCE
    }

    // ---- internal
    private record FromEngine(WorkerChannel.Message message) implements Command {}

    /** @param versionNumber the hello's version's rank in the environment (the higher, the newer) */
    private record TasksDeclared(AcceptedHello hello, long versionNumber, ActorRef<SocketAck> ackTo, Throwable failure)
            implements Command {}

    /**
     * @param firstSentNanos when the call was first sent ({@link System#nanoTime})
     * @param repeats how often it was sent again since (see {@link #OUTCOME_REPEATS})
     */
    private record CallAnswered(
            String runId,
            String attemptId,
            AttemptCall call,
            long firstSentNanos,
            int repeats,
            Object result,
            Throwable failure)
            implements Command {}

    /** Time to send an outcome the engine did not answer once more; the fields as in {@link CallAnswered}. */
    private record SendAgain(String runId, String attemptId, AttemptCall call, long firstSentNanos, int repeats)
            implements Command {}

    /** The environment's variables were read for the executions waiting on them (or the read failed). */
    private record VariablesLoaded(Map<String, String> variables, Throwable failure) implements Command {}

    private enum ReportTick implements Command {
        INSTANCE
    }

    /** Sends the report asked for since the last one (see {@link #report}). */
    private enum FlushReport implements Command {
        INSTANCE
    }

    private enum HelloTimedOut implements Command {
        INSTANCE
    }

    private enum RecheckToken implements Command {
        INSTANCE
    }

    private record TokenChecked(boolean valid) implements Command {}

    private static final String REPORT_TIMER = "report";
    private static final String HELLO_TIMER = "hello";
    private static final String TOKEN_TIMER = "token";
    static final String STALE_REASON = "stale attempt";
    static final String DISCONNECTED = "worker disconnected";
    static final String TOKEN_REVOKED = "the worker token was revoked or expired";
    static final String CANCELED_REASON = "attempt canceled";
    static final String SUSPENDED_REASON = "attempt suspended";
    static final String NO_ANSWER = "the engine did not answer in time";
    /**
     * How often a worker's outcome ({@code completed}, {@code failed}) is sent again when the engine does not answer
     * it: the ask timed out, or the run's shard moved and dropped it. Given up on, the lease decides: the run is
     * executed again although the worker finished it. The run answers a repeat of an outcome it took as accepted.
     */
    static final int OUTCOME_REPEATS = 3;
    /** The pause before the first repeat, doubled before each next one. */
    static final Duration OUTCOME_BACKOFF = Duration.ofMillis(200);
    /** Canceled and suspended attempts remembered per session, so late messages about them are not counted as stale. */
    static final int REMEMBERED_ENDS = 4096;
    /** Attempts sent to the worker remembered per session, whose log lines are stored (docs/worker-protocol.md). */
    static final int REMEMBERED_SENT = 4096;

    public static Behavior<Command> create(
            Engine engine,
            GatewaySettings settings,
            Environment environment,
            String sessionId,
            ActorRef<WorkerSocket.Outgoing> socket,
            LongAdder staleRejected,
            LongAdder outcomesSentAgain,
            VariableCache variables,
            Supplier<CompletionStage<Boolean>> tokenStillValid,
            RunLogSink logs,
            AttemptCall.Sender sender) {
        // The session's lines carry its environment and id as MDC fields (BATON_LOG_FORMAT=json shows them).
        return Behaviors.withMdc(
                Command.class,
                Map.of("environment", environment.id(), "workerSession", sessionId),
                Behaviors.setup(context -> Behaviors.withTimers(timers -> new WorkerSession(
                        context,
                        timers,
                        engine,
                        settings,
                        environment,
                        sessionId,
                        socket,
                        staleRejected,
                        outcomesSentAgain,
                        variables,
                        tokenStillValid,
                        logs,
                        sender))));
    }

    private final TimerScheduler<Command> timers;
    private final Engine engine;
    private final GatewaySettings settings;
    private final Environment environment;
    private final String sessionId;
    private final ActorRef<WorkerSocket.Outgoing> socket;
    private final LongAdder staleRejected;
    private final LongAdder outcomesSentAgain;
    private final AttemptCall.Sender sender;
    private final VariableCache variables;
    /**
     * Executions held (in their slots) until the environment's variables are read; in order, and every execution
     * queues behind them while there are any.
     */
    private final List<WorkerChannel.Execute> awaitingVariables = new ArrayList<>();

    private final ActorRef<WorkerChannel.Message> channel;
    private final AttemptCalls calls;
    /**
     * Attempts the session ended while the worker held them (canceled or suspended), oldest first
     * (bounded), with the reason later messages about them are rejected with.
     */
    private final Map<String, String> ended = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
            return size() > REMEMBERED_ENDS;
        }
    };

    /**
     * The attempts sent to this worker, newest last (bounded): a {@code logs} line is stored only for one of them,
     * which keeps a worker's lines in its own environment's runs and lets lines sent just after a result count.
     */
    private final Map<String, WorkerChannel.Execute> sentAttempts = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, WorkerChannel.Execute> eldest) {
            return size() > REMEMBERED_SENT;
        }
    };

    private final RunLogSink logs;
    private AcceptedHello hello;
    /** When the hello was welcomed: shown in the workers list. */
    private Instant connectedAt;

    private Set<String> taskIds;
    private long versionNumber;
    private Map<String, QueueLimits> queueLimits;
    private SlotBook slots;
    private boolean registered;
    private boolean left;
    /** False once the session asked the socket to close or the socket ended: nothing more is sent. */
    private boolean canSend = true;

    private boolean socketEnded;
    private boolean reportPending;
    private final Supplier<CompletionStage<Boolean>> tokenStillValid;

    private WorkerSession(
            ActorContext<Command> context,
            TimerScheduler<Command> timers,
            Engine engine,
            GatewaySettings settings,
            Environment environment,
            String sessionId,
            ActorRef<WorkerSocket.Outgoing> socket,
            LongAdder staleRejected,
            LongAdder outcomesSentAgain,
            VariableCache variables,
            Supplier<CompletionStage<Boolean>> tokenStillValid,
            RunLogSink logs,
            AttemptCall.Sender sender) {
        super(context);
        this.logs = logs;
        this.tokenStillValid = tokenStillValid;
        this.timers = timers;
        this.engine = engine;
        this.settings = settings;
        this.environment = environment;
        this.sessionId = sessionId;
        this.socket = socket;
        this.staleRejected = staleRejected;
        this.outcomesSentAgain = outcomesSentAgain;
        this.sender = sender;
        this.variables = variables;
        this.channel = context.messageAdapter(WorkerChannel.Message.class, FromEngine::new);
        this.calls =
                new AttemptCalls((runId, attemptId, call) -> sendCall(runId, attemptId, call, System.nanoTime(), 0));
        timers.startSingleTimer(HELLO_TIMER, HelloTimedOut.INSTANCE, settings.helloTimeout());
        timers.startTimerWithFixedDelay(TOKEN_TIMER, RecheckToken.INSTANCE, settings.tokenRecheckInterval());
    }

    // ---------------------------------------------------------------- phases

    /** Before hello. Handlers in every phase return {@code Behaviors.same()}, never {@code this}. */
    @Override
    public Receive<Command> createReceive() {
        return phase().onMessage(FrameReceived.class, this::onHello)
                .onMessage(HelloTimedOut.class, msg -> protocolError("no hello within " + settings.helloTimeout()))
                .onMessage(FromEngine.class, this::whileGone)
                .onMessage(SocketClosed.class, msg -> onSocketEnded())
                .onMessage(SocketFailed.class, msg -> onSocketEnded())
                .build();
    }

    /** Hello accepted, tasks being declared; the hello frame stays unacknowledged, so nothing else arrives. */
    private Receive<Command> declaring() {
        return phase().onMessage(TasksDeclared.class, this::onTasksDeclared)
                .onMessage(FromEngine.class, this::whileGone)
                .onMessage(SocketClosed.class, msg -> onSocketEnded())
                .onMessage(SocketFailed.class, msg -> onSocketEnded())
                .build();
    }

    private Receive<Command> active() {
        return phase().onMessage(FrameReceived.class, this::onFrame)
                .onMessage(FromEngine.class, this::onEngineMessage)
                .onMessage(CallAnswered.class, this::onCallAnswered)
                .onMessage(SendAgain.class, this::onSendAgain)
                .onMessage(VariablesLoaded.class, this::onVariablesLoaded)
                .onMessage(ReportTick.class, msg -> {
                    report();
                    return Behaviors.same();
                })
                .onMessage(FlushReport.class, msg -> {
                    reportPending = false;
                    engine.reportWorker(
                            environment.id(),
                            new EnvironmentDispatcher.WorkerReport(
                                    sessionId,
                                    hello.workerId(),
                                    channel,
                                    taskIds,
                                    queueLimits,
                                    slots.freeSlots(),
                                    slots.executesReceived(),
                                    hello.sdk(),
                                    hello.slots(),
                                    connectedAt,
                                    hello.version(),
                                    versionNumber));
                    return Behaviors.same();
                })
                .onMessage(SocketClosed.class, msg -> onSocketEnded())
                .onMessage(SocketFailed.class, msg -> {
                    getContext()
                            .getLog()
                            .info(
                                    "session {}: socket failed: {}",
                                    sessionId,
                                    msg.cause().toString());
                    return onSocketEnded();
                })
                .build();
    }

    /** Left the dispatcher; waits for the socket to end and for the worker's last answers to reach the engine. */
    private Receive<Command> draining() {
        return phase().onMessage(FrameReceived.class, msg -> {
                    msg.ackTo().tell(SocketAck.INSTANCE);
                    return Behaviors.same();
                })
                .onMessage(FromEngine.class, this::whileGone)
                .onMessage(CallAnswered.class, this::onCallAnswered)
                .onMessage(SendAgain.class, this::onSendAgain)
                .onMessage(SocketClosed.class, msg -> onSocketEnded())
                .onMessage(SocketFailed.class, msg -> onSocketEnded())
                .onMessage(ReportTick.class, msg -> Behaviors.same()) // a tick sent before the timer was cancelled
                .onMessage(FlushReport.class, msg -> Behaviors.same()) // the dispatcher was left: nothing to report
                .onMessage(VariablesLoaded.class, msg -> Behaviors.same()) // its executions were given back
                .build();
    }

    /** What every phase handles alike. */
    private ReceiveBuilder<Command> phase() {
        return newReceiveBuilder()
                .onMessage(RecheckToken.class, msg -> {
                    getContext()
                            .pipeToSelf(
                                    tokenStillValid.get(),
                                    (valid, failure) -> new TokenChecked(
                                            failure != null || valid)); // unreadable now: the next check decides
                    return Behaviors.same();
                })
                .onMessage(TokenChecked.class, msg -> {
                    if (msg.valid() || left) return Behaviors.same();
                    getContext().getLog().info("session {}: {}, closing", sessionId, TOKEN_REVOKED);
                    send(new GatewayMessage.Error(TOKEN_REVOKED));
                    closeSocket();
                    leave(TOKEN_REVOKED);
                    return stopWhenDrained();
                })
                .onMessage(SocketOpened.class, msg -> {
                    msg.ackTo().tell(SocketAck.INSTANCE);
                    return Behaviors.same();
                })
                .onSignal(PostStop.class, signal -> {
                    leave(DISCONNECTED); // normally done already; covers a crash
                    getContext().getLog().debug("session {}: stopped", sessionId);
                    return Behaviors.same();
                });
    }

    // ---------------------------------------------------------------- handshake

    private Behavior<Command> onHello(FrameReceived msg) {
        timers.cancel(HELLO_TIMER);
        AcceptedHello accepted;
        try {
            if (!(decode(msg.frame()) instanceof WorkerMessage.Hello helloMessage))
                throw new ProtocolException("the first message must be a hello");
            accepted = WorkerProtocol.acceptHello(helloMessage, settings.maxSlots());
        } catch (ProtocolException e) {
            msg.ackTo().tell(SocketAck.INSTANCE);
            return protocolError(e.getMessage());
        }
        getContext()
                .pipeToSelf(
                        engine.declareVersion(environment.id(), accepted.version(), accepted.tasks()),
                        (number, failure) ->
                                new TasksDeclared(accepted, failure == null ? number : 0, msg.ackTo(), failure));
        return declaring();
    }

    private Behavior<Command> onTasksDeclared(TasksDeclared msg) {
        msg.ackTo().tell(SocketAck.INSTANCE);
        if (msg.failure() != null) {
            getContext()
                    .getLog()
                    .warn(
                            "session {}: declaring tasks failed: {}",
                            sessionId,
                            msg.failure().toString());
            return protocolError("could not declare the tasks, try again: "
                    + Failures.cause(msg.failure()).getMessage());
        }
        hello = msg.hello();
        versionNumber = msg.versionNumber();
        taskIds = hello.taskIds();
        queueLimits = hello.queueLimits();
        slots = new SlotBook(hello.slots());
        connectedAt = Instant.now();
        send(new GatewayMessage.Welcome(
                sessionId,
                environment.id(),
                engine.runSettings().heartbeatInterval().toMillis(),
                engine.runSettings().leaseTimeout().toMillis(),
                true));
        getContext().getSystem().receptionist().tell(Receptionist.register(WorkerChannel.SERVICE_KEY, channel));
        registered = true;
        report();
        timers.startTimerWithFixedDelay(REPORT_TIMER, ReportTick.INSTANCE, settings.reportInterval());
        getContext()
                .getLog()
                .info(
                        "session {}: worker {} ({}, version {}) connected to {} with {} slots for {}",
                        sessionId,
                        hello.workerId(),
                        hello.sdk(),
                        hello.version(),
                        environment.id(),
                        hello.slots(),
                        taskIds);
        return active();
    }

    // ---------------------------------------------------------------- active

    private Behavior<Command> onFrame(FrameReceived msg) {
        msg.ackTo().tell(SocketAck.INSTANCE);
        WorkerMessage message;
        try {
            message = decode(msg.frame());
        } catch (ProtocolException e) {
            return protocolError(e.getMessage());
        }
        if (message instanceof WorkerMessage.Logs batch) {
            onLogs(batch);
            return Behaviors.same();
        }
        if (!(message instanceof WorkerMessage.AboutAttempt about)) return protocolError("hello was already received");
        onAttemptMessage(about);
        return Behaviors.same();
    }

    /**
     * Hands the lines of attempts sent to this worker to the log sink, which never blocks: a log batch neither waits
     * for the store nor delays the messages behind it. Lines about other attempts are dropped (debug-logged): the
     * gateway cannot tell which run they belong to.
     */
    private void onLogs(WorkerMessage.Logs batch) {
        List<LogLine> lines = new ArrayList<>(batch.lines().size());
        int unknown = 0;
        for (WorkerMessage.LogEntry entry : batch.lines()) {
            WorkerChannel.Execute execute = sentAttempts.get(entry.attemptId());
            if (execute == null) {
                unknown++;
                continue;
            }
            lines.add(new LogLine(
                    execute.runId(),
                    entry.attemptId(),
                    execute.attemptNumber(),
                    entry.timestamp(),
                    entry.level(),
                    entry.message(),
                    entry.attributesJson(),
                    entry.errorJson()));
        }
        if (unknown > 0)
            getContext()
                    .getLog()
                    .debug("session {}: dropped {} log lines of attempts it never sent", sessionId, unknown);
        logs.offer(environment.id(), lines);
    }

    private void onAttemptMessage(WorkerMessage.AboutAttempt message) {
        WorkerChannel.Execute execute = slots.inFlight(message.attemptId());
        if (execute == null) {
            String endedReason = ended.get(message.attemptId());
            if (endedReason != null) {
                // the worker may have sent it before our cancel (or suspended) reached it: expected, so not counted as
                // stale
                send(new GatewayMessage.Rejected(message.attemptId(), endedReason));
            } else {
                // never sent to this worker, or already answered: only the gateway can know, and it is stale either way
                reject(message.attemptId());
            }
            return;
        }
        AttemptCall call;
        if (message instanceof WorkerMessage.Metadata metadata) {
            List<MetadataOperation> operations = null;
            String invalid = null;
            try {
                operations = WorkerProtocol.metadataOperations(metadata);
            } catch (WorkerProtocol.InvalidMetadataException e) {
                invalid = e.getMessage();
            }
            call = new AttemptCall.UpdateMetadata(metadata.requestId(), operations, invalid);
        } else if (message instanceof WorkerMessage.Step step) {
            call = new AttemptCall.RecordStep(step.key(), WorkerProtocol.stepResult(step));
        } else if (message instanceof WorkerMessage.Suspend suspend) {
            call = suspendCall(suspend, execute);
        } else if (message instanceof WorkerMessage.Started started) {
            call = new AttemptCall.Start(started.runningFor());
        } else if (message instanceof WorkerMessage.Heartbeat) {
            call = new AttemptCall.Beat();
        } else if (message instanceof WorkerMessage.Completed completed) {
            call = new AttemptCall.Complete(WorkerProtocol.outputJson(completed), completed.runningFor());
        } else {
            WorkerMessage.Failed failed = (WorkerMessage.Failed) message;
            call = new AttemptCall.Fail(
                    WorkerProtocol.runError(failed), WorkerProtocol.retryable(failed), failed.runningFor());
        }
        if (call.finishesAttempt()) {
            // The worker's slot is free now, whatever the engine answers: if the call fails, the lease expires.
            releaseSlot(message.attemptId());
        }
        calls.submit(execute.runId(), message.attemptId(), call);
    }

    private static AttemptCall suspendCall(WorkerMessage.Suspend suspend, WorkerChannel.Execute execute) {
        try {
            return new AttemptCall.Suspend(
                    WorkerProtocol.suspendKey(suspend),
                    WorkerProtocol.waitOf(suspend, execute.runId(), execute.test()),
                    null);
        } catch (WorkerProtocol.InvalidWaitException e) {
            return new AttemptCall.Suspend(WorkerProtocol.suspendKey(suspend), null, e.getMessage());
        }
    }

    private Behavior<Command> onEngineMessage(FromEngine msg) {
        if (msg.message() instanceof WorkerChannel.Execute execute) {
            if (slots.offer(execute)) {
                // The dispatcher counted this offer against the free slots already: a report would tell it nothing.
                deliver(execute);
            } else {
                report();
            }
        } else if (msg.message() instanceof WorkerChannel.CancelAttempt cancel) {
            onCancel(cancel);
        } else if (msg.message() instanceof WorkerChannel.Resync resync
                && resync.environmentId().equals(environment.id())) {
            report();
        }
        return Behaviors.same();
    }

    /** The run was canceled or timed out: the attempt is over here, whatever the worker still sends. */
    private void onCancel(WorkerChannel.CancelAttempt cancel) {
        switch (slots.cancel(cancel.attemptId())) {
            case IN_FLIGHT -> {
                ended.put(cancel.attemptId(), CANCELED_REASON);
                boolean neverSent =
                        awaitingVariables.removeIf(held -> held.attemptId().equals(cancel.attemptId()));
                if (!neverSent) send(new GatewayMessage.Cancel(cancel.runId(), cancel.attemptId(), cancel.reason()));
                // messages already waiting behind an outstanding call will never reach the engine
                for (AttemptCall ignored : calls.dropWaiting(cancel.attemptId()))
                    send(new GatewayMessage.Rejected(cancel.attemptId(), CANCELED_REASON));
                for (WorkerChannel.Execute next : slots.fillFreeSlots()) deliver(next);
                report();
                getContext()
                        .getLog()
                        .debug("session {}: attempt {} canceled ({})", sessionId, cancel.attemptId(), cancel.reason());
            }
            case WAITING -> report(); // the worker never saw it
            case NOT_HELD -> {} // already answered by the worker, or never ours
        }
    }

    /** Sends an attempt's call to the engine; its answer comes back as {@link CallAnswered}. */
    private void sendCall(String runId, String attemptId, AttemptCall call, long firstSentNanos, int repeats) {
        CompletionStage<?> sent = sender.send(engine.runs(), runId, attemptId, call);
        if (call.keepsLease()) {
            // A heartbeat or started lost on the way (sharding drops messages while a run's shard moves) would hold
            // the attempt's line for the whole ask timeout, which may be longer than the lease: wait one heartbeat
            // interval, when the next heartbeat is due, and let the next call go.
            sent = sent.toCompletableFuture()
                    .copy()
                    .orTimeout(engine.runSettings().heartbeatInterval().toMillis(), TimeUnit.MILLISECONDS);
        }
        getContext()
                .pipeToSelf(
                        sent.thenApply(answer -> (Object) answer),
                        (answer, failure) ->
                                new CallAnswered(runId, attemptId, call, firstSentNanos, repeats, answer, failure));
    }

    private Behavior<Command> onSendAgain(SendAgain msg) {
        outcomesSentAgain.increment();
        sendCall(msg.runId(), msg.attemptId(), msg.call(), msg.firstSentNanos(), msg.repeats());
        return Behaviors.same();
    }

    /**
     * An outcome the engine did not answer is sent again after a pause while the attempt's lease may still hold (it
     * lapses at the latest a lease timeout after the outcome was first sent: the worker renews it no more); the
     * attempt's later calls keep waiting behind it. A pause is scheduled, not a timer: leaving cancels the timers, and
     * the worker's outcome still matters once its socket is gone.
     */
    private boolean sendAgainLater(CallAnswered msg, Throwable failure) {
        if (!msg.call().finishesAttempt() || !(failure instanceof TimeoutException) || msg.repeats() >= OUTCOME_REPEATS)
            return false;
        Duration pause = OUTCOME_BACKOFF.multipliedBy(1L << msg.repeats());
        long leaseLapses =
                msg.firstSentNanos() + engine.runSettings().leaseTimeout().toNanos();
        if (System.nanoTime() + pause.toNanos() - leaseLapses >= 0) return false;
        getContext()
                .getLog()
                .info(
                        "session {}: no answer from the engine for the outcome of attempt {} ({}); sending it again in"
                                + " {} ms",
                        sessionId,
                        msg.attemptId(),
                        failure.toString(),
                        pause.toMillis());
        getContext()
                .scheduleOnce(
                        pause,
                        getContext().getSelf(),
                        new SendAgain(
                                msg.runId(), msg.attemptId(), msg.call(), msg.firstSentNanos(), msg.repeats() + 1));
        return true;
    }

    private Behavior<Command> onCallAnswered(CallAnswered msg) {
        Throwable failure = Failures.cause(msg.failure());
        if (sendAgainLater(msg, failure)) return Behaviors.same(); // still outstanding
        if (isStale(failure)) {
            reject(msg.attemptId());
            for (AttemptCall ignored : calls.dropWaiting(msg.attemptId())) reject(msg.attemptId());
            // the worker drops a fenced attempt, so it no longer holds a slot
            if (slots != null && !left) releaseSlot(msg.attemptId());
        } else if (msg.call() instanceof AttemptCall.UpdateMetadata update) {
            answerMetadata(msg.attemptId(), update, msg.result(), failure);
        } else if (msg.call() instanceof AttemptCall.RecordStep step && failure == null) {
            if (!ended.containsKey(msg.attemptId())) send(new GatewayMessage.StepRecorded(msg.attemptId(), step.key()));
        } else if (msg.call() instanceof AttemptCall.Suspend suspend) {
            answerSuspend(msg.attemptId(), suspend, failure);
        } else if (failure != null) {
            getContext()
                    .getLog()
                    .warn(
                            "session {}: no answer from the engine for attempt {} ({}); its lease decides",
                            sessionId,
                            msg.attemptId(),
                            failure.toString());
        }
        calls.answered(msg.attemptId());
        return left ? stopWhenDrained() : Behaviors.same();
    }

    /** The engine fenced the call: the attempt is not (or no longer) the run's current one. */
    private static boolean isStale(Throwable failure) {
        if (failure instanceof StaleAttemptException) return true;
        return failure instanceof RunRejectedException rejected
                && (rejected.reason() == RunRejectedException.Reason.STALE_ATTEMPT
                        || rejected.reason() == RunRejectedException.Reason.UNKNOWN_RUN);
    }

    /**
     * A suspension the engine applied ends the attempt here like a cancel: {@code suspended}, then the
     * slot is free and later messages about it are rejected uncounted. A refused one is answered and
     * the attempt goes on; the worker then fails it.
     */
    private void answerSuspend(String attemptId, AttemptCall.Suspend suspend, Throwable failure) {
        if (ended.containsKey(attemptId)) return; // the worker was told the attempt is over
        if (failure == null) {
            send(new GatewayMessage.Suspended(attemptId, suspend.key()));
            if (slots == null || left) return; // the socket is gone; leave() already gave the attempt back
            ended.put(attemptId, SUSPENDED_REASON);
            for (AttemptCall ignored : calls.dropWaiting(attemptId))
                send(new GatewayMessage.Rejected(attemptId, SUSPENDED_REASON));
            releaseSlot(attemptId);
        } else if (failure instanceof RunRejectedException rejected) {
            send(new GatewayMessage.SuspendRejected(attemptId, suspend.key(), rejected.getMessage()));
        } else {
            getContext()
                    .getLog()
                    .warn(
                            "session {}: no answer from the engine to a suspension of attempt {} ({})",
                            sessionId,
                            attemptId,
                            failure.toString());
            send(new GatewayMessage.SuspendRejected(
                    attemptId, suspend.key(), NO_ANSWER + "; the run may or may not be waiting"));
        }
    }

    private void answerMetadata(String attemptId, AttemptCall.UpdateMetadata update, Object result, Throwable failure) {
        if (ended.containsKey(attemptId)) return; // the worker was told the attempt is over
        if (failure == null) {
            send(new GatewayMessage.MetadataUpdated(
                    attemptId, update.requestId(), WorkerProtocol.metadata(((RunState) result).metadataJson())));
        } else if (failure instanceof RunRejectedException rejected) {
            send(new GatewayMessage.MetadataRejected(attemptId, update.requestId(), rejected.getMessage()));
        } else {
            getContext()
                    .getLog()
                    .warn(
                            "session {}: no answer from the engine to a metadata update of attempt {} ({})",
                            sessionId,
                            attemptId,
                            failure.toString());
            send(new GatewayMessage.MetadataRejected(
                    attemptId,
                    update.requestId(),
                    "the engine did not answer; the update may or may not have been applied"));
        }
    }

    /**
     * Sends an execution with its environment's variables: at once when the node read them recently, else once
     * they are read (executions keep their order).
     */
    private void deliver(WorkerChannel.Execute execute) {
        if (awaitingVariables.isEmpty()) {
            var fresh = variables.fresh(environment.id());
            if (fresh.isPresent()) {
                sendExecute(execute, fresh.get());
                return;
            }
            getContext()
                    .pipeToSelf(
                            variables.load(environment.id()),
                            (loaded, failure) -> new VariablesLoaded(loaded, failure));
        }
        awaitingVariables.add(execute);
    }

    private Behavior<Command> onVariablesLoaded(VariablesLoaded msg) {
        Map<String, String> loaded = msg.variables();
        if (msg.failure() != null) {
            // The run was leased, so the store answered moments ago: keep executing with what is known.
            loaded = variables.lastKnown(environment.id()).orElse(Map.of());
            getContext()
                    .getLog()
                    .warn(
                            "session {}: could not read the variables of {}, sending {} executions with the last"
                                    + " known ({} variables): {}",
                            sessionId,
                            environment.id(),
                            awaitingVariables.size(),
                            loaded.size(),
                            Failures.cause(msg.failure()).toString());
        }
        List<WorkerChannel.Execute> ready = List.copyOf(awaitingVariables);
        awaitingVariables.clear();
        for (WorkerChannel.Execute execute : ready) {
            // a cancel or a lost socket may have ended it meanwhile
            if (slots.inFlight(execute.attemptId()) != null) {
                sendExecute(execute, loaded);
            }
        }
        return Behaviors.same();
    }

    private void sendExecute(WorkerChannel.Execute execute, Map<String, String> envVars) {
        sentAttempts.put(execute.attemptId(), execute);
        send(WorkerProtocol.execute(execute, environment, envVars));
    }

    private void releaseSlot(String attemptId) {
        if (!slots.release(attemptId)) return;
        for (WorkerChannel.Execute next : slots.fillFreeSlots()) deliver(next);
        report();
    }

    /**
     * Reports free slots to the dispatcher once the messages already in the mailbox are handled: a burst of
     * completions (32 slots freed within a millisecond) is one report, not 32 through cluster sharding.
     */
    private void report() {
        if (reportPending) return;
        reportPending = true;
        getContext().getSelf().tell(FlushReport.INSTANCE);
    }

    private void reject(String attemptId) {
        staleRejected.increment();
        send(new GatewayMessage.Rejected(attemptId, STALE_REASON));
    }

    // ---------------------------------------------------------------- ending

    private Behavior<Command> protocolError(String message) {
        getContext().getLog().info("session {}: protocol error, closing: {}", sessionId, message);
        send(new GatewayMessage.Error(message));
        closeSocket();
        leave(DISCONNECTED);
        return stopWhenDrained();
    }

    private Behavior<Command> onSocketEnded() {
        socketEnded = true;
        canSend = false;
        leave(DISCONNECTED);
        return stopWhenDrained();
    }

    /** An execution that reached the session after it left: the worker will never see it. */
    private Behavior<Command> whileGone(FromEngine msg) {
        if (msg.message() instanceof WorkerChannel.Execute execute) {
            engine.runs().workerLost(execute.runId(), execute.attemptId(), DISCONNECTED);
        }
        return Behaviors.same();
    }

    /** Leaves the dispatcher and gives back every attempt the worker still held. Idempotent. */
    private void leave(String reason) {
        if (left) return;
        left = true;
        timers.cancelAll();
        if (registered) {
            engine.workerLeft(environment.id(), sessionId);
            getContext().getSystem().receptionist().tell(Receptionist.deregister(WorkerChannel.SERVICE_KEY, channel));
        }
        if (slots != null) {
            for (WorkerChannel.Execute held : slots.takeAll())
                engine.runs().workerLost(held.runId(), held.attemptId(), reason);
        }
        calls.keepOnlyAnswers();
        if (hello != null) getContext().getLog().info("session {}: worker {} left", sessionId, hello.workerId());
    }

    private void closeSocket() {
        if (canSend) socket.tell(WorkerSocket.Close.INSTANCE);
        canSend = false;
    }

    private Behavior<Command> stopWhenDrained() {
        return socketEnded && calls.idle() ? Behaviors.stopped() : draining();
    }

    private void send(GatewayMessage message) {
        if (canSend) socket.tell(new WorkerSocket.Send(WorkerProtocol.encode(message)));
    }

    private static WorkerMessage decode(WorkerSocket.Incoming frame) throws ProtocolException {
        if (frame instanceof WorkerSocket.Unreadable unreadable) throw new ProtocolException(unreadable.reason());
        return WorkerProtocol.decode(((WorkerSocket.Text) frame).text());
    }
}
