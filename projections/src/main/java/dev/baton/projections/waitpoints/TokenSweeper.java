package dev.baton.projections.waitpoints;

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
import dev.baton.engine.waitpoint.WaitpointTokenEntity;
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
 * Every {@code sweep-interval}, wakes each waiting token whose timeout falls within {@code wake-ahead}. A
 * token entity keeps its timeout timer only while it lives: an idle one is passivated, one on a crashed node
 * is gone. Woken ({@link WaitpointTokenEntity.Wake}, idempotent), it recovers and arms its timer again, so
 * it times out at the exact time (at once when that has passed). One sweeper in the cluster; its JDBC calls
 * run on the sweeper dispatcher.
 */
public final class TokenSweeper extends AbstractBehavior<TokenSweeper.Command> {

  public static final String NAME = "baton-waitpoint-sweeper";

  public sealed interface Command {}

  private enum Tick implements Command { INSTANCE }

  private record Swept(int woken, Throwable failure) implements Command {}

  public static void init(ActorSystem<?> system, DataSource dataSource, TokenTable table, TokenIndexSettings settings,
      Clock clock) {
    ClusterSharding sharding = ClusterSharding.get(system);
    Consumer<String> wake = id -> sharding.entityRefFor(WaitpointTokenEntity.ENTITY_TYPE_KEY, id)
        .tell(new WaitpointTokenEntity.Wake());
    ShardedDaemonProcess.get(system).init(Command.class, NAME, 1,
        index -> create(dataSource, table, settings, clock, wake),
        ShardedDaemonProcessSettings.create(system), Optional.empty());
  }

  /** @param wake tells a token to wake up (the token entity, through sharding, outside tests) */
  public static Behavior<Command> create(DataSource dataSource, TokenTable table, TokenIndexSettings settings,
      Clock clock, Consumer<String> wake) {
    return Behaviors.setup(context -> Behaviors.withTimers(timers -> {
      timers.startTimerWithFixedDelay(Tick.INSTANCE, settings.sweepInterval());
      context.getSelf().tell(Tick.INSTANCE);
      return new TokenSweeper(context, dataSource, table, settings, clock, wake);
    }));
  }

  private final DataSource dataSource;
  private final TokenTable table;
  private final TokenIndexSettings settings;
  private final Clock clock;
  private final Consumer<String> wake;
  private final Executor blocking;
  private boolean sweeping;

  private TokenSweeper(ActorContext<Command> context, DataSource dataSource, TokenTable table,
      TokenIndexSettings settings, Clock clock, Consumer<String> wake) {
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
    Instant by = clock.instant().plus(settings.wakeAhead());
    CompletableFuture<Integer> done = CompletableFuture.supplyAsync(() -> {
      try (Connection connection = dataSource.getConnection()) {
        connection.setAutoCommit(true);
        List<String> due = table.timingOutBy(connection, by, settings.sweepBatch());
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
      getContext().getLog().warn("Sweeping waitpoint token timeouts failed (retried on the next tick): {}",
          msg.failure().getMessage());
    } else if (msg.woken() > 0) {
      getContext().getLog().debug("Woke {} waitpoint tokens near their timeout", msg.woken());
    }
    return this;
  }
}
