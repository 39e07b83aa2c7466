package dev.baton.gateway.session;

import dev.baton.engine.worker.WorkerChannel;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A session's slot accounting. An execution holds a slot from the moment it is sent to the worker
 * until the worker answers it ({@code completed} / {@code failed}), the engine suspends it, the
 * gateway rejects a message about it as stale, or the engine cancels it; executions that arrive while every slot is
 * held wait here, in order, and are
 * sent as slots free up. Not thread-safe: owned by one session actor.
 */
public final class SlotBook {

    private final int slots;
    private final Map<String, WorkerChannel.Execute> inFlight = new LinkedHashMap<>();
    private final ArrayDeque<WorkerChannel.Execute> waiting = new ArrayDeque<>();
    private long executesReceived;

    public SlotBook(int slots) {
        if (slots < 1) throw new IllegalArgumentException("slots must be at least 1");
        this.slots = slots;
    }

    /** Counts the execution and returns true when it took a slot (send it now), false when it waits. */
    public boolean offer(WorkerChannel.Execute execute) {
        executesReceived++;
        if (waiting.isEmpty() && inFlight.size() < slots) {
            inFlight.put(execute.attemptId(), execute);
            return true;
        }
        waiting.add(execute);
        return false;
    }

    /** The in-flight execution of this attempt, or null when the worker does not hold it (any more). */
    public WorkerChannel.Execute inFlight(String attemptId) {
        return inFlight.get(attemptId);
    }

    /** Where a canceled attempt was. */
    public enum Canceled {
        IN_FLIGHT,
        WAITING,
        NOT_HELD
    }

    /**
     * Drops an attempt the engine canceled: an in-flight one frees its slot (the worker must be told),
     * a waiting one is forgotten before the worker ever saw it.
     */
    public Canceled cancel(String attemptId) {
        if (inFlight.remove(attemptId) != null) return Canceled.IN_FLIGHT;
        if (waiting.removeIf(execute -> execute.attemptId().equals(attemptId))) return Canceled.WAITING;
        return Canceled.NOT_HELD;
    }

    /** Ends an in-flight attempt; true when it held a slot. */
    public boolean release(String attemptId) {
        return inFlight.remove(attemptId) != null;
    }

    /** Moves waiting executions into free slots and returns them, in arrival order, to be sent. */
    public List<WorkerChannel.Execute> fillFreeSlots() {
        List<WorkerChannel.Execute> toSend = new ArrayList<>();
        while (!waiting.isEmpty() && inFlight.size() < slots) {
            WorkerChannel.Execute next = waiting.poll();
            inFlight.put(next.attemptId(), next);
            toSend.add(next);
        }
        return toSend;
    }

    /** Free slots as the dispatcher must see them: waiting executions already count as taken. */
    public int freeSlots() {
        return Math.max(0, slots - inFlight.size() - waiting.size());
    }

    public long executesReceived() {
        return executesReceived;
    }

    public int inFlightCount() {
        return inFlight.size();
    }

    /** Every execution the session holds, in flight or waiting; the book is empty afterwards. */
    public List<WorkerChannel.Execute> takeAll() {
        List<WorkerChannel.Execute> all = new ArrayList<>(inFlight.values());
        all.addAll(waiting);
        inFlight.clear();
        waiting.clear();
        return all;
    }
}
