package dev.baton.engine.dispatch;

import dev.baton.engine.task.RateLimit;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.function.Function;

/**
 * The GCRA (generic cell rate algorithm) the dispatcher holds per queue and concurrency key, without burst tolerance:
 * a key's theoretical arrival time is its last start plus the limit's {@link RateLimit#interval(Duration) interval}
 * (period plus an allowance, divided by the limit), and a run may start only at or after it. Starts are thus at least
 * that far apart, so any window of the period's length holds at most {@code limit} of them, even as seen by handlers
 * whose start after the offer varies by up to the allowance. The last start is kept rather than the arrival time, so a changed limit (an
 * override) applies to the very next start.
 *
 * <p>Held in memory by the environment's one dispatcher. A dispatcher that starts (a node started, or its shard moved)
 * cannot know when its predecessor last started a run, so until one interval after it started it counts every key as
 * having started a run at that moment: the first starts wait at most one interval, and the spacing holds across the
 * move.
 */
final class StartRateLimiter<K> {

    private record LastStart(Instant at, String runId, Instant before) {}

    private final Instant startedAt;
    private final Duration allowance;
    private final Map<K, LastStart> lastStarts = new HashMap<>();

    StartRateLimiter(Instant startedAt, Duration allowance) {
        this.startedAt = startedAt;
        this.allowance = allowance;
    }

    /** When {@code key} may start its next run under {@code limit}: at or before {@code now} means now. */
    Instant nextStart(K key, RateLimit limit) {
        return lastStart(key).plus(limit.interval(allowance));
    }

    boolean mayStart(K key, RateLimit limit, Instant now) {
        return !nextStart(key, limit).isAfter(now);
    }

    /** {@code runId} started (was offered) at {@code now}: the key's budget is spent until one interval later. */
    void started(K key, String runId, Instant now) {
        LastStart previous = lastStarts.get(key);
        lastStarts.put(key, new LastStart(now, runId, previous == null ? null : previous.at()));
    }

    /**
     * The run offered last under {@code key} did not start after all (it was no longer queued): gives its budget
     * back, unless another run started since.
     */
    void refund(K key, String runId) {
        LastStart last = lastStarts.get(key);
        if (last == null || !runId.equals(last.runId())) return;
        if (last.before() == null) {
            lastStarts.remove(key);
        } else {
            lastStarts.put(key, new LastStart(last.before(), null, null));
        }
    }

    /** Forgets keys that may start now anyway (under the limit {@code limits} gives them; null: no limit any more). */
    void forgetIdle(Instant now, Function<K, RateLimit> limits) {
        for (Iterator<Map.Entry<K, LastStart>> entries = lastStarts.entrySet().iterator(); entries.hasNext(); ) {
            Map.Entry<K, LastStart> entry = entries.next();
            RateLimit limit = limits.apply(entry.getKey());
            if (limit == null
                    || !entry.getValue().at().plus(limit.interval(allowance)).isAfter(now)) entries.remove();
        }
    }

    int size() {
        return lastStarts.size();
    }

    private Instant lastStart(K key) {
        LastStart last = lastStarts.get(key);
        return last == null ? startedAt : last.at();
    }
}
