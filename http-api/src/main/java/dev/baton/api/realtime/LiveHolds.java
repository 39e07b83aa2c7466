package dev.baton.api.realtime;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicInteger;

/** Counts the live requests each environment holds on this node, up to a cap. */
final class LiveHolds {

    private final int max;
    private final ConcurrentMap<String, AtomicInteger> held = new ConcurrentHashMap<>();

    LiveHolds(int max) {
        this.max = max;
    }

    /** Takes a place, or answers false when the environment holds {@code max} already. */
    boolean tryTake(String environmentId) {
        AtomicInteger count = held.computeIfAbsent(environmentId, id -> new AtomicInteger());
        if (count.incrementAndGet() <= max) return true;
        count.decrementAndGet();
        return false;
    }

    void release(String environmentId) {
        held.get(environmentId).decrementAndGet();
    }
}
