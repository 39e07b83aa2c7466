package dev.baton.api.realtime;

import dev.baton.engine.changes.RunChangeFeed;
import dev.baton.engine.changes.RunChanged;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * The change notices an environment's runs published lately, kept from an environment's first live request on:
 * a run that changed while its subscriber was between two requests, and that the runs table does not list yet
 * (a new tagged run), is still found by the next request.
 */
final class RecentChanges {

    private static final int KEPT_PER_ENVIRONMENT = 1_000;

    private record Seen(Instant at, RunChanged change) {}

    private final RunChangeFeed feed;
    private final Clock clock;
    private final ConcurrentMap<String, Deque<Seen>> byEnvironment = new ConcurrentHashMap<>();

    RecentChanges(RunChangeFeed feed, Clock clock) {
        this.feed = feed;
        this.clock = clock;
    }

    List<RunChanged> since(String environmentId, Instant from) {
        Deque<Seen> seen = byEnvironment.computeIfAbsent(environmentId, id -> {
            Deque<Seen> kept = new ArrayDeque<>();
            feed.subscribe(id, change -> {
                synchronized (kept) {
                    kept.addLast(new Seen(clock.instant(), change));
                    if (kept.size() > KEPT_PER_ENVIRONMENT) kept.removeFirst();
                }
            });
            return kept;
        });
        synchronized (seen) {
            return seen.stream()
                    .filter(entry -> !entry.at().isBefore(from))
                    .map(Seen::change)
                    .toList();
        }
    }
}
