package dev.baton.engine.run;

import akka.Done;
import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import akka.cluster.sharding.typed.javadsl.EntityRef;
import akka.japi.function.Function;
import akka.pattern.StatusReply;
import akka.persistence.query.PersistenceQuery;
import akka.persistence.query.javadsl.CurrentEventsByPersistenceIdQuery;
import akka.stream.javadsl.Sink;
import dev.baton.engine.common.Asks;
import dev.baton.engine.common.Failures;
import dev.baton.engine.common.Ids;
import dev.baton.engine.idempotency.IdempotencyKeyEntity;
import dev.baton.engine.idempotency.IdempotencyKeyEntity.Claimed;
import dev.baton.engine.idempotency.IdempotencyKeyEntity.Kind;
import dev.baton.engine.metrics.BatonMetrics;
import dev.baton.engine.storage.NewEntities;
import dev.baton.engine.storage.StoreAvailability;
import dev.baton.engine.storage.StoreUnavailableException;
import dev.baton.engine.storage.WriteOutcomeUnknownException;
import dev.baton.engine.task.TaskCatalog;
import dev.baton.engine.worker.RunError;
import dev.baton.engine.worker.StepResult;
import dev.baton.engine.worker.WorkerChannel;
import io.micrometer.core.instrument.Counter;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/** The engine's API for runs, used by the HTTP API (trigger, read, manage) and the worker gateway (attempts). */
public final class RunService {

    /** Final statuses that free a run's idempotency key, so the same key triggers a new run (Trigger.dev semantics). */
    private static final Set<RunStatus> FREES_IDEMPOTENCY_KEY = Set.of(
            RunStatus.FAILED, RunStatus.CRASHED, RunStatus.SYSTEM_FAILURE, RunStatus.TIMED_OUT, RunStatus.EXPIRED);

    /** A debounce key's claim holds until its run leaves DELAYED, however long that takes: the run decides. */
    private static final Instant DEBOUNCE_CLAIM_EXPIRY = Instant.parse("9999-12-31T00:00:00Z");

    /**
     * How often one debounced trigger may find the key's run gone by (started, or created by a concurrent trigger)
     * before it gives up; each round means another trigger of the key made progress.
     */
    private static final int DEBOUNCE_ROUNDS = 16;

    /** @param cached true when an idempotency key returned an existing run */
    public record Triggered(RunState run, boolean cached) {}

    private final ActorSystem<?> system;
    private final ClusterSharding sharding;
    private final Clock clock;
    private final Duration askTimeout;
    private final String readJournalPluginId;
    private final Duration defaultKeyTtl;
    private final Duration requestKeyTtl;
    private final NewEntities newEntities;
    private final StoreAvailability store;
    private final Duration taskCacheTtl;
    private final Map<String, CachedTask> taskCache = new ConcurrentHashMap<>();
    private final Counter firstCreationsRetried;

    public RunService(
            ActorSystem<?> system,
            Clock clock,
            Duration askTimeout,
            String readJournalPluginId,
            Duration defaultKeyTtl,
            Duration requestKeyTtl,
            Duration taskCacheTtl) {
        this.system = system;
        this.sharding = ClusterSharding.get(system);
        this.clock = clock;
        this.askTimeout = askTimeout;
        this.readJournalPluginId = readJournalPluginId;
        this.defaultKeyTtl = defaultKeyTtl;
        this.requestKeyTtl = requestKeyTtl;
        this.newEntities = NewEntities.get(system);
        this.store = StoreAvailability.get(system);
        this.taskCacheTtl = taskCacheTtl;
        this.firstCreationsRetried = Counter.builder("baton.runs.first-creations.retried")
                .description("Runs created under an id no one had used, whose first attempt failed and was sent again"
                        + " reading the journal (a run existed after all, or the engine did not answer)")
                .register(BatonMetrics.get(system).registry());
    }

    public CompletionStage<Triggered> trigger(String environmentId, TriggerRequest request) {
        return trigger(environmentId, request, null);
    }

    /**
     * Creates a run. Completes only after {@code RunTriggered} is persisted (no lost trigger); a run of a task no
     * worker of the environment declared yet is PENDING_VERSION until one does.
     * With an idempotency key, every trigger of the key gets the same run until the key expires or
     * that run ends in a failure; a request key makes a retried request return its first answer.
     * Fails with {@link StoreUnavailableException} when nothing was stored (the database is known to be
     * down), and with {@link WriteOutcomeUnknownException} when the run may or may not exist.
     */
    public CompletionStage<Triggered> trigger(String environmentId, TriggerRequest request, String requestKey) {
        return trigger(environmentId, request, requestKey, RunLineage.ROOT);
    }

    /** As {@link #trigger(String, TriggerRequest, String)}, for a run with a lineage of its own (a schedule's). */
    public CompletionStage<Triggered> trigger(
            String environmentId, TriggerRequest request, String requestKey, RunLineage lineage) {
        // Refused before any key is claimed: a claim would wait out the ask timeout while the database is down.
        StoreUnavailableException refusal = store.refusal();
        if (refusal != null) return CompletableFuture.failedFuture(refusal);
        return spec(environmentId, request, null).thenCompose(resolved -> {
            RunSpec spec = resolved.withLineage(lineage);
            if (requestKey == null) return triggerWithKey(spec, request, Ids.newId("run"));
            String candidate = Ids.newId("run");
            return claim(
                            spec,
                            Kind.REQUEST,
                            requestKey,
                            candidate,
                            null,
                            clock.instant().plus(requestKeyTtl))
                    .thenCompose(claimed -> claimed.isNew()
                            ? triggerWithKey(spec, request, candidate)
                                    .thenCompose(
                                            triggered -> rememberRequestAnswer(spec, requestKey, candidate, triggered))
                            // A retried request answers like the first one, whatever the run became since.
                            : create(claimed.runId(), spec).thenApply(run -> new Triggered(run, false)));
        });
    }

    /**
     * The spec of a run of the request's task: completed by the task's declaration, or, for a task no worker has
     * declared yet, a PENDING_VERSION run's. A {@code lockToVersion} naming a version that does not declare the task
     * fails with {@link RunRejectedException} ({@link RunRejectedException.Reason#UNKNOWN_VERSION}); a version
     * {@code inherited} from a parent run locks the run only if that version declares the task.
     */
    private CompletionStage<RunSpec> spec(String environmentId, TriggerRequest request, String inherited) {
        String locked = request.lockToVersion() != null ? request.lockToVersion() : inherited;
        return task(environmentId, request.taskId(), locked).thenApply(lookup -> {
            if (request.lockToVersion() != null && !lookup.versions().contains(request.lockToVersion())) {
                // Trigger.dev's answer for a task its locked version does not have.
                throw new RunRejectedException(
                        RunRejectedException.Reason.UNKNOWN_VERSION,
                        "Task '" + request.taskId() + "' not found on locked version '" + request.lockToVersion()
                                + "'.");
            }
            TriggerRequest effective = request.lockToVersion() == null
                            && inherited != null
                            && lookup.versions().contains(inherited)
                    ? request.toBuilder().lockToVersion(inherited).build()
                    : request;
            return lookup.task() == null
                    ? effective.pendingRunSpec(environmentId)
                    : effective.toRunSpec(environmentId, lookup.task());
        });
    }

    /**
     * The task's declaration and versions. Every trigger needs them, so what the catalog answered is reused for
     * {@code taskCacheTtl}: a new declaration reaches triggers on this node that much later. Only a declared task's
     * answer is kept, and it is asked again for a version it does not list, so a run is never made PENDING_VERSION,
     * nor a lock refused, because of an old answer.
     */
    private CompletionStage<TaskCatalog.TaskLookup> task(String environmentId, String taskId, String version) {
        String key = environmentId + "/" + taskId;
        CachedTask cached = taskCache.get(key);
        if (cached != null
                && System.nanoTime() - cached.fetchedAtNanos() < taskCacheTtl.toNanos()
                && (version == null || cached.lookup().versions().contains(version))) {
            return CompletableFuture.completedFuture(cached.lookup());
        }
        return Asks.direct(sharding.entityRefFor(TaskCatalog.ENTITY_TYPE_KEY, environmentId)
                        .<TaskCatalog.TaskLookup>ask(
                                replyTo -> new TaskCatalog.LookUpTask(taskId, replyTo), askTimeout))
                .thenApply(found -> {
                    if (found.task() != null) taskCache.put(key, new CachedTask(found, System.nanoTime()));
                    return found;
                });
    }

    private record CachedTask(TaskCatalog.TaskLookup lookup, long fetchedAtNanos) {}

    /** {@code candidate} is a new random id, never used before. */
    private CompletionStage<Triggered> triggerWithKey(RunSpec spec, TriggerRequest request, String candidate) {
        if (request.debounce() != null) {
            if (spec.idempotencyKey() != null) {
                return CompletableFuture.failedFuture(new RunRejectedException(
                        RunRejectedException.Reason.INVALID,
                        "options.debounce cannot be combined with options.idempotencyKey"));
            }
            return debounced(spec, request.debounce(), Debounce.TrailingFields.of(request), candidate);
        }
        Duration keyTtl = request.idempotencyKeyTtl();
        if (spec.idempotencyKey() == null) {
            return createNew(candidate, spec).thenApply(run -> new Triggered(run, false));
        }
        Instant expiresAt = clock.instant().plus(keyTtl == null ? defaultKeyTtl : keyTtl);
        return claim(spec, Kind.RUN, spec.idempotencyKey(), candidate, null, expiresAt)
                .thenCompose(claimed ->
                        // Triggering the claimed id creates it if its first trigger never got that far (a crash, a
                        // concurrent duplicate).
                        (claimed.isNew() ? createNew(claimed.runId(), spec) : create(claimed.runId(), spec))
                                .thenCompose(run -> {
                                    if (claimed.isNew() || !FREES_IDEMPOTENCY_KEY.contains(run.status())) {
                                        return CompletableFuture.completedFuture(new Triggered(run, !claimed.isNew()));
                                    }
                                    String next = Ids.newId("run");
                                    return claim(spec, Kind.RUN, spec.idempotencyKey(), next, run.runId(), expiresAt)
                                            .thenCompose(taken -> create(taken.runId(), spec)
                                                    .thenApply(created -> new Triggered(created, !taken.isNew())));
                                }));
    }

    /**
     * A debounced trigger: pushes back the DELAYED run its key names, or makes {@code candidate} the key's run (and
     * creates it) when the key names none, or a run that left DELAYED, or one the push would move beyond its
     * maxDelay. The key's entity says which run is current, so concurrent triggers of one key agree on one run.
     */
    private CompletionStage<Triggered> debounced(
            RunSpec spec, Debounce debounce, Debounce.TrailingFields latest, String candidate) {
        return claim(spec, Kind.DEBOUNCE, debounce.key(), candidate, null, DEBOUNCE_CLAIM_EXPIRY)
                .thenCompose(claimed -> debounceInto(spec, debounce, latest, claimed, DEBOUNCE_ROUNDS));
    }

    private CompletionStage<Triggered> debounceInto(
            RunSpec spec, Debounce debounce, Debounce.TrailingFields latest, Claimed claimed, int roundsLeft) {
        if (claimed.isNew()) return createNew(claimed.runId(), spec).thenApply(run -> new Triggered(run, false));
        String runId = claimed.runId();
        Instant delayUntil = clock.instant().plus(debounce.delay());
        Debounce.TrailingFields replacing = debounce.mode() == Debounce.Mode.TRAILING ? latest : null;
        return pushBack(runId, delayUntil, debounce.maxDelay(), replacing).thenCompose(reply -> {
            if (reply.isSuccess()) return CompletableFuture.completedFuture(new Triggered(reply.getValue(), false));
            String refusal = reply.getError().getMessage();
            if (roundsLeft == 0) throw new IllegalStateException("debounce key " + debounce.key() + " kept moving");
            if (refusal.startsWith(RunEntity.UNKNOWN_RUN)) {
                // The claim's own trigger has not created its run (it crashed, or is still on its way): creating it
                // here heals the key. A run that exists by now answers with its state, then takes this push.
                return create(runId, spec)
                        .thenCompose(run -> run.spec().equals(spec)
                                ? CompletableFuture.completedFuture(new Triggered(run, false))
                                : debounceInto(spec, debounce, latest, claimed, roundsLeft - 1));
            }
            if (refusal.startsWith(RunEntity.NOT_DELAYED) || refusal.startsWith(RunEntity.DEBOUNCE_WINDOW_CLOSED)) {
                return claim(spec, Kind.DEBOUNCE, debounce.key(), Ids.newId("run"), runId, DEBOUNCE_CLAIM_EXPIRY)
                        .thenCompose(next -> debounceInto(spec, debounce, latest, next, roundsLeft - 1));
            }
            throw RunRejectedException.fromReply(refusal);
        });
    }

    /** As {@link #change}, answering the run's refusal instead of failing with it: the caller decides on it. */
    private CompletionStage<StatusReply<RunState>> pushBack(
            String runId, Instant delayUntil, Duration maxDelay, Debounce.TrailingFields latest) {
        String what = "a change to run " + runId;
        return outcomeUnknownOnFailure(
                what,
                true,
                store.endedByOutage(
                        Asks.direct(run(runId)
                                .<StatusReply<RunState>>ask(
                                        replyTo -> new RunEntity.PushBack(delayUntil, maxDelay, latest, replyTo),
                                        askTimeout)),
                        () -> WriteOutcomeUnknownException.ofChange(what, store.unavailable())));
    }

    /** The request key must answer retries with the run this request ended up with (maybe a cached one). */
    private CompletionStage<Triggered> rememberRequestAnswer(
            RunSpec spec, String requestKey, String candidate, Triggered triggered) {
        if (triggered.run().runId().equals(candidate)) return CompletableFuture.completedFuture(triggered);
        // The run exists by now: a failure here must not read as "not stored".
        return outcomeUnknownOnFailure(
                "run " + triggered.run().runId(),
                false,
                claim(
                                spec,
                                Kind.REQUEST,
                                requestKey,
                                triggered.run().runId(),
                                candidate,
                                clock.instant().plus(requestKeyTtl))
                        .thenApply(claimed -> triggered));
    }

    private CompletionStage<Claimed> claim(
            RunSpec spec, Kind kind, String key, String candidate, String replacing, Instant expiresAt) {
        String entityId = IdempotencyKeyEntity.entityId(spec.environmentId(), spec.taskId(), kind, key);
        // Ended by an outage as "nothing stored": the run is created only after the claim answers.
        return store.endedByOutage(
                Asks.direct(sharding.entityRefFor(IdempotencyKeyEntity.ENTITY_TYPE_KEY, entityId)
                        .ask(
                                replyTo -> new IdempotencyKeyEntity.Claim(candidate, replacing, expiresAt, replyTo),
                                askTimeout)),
                store::unavailable);
    }

    /**
     * Once the Trigger is on its way, only the run's answer says whether RunTriggered was stored: any other end (the
     * ask timed out, the entity stopped on a journal failure) leaves it unknown, never "not stored".
     */
    private CompletionStage<RunState> create(String runId, RunSpec spec) {
        StoreUnavailableException refusal = store.refusal();
        if (refusal != null) return CompletableFuture.failedFuture(refusal);
        return outcomeUnknownOnFailure(
                "run " + runId,
                false,
                store.endedByOutage(
                        askRun(runId, replyTo -> new RunEntity.Trigger(spec, replyTo)),
                        () -> new WriteOutcomeUnknownException("run " + runId, store.unavailable())));
    }

    /** Refusals the run answered stay as they are; every other failure becomes {@link WriteOutcomeUnknownException}. */
    private static <T> CompletionStage<T> outcomeUnknownOnFailure(
            String what, boolean change, CompletionStage<T> stage) {
        return stage.handle((value, failure) -> {
            if (failure == null) return value;
            Throwable cause = Failures.cause(failure);
            if (cause instanceof RunRejectedException
                    || cause instanceof TaskNotFoundException
                    || cause instanceof WriteOutcomeUnknownException) {
                throw new CompletionException(cause);
            }
            throw change
                    ? WriteOutcomeUnknownException.ofChange(what, cause)
                    : new WriteOutcomeUnknownException(what, cause);
        });
    }

    /** As {@link #create}, for an id just made up here: its entity's recovery skips the journal query. */
    private CompletionStage<RunState> createNew(String runId, RunSpec spec) {
        String persistenceId = RunEntity.persistenceId(runId).id();
        newEntities.add(persistenceId);
        return create(runId, spec).whenComplete((run, failure) -> newEntities.forget(persistenceId));
    }

    /**
     * Creates the run under {@code runId} (a derived id: a batch item's), or finds it when it exists; completes with
     * its state. A run of a task no worker declared yet is PENDING_VERSION.
     */
    public CompletionStage<RunState> triggerWithId(
            String environmentId, TriggerRequest request, String runId, RunLineage lineage) {
        return triggerWithId(environmentId, request, runId, lineage, null);
    }

    /**
     * As {@link #triggerWithId(String, TriggerRequest, String, RunLineage)}, for a child run: it is locked to its
     * parent's version ({@code parentVersion}, null for none) unless it names one or that version does not declare
     * its task.
     */
    public CompletionStage<RunState> triggerWithId(
            String environmentId, TriggerRequest request, String runId, RunLineage lineage, String parentVersion) {
        return spec(environmentId, request, parentVersion)
                .thenCompose(spec -> create(runId, spec.withLineage(lineage)));
    }

    /**
     * As {@link #triggerWithId(String, TriggerRequest, String, RunLineage)}, for a derived id whose run nobody began to
     * create before (the caller knows it: a batch item's first start). Its entity recovers without asking the journal,
     * as a random id's does. Should the run exist after all, the journal refuses its second first event and the
     * entity stops unanswered: then, as after any failure but a refusal of the run, the trigger is sent once more
     * without the hint, and the recovered run answers with what is stored (counted as
     * {@code baton.runs.first-creations.retried}).
     */
    public CompletionStage<RunState> triggerFirstWithId(
            String environmentId, TriggerRequest request, String runId, RunLineage lineage) {
        return spec(environmentId, request, null).thenCompose(resolved -> {
            RunSpec spec = resolved.withLineage(lineage);
            return createNew(runId, spec).exceptionallyCompose(failure -> {
                Throwable cause = Failures.cause(failure);
                if (cause instanceof RunRejectedException || cause instanceof TaskNotFoundException)
                    return CompletableFuture.failedFuture(cause);
                firstCreationsRetried.increment();
                // The first attempt may have stored the run: a refusal now must not promise it was not.
                return create(runId, spec).exceptionallyCompose(again -> {
                    Throwable why = Failures.cause(again);
                    return CompletableFuture.failedFuture(
                            why instanceof StoreUnavailableException
                                    ? new WriteOutcomeUnknownException("run " + runId, why)
                                    : why);
                });
            });
        });
    }

    /** Frees the key: the next trigger with it creates a new run. */
    public CompletionStage<Done> resetIdempotencyKey(String environmentId, String taskId, String key) {
        String entityId = IdempotencyKeyEntity.entityId(environmentId, taskId, Kind.RUN, key);
        return sharding.entityRefFor(IdempotencyKeyEntity.ENTITY_TYPE_KEY, entityId)
                .ask(IdempotencyKeyEntity.Reset::new, askTimeout);
    }

    /** The run, if it exists in this environment (a run of another environment is as absent as an unknown id). */
    public CompletionStage<Optional<RunState>> get(String environmentId, String runId) {
        if (!looksLikeRunId(runId)) return CompletableFuture.completedFuture(Optional.empty());
        return Asks.direct(run(runId).<RunState>ask(RunEntity.Get::new, askTimeout))
                .thenApply(state -> state.belongsTo(environmentId) ? Optional.of(state) : Optional.empty());
    }

    /** A run's relatives: its tree's root and its parent (null for a root run) and the children it waited for. */
    public record RelatedRuns(RunState root, RunState parent, List<RunState> children) {}

    /** Reads the runs related to {@code run}; relatives that cannot be read in time are left out. */
    public CompletionStage<RelatedRuns> related(RunState run) {
        RunLineage lineage = run.lineage();
        CompletableFuture<RunState> root = stateOrNull(lineage.rootRunId());
        CompletableFuture<RunState> parent = stateOrNull(lineage.parentRunId());
        List<CompletableFuture<RunState>> children =
                run.children().stream().map(this::stateOrNull).toList();
        List<CompletableFuture<RunState>> all = new ArrayList<>(children);
        all.add(root);
        all.add(parent);
        return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new))
                .thenApply(done -> new RelatedRuns(
                        root.join(),
                        parent.join(),
                        children.stream()
                                .map(CompletableFuture::join)
                                .filter(Objects::nonNull)
                                .toList()));
    }

    private CompletableFuture<RunState> stateOrNull(String runId) {
        if (!looksLikeRunId(runId)) return CompletableFuture.completedFuture(null);
        return Asks.direct(run(runId).<RunState>ask(RunEntity.Get::new, askTimeout))
                .thenApply(state -> state.exists() ? state : null)
                .exceptionally(failure -> null);
    }

    /** The run's journal, in order, read back from the event store. */
    public CompletionStage<Optional<List<RecordedEvent>>> history(String environmentId, String runId) {
        return get(environmentId, runId).thenCompose(found -> {
            if (found.isEmpty()) return CompletableFuture.completedFuture(Optional.empty());
            CurrentEventsByPersistenceIdQuery journal = PersistenceQuery.get(system)
                    .getReadJournalFor(CurrentEventsByPersistenceIdQuery.class, readJournalPluginId);
            return journal.currentEventsByPersistenceId(
                            RunEntity.persistenceId(runId).id(), 0, Long.MAX_VALUE)
                    .map(envelope -> new RecordedEvent(
                            envelope.sequenceNr(), Instant.ofEpochMilli(envelope.timestamp()), (RunEntity.Event)
                                    envelope.event()))
                    .runWith(Sink.seq(), system)
                    .thenApply(Optional::of);
        });
    }

    // ---------------------------------------------------------------- managing a run (API)

    public CompletionStage<Optional<RunState>> cancel(String environmentId, String runId) {
        return ifFound(environmentId, runId, () -> change(runId, RunEntity.Cancel::new));
    }

    public CompletionStage<Optional<RunState>> reschedule(String environmentId, String runId, Instant delayUntil) {
        return ifFound(
                environmentId, runId, () -> change(runId, replyTo -> new RunEntity.Reschedule(delayUntil, replyTo)));
    }

    public CompletionStage<Optional<RunState>> addTags(String environmentId, String runId, List<String> tags) {
        return ifFound(environmentId, runId, () -> change(runId, replyTo -> new RunEntity.AddTags(tags, replyTo)));
    }

    public CompletionStage<Optional<RunState>> updateMetadata(
            String environmentId, String runId, List<MetadataOperation> operations) {
        return ifFound(
                environmentId,
                runId,
                () -> change(runId, replyTo -> new RunEntity.UpdateMetadata(operations, null, replyTo)));
    }

    /**
     * A change to an existing run, as {@link #create} is for a new one: refused (503) while the store is known to
     * be down, and once sent, only the run's answer says whether it was stored.
     */
    private CompletionStage<RunState> change(
            String runId, Function<ActorRef<StatusReply<RunState>>, RunEntity.Command> command) {
        StoreUnavailableException refusal = store.refusal();
        if (refusal != null) return CompletableFuture.failedFuture(refusal);
        String what = "a change to run " + runId;
        return outcomeUnknownOnFailure(
                what,
                true,
                store.endedByOutage(
                        askRun(runId, command),
                        () -> WriteOutcomeUnknownException.ofChange(what, store.unavailable())));
    }

    /** A new run with the original's task, payload, queue, tags and metadata, changed by {@code overrides}. */
    public CompletionStage<Optional<RunState>> replay(String environmentId, String runId, ReplayOverrides overrides) {
        return get(environmentId, runId)
                .thenCompose(found -> found.isEmpty()
                        ? CompletableFuture.completedFuture(Optional.empty())
                        : createNew(
                                        Ids.newId("run"),
                                        overrides.applyTo(found.get().spec(), runId))
                                .thenApply(Optional::of));
    }

    /**
     * As {@link #replay} with no overrides, under {@code replayRunId} (a derived id): repeated, it finds the replay it
     * made before instead of making another.
     */
    public CompletionStage<Optional<RunState>> replayAs(String environmentId, String runId, String replayRunId) {
        return get(environmentId, runId)
                .thenCompose(found -> found.isEmpty()
                        ? CompletableFuture.completedFuture(Optional.empty())
                        : create(
                                        replayRunId,
                                        ReplayOverrides.NONE.applyTo(found.get().spec(), runId))
                                .thenApply(Optional::of));
    }

    private CompletionStage<Optional<RunState>> ifFound(
            String environmentId, String runId, java.util.function.Supplier<CompletionStage<RunState>> command) {
        return get(environmentId, runId)
                .thenCompose(found -> found.isEmpty()
                        ? CompletableFuture.completedFuture(Optional.empty())
                        : command.get().thenApply(Optional::of));
    }

    // ---------------------------------------------------------------- attempts (worker gateway)

    public CompletionStage<Done> startAttempt(String runId, String attemptId) {
        return startAttempt(runId, attemptId, null);
    }

    /** @param runningFor how long the handler had run when the worker said it started; null when it did not say */
    public CompletionStage<Done> startAttempt(String runId, String attemptId, Duration runningFor) {
        return attemptCommand(runId, replyTo -> new RunEntity.StartAttempt(attemptId, runningFor, replyTo));
    }

    public CompletionStage<Done> heartbeat(String runId, String attemptId) {
        return attemptCommand(runId, replyTo -> new RunEntity.Heartbeat(attemptId, replyTo));
    }

    public CompletionStage<Done> complete(String runId, String attemptId, String outputJson) {
        return complete(runId, attemptId, outputJson, null);
    }

    /** @param ranFor how long the handler ran, as the worker measured it; null when it did not say */
    public CompletionStage<Done> complete(String runId, String attemptId, String outputJson, Duration ranFor) {
        return attemptCommand(runId, replyTo -> new RunEntity.CompleteAttempt(attemptId, outputJson, ranFor, replyTo));
    }

    public CompletionStage<Done> fail(String runId, String attemptId, RunError error, boolean retryable) {
        return fail(runId, attemptId, error, retryable, null);
    }

    /** @param ranFor how long the handler ran, as the worker measured it; null when it did not say */
    public CompletionStage<Done> fail(
            String runId, String attemptId, RunError error, boolean retryable, Duration ranFor) {
        return attemptCommand(
                runId, replyTo -> new RunEntity.FailAttempt(attemptId, error, retryable, ranFor, replyTo));
    }

    /** A durable operation of the attempt finished: its result is kept for every later attempt. */
    public CompletionStage<Done> completeStep(String runId, String attemptId, String key, StepResult result) {
        return attemptCommand(runId, replyTo -> new RunEntity.CompleteStep(attemptId, key, result, replyTo));
    }

    /**
     * The attempt stops until {@code wait} is resolved. Fails with {@link StaleAttemptException} for
     * an attempt that is not current and {@link RunRejectedException} for a wait the run refuses.
     */
    public CompletionStage<Done> suspend(String runId, String attemptId, Wait wait) {
        if (!looksLikeRunId(runId)) return CompletableFuture.failedFuture(new StaleAttemptException(runId, "unknown"));
        return Asks.direct(run(runId)
                        .<StatusReply<Done>>ask(replyTo -> new RunEntity.Suspend(attemptId, wait, replyTo), askTimeout))
                .thenApply(reply -> {
                    if (reply.isSuccess()) return Done.getInstance();
                    String message = reply.getError().getMessage();
                    if (message.startsWith(RunEntity.STALE_ATTEMPT) || message.startsWith(RunEntity.UNKNOWN_RUN)) {
                        throw new StaleAttemptException(runId, message);
                    }
                    throw RunRejectedException.fromReply(message);
                });
    }

    /**
     * Suspends the attempt the run executes now with the wait {@code waitOf} builds from the run's state: for a wait
     * asked for by someone other than the worker (a trigger.dev task's {@code triggerAndWait} arrives as an API
     * trigger naming its parent). The worker learns it from {@link AttemptSuspended}.
     * Fails with {@link RunRejectedException} when the run is unknown here or executes no attempt.
     */
    public CompletionStage<Wait> suspendCurrentAttempt(
            String environmentId, String runId, java.util.function.Function<RunState, Wait> waitOf) {
        return get(environmentId, runId).thenCompose(found -> {
            if (found.isEmpty())
                throw new RunRejectedException(RunRejectedException.Reason.UNKNOWN_RUN, "Run " + runId + " not found");
            RunState run = found.get();
            if (!run.isRunning() || run.currentAttempt() == null)
                throw new RunRejectedException(
                        RunRejectedException.Reason.INVALID,
                        "Run " + runId + " is " + run.status() + ": only an executing run can wait");
            if (!WorkerChannel.keepsProcessAcrossWaits(run.currentAttempt().sessionId()))
                throw new RunRejectedException(
                        RunRejectedException.Reason.INVALID,
                        "Run " + runId + " is not executed by a trigger.dev CLI: its worker waits for its own children"
                                + " (parentRunId with resumeParentOnCompletion)");
            Wait wait = waitOf.apply(run);
            return suspend(runId, run.currentAttempt().id(), wait).thenApply(done -> wait);
        });
    }

    /**
     * A trigger.dev task's {@code triggerAndWait}: the attempt the parent executes suspends for {@code children},
     * under the parent's next positional key, and the parent's wait triggers them as it does the Java SDK's child runs
     * (ids derived from the parent and the key, see {@link Wait#childRunId}). Its {@code batchTriggerAndWait} goes
     * through a stored batch ({@code BatchService.createForParent}, then {@link #waitForBatch}).
     */
    public CompletionStage<Wait> waitForChildren(
            String environmentId, String parentRunId, List<TriggerRequest> children) {
        return suspendCurrentAttempt(
                environmentId, parentRunId, parent -> Wait.runs(Wait.positionalKey(parent), children, null));
    }

    /**
     * A trigger.dev task's {@code batchTriggerAndWait} once its batch has every item: the attempt the parent executes
     * suspends for {@code children} under {@code key}, the key its batch was created with (and {@code batchId} its id),
     * and the parent's wait triggers them. Idempotent, so whoever drives the batch may ask again after a crash or
     * concurrently: a parent that waits for {@code key} already, or has its result, completes it at once. Fails with
     * {@link RunRejectedException} when the parent cannot wait for it any more (it finished, or waited for something
     * else since the batch was created).
     */
    public CompletionStage<Wait> waitForBatch(
            String environmentId, String parentRunId, String key, String batchId, List<TriggerRequest> children) {
        Wait wait = Wait.runs(key, children, batchId);
        return get(environmentId, parentRunId).thenCompose(found -> {
            if (found.isPresent() && waitsOrWaitedFor(found.get(), key)) return CompletableFuture.completedFuture(wait);
            return suspendCurrentAttempt(environmentId, parentRunId, parent -> {
                        if (!Wait.positionalKey(parent).equals(key))
                            throw new RunRejectedException(
                                    RunRejectedException.Reason.INVALID,
                                    "Run " + parentRunId + " waited for something else since batch " + batchId
                                            + " was created");
                        return wait;
                    })
                    // Another driver may have suspended it meanwhile (this one's attempt is then stale).
                    .exceptionallyCompose(failure -> get(environmentId, parentRunId)
                            .thenApply(again -> {
                                if (again.isPresent() && waitsOrWaitedFor(again.get(), key)) return wait;
                                throw failure instanceof CompletionException completion
                                        ? completion
                                        : new CompletionException(failure);
                            }));
        });
    }

    private static boolean waitsOrWaitedFor(RunState run, String key) {
        return run.steps().containsKey(key)
                || (run.pendingWait() != null && key.equals(run.pendingWait().key()));
    }

    /** The batch id of the children a run starts with {@code batchTriggerAndWait} under {@code key}. */
    public static String batchIdOf(String runId, String key) {
        return Ids.derived("batch", runId + "/" + key);
    }

    /** A waitpoint token the run may wait for was completed or timed out; fire and forget. */
    public void tokenCompleted(String runId, String tokenId, StepResult result) {
        if (looksLikeRunId(runId)) run(runId).tell(new RunEntity.TokenCompleted(tokenId, result));
    }

    /** A worker updates the metadata of the run it executes; fenced by its attempt id. */
    public CompletionStage<RunState> updateMetadataFromAttempt(
            String runId, String attemptId, List<MetadataOperation> operations) {
        if (!looksLikeRunId(runId)) {
            return CompletableFuture.failedFuture(
                    new RunRejectedException(RunRejectedException.Reason.STALE_ATTEMPT, RunEntity.STALE_ATTEMPT));
        }
        return askRun(runId, replyTo -> new RunEntity.UpdateMetadata(operations, attemptId, replyTo));
    }

    /** The session holding the attempt is gone; fire and forget, the run decides. */
    public void workerLost(String runId, String attemptId, String reason) {
        run(runId).tell(new RunEntity.WorkerLost(attemptId, reason));
    }

    private CompletionStage<Done> attemptCommand(
            String runId, Function<ActorRef<StatusReply<Done>>, RunEntity.Command> command) {
        if (!looksLikeRunId(runId)) {
            return CompletableFuture.failedFuture(new StaleAttemptException(runId, "unknown"));
        }
        return Asks.direct(run(runId).ask(command, askTimeout)).thenApply(reply -> {
            if (reply.isError())
                throw new StaleAttemptException(runId, reply.getError().getMessage());
            return Done.getInstance();
        });
    }

    private CompletionStage<RunState> askRun(
            String runId, Function<ActorRef<StatusReply<RunState>>, RunEntity.Command> command) {
        return Asks.direct(run(runId).ask(command, askTimeout)).thenApply(reply -> {
            if (reply.isError())
                throw RunRejectedException.fromReply(reply.getError().getMessage());
            return reply.getValue();
        });
    }

    private EntityRef<RunEntity.Command> run(String runId) {
        return sharding.entityRefFor(RunEntity.ENTITY_TYPE_KEY, runId);
    }

    /** Compiled once: {@code String.matches} compiled it for every worker message (2 % of a drain's CPU). */
    private static final Pattern RUN_ID = Pattern.compile("run_[0-9a-z]{1,64}");

    /** Ids come from outside; anything that cannot be a run id must not start an entity. */
    static boolean looksLikeRunId(String runId) {
        return runId != null && RUN_ID.matcher(runId).matches();
    }
}
