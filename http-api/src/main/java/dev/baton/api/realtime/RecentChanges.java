package dev.baton.api.realtime;

import dev.baton.engine.changes.RunChangeFeed;
import dev.baton.engine.changes.RunChanged;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The change notices an environment's runs published lately, kept from an environment's first live request on:
 * a run that changed while its subscriber was between two requests, and that the runs table does not list yet
 * (a new tagged run), is still found by the next request. An environment no live request asked about for
 * {@code forgetAfter} is forgotten and unsubscribed, so a node holds notices only for environments someone follows.
 */
final class RecentChanges {

    private static final int KEPT_PER_ENVIRONMENT = 1_000;

    private record Seen(Instant at, RunChanged change) {}

    private record Kept(Deque<Seen> seen, RunChangeFeed.Subscription subscription, AtomicReference<Instant> asked) {}

    private final RunChangeFeed feed;
    private final Clock clock;
    private final Duration forgetAfter;
    private final ConcurrentMap<String, Kept> byEnvironment = new ConcurrentHashMap<>();
    private final AtomicReference<Instant> swept;

    RecentChanges(RunChangeFeed feed, Clock clock, Duration forgetAfter) {
        this.feed = feed;
        this.clock = clock;
        this.forgetAfter = forgetAfter;
        this.swept = new AtomicReference<>(clock.instant());
    }

    List<RunChanged> since(String environmentId, Instant from) {
        Instant now = clock.instant();
        forgetIdle(now);
        Kept kept = byEnvironment.computeIfAbsent(environmentId, this::keep);
        kept.asked().set(now);
        synchronized (kept.seen()) {
            return kept.seen().stream()
                    .filter(entry -> !entry.at().isBefore(from))
                    .map(Seen::change)
                    .toList();
        }
    }

    /** How many environments this node keeps notices of (tests). */
    int environmentsKept() {
        return byEnvironment.size();
    }

    private Kept keep(String environmentId) {
        Deque<Seen> seen = new ArrayDeque<>();
        RunChangeFeed.Subscription subscription = feed.subscribe(environmentId, change -> {
            synchronized (seen) {
                seen.addLast(new Seen(clock.instant(), change));
                if (seen.size() > KEPT_PER_ENVIRONMENT) seen.removeFirst();
            }
        });
        return new Kept(seen, subscription, new AtomicReference<>(clock.instant()));
    }

    /** At most once per {@code forgetAfter}: drops the environments nobody asked about for that long. */
    private void forgetIdle(Instant now) {
        Instant last = swept.get();
        if (now.isBefore(last.plus(forgetAfter)) || !swept.compareAndSet(last, now)) return;
        byEnvironment.entrySet().removeIf(entry -> {
            if (!entry.getValue().asked().get().plus(forgetAfter).isBefore(now)) return false;
            entry.getValue().subscription().close();
            return true;
        });
    }
}
