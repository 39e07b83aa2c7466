package dev.baton.projections.schedules;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.Behavior;
import akka.actor.typed.DispatcherSelector;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;
import akka.cluster.sharding.typed.ShardedDaemonProcessSettings;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import akka.cluster.sharding.typed.javadsl.ShardedDaemonProcess;
import dev.baton.engine.schedule.ScheduleEntity;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import javax.sql.DataSource;

/**
 * Wakes every schedule whose next occurrence is due within {@code wake-ahead}, every {@code sweep-interval}.
 * A schedule entity keeps its fire timer only while it lives: an idle one is passivated after a while, and
 * one on a crashed node is gone. Woken ({@link ScheduleEntity.Wake}, idempotent), it recovers and arms its
 * timer again, and fires at the exact time; an occurrence already past fires at once. One sweeper in the
 * cluster; its JDBC calls run on the sweeper dispatcher.
 */
public final class ScheduleSweeper extends AbstractBehavior<ScheduleSweeper.Command> {

  public static final String NAME = "baton-schedule-sweeper";

  public sealed interface Command {}

  private enum Tick implements Command { INSTANCE }

  private record Swept(int woken, Throwable failure) implements Command {}

  public static void init(ActorSystem<?> system, DataSource dataSource, ScheduleTable table,
      ScheduleIndexSettings settings, Clock clock) {
    ClusterSharding sharding = ClusterSharding.get(system);
    Consumer<String> wake = id -> sharding.entityRefFor(ScheduleEntity.ENTITY_TYPE_KEY, id)
        .tell(new ScheduleEntity.Wake());
    ShardedDaemonProcess.get(system).init(Command.class, NAME, 1,
        index -> create(dataSource, table, settings, clock, wake),
        ShardedDaemonProcessSettings.create(system), Optional.empty());
  }

  public static Behavior<Command> create(DataSource dataSource, ScheduleTable table, ScheduleIndexSettings settings,
      Clock clock, Consumer<String> wake) {
    return Behaviors.setup(context -> Behaviors.withTimers(timers -> {
      timers.startTimerWithFixedDelay(Tick.INSTANCE, settings.sweepInterval());
      context.getSelf().tell(Tick.INSTANCE);
      return new ScheduleSweeper(context, dataSource, table, settings, clock, wake);
    }));
  }

  private final DataSource dataSource;
  private final ScheduleTable table;
  private final ScheduleIndexSettings settings;
  private final Clock clock;
  private final Consumer<String> wake;
  private final Executor blocking;
  private boolean sweeping;

  private ScheduleSweeper(ActorContext<Command> context, DataSource dataSource, ScheduleTable table,
      ScheduleIndexSettings settings, Clock clock, Consumer<String> wake) {
    super(context);
    this.dataSource = dataSource;
    this.table = table;
    this.settings = settings;
    this.clock = clock;
    this.wake = wake;
    this.blocking = context.getSystem().dispatchers()
        .lookup(DispatcherSelector.fromConfig(settings.sweeperDispatcher()));
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
    Instant until = clock.instant().plus(settings.wakeAhead());
    CompletableFuture<Integer> done = CompletableFuture.supplyAsync(() -> {
      try (Connection connection = dataSource.getConnection()) {
        connection.setAutoCommit(true);
        List<String> due = table.dueBy(connection, until, settings.sweepBatch());
        due.forEach(wake);
        return due.size();
      } catch (SQLException e) {
        throw new CompletionException(e);
      }
    }, blocking);
    getContext().pipeToSelf(done, (woken, failure) -> new Swept(woken == null ? 0 : woken, failure));
    return this;
  }

  private Behavior<Command> onSwept(Swept msg) {
    sweeping = false;
    if (msg.failure() != null) {
      getContext().getLog().warn("Sweeping due schedules failed (retried on the next tick): {}",
          msg.failure().getMessage());
    } else if (msg.woken() > 0) {
      getContext().getLog().debug("Woke {} due schedules", msg.woken());
    }
    return this;
  }
}
