package dev.baton.projections.internal;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.Behavior;
import akka.actor.typed.DispatcherSelector;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;
import akka.cluster.sharding.typed.ShardedDaemonProcessSettings;
import akka.cluster.sharding.typed.javadsl.ShardedDaemonProcess;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import javax.sql.DataSource;

/**
 * Every {@code sweep-interval}, wakes each entity an index says is due within {@code wake-ahead} (a
 * schedule's next fire, a token's timeout). An entity keeps its timer only while it lives: an idle one
 * is passivated, one on a crashed node is gone. Woken (idempotently), it recovers and arms its timer
 * again, so it acts at the exact time (at once when that has passed). One sweeper per kind in the
 * cluster; its JDBC calls run on the sweeper dispatcher. The run index has its own, {@code RunIndexSweeper}:
 * runs back off between wakes and a dispatcher may ask for an environment's runs.
 */
public final class IndexSweeper extends AbstractBehavior<IndexSweeper.Command> {

    public record Settings(Duration sweepInterval, Duration wakeAhead, int sweepBatch, String dispatcher) {}

    /** The ids of the entities due by {@code by}, at most {@code limit}, from the index. */
    @FunctionalInterface
    public interface DueQuery {
        List<String> dueBy(Connection connection, Instant by, int limit) throws SQLException;
    }

    public sealed interface Command {}

    private enum Tick implements Command {
        INSTANCE
    }

    private record Swept(int woken, Throwable failure) implements Command {}

    /** Starts the cluster's one sweeper named {@code name}; {@code what} names the due entities in logs. */
    public static void init(
            ActorSystem<?> system,
            String name,
            String what,
            DataSource dataSource,
            DueQuery due,
            Settings settings,
            Clock clock,
            Consumer<String> wake) {
        ShardedDaemonProcess.get(system)
                .init(
                        Command.class,
                        name,
                        1,
                        index -> create(what, dataSource, due, settings, clock, wake),
                        ShardedDaemonProcessSettings.create(system),
                        Optional.empty());
    }

    /** @param wake tells an entity to wake up (through sharding, outside tests) */
    public static Behavior<Command> create(
            String what, DataSource dataSource, DueQuery due, Settings settings, Clock clock, Consumer<String> wake) {
        return Behaviors.setup(context -> Behaviors.withTimers(timers -> {
            timers.startTimerWithFixedDelay(Tick.INSTANCE, settings.sweepInterval());
            context.getSelf().tell(Tick.INSTANCE);
            return new IndexSweeper(context, what, dataSource, due, settings, clock, wake);
        }));
    }

    private final String what;
    private final DataSource dataSource;
    private final DueQuery due;
    private final Settings settings;
    private final Clock clock;
    private final Consumer<String> wake;
    private final Executor blocking;
    private boolean sweeping;

    private IndexSweeper(
            ActorContext<Command> context,
            String what,
            DataSource dataSource,
            DueQuery due,
            Settings settings,
            Clock clock,
            Consumer<String> wake) {
        super(context);
        this.what = what;
        this.dataSource = dataSource;
        this.due = due;
        this.settings = settings;
        this.clock = clock;
        this.wake = wake;
        this.blocking = context.getSystem().dispatchers().lookup(DispatcherSelector.fromConfig(settings.dispatcher()));
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Tick.class, tick -> sweep())
                .onMessage(Swept.class, this::onSwept)
                .build();
    }

    private Behavior<Command> sweep() {
        if (sweeping) return this;
        sweeping = true;
        Instant by = clock.instant().plus(settings.wakeAhead());
        CompletableFuture<Integer> done = Jdbc.async(
                blocking,
                () -> Jdbc.withConnection(dataSource, connection -> {
                    List<String> ids = due.dueBy(connection, by, settings.sweepBatch());
                    ids.forEach(wake);
                    return ids.size();
                }));
        getContext().pipeToSelf(done, (woken, failure) -> new Swept(woken == null ? 0 : woken, failure));
        return this;
    }

    private Behavior<Command> onSwept(Swept msg) {
        sweeping = false;
        if (msg.failure() != null) {
            getContext()
                    .getLog()
                    .warn(
                            "Sweeping {} failed (retried on the next tick): {}",
                            what,
                            msg.failure().getMessage());
        } else if (msg.woken() > 0) {
            getContext().getLog().debug("Woke {} {}", msg.woken(), what);
        }
        return this;
    }
}
