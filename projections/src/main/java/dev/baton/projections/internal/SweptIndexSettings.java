package dev.baton.projections.internal;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * Settings of an index projected from entity events with a sweeper that wakes its due entities (the schedule
 * index, {@code baton.projections.schedule-index}; the waitpoint token index, {@code
 * baton.projections.waitpoint-index}).
 */
public record SweptIndexSettings(
        String readJournalPluginId,
        int groupAfterEnvelopes,
        Duration groupAfterDuration,
        Duration sweepInterval,
        Duration wakeAhead,
        int sweepBatch,
        String sweeperDispatcher) {

    public static SweptIndexSettings fromConfig(Config config, String path) {
        Config index = config.getConfig(path);
        return new SweptIndexSettings(
                config.getString("baton.engine.read-journal-plugin"),
                index.getInt("group-after-envelopes"),
                index.getDuration("group-after-duration"),
                index.getDuration("sweep-interval"),
                index.getDuration("wake-ahead"),
                index.getInt("sweep-batch"),
                "baton.projections.sweeper-dispatcher");
    }

    public IndexSweeper.Settings sweeping() {
        return new IndexSweeper.Settings(sweepInterval, wakeAhead, sweepBatch, sweeperDispatcher);
    }
}
