package dev.baton.engine.logs;

import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's log sink: a bounded queue of lines, drained by one task at a time on the blocking-IO executor, each
 * drain one transaction ({@link RunLogStore#append}) for what queued up meanwhile. Lines that do not fit the queue,
 * or whose write failed, are counted per attempt, and the next write of their environment adds a marker line to the
 * attempt saying how many were dropped: the worker never waits, and no line disappears without a trace.
 */
public final class RunLogWriter implements RunLogSink {

    private static final Logger log = LoggerFactory.getLogger(RunLogWriter.class);
    /** Lines one drain writes in one transaction at most. */
    static final int LINES_PER_WRITE = 5_000;

    private record Pending(String environmentId, List<LogLine> lines) {}

    private record DropKey(String environmentId, String runId, String attemptId, int attemptNumber) {}

    private final RunLogStore store;
    private final Consumer<RunLogsAppended> notify;
    private final Executor blockingIo;
    private final Clock clock;
    private final int maxQueuedLines;
    private final ConcurrentLinkedQueue<Pending> queue = new ConcurrentLinkedQueue<>();
    private final AtomicInteger queuedLines = new AtomicInteger();
    private final AtomicBoolean draining = new AtomicBoolean();
    /** Lines dropped and not yet marked, per attempt; guarded by itself (a rare path). */
    private final Map<DropKey, Long> dropped = new LinkedHashMap<>();

    private final LongAdder droppedTotal = new LongAdder();
    private final LongAdder storedTotal = new LongAdder();

    /** @param notify told of each run that got lines (the node's {@link RunLogFeed}) */
    public RunLogWriter(
            RunLogStore store, Consumer<RunLogsAppended> notify, Executor blockingIo, Clock clock, int maxQueuedLines) {
        this.store = store;
        this.notify = notify;
        this.blockingIo = blockingIo;
        this.clock = clock;
        this.maxQueuedLines = maxQueuedLines;
    }

    @Override
    public void offer(String environmentId, List<LogLine> lines) {
        if (lines.isEmpty()) return;
        if (queuedLines.addAndGet(lines.size()) > maxQueuedLines) {
            queuedLines.addAndGet(-lines.size());
            for (LogLine line : lines) countDropped(environmentId, line, 1);
            scheduleDrain(); // the marker goes out with the next write, even if no other line comes
            return;
        }
        queue.add(new Pending(environmentId, List.copyOf(lines)));
        scheduleDrain();
    }

    /** Lines this node stored since start, marker lines included. */
    public long linesStored() {
        return storedTotal.sum();
    }

    /** Lines this node dropped since start (queue full or a failed write); each has a marker in its run's log. */
    public long linesDropped() {
        return droppedTotal.sum();
    }

    private void scheduleDrain() {
        if (draining.compareAndSet(false, true)) blockingIo.execute(this::drain);
    }

    private void drain() {
        try {
            Map<String, List<LogLine>> byEnvironment = new LinkedHashMap<>();
            int taken = 0;
            while (taken < LINES_PER_WRITE) {
                Pending next = queue.poll();
                if (next == null) break;
                queuedLines.addAndGet(-next.lines().size());
                taken += next.lines().size();
                byEnvironment
                        .computeIfAbsent(next.environmentId(), id -> new ArrayList<>())
                        .addAll(next.lines());
            }
            synchronized (dropped) {
                for (DropKey key : dropped.keySet())
                    byEnvironment.computeIfAbsent(key.environmentId(), id -> new ArrayList<>());
            }
            byEnvironment.forEach(this::write);
        } finally {
            draining.set(false);
            if (!queue.isEmpty()) scheduleDrain();
        }
    }

    private void write(String environmentId, List<LogLine> lines) {
        Map<DropKey, Long> markers = takeMarkers(environmentId);
        List<LogLine> rows = new ArrayList<>(lines);
        markers.forEach((key, count) -> rows.add(LogLine.marker(
                key.runId(),
                key.attemptId(),
                key.attemptNumber(),
                clock.instant(),
                count + " log lines dropped by the node: its log write queue was full or the store failed",
                "droppedLines",
                count)));
        if (rows.isEmpty()) return;
        Set<String> runs;
        try {
            runs = store.append(environmentId, rows);
        } catch (RuntimeException e) {
            log.warn("could not store {} log lines of {}: {}", lines.size(), environmentId, e.toString());
            // counted, not retried now: the markers go out with the next write that works
            for (LogLine line : lines) countDropped(environmentId, line, 1);
            synchronized (dropped) {
                markers.forEach((key, count) -> dropped.merge(key, count, Long::sum));
            }
            return;
        }
        storedTotal.add(rows.size()); // an upper bound when a run's cap cut the batch
        for (String runId : runs) notify.accept(new RunLogsAppended(environmentId, runId));
    }

    private Map<DropKey, Long> takeMarkers(String environmentId) {
        Map<DropKey, Long> taken = new LinkedHashMap<>();
        synchronized (dropped) {
            dropped.entrySet().removeIf(entry -> {
                if (!entry.getKey().environmentId().equals(environmentId)) return false;
                taken.put(entry.getKey(), entry.getValue());
                return true;
            });
        }
        return taken;
    }

    private void countDropped(String environmentId, LogLine line, long count) {
        droppedTotal.add(count);
        synchronized (dropped) {
            dropped.merge(
                    new DropKey(environmentId, line.runId(), line.attemptId(), line.attemptNumber()), count, Long::sum);
        }
    }
}
