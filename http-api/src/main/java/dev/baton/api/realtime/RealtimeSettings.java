package dev.baton.api.realtime;

import com.typesafe.config.Config;
import java.time.Duration;

/** {@code baton.http.realtime} (see this module's {@code reference.conf}). */
public record RealtimeSettings(
        Duration liveHold,
        int maxLivePerEnvironment,
        Duration defaultTagWindow,
        int maxTagRuns,
        Duration forgetChangesAfter) {

    public static RealtimeSettings fromConfig(Config root) {
        Config realtime = root.getConfig("baton.http.realtime");
        return new RealtimeSettings(
                realtime.getDuration("live-hold"),
                realtime.getInt("max-live-per-environment"),
                realtime.getDuration("default-tag-window"),
                realtime.getInt("max-tag-runs"),
                realtime.getDuration("forget-changes-after"));
    }
}
