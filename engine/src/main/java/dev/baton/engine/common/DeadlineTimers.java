package dev.baton.engine.common;

import akka.actor.typed.javadsl.TimerScheduler;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * Timers for deadlines that may lie months ahead (a delay, a retry, a wait, a schedule's next firing, a token's
 * timeout). Akka's scheduler refuses delays beyond ~248 days, so a timer is armed for at most a day at a time and
 * every handler re-arms itself when it wakes before its deadline.
 */
public final class DeadlineTimers {
    private DeadlineTimers() {}

    static final Duration LONGEST_TIMER = Duration.ofDays(1);

    /** Time left until {@code deadline}: zero when it has passed, at most a day. */
    public static Duration stepTowards(Clock clock, Instant deadline) {
        Duration delay = Duration.between(clock.instant(), deadline);
        if (delay.isNegative()) return Duration.ZERO;
        return delay.compareTo(LONGEST_TIMER) > 0 ? LONGEST_TIMER : delay;
    }

    /** Arms (or re-arms) the timer {@code key} to send {@code message} at {@code deadline} or a day from now. */
    public static <T> void arm(TimerScheduler<T> timers, Object key, T message, Clock clock, Instant deadline) {
        timers.startSingleTimer(key, message, stepTowards(clock, deadline));
    }
}
