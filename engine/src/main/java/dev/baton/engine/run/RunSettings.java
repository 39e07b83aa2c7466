package dev.baton.engine.run;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * Run lifecycle settings from {@code baton.engine.run}.
 *
 * @param finishedIdle how long a finished run stays in memory before it passivates (it is read back when asked)
 * @param idlePassivation a run with nothing to do until further away than this passivates (see {@link RunTimers})
 */
public record RunSettings(
        Duration leaseTimeout,
        Duration heartbeatInterval,
        int tagCount,
        int maxTags,
        long maxMetadataBytes,
        Duration finishedIdle,
        Duration idlePassivation) {

    public static RunSettings fromConfig(Config engineConfig) {
        Config run = engineConfig.getConfig("run");
        return new RunSettings(
                run.getDuration("lease-timeout"),
                run.getDuration("heartbeat-interval"),
                run.getInt("tag-count"),
                run.getInt("max-tags"),
                run.getBytes("max-metadata-size"),
                run.getDuration("finished-passivation"),
                run.getDuration("idle-passivation"));
    }

    /** Projection tag of a run's events: a stable slice of the run id, so slices can be projected in parallel. */
    public String tagFor(String runId) {
        return "run-" + Math.floorMod(runId.hashCode(), tagCount);
    }
}
