package dev.baton.api.schedules;

import dev.baton.engine.schedule.ScheduleSpec;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The IANA timezones a schedule may use ({@code GET /api/v1/timezones}): "UTC" and the JDK's
 * {@code Area/Location} zones, without the legacy alias families ({@code US/…}, {@code Etc/…}, {@code SystemV/…}).
 */
final class Timezones {

    private static final List<String> EXCLUDED_PREFIXES =
            List.of("Etc/", "SystemV/", "US/", "Canada/", "Mexico/", "Brazil/", "Chile/");
    private static final Set<String> ZONES = zones();
    private static final List<String> WITH_UTC = withUtc();

    private Timezones() {}

    private static Set<String> zones() {
        Set<String> zones = new TreeSet<>();
        for (String id : ZoneId.getAvailableZoneIds()) {
            if (id.contains("/") && EXCLUDED_PREFIXES.stream().noneMatch(id::startsWith)) zones.add(id);
        }
        return zones;
    }

    private static List<String> withUtc() {
        List<String> all = new ArrayList<>();
        all.add(ScheduleSpec.UTC);
        all.addAll(ZONES);
        return List.copyOf(all);
    }

    /** "UTC" first (unless excluded), then the others in alphabetical order. */
    static List<String> list(boolean excludeUtc) {
        return excludeUtc ? List.copyOf(ZONES) : WITH_UTC;
    }

    static boolean isValid(String zone) {
        return ScheduleSpec.UTC.equals(zone) || ZONES.contains(zone);
    }
}
