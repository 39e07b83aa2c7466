package dev.baton.engine.run;

import akka.actor.typed.javadsl.TimerScheduler;
import dev.baton.engine.common.DeadlineTimers;
import dev.baton.engine.run.RunEntity.Command;
import dev.baton.engine.run.RunState.Attempt;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * A run's timers, each sending the run the command that says something it waits for is due. They live in memory
 * only: the run arms them again when it recovers or is woken, and every handler checks the state before acting, so
 * a timer that fires late or twice does nothing.
 */
final class RunTimers {

    /** What a timer sends the run when it is due. */
    sealed interface Due extends RunEntity.Notice
            permits LeaseExpired,
                    MaxDurationExceeded,
                    RetryDue,
                    DelayDue,
                    TtlDue,
                    WaitDue,
                    PassivateFinished,
                    PassivateIdle {}

    record LeaseExpired(String attemptId) implements Due {}

    record MaxDurationExceeded(String attemptId) implements Due {}

    record RetryDue(int afterAttempt) implements Due {}

    record DelayDue() implements Due {}

    record TtlDue() implements Due {}

    record WaitDue(String key) implements Due {}

    /** The run finished a while ago: it leaves memory (see {@link RunSettings#finishedIdle}). */
    record PassivateFinished() implements Due {}

    /** The run armed a timer far away and may have nothing else to do until then: it leaves memory if so. */
    record PassivateIdle() implements Due {}

    private static final String LEASE = "lease";
    private static final String RETRY = "retry";
    private static final String DELAY = "delay";
    private static final String TTL = "ttl";
    private static final String MAX_DURATION = "max-duration";
    private static final String WAIT = "wait";
    private static final String PASSIVATE = "passivate";
    private static final String IDLE = "idle";

    private final TimerScheduler<Command> timers;
    private final Clock clock;
    private final RunSettings settings;
    private final boolean passivates;

    /** @param passivates whether the run leaves memory a while after it finished (it runs in a shard) */
    RunTimers(TimerScheduler<Command> timers, Clock clock, RunSettings settings, boolean passivates) {
        this.timers = timers;
        this.clock = clock;
        this.settings = settings;
        this.passivates = passivates;
    }

    /** A worker holds the attempt for one lease timeout from its last sign of life. */
    void lease(String attemptId) {
        timers.startSingleTimer(LEASE, new LeaseExpired(attemptId), settings.leaseTimeout());
    }

    void leaseUnlessArmed(String attemptId) {
        if (!timers.isTimerActive(LEASE)) lease(attemptId);
    }

    /** maxDuration counts from the attempt's start; an attempt not started yet has no deadline. */
    void maxDuration(RunState state, Attempt attempt) {
        if (state.spec().maxDurationSeconds() == null || attempt == null || attempt.startedAt() == null) return;
        DeadlineTimers.arm(
                timers,
                MAX_DURATION,
                new MaxDurationExceeded(attempt.id()),
                clock,
                attempt.startedAt().plusSeconds(state.spec().maxDurationSeconds()));
    }

    void maxDurationUnlessArmed(RunState state, Attempt attempt) {
        if (!timers.isTimerActive(MAX_DURATION)) maxDuration(state, attempt);
    }

    void retry(RunState state) {
        DeadlineTimers.arm(timers, RETRY, new RetryDue(state.attemptCount()), clock, state.retryAt());
        idleUntil(state.retryAt());
    }

    void retryUnlessArmed(RunState state) {
        if (!timers.isTimerActive(RETRY)) retry(state);
    }

    void delay(RunState state) {
        DeadlineTimers.arm(timers, DELAY, new DelayDue(), clock, state.delayUntil());
        idleUntil(state.delayUntil());
    }

    void ttl(RunState state) {
        if (state.expiresAt() != null) DeadlineTimers.arm(timers, TTL, new TtlDue(), clock, state.expiresAt());
    }

    void ttlUnlessArmed(RunState state) {
        if (!timers.isTimerActive(TTL)) ttl(state);
    }

    /** A leased run cannot expire: its TTL only bounds how long it may wait in its queue. */
    void cancelTtl() {
        timers.cancel(TTL);
    }

    void waitUntil(Wait wait) {
        DeadlineTimers.arm(timers, WAIT, new WaitDue(wait.key()), clock, wait.until());
        idleUntil(wait.until());
    }

    void cancelWait() {
        timers.cancel(WAIT);
    }

    /** The run left its queue or its execution: nothing it waited for there is due any more. */
    void cancelExecution() {
        timers.cancel(LEASE);
        timers.cancel(MAX_DURATION);
        timers.cancel(TTL);
        timers.cancel(DELAY);
        timers.cancel(WAIT);
    }

    /** A finished run leaves memory after a while (see {@link RunSettings#finishedIdle}). */
    void passivation() {
        if (passivates) timers.startSingleTimer(PASSIVATE, new PassivateFinished(), settings.finishedIdle());
    }

    /**
     * A timer was armed for {@code due}: beyond {@link RunSettings#idlePassivation}, the run checks (once what it is
     * handling now is done, as a timer's message queues behind it) whether it may leave memory until then. Every
     * caller arms its timer after the state it waits in is journaled.
     */
    private void idleUntil(Instant due) {
        if (passivates && beyondIdle(due)) timers.startSingleTimer(IDLE, new PassivateIdle(), Duration.ZERO);
    }

    /**
     * The run is in its dispatcher's queue: once it has waited there {@link RunSettings#idlePassivation} (counted from
     * when it was queued, so a run the sweeper starts again to re-enqueue it leaves at once), it checks whether it
     * may leave memory ({@link RunExecution#idleUntil}). The dispatcher's offer starts it again.
     */
    void queued(RunState state) {
        if (!passivates) return;
        Duration waited = Duration.between(state.queuedAt(), clock.instant());
        Duration left = settings.idlePassivation().minus(waited);
        timers.startSingleTimer(IDLE, new PassivateIdle(), left.isNegative() ? Duration.ZERO : left);
    }

    /** Whether {@code due} is further away than {@link RunSettings#idlePassivation}. */
    boolean beyondIdle(Instant due) {
        return due != null && due.isAfter(clock.instant().plus(settings.idlePassivation()));
    }
}
