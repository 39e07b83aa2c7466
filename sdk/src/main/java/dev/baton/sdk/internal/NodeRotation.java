package dev.baton.sdk.internal;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * The nodes a worker or client may talk to, and which one it talks to now. It stays on one node while that node
 * answers; when the node fails (refuses, drops the connection, answers 503) it moves to the next in the list's order,
 * skipping nodes that failed within {@code failureMemory}, so a node that refused recently is tried last. With one
 * node (e.g. a load-balanced URL) it always answers that one. Thread-safe.
 */
public final class NodeRotation {

    private final List<URI> nodes;
    private final long failureMemoryNanos;
    private final LongSupplier nanoTime;
    /** When each node last failed (System.nanoTime), or null when it has not failed since it last answered. */
    private final Long[] failedAt;

    private int current;

    public NodeRotation(List<URI> nodes, Duration failureMemory) {
        this(nodes, failureMemory, System::nanoTime);
    }

    NodeRotation(List<URI> nodes, Duration failureMemory, LongSupplier nanoTime) {
        if (nodes == null || nodes.isEmpty()) {
            throw new IllegalArgumentException("at least one node URL is required");
        }
        if (nodes.stream().distinct().count() != nodes.size()) {
            throw new IllegalArgumentException("a node URL is listed twice: " + nodes);
        }
        this.nodes = List.copyOf(nodes);
        this.failureMemoryNanos = failureMemory.toNanos();
        this.nanoTime = nanoTime;
        this.failedAt = new Long[nodes.size()];
    }

    public List<URI> nodes() {
        return nodes;
    }

    public int size() {
        return nodes.size();
    }

    /** The node to talk to now. */
    public synchronized URI current() {
        return nodes.get(current);
    }

    /** The node answered: it is in good standing again. */
    public synchronized void succeeded(URI node) {
        failedAt[indexOf(node)] = null;
    }

    /**
     * The node failed. When it is the current one, the next node becomes current: the first after it in the list
     * that has not failed within the failure memory, else the one whose failure is oldest. Returns the node to talk
     * to now.
     */
    public synchronized URI failed(URI node) {
        int failedIndex = indexOf(node);
        long now = nanoTime.getAsLong();
        failedAt[failedIndex] = now;
        if (failedIndex != current) {
            return nodes.get(current); // another caller moved on already
        }
        int oldestFailure = -1;
        for (int step = 1; step <= nodes.size(); step++) {
            int candidate = (failedIndex + step) % nodes.size();
            Long failed = failedAt[candidate];
            if (failed == null || now - failed >= failureMemoryNanos) {
                current = candidate;
                return nodes.get(current);
            }
            if (oldestFailure < 0 || failed < failedAt[oldestFailure]) {
                oldestFailure = candidate;
            }
        }
        current = oldestFailure;
        return nodes.get(current);
    }

    private int indexOf(URI node) {
        int index = nodes.indexOf(node);
        if (index < 0) {
            throw new IllegalArgumentException("not one of the nodes: " + node);
        }
        return index;
    }
}
