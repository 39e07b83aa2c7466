package dev.baton.engine.dispatch;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;
import akka.actor.typed.javadsl.TimerScheduler;
import akka.actor.typed.receptionist.Receptionist;
import akka.cluster.sharding.typed.ClusterShardingSettings;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import akka.cluster.sharding.typed.javadsl.Entity;
import akka.cluster.sharding.typed.javadsl.EntityTypeKey;
import com.typesafe.config.Config;
import dev.baton.engine.common.CborSerializable;
import dev.baton.engine.environment.EnvironmentSettings;
import dev.baton.engine.environment.QueueSettings;
import dev.baton.engine.metrics.BatonMetrics;
import dev.baton.engine.metrics.QueueMetrics;
import dev.baton.engine.task.QueueLimits;
import dev.baton.engine.task.RateLimit;
import dev.baton.engine.worker.WorkerChannel;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * Matches an environment's queued runs with free worker slots, within concurrency limits: per
 * queue (or per concurrency key of a queue, each with the queue's limit), an optional cap across a
 * queue's keys, and a limit for the whole environment. A queue may be paused, or its limit
 * overridden, by its environment's stored queue settings; an environment may be paused as a whole.
 * Queues and keys take turns, one run each per round, so a hot queue or key cannot starve the
 * others; within a key runs go by score (queued time minus priority). A queue may also limit how often its runs
 * (those of each of its keys) start: a {@link StartRateLimiter} per queue and key spaces the starts, and a timer wakes
 * the dispatcher when the earliest held-back key may start again. Every run of an environment passes through this one
 * actor, so its counts and rate limits hold cluster-wide.
 *
 * <p>Dispatch is demand-driven: a run is offered only to a session that reported a free slot, and
 * the run decides (through {@link QueuedRuns}) whether the offer still stands. Nothing here is
 * durable: queued runs re-enqueue themselves and running ones re-register when the sweeper wakes
 * them (asked for at start), and worker sessions re-report when asked through the receptionist.
 */
public final class EnvironmentDispatcher extends AbstractBehavior<EnvironmentDispatcher.Command> {

    public static final EntityTypeKey<Command> ENTITY_TYPE_KEY =
            EntityTypeKey.create(Command.class, "EnvironmentDispatcher");

    public sealed interface Command extends CborSerializable {}

    /**
     * A run waits for a worker. Duplicates (recovery or wake plus a live enqueue) are ignored; one from a run counted
     * as running since well before has the run checked with its entity.
     *
     * @param version with {@code locked}, the only version whose workers may run it; without, the version it ran on
     *     before, which it keeps while a worker of that version serving its task is connected (the old version drains
     *     its runs), else the newest version serving its task takes it; null for the newest
     */
    public record Enqueue(
            String runId,
            String taskId,
            String queue,
            String concurrencyKey,
            long score,
            String version,
            boolean locked)
            implements Command {

        public Enqueue(String runId, String taskId, String queue, String concurrencyKey, long score) {
            this(runId, taskId, queue, concurrencyKey, score, null, false);
        }
    }

    /**
     * A PENDING_VERSION run waits for a worker declaring its task: it is woken ({@link QueuedRuns#wake}) when one
     * reports, at once if one is connected. Kept in memory only: the run asks again on every wake.
     */
    public record AwaitTask(String runId, String taskId) implements Command {}

    /** A leased or executing run (re-)registers the concurrency slot it holds, e.g. after this dispatcher restarted. */
    public record Occupying(String runId, String taskId, String queue, String concurrencyKey) implements Command {}

    /** The run no longer waits in its queue nor holds a slot (it finished, failed an attempt, or was canceled). */
    public record Withdraw(String runId) implements Command {}

    /**
     * A worker session's view of itself. {@code executesReceived} counts every Execute the session has
     * seen, so offers still in flight towards it are not counted as free slots twice. {@code queues}
     * carries the limits its tasks declared for their queues (the newest report wins). {@code sdk} (what the
     * worker's hello named, version included), {@code slots} (its total) and {@code connectedAt} only describe the
     * worker to people ({@link ListWorkers}). {@code version} is the version of its task set and
     * {@code versionNumber} its rank in the environment (the task catalog's, the higher the newer): runs locked to a
     * version go to its workers only, others (see {@link Enqueue}) to the newest version serving their task.
     */
    public record WorkerReport(
            String sessionId,
            String workerId,
            ActorRef<WorkerChannel.Message> worker,
            Set<String> taskIds,
            Map<String, QueueLimits> queues,
            int freeSlots,
            long executesReceived,
            String sdk,
            int slots,
            Instant connectedAt,
            String version,
            long versionNumber)
            implements Command {

        public WorkerReport(
                String sessionId,
                String workerId,
                ActorRef<WorkerChannel.Message> worker,
                Set<String> taskIds,
                Map<String, QueueLimits> queues,
                int freeSlots,
                long executesReceived,
                String sdk,
                int slots,
                Instant connectedAt) {
            this(
                    sessionId,
                    workerId,
                    worker,
                    taskIds,
                    queues,
                    freeSlots,
                    executesReceived,
                    sdk,
                    slots,
                    connectedAt,
                    null,
                    0);
        }
    }

    public record WorkerLeft(String sessionId) implements Command {}

    /** Which worker sessions this dispatcher knows: the environment's connected workers, cluster-wide. */
    public record ListWorkers(ActorRef<ConnectedWorkers> replyTo) implements Command {}

    public record ConnectedWorkers(List<ConnectedWorker> workers) implements CborSerializable {}

    /**
     * One session as of its last report. {@code freeSlots} leaves out runs offered to it that it has not seen yet;
     * {@code runningRuns} counts the runs this dispatcher holds a concurrency slot for on it.
     */
    public record ConnectedWorker(
            String sessionId,
            String workerId,
            String sdk,
            List<String> taskIds,
            int slots,
            int freeSlots,
            int runningRuns,
            Instant connectedAt,
            Instant lastReportAt,
            String version)
            implements CborSerializable {}

    /**
     * The environment's overrides: its concurrency limit (null: {@code dispatch.environment-concurrency-limit}) and
     * whether it is paused (nothing is offered; what runs finishes). Sent when they change, and read at start and on
     * every reconcile tick, so a lost message heals.
     */
    public record ApplySettings(EnvironmentSettings settings) implements Command {}

    /**
     * One queue's overrides (paused, concurrency limit) changed; they are stored already. Like {@link ApplySettings},
     * all of them are read again at start and on every reconcile tick.
     */
    public record ApplyQueueSettings(String queue, QueueSettings settings) implements Command {}

    /** Asks for every queue the dispatcher knows: those with runs, those workers declared, those overridden. */
    public record DescribeQueues(ActorRef<Queues> replyTo) implements Command {}

    public record Queues(List<QueueDescription> queues) implements CborSerializable {}

    /** @param generation the count of queue changes applied when the read started: a read older than one is dropped */
    private record QueueSettingsLoaded(Map<String, QueueSettings> settings, long generation) implements Command {}

    private record WorkerTerminated(String sessionId) implements Command {}

    private record DispatchAnswered(DispatchReply reply) implements Command {}

    /** Worker sessions or sweepers found at start (one adapter: a second one for Listing would replace the first). */
    private record Listed(Receptionist.Listing listing) implements Command {}

    private enum ReconcileTick implements Command {
        INSTANCE
    }

    private enum SettingsUnreadable implements Command {
        INSTANCE
    }

    private enum LoadSettings implements Command {
        INSTANCE
    }

    /** A key held back by its rate limit may start again. */
    private enum RateLimitWake implements Command {
        INSTANCE
    }

    /** @param activity null when the run did not answer */
    private record Reconciled(String runId, QueuedRuns.Activity activity) implements Command {}

    public static void init(ActorSystem<?> system, Clock clock, QueuedRuns runs, EnvironmentSettingsSource source) {
        Config config = system.settings().config().getConfig("baton.engine");
        DispatchSettings settings = new DispatchSettings(
                config.getInt("dispatch.environment-concurrency-limit"),
                config.getDuration("dispatch.reconcile-interval"),
                config.getDuration("dispatch.settings-retry"),
                config.getDuration("dispatch.rate-limit-allowance"));
        // Passivating would drop the queues held in memory, so dispatchers stay up while the node does.
        ClusterShardingSettings sharding =
                ClusterShardingSettings.create(system).withNoPassivationStrategy();
        ClusterSharding.get(system)
                .init(Entity.of(ENTITY_TYPE_KEY, ctx -> create(ctx.getEntityId(), settings, clock, runs, source))
                        .withSettings(sharding));
    }

    /** @param rateLimitAllowance added to a rate limit's period when spacing starts ({@link StartRateLimiter}) */
    public record DispatchSettings(
            int environmentConcurrencyLimit,
            Duration reconcileInterval,
            Duration settingsRetry,
            Duration rateLimitAllowance) {}

    public static Behavior<Command> create(
            String environmentId,
            DispatchSettings settings,
            Clock clock,
            QueuedRuns runs,
            EnvironmentSettingsSource source) {
        return Behaviors.setup(context -> Behaviors.withTimers(
                timers -> new EnvironmentDispatcher(context, timers, environmentId, settings, clock, runs, source)));
    }

    // ---------------------------------------------------------------- model

    /** What the dispatcher knows of one connected worker session. */
    private static final class WorkerView {
        final String sessionId;
        String workerId;
        ActorRef<WorkerChannel.Message> worker;
        Set<String> taskIds = Set.of();
        String sdk;
        String version;
        long versionNumber;
        int slots;
        Instant connectedAt;
        Instant lastReportAt;
        int reportedFree;
        long reportedReceived;
        long offered;

        WorkerView(String sessionId, long alreadyReceived) {
            this.sessionId = sessionId;
            this.offered = alreadyReceived;
        }

        int available() {
            return (int) (reportedFree - (offered - reportedReceived));
        }
    }

    private record QueuedRun(
            String runId, String taskId, String queue, long score, long sequence, String version, boolean locked)
            implements Comparable<QueuedRun> {
        @Override
        public int compareTo(QueuedRun other) {
            int byScore = Long.compare(score, other.score);
            return byScore != 0 ? byScore : Long.compare(sequence, other.sequence);
        }
    }

    private record RunningRun(String queue, String key, String sessionId, Instant since) {}

    /**
     * How long after its offer a run's enqueue is taken for the recovery the offer caused; a later one has the run
     * checked with its entity (a check of a run that is running changes nothing, so this only saves asks).
     */
    private static final Duration OFFER_RECOVERY = Duration.ofSeconds(2);

    /** One concurrency key of a queue (the empty key when runs name none). */
    private static final class KeyQueue {
        final String key;
        final java.util.PriorityQueue<QueuedRun> pending = new java.util.PriorityQueue<>();
        int running;
        /** The last run counted as held back by the rate limit, so each is counted once. */
        String heldBackRunId;

        KeyQueue(String key) {
            this.key = key;
        }
    }

    private static final class QueueState {
        final String name;
        QueueLimits limits = QueueLimits.UNLIMITED;
        /** Whether a worker reported the limits its tasks declare (else they are unknown, not unlimited). */
        boolean declared;

        int running;
        int queued;
        final Map<String, KeyQueue> keys = new HashMap<>();
        /** Keys with pending runs, in turn order. */
        final ArrayDeque<KeyQueue> turns = new ArrayDeque<>();

        boolean inRotation;

        QueueState(String name) {
            this.name = name;
        }

        KeyQueue key(String key) {
            return keys.computeIfAbsent(key, KeyQueue::new);
        }
    }

    private final String environmentId;
    private final DispatchSettings settings;
    private final Clock clock;
    private final QueuedRuns runs;
    private final EnvironmentSettingsSource settingsSource;
    private EnvironmentSettings overrides = EnvironmentSettings.DEFAULTS;
    private boolean settingsLoaded;
    private Map<String, QueueSettings> queueSettings = new HashMap<>();
    private boolean queueSettingsLoaded;
    private long queueSettingsGeneration;
    private final TimerScheduler<Command> timers;
    private final ActorRef<DispatchReply> dispatchReplies;
    private final Map<String, WorkerView> workers = new LinkedHashMap<>();
    private final Map<String, QueueState> queues = new HashMap<>();
    /** Queues with pending runs, in turn order. */
    private final ArrayDeque<QueueState> queueTurns = new ArrayDeque<>();
    /** Pending runs by id; a run withdrawn while pending is dropped from here and skipped when reached. */
    private final Map<String, QueuedRun> pending = new HashMap<>();

    private final Map<String, RunningRun> running = new HashMap<>();
    /** PENDING_VERSION runs by the task they wait for a worker to declare. */
    private final Map<String, Set<String>> awaitingTask = new HashMap<>();

    private long sequence;
    private int workerRotation;
    private final StartRateLimiter<LimiterKey> rateLimiter;
    private final QueueMetrics metrics;
    /** The earliest a key held back by its rate limit in this dispatch pass may start; null when none was. */
    private Instant earliestHeldBack;
    /** When the rate-limit wake-up timer fires; null when none is pending. */
    private Instant wakeAt;

    private EnvironmentDispatcher(
            ActorContext<Command> context,
            TimerScheduler<Command> timers,
            String environmentId,
            DispatchSettings settings,
            Clock clock,
            QueuedRuns runs,
            EnvironmentSettingsSource settingsSource) {
        super(context);
        this.environmentId = environmentId;
        this.settings = settings;
        this.clock = clock;
        this.runs = runs;
        this.settingsSource = settingsSource;
        this.timers = timers;
        this.rateLimiter = new StartRateLimiter<>(clock.instant(), settings.rateLimitAllowance());
        this.metrics = BatonMetrics.get(context.getSystem()).queues();
        this.dispatchReplies = context.messageAdapter(DispatchReply.class, DispatchAnswered::new);
        ActorRef<Receptionist.Listing> listings = context.messageAdapter(Receptionist.Listing.class, Listed::new);
        context.getSystem().receptionist().tell(Receptionist.find(WorkerChannel.SERVICE_KEY, listings));
        context.getSystem().receptionist().tell(Receptionist.find(RunSweep.SERVICE_KEY, listings));
        timers.startTimerWithFixedDelay(ReconcileTick.INSTANCE, settings.reconcileInterval());
        loadSettings();
    }

    /** Until the overrides are read once nothing is offered: a paused environment or queue must not run anything. */
    private void loadSettings() {
        getContext()
                .pipeToSelf(
                        settingsSource.load(environmentId),
                        (loaded, failure) -> failure == null ? new ApplySettings(loaded) : SettingsUnreadable.INSTANCE);
        long generation = queueSettingsGeneration;
        getContext()
                .pipeToSelf(
                        settingsSource.loadQueues(environmentId),
                        (loaded, failure) -> failure == null
                                ? new QueueSettingsLoaded(loaded, generation)
                                : SettingsUnreadable.INSTANCE);
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Enqueue.class, this::onEnqueue)
                .onMessage(AwaitTask.class, this::onAwaitTask)
                .onMessage(Occupying.class, this::onOccupying)
                .onMessage(Withdraw.class, msg -> {
                    withdraw(msg.runId());
                    dispatch();
                    return this;
                })
                .onMessage(WorkerReport.class, this::onWorkerReport)
                .onMessage(WorkerLeft.class, msg -> removeWorker(msg.sessionId()))
                .onMessage(ListWorkers.class, this::onListWorkers)
                .onMessage(WorkerTerminated.class, this::onWorkerTerminated)
                .onMessage(DispatchAnswered.class, this::onDispatchAnswered)
                .onMessage(Listed.class, this::onListed)
                .onMessage(ReconcileTick.class, msg -> {
                    loadSettings();
                    rateLimiter.forgetIdle(clock.instant(), this::rateLimitOfLimiterKey);
                    return reconcile();
                })
                .onMessage(RateLimitWake.class, msg -> {
                    wakeAt = null;
                    dispatch();
                    return this;
                })
                .onMessage(ApplySettings.class, msg -> {
                    overrides = msg.settings();
                    settingsLoaded = true;
                    dispatch();
                    return this;
                })
                .onMessage(ApplyQueueSettings.class, msg -> {
                    queueSettingsGeneration++;
                    if (msg.settings().isDefault()) {
                        queueSettings.remove(msg.queue());
                    } else {
                        queueSettings.put(msg.queue(), msg.settings());
                    }
                    dispatch();
                    return this;
                })
                .onMessage(QueueSettingsLoaded.class, msg -> {
                    // A change applied since the read began is newer than what the read saw: read again (at once
                    // before the first read, else at the next tick).
                    if (msg.generation() != queueSettingsGeneration) {
                        if (!queueSettingsLoaded) loadSettings();
                        return this;
                    }
                    queueSettings = new HashMap<>(msg.settings());
                    queueSettingsLoaded = true;
                    dispatch();
                    return this;
                })
                .onMessage(DescribeQueues.class, msg -> {
                    msg.replyTo().tell(new Queues(describeQueues()));
                    return this;
                })
                .onMessage(SettingsUnreadable.class, msg -> {
                    // Keep what was read before; before the first read, try again soon rather than at the next tick.
                    if (!settingsLoaded || !queueSettingsLoaded) {
                        timers.startSingleTimer(LoadSettings.INSTANCE, settings.settingsRetry());
                    }
                    return this;
                })
                .onMessage(LoadSettings.class, msg -> {
                    loadSettings();
                    return this;
                })
                .onMessage(Reconciled.class, this::onReconciled)
                .build();
    }

    private Behavior<Command> onEnqueue(Enqueue msg) {
        if (pending.containsKey(msg.runId())) return this;
        RunningRun counted = running.get(msg.runId());
        if (counted != null) {
            // Mostly the run's own recovery answering the offer that started it, which it then takes. Long after the
            // offer it is a new incarnation that lost its lease with a dead node: checking it frees its slot now.
            if (counted.since().isBefore(clock.instant().minus(OFFER_RECOVERY))) reconcile(msg.runId());
            return this;
        }
        QueueState queue = queues.computeIfAbsent(msg.queue(), QueueState::new);
        // Runs bring their own copies of these names, and a queued run out of memory leaves only its QueuedRun
        // behind: sharing one instance of each made a backlog's live heap about 58 bytes a run smaller.
        QueuedRun run = new QueuedRun(
                msg.runId(),
                msg.taskId().intern(),
                queue.name,
                msg.score(),
                sequence++,
                msg.version() == null ? null : msg.version().intern(),
                msg.locked());
        pending.put(run.runId(), run);
        queue.queued++;
        KeyQueue key = queue.key(keyOf(msg.concurrencyKey()));
        key.pending.add(run);
        if (key.pending.size() == 1) queue.turns.add(key);
        if (!queue.inRotation) {
            queue.inRotation = true;
            queueTurns.add(queue);
        }
        dispatch();
        return this;
    }

    private Behavior<Command> onOccupying(Occupying msg) {
        if (!running.containsKey(msg.runId())) {
            removePending(msg.runId());
            occupy(msg.runId(), msg.queue(), keyOf(msg.concurrencyKey()), null);
        }
        return this;
    }

    /** Starting empty: ask the sessions to report themselves and the sweepers to wake this environment's runs. */
    private Behavior<Command> onListed(Listed msg) {
        Receptionist.Listing listing = msg.listing();
        if (listing.isForKey(WorkerChannel.SERVICE_KEY)) {
            listing.getServiceInstances(WorkerChannel.SERVICE_KEY)
                    .forEach(session -> session.tell(new WorkerChannel.Resync(environmentId)));
        } else if (listing.isForKey(RunSweep.SERVICE_KEY)) {
            listing.getServiceInstances(RunSweep.SERVICE_KEY)
                    .forEach(sweeper -> sweeper.tell(new RunSweep.SweepEnvironment(environmentId)));
        }
        return this;
    }

    private Behavior<Command> onWorkerReport(WorkerReport msg) {
        WorkerView view = workers.get(msg.sessionId());
        if (view == null) {
            view = new WorkerView(msg.sessionId(), msg.executesReceived());
            workers.put(msg.sessionId(), view);
            getContext().watchWith(msg.worker(), new WorkerTerminated(msg.sessionId()));
        }
        view.workerId = msg.workerId();
        view.worker = msg.worker();
        view.taskIds = msg.taskIds();
        view.sdk = msg.sdk();
        view.version = msg.version();
        view.versionNumber = msg.versionNumber();
        view.slots = msg.slots();
        view.connectedAt = msg.connectedAt();
        view.lastReportAt = clock.instant();
        view.reportedFree = msg.freeSlots();
        view.reportedReceived = msg.executesReceived();
        msg.queues().forEach((name, limits) -> {
            QueueState queue = queues.computeIfAbsent(name, QueueState::new);
            queue.limits = limits;
            queue.declared = true;
        });
        // The session declared its tasks before it reported: runs waiting for one of them find it declared now.
        msg.taskIds().forEach(taskId -> {
            Set<String> waiting = awaitingTask.remove(taskId);
            if (waiting != null) waiting.forEach(runs::wake);
        });
        dispatch();
        return this;
    }

    private Behavior<Command> onAwaitTask(AwaitTask msg) {
        for (WorkerView view : workers.values()) {
            if (view.taskIds.contains(msg.taskId())) {
                runs.wake(msg.runId());
                return this;
            }
        }
        awaitingTask.computeIfAbsent(msg.taskId(), id -> new HashSet<>()).add(msg.runId());
        return this;
    }

    private Behavior<Command> onListWorkers(ListWorkers msg) {
        Map<String, Integer> runningBySession = new HashMap<>();
        running.values().forEach(run -> {
            if (run.sessionId() != null) runningBySession.merge(run.sessionId(), 1, Integer::sum);
        });
        msg.replyTo()
                .tell(new ConnectedWorkers(workers.values().stream()
                        .map(view -> new ConnectedWorker(
                                view.sessionId,
                                view.workerId,
                                view.sdk,
                                view.taskIds.stream().sorted().toList(),
                                view.slots,
                                Math.max(0, view.available()),
                                runningBySession.getOrDefault(view.sessionId, 0),
                                view.connectedAt,
                                view.lastReportAt,
                                view.version))
                        .toList()));
        return this;
    }

    private Behavior<Command> removeWorker(String sessionId) {
        WorkerView removed = workers.remove(sessionId);
        if (removed != null) getContext().unwatch(removed.worker);
        return this;
    }

    private Behavior<Command> onDispatchAnswered(DispatchAnswered msg) {
        if (!msg.reply().accepted()) {
            // The run was no longer queued (canceled, expired, or a duplicate offer): slot and credit are free again.
            RunningRun offered = running.get(msg.reply().runId());
            if (offered != null && msg.reply().sessionId().equals(offered.sessionId())) {
                rateLimiter.refund(
                        limiterKey(offered.queue(), offered.key()), msg.reply().runId());
                withdraw(msg.reply().runId());
            }
            WorkerView view = workers.get(msg.reply().sessionId());
            if (view != null) view.offered--;
            dispatch();
        }
        return this;
    }

    /**
     * A session that stopped without leaving (its node died or was removed) told its runs nothing, and their entities
     * lost their leases with that node: started again elsewhere they enqueue, which is ignored while they count as
     * running. So they are checked now, not at a reconcile tick up to {@code reconcileInterval} later.
     */
    private Behavior<Command> onWorkerTerminated(WorkerTerminated msg) {
        removeWorker(msg.sessionId());
        running.forEach((runId, run) -> {
            if (msg.sessionId().equals(run.sessionId())) reconcile(runId);
        });
        return this;
    }

    /** Runs counted as running for a while are checked with their entities, so a lost Withdraw cannot leak a slot. */
    private Behavior<Command> reconcile() {
        Instant threshold = clock.instant().minus(settings.reconcileInterval());
        running.forEach((runId, run) -> {
            if (run.since().isBefore(threshold)) reconcile(runId);
        });
        return this;
    }

    private void reconcile(String runId) {
        getContext().pipeToSelf(runs.activity(runId), (activity, failure) -> new Reconciled(runId, activity));
    }

    private Behavior<Command> onReconciled(Reconciled msg) {
        if (msg.activity() != null
                && msg.activity() != QueuedRuns.Activity.RUNNING
                && running.containsKey(msg.runId())) {
            withdraw(msg.runId());
            // It went back to its queue and the enqueue was lost: wake it so it enqueues again.
            if (msg.activity() == QueuedRuns.Activity.QUEUED) runs.wake(msg.runId());
            dispatch();
        }
        return this;
    }

    // ---------------------------------------------------------------- dispatch

    /** Rounds over the queues with pending runs, one run per queue per round, until nothing more can go. */
    private void dispatch() {
        if (!settingsLoaded || !queueSettingsLoaded || overrides.paused()) return;
        earliestHeldBack = null;
        boolean progress = true;
        while (progress && hasFreeWorker()) {
            progress = false;
            for (int turn = queueTurns.size(); turn > 0 && !environmentFull(); turn--) {
                QueueState queue = queueTurns.poll();
                progress |= dispatchOne(queue);
                if (queue.turns.isEmpty()) {
                    queue.inRotation = false;
                } else {
                    queueTurns.add(queue);
                }
            }
            if (environmentFull()) break;
        }
        scheduleRateLimitWake();
    }

    /**
     * Wakes the dispatcher when the earliest key held back by its rate limit may start. A pass that ended early (no
     * free worker, the environment full) may not have seen every held-back key, but whatever ends that (a report, a
     * withdrawal) dispatches again; so a pending wake-up is only ever brought forward, never pushed back.
     */
    private void scheduleRateLimitWake() {
        if (earliestHeldBack == null) return;
        if (wakeAt != null && !wakeAt.isAfter(earliestHeldBack)) return;
        wakeAt = earliestHeldBack;
        Duration delay = Duration.between(clock.instant(), earliestHeldBack);
        timers.startSingleTimer(RateLimitWake.INSTANCE, delay.isNegative() ? Duration.ZERO : delay);
    }

    /** Offers the head run of the next key (in turn) that is under its limit and has a free worker for its task. */
    private boolean dispatchOne(QueueState queue) {
        QueueLimits limits = queue.limits;
        QueueSettings own = queueSettings.getOrDefault(queue.name, QueueSettings.DEFAULTS);
        if (own.paused()) return false;
        if (limits.globalConcurrencyLimit() != null && queue.running >= limits.globalConcurrencyLimit()) return false;
        Integer perKeyLimit = own.concurrencyLimit() != null ? own.concurrencyLimit() : limits.concurrencyLimit();
        RateLimit rateLimit = own.rateLimit() != null ? own.rateLimit() : limits.rateLimit();
        Instant now = clock.instant();
        for (int turn = queue.turns.size(); turn > 0; turn--) {
            KeyQueue key = queue.turns.poll();
            QueuedRun head = headOf(key);
            boolean offered = false;
            if (head != null
                    && (perKeyLimit == null || key.running < perKeyLimit)
                    && withinRateLimit(queue, key, head, rateLimit, now)) {
                WorkerView worker = freeWorkerFor(head);
                if (worker != null) {
                    key.pending.poll();
                    removePending(head.runId());
                    if (rateLimit != null) rateLimiter.started(limiterKey(queue.name, key.key), head.runId(), now);
                    offer(head, queue, key, worker);
                    offered = true;
                }
            }
            if (headOf(key) != null) queue.turns.add(key);
            if (offered) return true;
        }
        return false;
    }

    /**
     * Whether the key's rate limit (null: none) lets its head run start now; if not, notes when it will, and counts the
     * head run as held back (once).
     */
    private boolean withinRateLimit(QueueState queue, KeyQueue key, QueuedRun head, RateLimit rateLimit, Instant now) {
        if (rateLimit == null) return true;
        LimiterKey limiterKey = limiterKey(queue.name, key.key);
        if (rateLimiter.mayStart(limiterKey, rateLimit, now)) return true;
        Instant next = rateLimiter.nextStart(limiterKey, rateLimit);
        if (earliestHeldBack == null || next.isBefore(earliestHeldBack)) earliestHeldBack = next;
        if (!head.runId().equals(key.heldBackRunId)) {
            key.heldBackRunId = head.runId();
            metrics.rateLimited(environmentId, queue.name);
        }
        return false;
    }

    /** A queue's concurrency key (the empty key when runs name none) as the rate limiter knows it. */
    private record LimiterKey(String queue, String key) {}

    private static LimiterKey limiterKey(String queue, String key) {
        return new LimiterKey(queue, key);
    }

    /** The rate limit in force for a rate limiter's key (its queue's), or null for none. */
    private RateLimit rateLimitOfLimiterKey(LimiterKey limiterKey) {
        String name = limiterKey.queue();
        QueueSettings own = queueSettings.getOrDefault(name, QueueSettings.DEFAULTS);
        if (own.rateLimit() != null) return own.rateLimit();
        QueueState queue = queues.get(name);
        return queue == null ? null : queue.limits.rateLimit();
    }

    /** The key's first run still pending (withdrawn runs are dropped here). */
    private QueuedRun headOf(KeyQueue key) {
        QueuedRun head = key.pending.peek();
        while (head != null && pending.get(head.runId()) != head) {
            key.pending.poll();
            head = key.pending.peek();
        }
        return head;
    }

    private void offer(QueuedRun run, QueueState queue, KeyQueue key, WorkerView worker) {
        worker.offered++;
        occupy(run.runId(), queue.name, key.key, worker.sessionId);
        runs.offer(run.runId(), worker.sessionId, worker.workerId, worker.worker, worker.version, dispatchReplies);
    }

    private void occupy(String runId, String queueName, String keyName, String sessionId) {
        QueueState queue = queues.computeIfAbsent(queueName, QueueState::new);
        queue.running++;
        queue.key(keyName).running++;
        running.put(runId, new RunningRun(queueName, keyName, sessionId, clock.instant()));
    }

    /** Drops a run from the pending runs, keeping its queue's count of queued runs. */
    private void removePending(String runId) {
        QueuedRun run = pending.remove(runId);
        if (run != null) queues.get(run.queue()).queued--;
    }

    private List<QueueDescription> describeQueues() {
        Set<String> names = new TreeSet<>(queues.keySet());
        names.addAll(queueSettings.keySet());
        List<QueueDescription> described = new ArrayList<>(names.size());
        for (String name : names) {
            QueueState queue = queues.get(name);
            QueueSettings own = queueSettings.getOrDefault(name, QueueSettings.DEFAULTS);
            described.add(
                    queue == null
                            ? new QueueDescription(name, 0, 0, null, own)
                            : new QueueDescription(
                                    name, queue.queued, queue.running, queue.declared ? queue.limits : null, own));
        }
        return described;
    }

    private void withdraw(String runId) {
        removePending(runId);
        RunningRun run = running.remove(runId);
        if (run != null) {
            QueueState queue = queues.get(run.queue());
            queue.running--;
            queue.key(run.key()).running--;
        }
    }

    private boolean environmentFull() {
        Integer limit = overrides.concurrencyLimit();
        return running.size() >= (limit != null ? limit : settings.environmentConcurrencyLimit());
    }

    private boolean hasFreeWorker() {
        for (WorkerView view : workers.values()) {
            if (view.available() > 0) return true;
        }
        return false;
    }

    /**
     * A worker with a free slot for the run's task, of the version the run goes to ({@link Enqueue}: its locked
     * version; else the one it ran on while connected; else the newest among the connected workers serving the task).
     * So new versions take new runs while old ones drain theirs. Workers take turns.
     */
    private WorkerView freeWorkerFor(QueuedRun run) {
        String taskId = run.taskId();
        String wanted = run.locked() || servedBy(taskId, run.version()) ? run.version() : newestVersionServing(taskId);
        List<WorkerView> candidates = new ArrayList<>(workers.values());
        for (int i = 0; i < candidates.size(); i++) {
            WorkerView view = candidates.get(Math.floorMod(workerRotation + i, candidates.size()));
            if (view.available() > 0 && view.taskIds.contains(taskId) && Objects.equals(view.version, wanted)) {
                workerRotation = Math.floorMod(workerRotation + i + 1, candidates.size());
                return view;
            }
        }
        return null;
    }

    /** Whether a connected worker of {@code version} (non-null) serves the task. */
    private boolean servedBy(String taskId, String version) {
        if (version == null) return false;
        for (WorkerView view : workers.values()) {
            if (version.equals(view.version) && view.taskIds.contains(taskId)) return true;
        }
        return false;
    }

    /** The version of the highest number among the connected workers serving the task; null when none is. */
    private String newestVersionServing(String taskId) {
        WorkerView newest = null;
        for (WorkerView view : workers.values()) {
            if (view.taskIds.contains(taskId) && (newest == null || view.versionNumber > newest.versionNumber)) {
                newest = view;
            }
        }
        return newest == null ? null : newest.version;
    }

    private static String keyOf(String concurrencyKey) {
        return concurrencyKey == null ? "" : concurrencyKey;
    }
}
