package dev.baton.loadtest;

import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One metric in the peers harness's format: {@code RESULT peer=baton[:label] metric=… key=value …}, the
 * fields in the order they were added. {@link #get} lets tests and the smoke test read them back.
 */
public final class ResultLine {

    private final String peer;
    private final String metric;
    private final Map<String, String> fields = new LinkedHashMap<>();

    ResultLine(String label, String metric) {
        this.peer = "baton" + (label == null || label.isEmpty() ? "" : ":" + label);
        this.metric = metric;
    }

    ResultLine put(String key, Object value) {
        fields.put(key, String.valueOf(value));
        return this;
    }

    public String metric() {
        return metric;
    }

    public String get(String key) {
        return fields.get(key);
    }

    void print(PrintStream out) {
        out.println(this);
        out.flush();
    }

    @Override
    public String toString() {
        StringBuilder line = new StringBuilder("RESULT peer=")
                .append(peer)
                .append(" metric=")
                .append(metric);
        fields.forEach((key, value) -> line.append(' ').append(key).append('=').append(value));
        return line.toString();
    }
}
