package dev.baton.projections.waitpoints;

import com.typesafe.config.Config;
import dev.baton.projections.internal.DueSweeper;
import java.time.Duration;

/** Settings of the waitpoint token index and its sweeper, from {@code baton.projections.waitpoint-index}. */
public record TokenIndexSettings(
    String readJournalPluginId,
    int groupAfterEnvelopes,
    Duration groupAfterDuration,
    Duration sweepInterval,
    Duration wakeAhead,
    int sweepBatch,
    String sweeperDispatcher) {

  public static TokenIndexSettings fromConfig(Config config) {
    Config index = config.getConfig("baton.projections.waitpoint-index");
    return new TokenIndexSettings(
        config.getString("baton.engine.read-journal-plugin"),
        index.getInt("group-after-envelopes"),
        index.getDuration("group-after-duration"),
        index.getDuration("sweep-interval"),
        index.getDuration("wake-ahead"),
        index.getInt("sweep-batch"),
        "baton.projections.sweeper-dispatcher");
  }

  public DueSweeper.Settings sweeping() {
    return new DueSweeper.Settings(sweepInterval, wakeAhead, sweepBatch, sweeperDispatcher);
  }
}
