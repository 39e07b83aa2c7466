package dev.baton.engine.logs;

import java.util.List;

/**
 * Where the worker gateway hands the lines a worker logged. {@link #offer} never blocks and never fails: logging is
 * best effort, and a log batch must not delay a worker's execution messages.
 */
public interface RunLogSink {

    /** Takes lines of one environment's runs to be stored; lines it cannot take are counted, never lost silently. */
    void offer(String environmentId, List<LogLine> lines);

    /** For a gateway built without a log store (some tests): every line is dropped. */
    RunLogSink DISCARD = (environmentId, lines) -> {};
}
