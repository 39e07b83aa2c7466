package dev.baton.projections.runs;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Settings of the run index and its sweepers, from {@code baton.projections.run-index} and the engine's
 * {@code baton.engine.run} (tag count and lease timeout, which the index must agree with).
 *
 * @param maxQueuedRecheck the longest backoff of a QUEUED run's recheck (see RunIndexSweeper#backoff)
 * @param wakeAhead the sweepers wake runs due this soon, so that a run out of memory arms its timer in time
 */
public record RunIndexSettings(
        int tagCount,
        Duration leaseTimeout,
        String readJournalPluginId,
        int groupAfterEnvelopes,
        Duration groupAfterDuration,
        Duration recheck,
        Duration maxRecheck,
        Duration maxQueuedRecheck,
        Duration sweepInterval,
        Duration wakeAhead,
        int sweepBatch,
        String sweeperDispatcher) {

    public static final String SWEEPER_DISPATCHER = "baton.projections.sweeper-dispatcher";

    public static RunIndexSettings fromConfig(Config config) {
        Config run = config.getConfig("baton.engine.run");
        Config index = config.getConfig("baton.projections.run-index");
        Duration wakeAhead = index.getDuration("wake-ahead");
        Duration idlePassivation = run.getDuration("idle-passivation");
        // A run that left memory waiting for a time within wake-ahead would be woken by no sweep before that time.
        if (idlePassivation.compareTo(wakeAhead) <= 0) {
            throw new IllegalArgumentException("baton.engine.run.idle-passivation (" + idlePassivation
                    + ") must be longer than baton.projections.run-index.wake-ahead (" + wakeAhead + ")");
        }
        return new RunIndexSettings(
                run.getInt("tag-count"),
                run.getDuration("lease-timeout"),
                config.getString("baton.engine.read-journal-plugin"),
                index.getInt("group-after-envelopes"),
                index.getDuration("group-after-duration"),
                index.getDuration("recheck"),
                index.getDuration("max-recheck"),
                index.getDuration("max-queued-recheck"),
                index.getDuration("sweep-interval"),
                wakeAhead,
                index.getInt("sweep-batch"),
                SWEEPER_DISPATCHER);
    }

    /**
     * The event tags the run entities write ({@code RunSettings.tagFor}: "run-" and the run id's slice),
     * one projection and one sweeper each. RunRowTest checks the two agree.
     */
    public List<String> tags() {
        return IntStream.range(0, tagCount).mapToObj(i -> "run-" + i).toList();
    }

    public RunRow.WakeRules wakeRules() {
        return new RunRow.WakeRules(recheck, leaseTimeout);
    }
}
