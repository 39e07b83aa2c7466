package dev.baton.api.runs;

import com.typesafe.config.Config;
import java.time.Duration;

/** {@code baton.http.run-stream} (see this module's {@code reference.conf}). */
public record RunStreamSettings(Duration window, int maxPending, Duration heartbeat, int maxPerEnvironment) {

    public static RunStreamSettings fromConfig(Config root) {
        Config stream = root.getConfig("baton.http.run-stream");
        return new RunStreamSettings(
                stream.getDuration("window"),
                stream.getInt("max-pending"),
                stream.getDuration("heartbeat"),
                stream.getInt("max-per-environment"));
    }
}
