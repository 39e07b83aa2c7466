package dev.baton.gateway.triggercli;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.PostStop;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;
import akka.actor.typed.javadsl.TimerScheduler;
import akka.actor.typed.receptionist.Receptionist;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.baton.engine.Engine;
import dev.baton.engine.common.Failures;
import dev.baton.engine.dispatch.EnvironmentDispatcher;
import dev.baton.engine.run.AttemptSuspended;
import dev.baton.engine.run.RunRejectedException;
import dev.baton.engine.run.RunState;
import dev.baton.engine.run.RunStatus;
import dev.baton.engine.run.StaleAttemptException;
import dev.baton.engine.run.Wait;
import dev.baton.engine.task.QueueLimits;
import dev.baton.engine.worker.WorkerChannel;
import dev.baton.gateway.envvars.VariableCache;
import dev.baton.gateway.session.AttemptCall;
import dev.baton.gateway.session.SlotBook;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

/**
 * One {@code trigger.dev dev} process, as the engine's {@link WorkerChannel} for its environment. The CLI polls, so
 * the session reports {@code maxConcurrentRuns} free slots, holds each execution the dispatcher sends until the
 * CLI's next {@code dequeue} takes it, and turns {@code attempts/start}, {@code heartbeat} and
 * {@code attempts/complete} into the RunService calls a WebSocket worker's messages become (see
 * {@link dev.baton.gateway.session.WorkerSession}). While the CLI polls, the session renews the lease of every
 * attempt it executes (the CLI's own heartbeat comes only every 30 s). A run canceled while the CLI holds it shows
 * as a {@code PENDING_CANCEL} snapshot, which makes the CLI kill the task process. A CLI that stops calling for
 * {@code idleTimeout}, or whose watchdog posts {@code disconnect}, leaves: every attempt it still held is reported
 * lost, so its runs retry, as when a worker's socket ends.
 */
public final class CliSession extends AbstractBehavior<CliSession.Command> {

    public sealed interface Command {}

    /** The reply to one CLI request: its HTTP status and JSON body. */
    public record Answer(int status, JsonNode body) {
        static Answer ok(JsonNode body) {
            return new Answer(200, body);
        }

        static Answer refused(int status, String message) {
            return new Answer(status, CliWire.error(message));
        }
    }

    /**
     * A new background worker (a build of the CLI's tasks), its tasks already declared as {@code version}, whose
     * rank in the environment is {@code versionNumber}.
     */
    public record Register(String workerId, String version, long versionNumber, CliManifest.Declared declared)
            implements Command {}

    public record Dequeue(ActorRef<Answer> replyTo) implements Command {}

    public record Start(String runId, String snapshotId, ActorRef<Answer> replyTo) implements Command {}

    public record Heartbeat(String runId, String snapshotId, ActorRef<Answer> replyTo) implements Command {}

    public record Complete(String runId, String snapshotId, CliCompletion completion, ActorRef<Answer> replyTo)
            implements Command {}

    public record Latest(String runId, ActorRef<Answer> replyTo) implements Command {}

    /**
     * A wait inside a task ({@code wait.for} / {@code wait.until} past 5 s, {@code wait.forToken}): the run suspends
     * under its next positional key; {@code answer} builds the reply from the wait.
     */
    public record WaitFor(
            String runId, Function<String, Wait> waitOf, Function<Wait, JsonNode> answer, ActorRef<Answer> replyTo)
            implements Command {}

    /** The CLI's watchdog: the CLI died; its runs are canceled, as Trigger.dev does. */
    public record Disconnect(List<String> runIds, ActorRef<Answer> replyTo) implements Command {}

    private record FromEngine(WorkerChannel.Message message) implements Command {}

    private record StartAnswered(
            CliAttempt attempt, Map<String, String> variables, Throwable failure, ActorRef<Answer> replyTo)
            implements Command {}

    private record CompleteAnswered(
            CliAttempt attempt, CliCompletion completion, RunState after, Throwable failure, ActorRef<Answer> replyTo)
            implements Command {}

    private record WaitAnswered(
            CliAttempt attempt,
            String suspendedAttemptId,
            Wait waitFor,
            Function<Wait, JsonNode> answer,
            Throwable failure,
            ActorRef<Answer> replyTo)
            implements Command {}

    private record ResumeStarted(CliAttempt attempt, WorkerChannel.Execute execute, Throwable failure)
            implements Command {}

    private record WaitingRunLookedUp(
            CliAttempt attempt, Optional<RunState> run, Throwable failure, ActorRef<Answer> replyTo)
            implements Command {}

    private record RunLookedUp(Optional<RunState> run, Throwable failure, ActorRef<Answer> replyTo)
            implements Command {}

    private record Disconnected(int canceled, ActorRef<Answer> replyTo) implements Command {}

    private enum Tick implements Command {
        INSTANCE
    }

    private enum FlushReport implements Command {
        INSTANCE
    }

    /** The session's settings, from {@code baton.gateway.trigger-cli}. */
    public record Settings(
            int maxConcurrentRuns,
            Duration dequeueIntervalWithRun,
            Duration dequeueIntervalWithoutRun,
            Duration idleTimeout,
            Duration reportInterval) {}

    static final String STOPPED_POLLING = "the trigger.dev CLI stopped polling";
    static final String DISCONNECTED = "the trigger.dev CLI disconnected";
    static final String STOPPED_ASKING = "the trigger.dev CLI stopped asking about the run";
    static final String SDK = "trigger.dev CLI";
    private static final String TICK_TIMER = "tick";
    /** Attempts remembered per session once over, so the CLI's late calls about them get a FINISHED snapshot. */
    static final int REMEMBERED_ATTEMPTS = 4096;

    public static Behavior<Command> create(
            Engine engine,
            Settings settings,
            CliWire.Context context,
            String sessionId,
            VariableCache variables,
            Map<String, String> extraVariables,
            Clock clock,
            Runnable stopped) {
        return Behaviors.withMdc(
                Command.class,
                Map.of("environment", context.environment().id(), "workerSession", sessionId),
                Behaviors.setup(actorContext -> Behaviors.withTimers(timers -> new CliSession(
                        actorContext,
                        timers,
                        engine,
                        settings,
                        context,
                        sessionId,
                        variables,
                        extraVariables,
                        clock,
                        stopped))));
    }

    private final TimerScheduler<Command> timers;
    private final Engine engine;
    private final Settings settings;
    private final CliWire.Context context;
    private final String environmentId;
    private final String sessionId;
    private final VariableCache variables;
    private final Map<String, String> extraVariables;
    private final Clock clock;
    /** Tells the node's registry the session is gone. */
    private final Runnable stopped;

    private final ActorRef<WorkerChannel.Message> channel;
    private final SlotBook slots;
    private final ArrayDeque<CliAttempt> ready = new ArrayDeque<>();
    /** The attempts handed to this CLI, by run id (the CLI names runs, not attempts), oldest first, bounded. */
    private final Map<String, CliAttempt> attempts = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, CliAttempt> eldest) {
            return size() > REMEMBERED_ATTEMPTS;
        }
    };

    private final Instant connectedAt;
    private Instant lastCall;
    private String workerId;
    private String workerVersion;
    private long workerVersionNumber;
    private CliManifest.Declared declared;
    private final Map<String, String> versions = new HashMap<>();
    /** Each background worker's manifest: an attempt runs with the build it was handed out under. */
    private final Map<String, CliManifest.Declared> manifests = new HashMap<>();

    private boolean registered;
    private boolean left;
    private boolean reportPending;

    private CliSession(
            ActorContext<Command> actorContext,
            TimerScheduler<Command> timers,
            Engine engine,
            Settings settings,
            CliWire.Context context,
            String sessionId,
            VariableCache variables,
            Map<String, String> extraVariables,
            Clock clock,
            Runnable stopped) {
        super(actorContext);
        this.stopped = stopped;
        this.timers = timers;
        this.engine = engine;
        this.settings = settings;
        this.context = context;
        this.environmentId = context.environment().id();
        this.sessionId = sessionId;
        this.variables = variables;
        this.extraVariables = Map.copyOf(extraVariables);
        this.clock = clock;
        this.channel = actorContext.messageAdapter(WorkerChannel.Message.class, FromEngine::new);
        this.slots = new SlotBook(settings.maxConcurrentRuns());
        this.connectedAt = clock.instant();
        this.lastCall = connectedAt;
        Duration tick = min(engine.runSettings().heartbeatInterval(), settings.reportInterval());
        timers.startTimerWithFixedDelay(
                TICK_TIMER, Tick.INSTANCE, min(tick, settings.idleTimeout().dividedBy(4)));
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Register.class, this::onRegister)
                .onMessage(Dequeue.class, this::onDequeue)
                .onMessage(Start.class, this::onStart)
                .onMessage(StartAnswered.class, this::onStartAnswered)
                .onMessage(Heartbeat.class, this::onHeartbeat)
                .onMessage(Complete.class, this::onComplete)
                .onMessage(CompleteAnswered.class, this::onCompleteAnswered)
                .onMessage(WaitFor.class, this::onWaitFor)
                .onMessage(WaitAnswered.class, this::onWaitAnswered)
                .onMessage(ResumeStarted.class, this::onResumeStarted)
                .onMessage(WaitingRunLookedUp.class, this::onWaitingRunLookedUp)
                .onMessage(Latest.class, this::onLatest)
                .onMessage(RunLookedUp.class, this::onRunLookedUp)
                .onMessage(Disconnect.class, this::onDisconnect)
                .onMessage(Disconnected.class, this::onDisconnected)
                .onMessage(FromEngine.class, this::onEngineMessage)
                .onMessage(Tick.class, msg -> onTick())
                .onMessage(FlushReport.class, msg -> onFlushReport())
                .onSignal(PostStop.class, signal -> {
                    leave(DISCONNECTED); // normally done already; covers a crash
                    stopped.run();
                    return Behaviors.same();
                })
                .build();
    }

    // ---------------------------------------------------------------- the CLI's calls

    private Behavior<Command> onRegister(Register msg) {
        lastCall = clock.instant();
        workerId = msg.workerId();
        workerVersion = msg.version();
        workerVersionNumber = msg.versionNumber();
        declared = msg.declared();
        versions.put(msg.workerId(), msg.version());
        manifests.put(msg.workerId(), msg.declared());
        if (!registered) {
            getContext().getSystem().receptionist().tell(Receptionist.register(WorkerChannel.SERVICE_KEY, channel));
            registered = true;
        }
        getContext()
                .getLog()
                .info(
                        "session {}: trigger.dev CLI worker {} ({}) registered {} tasks in {}",
                        sessionId,
                        workerId,
                        workerVersion,
                        declared.tasks().size(),
                        environmentId);
        report();
        return Behaviors.same();
    }

    private Behavior<Command> onDequeue(Dequeue msg) {
        Instant now = clock.instant();
        lastCall = now;
        ArrayNode messages = CliWire.MAPPER.createArrayNode();
        while (!ready.isEmpty()) {
            CliAttempt attempt = ready.poll();
            attempt.moveTo(CliAttempt.Phase.DEQUEUED, now);
            attempt.seen(now);
            messages.add(CliWire.dequeued(attempt, context, versions.get(attempt.workerId), now));
        }
        msg.replyTo().tell(Answer.ok(CliWire.MAPPER.createObjectNode().set("dequeuedMessages", messages)));
        return Behaviors.same();
    }

    private Behavior<Command> onStart(Start msg) {
        lastCall = clock.instant();
        CliAttempt attempt = held(msg.runId(), msg.snapshotId(), msg.replyTo());
        if (attempt == null) return Behaviors.same();
        if (attempt.phase() != CliAttempt.Phase.DEQUEUED) {
            msg.replyTo()
                    .tell(Answer.refused(
                            409,
                            "attempt " + attempt.execute.attemptNumber() + " of " + msg.runId() + " is "
                                    + attempt.phase().snapshotStatus + ", it cannot start"));
            return Behaviors.same();
        }
        CompletionStage<Map<String, String>> started = new AttemptCall.Start(null)
                .send(engine.runs(), msg.runId(), attempt.execute.attemptId())
                .thenCompose(done -> variables
                        .fresh(environmentId)
                        .<CompletionStage<Map<String, String>>>map(
                                java.util.concurrent.CompletableFuture::completedFuture)
                        .orElseGet(() -> variables.load(environmentId)));
        getContext()
                .pipeToSelf(started, (loaded, failure) -> new StartAnswered(attempt, loaded, failure, msg.replyTo()));
        return Behaviors.same();
    }

    private Behavior<Command> onStartAnswered(StartAnswered msg) {
        CliAttempt attempt = msg.attempt();
        Throwable failure = Failures.cause(msg.failure());
        if (failure != null) {
            msg.replyTo().tell(engineRefusal(attempt, failure));
            if (isStale(failure)) forget(attempt);
            return Behaviors.same();
        }
        if (attempt.phase() != CliAttempt.Phase.DEQUEUED) {
            // canceled while the engine started it: the CLI learns it from the snapshot
            msg.replyTo().tell(Answer.refused(409, "the run was canceled"));
            return Behaviors.same();
        }
        attempt.moveTo(CliAttempt.Phase.EXECUTING, clock.instant());
        attempt.seen(clock.instant());
        Map<String, String> envVars = new LinkedHashMap<>(msg.variables() == null ? Map.of() : msg.variables());
        envVars.putAll(extraVariables);
        CliManifest.Declared manifest = manifests.getOrDefault(attempt.workerId, declared);
        String taskId = attempt.execute.taskId();
        msg.replyTo()
                .tell(Answer.ok(CliWire.started(
                        attempt,
                        context,
                        manifest.files().getOrDefault(taskId, ""),
                        manifest.exportNames().get(taskId),
                        manifest.scheduledTasks().contains(taskId),
                        envVars)));
        return Behaviors.same();
    }

    private Behavior<Command> onHeartbeat(Heartbeat msg) {
        lastCall = clock.instant();
        CliAttempt attempt = held(msg.runId(), msg.snapshotId(), msg.replyTo());
        if (attempt == null) return Behaviors.same();
        attempt.seen(lastCall);
        if (attempt.phase() == CliAttempt.Phase.EXECUTING) beat(attempt);
        msg.replyTo().tell(Answer.ok(CliWire.MAPPER.createObjectNode().put("ok", true)));
        return Behaviors.same();
    }

    private Behavior<Command> onComplete(Complete msg) {
        Instant now = clock.instant();
        lastCall = now;
        CliAttempt attempt = held(msg.runId(), msg.snapshotId(), msg.replyTo());
        if (attempt == null) return Behaviors.same();
        switch (attempt.phase()) {
            case PENDING_CANCEL, FINISHED -> {
                // canceled (or timed out) while the process ran: the engine already ended the run
                if (attempt.phase() == CliAttempt.Phase.PENDING_CANCEL)
                    attempt.finish(CliAttempt.Phase.FINISHED, "CANCELED", now);
                msg.replyTo().tell(Answer.ok(CliWire.completed(attempt, "RUN_FINISHED")));
                return Behaviors.same();
            }
            case EXECUTING -> {}
            default -> {
                msg.replyTo()
                        .tell(Answer.refused(
                                409,
                                "attempt " + attempt.execute.attemptNumber() + " of " + msg.runId() + " is "
                                        + attempt.phase().snapshotStatus + ", it cannot complete"));
                return Behaviors.same();
            }
        }
        // the slot is free whatever the engine answers: if the call fails, the lease decides
        releaseSlot(attempt.execute.attemptId());
        String runId = attempt.execute.runId();
        String attemptId = attempt.execute.attemptId();
        AttemptCall call = msg.completion() instanceof CliCompletion.Succeeded succeeded
                ? new AttemptCall.Complete(succeeded.outputJson(), succeeded.ranFor())
                : failCall((CliCompletion.Failed) msg.completion());
        CompletionStage<RunState> after = call.send(engine.runs(), runId, attemptId)
                .thenCompose(done -> engine.runs().get(environmentId, runId))
                .thenApply(found -> found.orElse(null));
        getContext()
                .pipeToSelf(
                        after,
                        (state, failure) ->
                                new CompleteAnswered(attempt, msg.completion(), state, failure, msg.replyTo()));
        return Behaviors.same();
    }

    private static AttemptCall failCall(CliCompletion.Failed failed) {
        return new AttemptCall.Fail(failed.error(), failed.retry(), failed.ranFor());
    }

    private Behavior<Command> onCompleteAnswered(CompleteAnswered msg) {
        CliAttempt attempt = msg.attempt();
        Throwable failure = Failures.cause(msg.failure());
        if (failure != null) {
            msg.replyTo().tell(engineRefusal(attempt, failure));
            return Behaviors.same();
        }
        Instant now = clock.instant();
        RunState run = msg.after();
        if (run != null && !run.status().isFinal() && msg.completion() instanceof CliCompletion.Failed) {
            // Baton's engine queues every retry (after the policy's delay): the CLI takes it with a later dequeue.
            attempt.finish(CliAttempt.Phase.RETRY_QUEUED, "RETRYING_AFTER_FAILURE", now);
            msg.replyTo().tell(Answer.ok(CliWire.completed(attempt, "RETRY_QUEUED")));
        } else {
            String status = run == null
                    ? (msg.completion() instanceof CliCompletion.Succeeded
                            ? "COMPLETED_SUCCESSFULLY"
                            : "COMPLETED_WITH_ERRORS")
                    : CliWire.runStatus(run.status());
            attempt.finish(CliAttempt.Phase.FINISHED, status, now);
            msg.replyTo().tell(Answer.ok(CliWire.completed(attempt, "RUN_FINISHED")));
        }
        return Behaviors.same();
    }

    private Behavior<Command> onWaitFor(WaitFor msg) {
        lastCall = clock.instant();
        CliAttempt attempt = attempts.get(msg.runId());
        if (attempt == null || attempt.phase() != CliAttempt.Phase.EXECUTING) {
            msg.replyTo()
                    .tell(Answer.refused(
                            attempt == null ? 404 : 409,
                            "Run " + msg.runId()
                                    + " is not executing in this trigger.dev dev session: it cannot wait"));
            return Behaviors.same();
        }
        attempt.seen(lastCall);
        // The positional key the engine would choose too (Wait#positionalKey): the results the attempt started with.
        Wait wait =
                msg.waitOf().apply(Wait.positionalKey(attempt.execute.steps().size()));
        String attemptId = attempt.execute.attemptId();
        CompletionStage<?> suspended =
                new AttemptCall.Suspend(wait.key(), wait, null).send(engine.runs(), msg.runId(), attemptId);
        getContext()
                .pipeToSelf(
                        suspended,
                        (done, failure) ->
                                new WaitAnswered(attempt, attemptId, wait, msg.answer(), failure, msg.replyTo()));
        return Behaviors.same();
    }

    private Behavior<Command> onWaitAnswered(WaitAnswered msg) {
        Throwable failure = Failures.cause(msg.failure());
        if (failure != null) {
            msg.replyTo().tell(engineRefusal(msg.attempt(), failure));
            return Behaviors.same();
        }
        // Usually the engine's Suspended came first; across nodes the reply may overtake it.
        onSuspended(new AttemptSuspended(msg.attempt().execute.runId(), msg.suspendedAttemptId(), msg.waitFor()));
        msg.replyTo().tell(Answer.ok(msg.answer().apply(msg.waitFor())));
        return Behaviors.same();
    }

    /** The run suspended (by the CLI's wait, or by a child trigger naming it as parent): its slot is free. */
    private void onSuspended(AttemptSuspended suspended) {
        CliAttempt attempt = attempts.get(suspended.runId());
        if (attempt == null || !attempt.execute.attemptId().equals(suspended.attemptId())) return;
        if (attempt.phase() != CliAttempt.Phase.EXECUTING && attempt.phase() != CliAttempt.Phase.DEQUEUED) return;
        attempt.waitFor(suspended.waitFor(), clock.instant());
        releaseSlot(suspended.attemptId());
    }

    /**
     * The engine leased a waiting run again: not a new attempt for the CLI, but the next snapshot of the attempt
     * whose process waits, EXECUTING with the completed waitpoints, once the engine knows the lease started.
     */
    private boolean resumes(WorkerChannel.Execute execute) {
        CliAttempt attempt = attempts.get(execute.runId());
        if (attempt == null || attempt.phase() != CliAttempt.Phase.WAITING) return false;
        Wait wait = attempt.waitingFor();
        if (wait == null || !execute.steps().containsKey(wait.key())) return false;
        CompletionStage<?> started =
                new AttemptCall.Start(null).send(engine.runs(), execute.runId(), execute.attemptId());
        getContext().pipeToSelf(started, (done, failure) -> new ResumeStarted(attempt, execute, failure));
        return true;
    }

    private Behavior<Command> onResumeStarted(ResumeStarted msg) {
        CliAttempt attempt = msg.attempt();
        WorkerChannel.Execute execute = msg.execute();
        Throwable failure = Failures.cause(msg.failure());
        if (attempt.phase() != CliAttempt.Phase.WAITING || failure != null) {
            // canceled meanwhile, or the engine did not start it: the lease is given back and the run decides
            if (failure != null && !isStale(failure))
                engine.runs().workerLost(execute.runId(), execute.attemptId(), "the resumed attempt did not start");
            releaseSlot(execute.attemptId());
            return Behaviors.same();
        }
        Wait wait = attempt.waitingFor();
        Instant now = clock.instant();
        attempt.resume(
                execute,
                CliWire.completedWaitpoints(
                        execute.runId(), wait, execute.steps().get(wait.key()), now),
                now);
        return Behaviors.same();
    }

    private Behavior<Command> onLatest(Latest msg) {
        lastCall = clock.instant();
        CliAttempt attempt = attempts.get(msg.runId());
        if (attempt != null && attempt.phase() == CliAttempt.Phase.WAITING) {
            // No lease while it waits, so no cancel reaches the session: the run's state tells.
            attempt.seen(lastCall);
            getContext()
                    .pipeToSelf(
                            engine.runs().get(environmentId, msg.runId()),
                            (run, failure) -> new WaitingRunLookedUp(attempt, run, failure, msg.replyTo()));
            return Behaviors.same();
        }
        if (attempt != null && attempt.phase() != CliAttempt.Phase.READY) {
            attempt.seen(lastCall);
            msg.replyTo().tell(Answer.ok(CliWire.latest(attempt)));
            return Behaviors.same();
        }
        getContext()
                .pipeToSelf(
                        engine.runs().get(environmentId, msg.runId()),
                        (run, failure) -> new RunLookedUp(run, failure, msg.replyTo()));
        return Behaviors.same();
    }

    private Behavior<Command> onWaitingRunLookedUp(WaitingRunLookedUp msg) {
        CliAttempt attempt = msg.attempt();
        if (msg.failure() == null && msg.run().isPresent() && attempt.phase() == CliAttempt.Phase.WAITING) {
            RunState run = msg.run().get();
            if (run.status() == RunStatus.CANCELED) {
                attempt.moveTo(CliAttempt.Phase.PENDING_CANCEL, clock.instant());
            } else if (run.status().isFinal()) {
                attempt.finish(CliAttempt.Phase.FINISHED, CliWire.runStatus(run.status()), clock.instant());
            }
        }
        msg.replyTo().tell(Answer.ok(CliWire.latest(attempt)));
        return Behaviors.same();
    }

    private Behavior<Command> onRunLookedUp(RunLookedUp msg) {
        if (msg.failure() != null) {
            msg.replyTo().tell(Answer.refused(503, "the run could not be read, try again"));
        } else if (msg.run().isEmpty()) {
            msg.replyTo().tell(Answer.refused(404, "Run not found"));
        } else {
            msg.replyTo().tell(Answer.ok(CliWire.latest(msg.run().get())));
        }
        return Behaviors.same();
    }

    private Behavior<Command> onDisconnect(Disconnect msg) {
        List<String> held = msg.runIds().stream()
                .filter(runId -> {
                    CliAttempt attempt = attempts.get(runId);
                    return attempt != null
                            && (slots.inFlight(attempt.execute.attemptId()) != null
                                    || attempt.phase() == CliAttempt.Phase.WAITING);
                })
                .toList();
        CompletionStage<Integer> canceled = java.util.concurrent.CompletableFuture.completedFuture(0);
        for (String runId : held) {
            canceled = canceled.thenCompose(count -> engine.runs()
                    .cancel(environmentId, runId)
                    .handle((run, failure) -> count + (failure == null && run.isPresent() ? 1 : 0)));
        }
        getContext()
                .pipeToSelf(canceled, (count, failure) -> new Disconnected(count == null ? 0 : count, msg.replyTo()));
        return Behaviors.same();
    }

    private Behavior<Command> onDisconnected(Disconnected msg) {
        msg.replyTo().tell(Answer.ok(CliWire.MAPPER.createObjectNode().put("cancelled", msg.canceled())));
        leave(DISCONNECTED);
        return Behaviors.stopped();
    }

    /** The attempt of a run the CLI names, when its snapshot is one of this attempt's; else answers and null. */
    private CliAttempt held(String runId, String snapshotId, ActorRef<Answer> replyTo) {
        CliAttempt attempt = attempts.get(runId);
        if (attempt == null || attempt.phase() == CliAttempt.Phase.READY) {
            replyTo.tell(Answer.refused(404, "Run " + runId + " is not held by this trigger.dev dev session"));
            return null;
        }
        if (!attempt.owns(snapshotId)) {
            replyTo.tell(Answer.refused(
                    409,
                    "snapshot " + snapshotId + " is not the run's current attempt (now " + attempt.snapshotId() + ")"));
            return null;
        }
        return attempt;
    }

    private Answer engineRefusal(CliAttempt attempt, Throwable failure) {
        if (isStale(failure)) {
            return Answer.refused(
                    409,
                    "attempt " + attempt.execute.attemptNumber() + " of " + attempt.execute.runId()
                            + " is no longer the run's current attempt");
        }
        if (failure instanceof RunRejectedException rejected) return Answer.refused(400, rejected.getMessage());
        getContext()
                .getLog()
                .warn(
                        "session {}: no answer from the engine for attempt {} ({})",
                        sessionId,
                        attempt.execute.attemptId(),
                        failure.toString());
        return Answer.refused(503, "the engine did not answer in time, try again");
    }

    // ---------------------------------------------------------------- the engine's messages

    private Behavior<Command> onEngineMessage(FromEngine msg) {
        if (left) {
            if (msg.message() instanceof WorkerChannel.Execute execute)
                engine.runs().workerLost(execute.runId(), execute.attemptId(), DISCONNECTED);
            return Behaviors.same();
        }
        if (msg.message() instanceof WorkerChannel.Execute execute) {
            if (workerId == null || !declared.files().containsKey(execute.taskId())) {
                // not (or no longer) one of this CLI's tasks: give it back at once
                engine.runs().workerLost(execute.runId(), execute.attemptId(), "task not in the CLI's current build");
                report();
            } else if (slots.offer(execute)) {
                if (!resumes(execute)) hold(execute);
            } else {
                report();
            }
        } else if (msg.message() instanceof AttemptSuspended suspended) {
            onSuspended(suspended);
        } else if (msg.message() instanceof WorkerChannel.CancelAttempt cancel) {
            onCancel(cancel);
        } else if (msg.message() instanceof WorkerChannel.Resync resync
                && resync.environmentId().equals(environmentId)) {
            report();
        }
        return Behaviors.same();
    }

    private void hold(WorkerChannel.Execute execute) {
        CliAttempt attempt = new CliAttempt(execute, workerId, clock.instant());
        attempts.remove(execute.runId()); // the newest attempt goes last, so the oldest ends are dropped first
        attempts.put(execute.runId(), attempt);
        ready.add(attempt);
    }

    private void onCancel(WorkerChannel.CancelAttempt cancel) {
        switch (slots.cancel(cancel.attemptId())) {
            case IN_FLIGHT -> {
                CliAttempt attempt = attempts.get(cancel.runId());
                if (attempt != null && attempt.execute.attemptId().equals(cancel.attemptId())) {
                    if (attempt.phase() == CliAttempt.Phase.READY) {
                        // the CLI never saw it
                        ready.remove(attempt);
                        attempts.remove(cancel.runId());
                    } else {
                        attempt.moveTo(CliAttempt.Phase.PENDING_CANCEL, clock.instant());
                    }
                } else if (attempt != null && attempt.phase() == CliAttempt.Phase.WAITING) {
                    // canceled while its resume was starting: the process that waits stops
                    attempt.moveTo(CliAttempt.Phase.PENDING_CANCEL, clock.instant());
                }
                fillFreeSlots();
                report();
            }
            case WAITING -> report();
            case NOT_HELD -> {}
        }
    }

    // ---------------------------------------------------------------- slots, leases, reports

    private void releaseSlot(String attemptId) {
        if (!slots.release(attemptId)) return;
        fillFreeSlots();
        report();
    }

    private void fillFreeSlots() {
        for (WorkerChannel.Execute next : slots.fillFreeSlots()) {
            if (!resumes(next)) hold(next);
        }
    }

    private void forget(CliAttempt attempt) {
        attempt.finish(CliAttempt.Phase.FINISHED, attempt.runStatus(), clock.instant());
        releaseSlot(attempt.execute.attemptId());
    }

    private void beat(CliAttempt attempt) {
        new AttemptCall.Beat()
                .send(engine.runs(), attempt.execute.runId(), attempt.execute.attemptId())
                .whenComplete((done, failure) -> {
                    if (failure != null)
                        getContext()
                                .getLog()
                                .debug(
                                        "session {}: heartbeat of {} failed: {}",
                                        sessionId,
                                        attempt.execute.attemptId(),
                                        failure.toString());
                });
    }

    private Behavior<Command> onTick() {
        Instant now = clock.instant();
        if (Duration.between(lastCall, now).compareTo(settings.idleTimeout()) > 0) {
            getContext()
                    .getLog()
                    .info("session {}: {} for {}, leaving", sessionId, STOPPED_POLLING, settings.idleTimeout());
            leave(STOPPED_POLLING);
            return Behaviors.stopped();
        }
        // The CLI heartbeats only every 30 s, near the lease timeout: while it asks about a run (its snapshot poll
        // comes every 5 s), the session renews the lease. A run it stopped asking about (its process died, or a
        // dequeued message it could not read) is given back, so it retries.
        for (CliAttempt attempt : List.copyOf(attempts.values())) {
            if (attempt.phase() != CliAttempt.Phase.EXECUTING && attempt.phase() != CliAttempt.Phase.DEQUEUED) continue;
            if (Duration.between(attempt.lastSeen(), now).compareTo(settings.idleTimeout()) > 0) {
                getContext()
                        .getLog()
                        .info(
                                "session {}: {} about {}, giving it back",
                                sessionId,
                                STOPPED_ASKING,
                                attempt.execute.runId());
                engine.runs().workerLost(attempt.execute.runId(), attempt.execute.attemptId(), STOPPED_ASKING);
                forget(attempt);
            } else if (attempt.phase() == CliAttempt.Phase.EXECUTING) {
                beat(attempt);
            }
        }
        if (registered) report();
        return Behaviors.same();
    }

    private void report() {
        if (reportPending || !registered) return;
        reportPending = true;
        getContext().getSelf().tell(FlushReport.INSTANCE);
    }

    private Behavior<Command> onFlushReport() {
        reportPending = false;
        if (left || workerId == null) return Behaviors.same();
        Set<String> taskIds = declared.files().keySet();
        Map<String, QueueLimits> queues = declared.queueLimits();
        engine.reportWorker(
                environmentId,
                new EnvironmentDispatcher.WorkerReport(
                        sessionId,
                        workerId,
                        channel,
                        Set.copyOf(taskIds),
                        Map.copyOf(queues),
                        slots.freeSlots(),
                        slots.executesReceived(),
                        SDK,
                        settings.maxConcurrentRuns(),
                        connectedAt,
                        workerVersion,
                        workerVersionNumber));
        return Behaviors.same();
    }

    /** Leaves the dispatcher and gives back every attempt the CLI still held. Idempotent. */
    private void leave(String reason) {
        if (left) return;
        left = true;
        timers.cancelAll();
        if (registered) {
            engine.workerLeft(environmentId, sessionId);
            getContext().getSystem().receptionist().tell(Receptionist.deregister(WorkerChannel.SERVICE_KEY, channel));
        }
        for (WorkerChannel.Execute held : slots.takeAll())
            engine.runs().workerLost(held.runId(), held.attemptId(), reason);
        ready.clear();
    }

    // ---------------------------------------------------------------- helpers

    private static boolean isStale(Throwable failure) {
        if (failure instanceof StaleAttemptException) return true;
        return failure instanceof RunRejectedException rejected
                && (rejected.reason() == RunRejectedException.Reason.STALE_ATTEMPT
                        || rejected.reason() == RunRejectedException.Reason.UNKNOWN_RUN);
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }
}
