package dev.baton.projections.schedules;

import com.typesafe.config.Config;
import dev.baton.projections.internal.DueSweeper;
import java.time.Duration;

/** Settings of the schedule index and its sweeper, from {@code baton.projections.schedule-index}. */
public record ScheduleIndexSettings(
    String readJournalPluginId,
    int groupAfterEnvelopes,
    Duration groupAfterDuration,
    Duration sweepInterval,
    Duration wakeAhead,
    int sweepBatch,
    String sweeperDispatcher) {

  public static ScheduleIndexSettings fromConfig(Config config) {
    Config index = config.getConfig("baton.projections.schedule-index");
    return new ScheduleIndexSettings(
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
