package dev.baton.gateway.session;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Keeps each attempt's engine calls in the order the worker sent them: one call per attempt is
 * outstanding at a time, the rest wait behind it (so a {@code completed} never overtakes its
 * {@code started}). Different attempts proceed independently. Not thread-safe: owned by one session.
 */
final class AttemptCalls {

    /** Sends a call to the engine and arranges for {@link #answered} to be called with its attempt id. */
    interface Issuer {
        void issue(String runId, String attemptId, AttemptCall call);
    }

    private static final class Line {
        final String runId;
        final ArrayDeque<AttemptCall> waiting = new ArrayDeque<>();

        Line(String runId) {
            this.runId = runId;
        }
    }

    private final Issuer issuer;
    /** Attempts with a call outstanding; an attempt without one has no entry. */
    private final Map<String, Line> busy = new HashMap<>();

    AttemptCalls(Issuer issuer) {
        this.issuer = issuer;
    }

    void submit(String runId, String attemptId, AttemptCall call) {
        Line line = busy.get(attemptId);
        if (line == null) {
            busy.put(attemptId, new Line(runId));
            issuer.issue(runId, attemptId, call);
        } else if (!(call instanceof AttemptCall.Beat && line.waiting.peekLast() instanceof AttemptCall.Beat)) {
            // a heartbeat right behind a waiting heartbeat adds nothing: the lease is renewed once either way
            line.waiting.add(call);
        }
    }

    /** The outstanding call of this attempt was answered: issue the next one waiting, if any. */
    void answered(String attemptId) {
        Line line = busy.get(attemptId);
        if (line == null) return;
        AttemptCall next = line.waiting.poll();
        if (next == null) {
            busy.remove(attemptId);
        } else {
            issuer.issue(line.runId, attemptId, next);
        }
    }

    /** Drops the calls waiting behind this attempt's outstanding one and returns them (the attempt is fenced). */
    List<AttemptCall> dropWaiting(String attemptId) {
        Line line = busy.get(attemptId);
        if (line == null) return List.of();
        List<AttemptCall> dropped = List.copyOf(line.waiting);
        line.waiting.clear();
        return dropped;
    }

    /** The socket is gone: only the worker's answers still matter, progress reports are dropped. */
    void keepOnlyAnswers() {
        for (Line line : busy.values()) line.waiting.removeIf(call -> !call.finishesAttempt());
    }

    boolean idle() {
        return busy.isEmpty();
    }
}
