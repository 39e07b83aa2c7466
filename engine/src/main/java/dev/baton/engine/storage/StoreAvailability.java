package dev.baton.engine.storage;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.Extension;
import akka.actor.typed.ExtensionId;
import akka.actor.typed.javadsl.Adapter;
import akka.pattern.CircuitBreakerOpenException;
import akka.pattern.Patterns;
import akka.persistence.JournalProtocol;
import akka.persistence.Persistence;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether this node can reach its journal's database, as far as it knows: a caller about to create runs asks first
 * and refuses while it cannot ({@link StoreUnavailableException}, a 503 that promises nothing was stored, because
 * nothing was sent). A journal call that fails for want of a connection ({@link NewEntityJournalDao} reports them)
 * makes the store unavailable; from then on a probe through the journal itself (a recovery of a persistence id
 * nothing writes: one query, through the journal's circuit breaker) runs every {@code probe-interval}, and the
 * first that succeeds makes it available again, so a caller let through again is not failed fast by that breaker.
 * A call already waiting for an entity that writes ({@link #endedByOutage}) ends when the store becomes unavailable,
 * rather than waiting out its ask timeout for an answer that will most likely never come.
 */
public final class StoreAvailability implements Extension {

    private static final Logger log = LoggerFactory.getLogger(StoreAvailability.class);
    private static final String PROBE_PERSISTENCE_ID = "baton-store-probe";

    private final ActorSystem<?> system;
    private final Duration probeInterval;
    private final Duration retryAfter;
    private final AtomicBoolean available = new AtomicBoolean(true);
    private final Map<CompletableFuture<?>, Supplier<? extends RuntimeException>> waiting = new ConcurrentHashMap<>();

    private StoreAvailability(ActorSystem<?> system) {
        this.system = system;
        this.probeInterval = system.settings().config().getDuration("baton.engine.store.probe-interval");
        // Retry-After counts whole seconds: the next probe's result is known by then.
        this.retryAfter = Duration.ofSeconds(Math.max(1, (probeInterval.toMillis() + 999) / 1000));
    }

    public static StoreAvailability get(ActorSystem<?> system) {
        return Id.INSTANCE.apply(system);
    }

    public boolean available() {
        return available.get();
    }

    /** Null while the store is available, else the refusal to fail with before sending anything. */
    public StoreUnavailableException refusal() {
        return available.get() ? null : unavailable();
    }

    /** The refusal of a call that can have stored nothing, for {@link #endedByOutage}. */
    public StoreUnavailableException unavailable() {
        return new StoreUnavailableException(retryAfter);
    }

    /**
     * {@code call}'s outcome, or {@code onOutage}'s failure if the store becomes unavailable first (or already is).
     * {@code onOutage} says what the caller may promise: {@link StoreUnavailableException} if nothing the caller
     * answers for can have been stored by then, {@link WriteOutcomeUnknownException} otherwise.
     */
    public <T> CompletableFuture<T> endedByOutage(
            CompletionStage<T> call, Supplier<? extends RuntimeException> onOutage) {
        CompletableFuture<T> ended = new CompletableFuture<>();
        waiting.put(ended, onOutage);
        call.whenComplete((value, failure) -> {
            if (failure == null) ended.complete(value);
            else ended.completeExceptionally(failure);
        });
        ended.whenComplete((value, failure) -> waiting.remove(ended));
        if (!available.get()) ended.completeExceptionally(onOutage.get());
        return ended;
    }

    /** A journal call failed; if the database could not be reached at all, refuse new runs until a probe succeeds. */
    public void journalCallFailed(Throwable failure) {
        if (isUnreachable(failure) && available.compareAndSet(true, false)) {
            log.warn(
                    "The journal's database is unreachable ({}): new runs are refused with 503 until it answers again",
                    failure.toString());
            waiting.forEach((call, onOutage) -> call.completeExceptionally(onOutage.get()));
            scheduleProbe();
        }
    }

    /** A failure to reach the database, as opposed to one it answered (a constraint, a bad statement). */
    public static boolean isUnreachable(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause() == cause ? null : cause.getCause()) {
            if (cause instanceof SQLTransientConnectionException
                    || cause instanceof SQLNonTransientConnectionException
                    || cause instanceof IOException
                    || cause instanceof RejectedExecutionException
                    || cause instanceof CircuitBreakerOpenException) {
                return true;
            }
            // 08: connection exceptions; 57P01-57P03: the server is shutting down or starting (PostgreSQL).
            if (cause instanceof SQLException sql
                    && sql.getSQLState() != null
                    && (sql.getSQLState().startsWith("08") || sql.getSQLState().startsWith("57P"))) {
                return true;
            }
        }
        return false;
    }

    private void scheduleProbe() {
        if (system.getWhenTerminated().toCompletableFuture().isDone()) return;
        try {
            system.scheduler().scheduleOnce(probeInterval, this::probe, system.executionContext());
        } catch (IllegalStateException shuttingDown) {
            // the scheduler is stopped with the node: nothing is left to accept runs
        }
    }

    private void probe() {
        akka.actor.ActorRef journal =
                Persistence.get(Adapter.toClassic(system)).journalFor(null, ConfigFactory.empty());
        Patterns.askWithReplyTo(
                        journal,
                        replyTo -> new JournalProtocol.ReplayMessages(1, 0, 0, PROBE_PERSISTENCE_ID, replyTo),
                        probeInterval.plusSeconds(5))
                .whenComplete((answer, failure) -> {
                    if (answer instanceof JournalProtocol.RecoverySuccess) {
                        available.set(true);
                        log.info("The journal's database answers again: new runs are accepted");
                    } else {
                        scheduleProbe();
                    }
                });
    }

    private static final class Id extends ExtensionId<StoreAvailability> {
        static final Id INSTANCE = new Id();

        @Override
        public StoreAvailability createExtension(ActorSystem<?> system) {
            return new StoreAvailability(system);
        }
    }
}
