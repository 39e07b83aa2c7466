package dev.baton.engine.logs;

import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.Behaviors;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * Deletes log lines older than the retention every {@code interval}. Runs as a cluster singleton (see
 * {@link RunLogs}), so one node sweeps; a sweep still running when the next is due makes that one skip.
 */
final class RunLogSweeper {

    sealed interface Command {}

    private enum Sweep implements Command {
        INSTANCE
    }

    private record Swept(long deleted, Throwable failure) implements Command {}

    private RunLogSweeper() {}

    static Behavior<Command> create(
            RunLogStore store, Clock clock, Duration maxAge, Duration interval, Executor blockingIo) {
        return Behaviors.setup(context -> Behaviors.withTimers(timers -> {
            timers.startTimerWithFixedDelay(Sweep.INSTANCE, interval);
            return idle(store, clock, maxAge, blockingIo);
        }));
    }

    private static Behavior<Command> idle(RunLogStore store, Clock clock, Duration maxAge, Executor blockingIo) {
        return Behaviors.receive(Command.class)
                .onMessage(
                        Sweep.class,
                        sweep -> Behaviors.setup(context -> {
                            context.pipeToSelf(
                                    CompletableFuture.supplyAsync(
                                            () -> store.deleteStoredBefore(
                                                    clock.instant().minus(maxAge)),
                                            blockingIo),
                                    (deleted, failure) -> new Swept(deleted == null ? 0 : deleted, failure));
                            return sweeping(store, clock, maxAge, blockingIo);
                        }))
                .onMessage(Swept.class, swept -> Behaviors.same())
                .build();
    }

    private static Behavior<Command> sweeping(RunLogStore store, Clock clock, Duration maxAge, Executor blockingIo) {
        return Behaviors.receive(Command.class)
                .onMessage(Sweep.class, sweep -> Behaviors.same()) // the last one is still running
                .onMessage(
                        Swept.class,
                        swept -> Behaviors.setup(context -> {
                            if (swept.failure() != null)
                                context.getLog()
                                        .warn(
                                                "sweeping old log lines failed: {}",
                                                swept.failure().toString());
                            else if (swept.deleted() > 0)
                                context.getLog().info("deleted {} log lines older than {}", swept.deleted(), maxAge);
                            return idle(store, clock, maxAge, blockingIo);
                        }))
                .build();
    }
}
