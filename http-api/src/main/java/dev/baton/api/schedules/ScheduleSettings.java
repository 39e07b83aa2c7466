package dev.baton.api.schedules;

import com.typesafe.config.Config;

/** {@code baton.http.schedules}: the list's page sizes and the longest string field of a schedule body. */
record ScheduleSettings(int defaultPerPage, int maxPerPage, int maxFieldLength) {

    static ScheduleSettings fromConfig(Config root) {
        Config schedules = root.getConfig("baton.http.schedules");
        return new ScheduleSettings(
                schedules.getInt("default-per-page"),
                schedules.getInt("max-per-page"),
                schedules.getInt("max-field-length"));
    }
}
