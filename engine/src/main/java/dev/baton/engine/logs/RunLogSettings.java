package dev.baton.engine.logs;

import com.typesafe.config.Config;
import java.time.Duration;

/** {@code baton.logs}: retention and the node's write queue (reference.conf says what each means). */
public record RunLogSettings(
        Duration maxAge, int maxLinesPerRun, Duration sweepInterval, int writeQueueLines, Duration followInterval) {

    public RunLogSettings {
        if (maxLinesPerRun < 1) throw new IllegalArgumentException("baton.logs.max-lines-per-run must be at least 1");
        if (writeQueueLines < 1) throw new IllegalArgumentException("baton.logs.write-queue-lines must be at least 1");
        if (maxAge.isNegative() || maxAge.isZero())
            throw new IllegalArgumentException("baton.logs.max-age must be positive");
    }

    public static RunLogSettings fromConfig(Config logs) {
        return new RunLogSettings(
                logs.getDuration("max-age"),
                logs.getInt("max-lines-per-run"),
                logs.getDuration("sweep-interval"),
                logs.getInt("write-queue-lines"),
                logs.getDuration("follow-interval"));
    }
}
