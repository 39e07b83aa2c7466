package dev.baton.projections.clickhouse;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The facts of the runs one projection (one tag) saw last, at most {@code capacity} of them, least recently
 * used dropped first. An entry is only used for the event right after it ({@code seqNr + 1}); anything else
 * (a restart from an older offset, an evicted run) reads the run's journal instead. Kept across restarts of
 * the projection; thread-safe because the handler's callbacks run on different threads.
 */
final class RunFactsCache {

    private final Map<String, RunFacts> runs;

    RunFactsCache(int capacity) {
        this.runs = new LinkedHashMap<>(Math.min(capacity, 1024), 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, RunFacts> eldest) {
                return size() > capacity;
            }
        };
    }

    synchronized RunFacts get(String runId) {
        return runs.get(runId);
    }

    synchronized void put(String runId, RunFacts facts) {
        runs.put(runId, facts);
    }

    synchronized void putAll(Map<String, RunFacts> facts) {
        runs.putAll(facts);
    }

    synchronized int size() {
        return runs.size();
    }
}
