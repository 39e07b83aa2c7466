package dev.baton.projections.runs;

import akka.Done;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.Behavior;
import akka.actor.typed.DispatcherSelector;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;
import akka.actor.typed.receptionist.Receptionist;
import akka.cluster.sharding.typed.ShardedDaemonProcessSettings;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import akka.cluster.sharding.typed.javadsl.ShardedDaemonProcess;
import dev.baton.engine.dispatch.RunSweep;
import dev.baton.engine.run.RunEntity;
import dev.baton.projections.internal.Jdbc;
import dev.baton.projections.listing.ListCursor;
import dev.baton.projections.runs.RunTable.Due;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import java.util.function.Function;
import javax.sql.DataSource;

/**
 * Wakes the runs of one tag that are overdue in the run index, so no run waits forever on a timer
 * or a queue that died with its node (invariant 5), and the runs that left memory to wait
 * ({@code baton.engine.run.idle-passivation}) in time. Every {@code sweep-interval} it wakes the runs due
 * within {@code wake-ahead} (earliest first, at most {@code sweep-batch}) and moves their wake time out by a
 * backoff; on {@link RunSweep.SweepEnvironment} (a dispatcher that started with empty queues) it wakes every
 * unfinished run of the environment, oldest first, {@code sweep-batch} at a time, each page once the last one's
 * runs have answered: a queued run out of memory starts from its journal when woken, and a backlog woken at once
 * started every one of its entities together. Waking is {@link RunEntity.Wake}: idempotent, cheap for a live run.
 *
 * <p>The JDBC calls block, so they run on the sweeper dispatcher, one at a time; requests arriving
 * meanwhile are remembered and served next.
 */
public final class RunIndexSweeper extends AbstractBehavior<RunIndexSweeper.Command> {

    public static final String NAME = "baton-run-sweeper";

    public sealed interface Command {}

    private enum Tick implements Command {
        INSTANCE
    }

    private record Requested(RunSweep.Request request) implements Command {}

    private record Swept(String what, int woken, Throwable failure) implements Command {}

    private record PageSwept(String environmentId, ListCursor from, RunTable.Unfinished page, Throwable failure)
            implements Command {}

    /** One sweeper per tag, somewhere in the cluster, each waking runs through cluster sharding. */
    public static void init(
            ActorSystem<?> system, DataSource dataSource, RunTable table, RunIndexSettings settings, Clock clock) {
        ClusterSharding sharding = ClusterSharding.get(system);
        Consumer<String> wake =
                runId -> sharding.entityRefFor(RunEntity.ENTITY_TYPE_KEY, runId).tell(new RunEntity.Wake());
        Function<String, CompletionStage<?>> wakeAnswered =
                runId -> sharding.entityRefFor(RunEntity.ENTITY_TYPE_KEY, runId)
                        .<Done>ask(RunEntity.Wake::new, WAKE_ANSWER_TIMEOUT);
        List<String> tags = settings.tags();
        ShardedDaemonProcess.get(system)
                .init(
                        Command.class,
                        NAME,
                        tags.size(),
                        index -> create(tags.get(index), dataSource, table, settings, clock, wake, wakeAnswered),
                        ShardedDaemonProcessSettings.create(system),
                        Optional.empty());
    }

    /**
     * @param wake tells a run to wake up (the run entity, through sharding, outside tests)
     * @param wakeAnswered the same, done when the run has answered (or failed to in time)
     */
    public static Behavior<Command> create(
            String tag,
            DataSource dataSource,
            RunTable table,
            RunIndexSettings settings,
            Clock clock,
            Consumer<String> wake,
            Function<String, CompletionStage<?>> wakeAnswered) {
        return Behaviors.setup(context -> Behaviors.withTimers(timers -> {
            timers.startTimerWithFixedDelay(Tick.INSTANCE, settings.sweepInterval());
            context.getSelf().tell(Tick.INSTANCE);
            return new RunIndexSweeper(context, tag, dataSource, table, settings, clock, wake, wakeAnswered);
        }));
    }

    /** How long an environment's sweep waits for a woken run's answer (one on a lost node never answers). */
    private static final Duration WAKE_ANSWER_TIMEOUT = Duration.ofSeconds(10);

    /**
     * How long after a wake the run is looked at again: recheck x 2^wakes so far, at most max-recheck, or for a
     * QUEUED run at most max-queued-recheck. A queued run out of memory is started from its journal by each wake,
     * and its dispatcher holds its place meanwhile (a dispatcher that starts empty has its environment's runs
     * woken), so a short recheck would only replay a backlog's journals over and over.
     */
    static Duration backoff(RunIndexSettings settings, int wakeCount, boolean queued) {
        Duration grown = settings.recheck().multipliedBy(1L << Math.min(Math.max(wakeCount, 0), 30));
        Duration cap = queued ? settings.maxQueuedRecheck() : settings.maxRecheck();
        return grown.compareTo(cap) > 0 ? cap : grown;
    }

    private final String tag;
    private final DataSource dataSource;
    private final RunTable table;
    private final RunIndexSettings settings;
    private final Clock clock;
    private final Consumer<String> wake;
    private final Function<String, CompletionStage<?>> wakeAnswered;
    private final Executor blocking;
    private boolean sweeping;
    private boolean tickPending;
    /** Environments whose runs are being woken, with the last run woken so far (null: none yet). */
    private final LinkedHashMap<String, ListCursor> environmentsPending = new LinkedHashMap<>();
    /** The due runs go next, if a tick asked for them: they and the environments' pages take turns. */
    private boolean dueTurn;
    /** A page failed (the database, most likely): the next is tried on the next tick, not at once. */
    private boolean pagesWaitForTick;

    private RunIndexSweeper(
            ActorContext<Command> context,
            String tag,
            DataSource dataSource,
            RunTable table,
            RunIndexSettings settings,
            Clock clock,
            Consumer<String> wake,
            Function<String, CompletionStage<?>> wakeAnswered) {
        super(context);
        this.tag = tag;
        this.dataSource = dataSource;
        this.table = table;
        this.settings = settings;
        this.clock = clock;
        this.wake = wake;
        this.wakeAnswered = wakeAnswered;
        this.blocking =
                context.getSystem().dispatchers().lookup(DispatcherSelector.fromConfig(settings.sweeperDispatcher()));
        context.getSystem()
                .receptionist()
                .tell(Receptionist.register(
                        RunSweep.SERVICE_KEY, context.messageAdapter(RunSweep.Request.class, Requested::new)));
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Tick.class, tick -> {
                    tickPending = true;
                    pagesWaitForTick = false;
                    return next();
                })
                .onMessage(Requested.class, this::onRequested)
                .onMessage(Swept.class, this::onSwept)
                .onMessage(PageSwept.class, this::onPageSwept)
                .build();
    }

    private Behavior<Command> onRequested(Requested msg) {
        if (msg.request() instanceof RunSweep.SweepEnvironment sweep) {
            // Asked again (its dispatcher started empty once more): from its first run again.
            environmentsPending.put(sweep.environmentId(), null);
        }
        return next();
    }

    private Behavior<Command> onPageSwept(PageSwept msg) {
        sweeping = false;
        if (msg.failure() != null) {
            pagesWaitForTick = true;
            getContext()
                    .getLog()
                    .warn(
                            "Waking the runs of environment {} of {} failed (retried on the next tick): {}",
                            msg.environmentId(),
                            tag,
                            msg.failure().getMessage());
        } else if (environmentsPending.containsKey(msg.environmentId())
                && Objects.equals(environmentsPending.get(msg.environmentId()), msg.from())) {
            if (msg.page().runIds().size() < settings.sweepBatch()) environmentsPending.remove(msg.environmentId());
            else environmentsPending.put(msg.environmentId(), msg.page().last());
        }
        return next();
    }

    private Behavior<Command> onSwept(Swept msg) {
        sweeping = false;
        if (msg.failure() != null) {
            getContext()
                    .getLog()
                    .warn(
                            "Sweeping {} of {} failed (retried on the next tick): {}",
                            msg.what(),
                            tag,
                            msg.failure().getMessage());
        } else if (msg.woken() > 0) {
            getContext().getLog().debug("Woke {} runs of {} ({})", msg.woken(), tag, msg.what());
        }
        return next();
    }

    /**
     * Starts the next sweep if none is running: the due runs when a tick asked for them, and the pages of the
     * environments asked for, taking turns.
     */
    private Behavior<Command> next() {
        if (sweeping) return this;
        boolean pagesPending = !environmentsPending.isEmpty() && !pagesWaitForTick;
        if (tickPending && (dueTurn || !pagesPending)) {
            tickPending = false;
            dueTurn = false;
            run("due runs", this::sweepDue);
        } else if (pagesPending) {
            dueTurn = true;
            Map.Entry<String, ListCursor> first =
                    environmentsPending.entrySet().iterator().next();
            String environmentId = first.getKey();
            ListCursor from = first.getValue();
            sweeping = true;
            getContext()
                    .pipeToSelf(
                            Jdbc.async(blocking, () -> unfinishedPage(environmentId, from))
                                    .thenCompose(this::wakeAll),
                            (page, failure) -> new PageSwept(environmentId, from, page, failure));
        }
        return this;
    }

    private void run(String what, Jdbc.Call<Integer> sweep) {
        sweeping = true;
        CompletableFuture<Integer> done = Jdbc.async(blocking, sweep);
        getContext().pipeToSelf(done, (woken, failure) -> new Swept(what, woken == null ? 0 : woken, failure));
    }

    /**
     * Wakes the runs due within wake-ahead, then moves their wake time out (unless a newer event moved it first).
     * A run woken early arms its timer for the exact time; its next wake counts from that time, not from now, so
     * it is only looked at again (should its node die before it acts) a backoff after it was due.
     */
    private int sweepDue() throws SQLException {
        Instant now = clock.instant();
        return Jdbc.withConnection(dataSource, connection -> {
            List<Due> due = table.due(connection, tag, now.plus(settings.wakeAhead()), settings.sweepBatch());
            due.forEach(run -> wake.accept(run.runId()));
            table.postpone(connection, due, run -> nextWake(settings, run, now));
            return due.size();
        });
    }

    /** When a run woken at {@code now} is looked at again: a backoff after its wake time, or after now if later. */
    private static Instant nextWake(RunIndexSettings settings, Due run, Instant now) {
        Instant from = run.wakeAt().isAfter(now) ? run.wakeAt() : now;
        return from.plus(backoff(settings, run.wakeCount(), run.queued()));
    }

    /** The environment's next {@code sweep-batch} unfinished runs after {@code from}. */
    private RunTable.Unfinished unfinishedPage(String environmentId, ListCursor from) throws SQLException {
        return Jdbc.withConnection(
                dataSource,
                connection -> table.unfinished(connection, tag, environmentId, from, settings.sweepBatch()));
    }

    /** Wakes the page's runs; done when every one has answered or failed to. */
    private CompletableFuture<RunTable.Unfinished> wakeAll(RunTable.Unfinished page) {
        CompletableFuture<?>[] answers = page.runIds().stream()
                .map(runId -> wakeAnswered.apply(runId).toCompletableFuture().exceptionally(failure -> null))
                .toArray(CompletableFuture[]::new);
        return CompletableFuture.allOf(answers).thenApply(all -> page);
    }
}
