package dev.baton.api.runs;

import dev.baton.engine.changes.RunChanged;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One stream's changes waiting to be sent: the latest notice of each run, in the order the runs first changed.
 * The feed's relay offers (it must not block); the stream drains once per window. A client that reads slower
 * than its runs change leaves its window's drains undone (the stream's tick waits for demand), so the pending
 * runs grow; past {@code maxPending} they are all dropped and the next drain is a resync: the client reads the
 * list again, and the node never holds more than {@code maxPending} notices for it.
 */
final class RunChangeConflator {

    /** What a drain found: the runs to send, or that some were dropped ({@code dropped > 0}) and none are sent. */
    record Drained(List<RunChanged> changes, int dropped) {
        boolean isEmpty() {
            return changes.isEmpty() && dropped == 0;
        }
    }

    private static final Drained NOTHING = new Drained(List.of(), 0);

    private final int maxPending;
    private final Map<String, RunChanged> pending = new LinkedHashMap<>();
    private int dropped;

    RunChangeConflator(int maxPending) {
        this.maxPending = maxPending;
    }

    synchronized void offer(RunChanged change) {
        if (dropped > 0) {
            // The client reads everything again anyway.
            dropped++;
            return;
        }
        if (pending.size() >= maxPending && !pending.containsKey(change.runId())) {
            dropped = pending.size() + 1;
            pending.clear();
            return;
        }
        pending.put(change.runId(), change);
    }

    synchronized Drained drain() {
        if (dropped > 0) {
            Drained resync = new Drained(List.of(), dropped);
            dropped = 0;
            return resync;
        }
        if (pending.isEmpty()) return NOTHING;
        List<RunChanged> changes = List.copyOf(pending.values());
        pending.clear();
        return new Drained(changes, 0);
    }

    synchronized int pending() {
        return pending.size();
    }

    synchronized int dropped() {
        return dropped;
    }
}
