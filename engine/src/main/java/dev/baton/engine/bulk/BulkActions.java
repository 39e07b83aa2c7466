package dev.baton.engine.bulk;

import akka.actor.typed.ActorSystem;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import akka.cluster.sharding.typed.javadsl.EntityRef;
import akka.pattern.StatusReply;
import dev.baton.engine.bulk.BulkActionEntity.Outcome;
import dev.baton.engine.bulk.BulkActionEntity.Selection;
import dev.baton.engine.bulk.BulkActionEntity.State;
import dev.baton.engine.bulk.BulkActionEntity.Type;
import dev.baton.engine.common.Asks;
import dev.baton.engine.common.Ids;
import dev.baton.engine.run.RunService;
import dev.baton.engine.run.RunStatus;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Bulk actions: create one (it then runs in the background, in its {@link BulkActionEntity}), read it, abort it.
 * What an action does to each run: a cancel cancels a run that is not finished and counts a finished one as a
 * failure (as Trigger.dev does); a replay makes a new run of any run, under an id derived from the action and the
 * run.
 */
public final class BulkActions {

    public static final String ID_PREFIX = "bulk";

    private final ClusterSharding sharding;
    private final BulkActionRuns runs;
    private final BulkActionSettings settings;
    private final Duration askTimeout;

    private BulkActions(ActorSystem<?> system, BulkActionRuns runs, BulkActionSettings settings, Duration askTimeout) {
        this.sharding = ClusterSharding.get(system);
        this.runs = runs;
        this.settings = settings;
        this.askTimeout = askTimeout;
    }

    /** Starts the entities on this node; {@code runs} is this node's reader of the run index. */
    public static BulkActions init(
            ActorSystem<?> system,
            Clock clock,
            RunService runService,
            BulkActionRuns runs,
            BulkActionSettings settings,
            Duration askTimeout) {
        BulkActionEntity.init(system, clock, settings, runs, processor(runService));
        return new BulkActions(system, runs, settings, askTimeout);
    }

    public BulkActionSettings settings() {
        return settings;
    }

    /** Creates an action over these run ids (repeats dropped); it starts at once. */
    public CompletionStage<State> createForRuns(
            String environmentId, Type type, String name, List<String> runIds, String createdBy) {
        List<String> distinct = List.copyOf(new LinkedHashSet<>(runIds));
        if (distinct.size() > settings.maxRunIds()) {
            throw new IllegalArgumentException("at most " + settings.maxRunIds() + " run ids, got " + distinct.size());
        }
        return create(environmentId, type, name, new Selection(distinct, null), distinct.size(), createdBy);
    }

    /** Creates an action over the runs the filter selects (counted now, as the total); it starts at once. */
    public CompletionStage<State> createForFilter(
            String environmentId, Type type, String name, BulkRunFilter filter, String createdBy) {
        return runs.count(environmentId, filter)
                .thenCompose(total -> create(environmentId, type, name, new Selection(null, filter), total, createdBy));
    }

    private CompletionStage<State> create(
            String environmentId, Type type, String name, Selection selection, long total, String createdBy) {
        String id = Ids.newId(ID_PREFIX);
        return Asks.direct(entity(id)
                .ask(
                        replyTo -> new BulkActionEntity.Create(
                                environmentId, name, type, selection, total, createdBy, replyTo),
                        askTimeout));
    }

    /** The action, if it exists in this environment. */
    public CompletionStage<Optional<State>> get(String environmentId, String bulkActionId) {
        if (!looksLikeId(bulkActionId)) return CompletableFuture.completedFuture(Optional.empty());
        return Asks.direct(entity(bulkActionId).ask(BulkActionEntity.Get::new, askTimeout))
                .thenApply(state -> state.belongsTo(environmentId) ? Optional.of(state) : Optional.empty());
    }

    /** Aborts a pending action; the reply's error says why not (not found, already completed or aborted). */
    public CompletionStage<StatusReply<State>> abort(String environmentId, String bulkActionId) {
        if (!looksLikeId(bulkActionId)) {
            return CompletableFuture.completedFuture(StatusReply.error(BulkActionEntity.NOT_FOUND));
        }
        return Asks.direct(
                entity(bulkActionId).ask(replyTo -> new BulkActionEntity.Abort(environmentId, replyTo), askTimeout));
    }

    /** Whether an abort's refusal means the action does not exist (else it had ended already). */
    public static boolean notFound(StatusReply<State> reply) {
        return reply.isError()
                && BulkActionEntity.NOT_FOUND.equals(reply.getError().getMessage());
    }

    /** Drives a pending action again (the sweeper's call); fire and forget. */
    public static void wake(ClusterSharding sharding, String bulkActionId) {
        sharding.entityRefFor(BulkActionEntity.ENTITY_TYPE_KEY, bulkActionId).tell(new BulkActionEntity.Wake());
    }

    private EntityRef<BulkActionEntity.Command> entity(String id) {
        return sharding.entityRefFor(BulkActionEntity.ENTITY_TYPE_KEY, id);
    }

    private static boolean looksLikeId(String id) {
        return id != null && id.startsWith(ID_PREFIX + "_") && id.length() <= 64;
    }

    /** The id of the run that replays {@code runId} for the action: the same every time. */
    static String replayRunId(String bulkActionId, String runId) {
        return Ids.derived("run", bulkActionId + "/replay/" + runId);
    }

    static BulkActionEntity.RunProcessor processor(RunService runService) {
        return (type, bulkActionId, environmentId, runId, resumedSince) -> {
            CompletionStage<Outcome> outcome = switch (type) {
                case CANCEL -> cancel(runService, environmentId, runId, resumedSince);
                case REPLAY ->
                    runService
                            .replayAs(environmentId, runId, replayRunId(bulkActionId, runId))
                            .thenApply(replay -> replay.map(run -> new Outcome(true, run.runId()))
                                    .orElseGet(() -> new Outcome(false, "run not found")));
            };
            return outcome.exceptionally(failure -> new Outcome(false, String.valueOf(failure.getMessage())));
        };
    }

    /**
     * A finished run is a failure, unless the action resumed after a restart and the run was canceled since the
     * action began: then the cancel was most likely the earlier incarnation's, whose outcome the restart lost.
     */
    private static CompletionStage<Outcome> cancel(
            RunService runService, String environmentId, String runId, Instant resumedSince) {
        return runService.get(environmentId, runId).thenCompose(found -> {
            if (found.isEmpty()) return CompletableFuture.completedFuture(new Outcome(false, "run not found"));
            RunStatus before = found.get().status();
            Instant finishedAt = found.get().finishedAt();
            if (before == RunStatus.CANCELED
                    && resumedSince != null
                    && finishedAt != null
                    && !finishedAt.isBefore(resumedSince)) {
                return CompletableFuture.completedFuture(new Outcome(true, "canceled before the action resumed"));
            }
            if (before.isFinal()) {
                return CompletableFuture.completedFuture(new Outcome(false, "run already finished: " + before));
            }
            return runService
                    .cancel(environmentId, runId)
                    .thenApply(after -> after.map(run -> run.status() == RunStatus.CANCELED
                                    ? new Outcome(true, null)
                                    : new Outcome(false, "run finished first: " + run.status()))
                            .orElseGet(() -> new Outcome(false, "run not found")));
        });
    }
}
