package dev.baton.engine.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DurationsTest {

    private static final Instant NOW = Instant.parse("2025-06-01T12:00:00Z");

    @ParameterizedTest
    @CsvSource({
        "30s, PT30S",
        "1h30m, PT1H30M",
        "2d, PT48H",
        "500ms, PT0.5S",
        "1w, PT168H",
        "1w2d3h4m5s6ms, PT219H4M5.006S",
        "90m, PT1H30M",
        "0s, PT0S",
        "' 10m ', PT10M",
    })
    void parsesDurations(String text, String expected) {
        assertEquals(Optional.of(Duration.parse(expected)), Durations.parseDuration(text));
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "",
                "s",
                "10",
                "10x",
                "1m1h",
                "1.5h",
                "-5s",
                "1h 30m",
                "10 s",
                "10S",
                "PT10S",
                "1hh",
                "99999999999999999999999s",
                "9999999999999999w",
                "tomorrow"
            })
    void rejectsWhatIsNotADuration(String text) {
        assertEquals(Optional.empty(), Durations.parseDuration(text));
    }

    @Test
    void delayIsADurationFromNow() {
        assertEquals(Optional.of(Optional.of(NOW.plusSeconds(30))), Durations.parseDelay("30s", NOW));
        assertEquals(Optional.of(Optional.of(NOW.plus(Duration.ofMinutes(90)))), Durations.parseDelay("1h30m", NOW));
        assertEquals(Optional.of(Optional.of(NOW.plusMillis(500))), Durations.parseDelay("500ms", NOW));
        assertEquals(Optional.of(Optional.empty()), Durations.parseDelay("0s", NOW), "zero: no delay");
    }

    @Test
    void delayIsAnIsoDate() {
        assertEquals(
                Optional.of(Optional.of(Instant.parse("2025-06-02T00:00:00Z"))),
                Durations.parseDelay("2025-06-02T00:00:00.000Z", NOW));
        assertEquals(
                Optional.of(Optional.of(Instant.parse("2025-06-01T13:00:00Z"))),
                Durations.parseDelay("2025-06-01T15:00:00+02:00", NOW));
        assertEquals(
                Optional.of(Optional.of(Instant.parse("2025-06-01T12:30:00Z"))),
                Durations.parseDelay("2025-06-01T12:30:00", NOW),
                "no offset: UTC");
        assertEquals(
                Optional.of(Optional.of(Instant.parse("2025-07-01T00:00:00Z"))),
                Durations.parseDelay("2025-07-01", NOW),
                "a plain date: midnight UTC");
    }

    @Test
    void pastDatesMeanNoDelay() {
        assertEquals(Optional.of(Optional.empty()), Durations.parseDelay("2020-01-01T00:00:00Z", NOW));
        assertEquals(
                Optional.of(Optional.empty()), Durations.parseDelay("2025-06-01T12:00:00Z", NOW), "now is not later");
    }

    @ParameterizedTest
    @ValueSource(
            strings = {"", "soon", "2025-13-01", "2025-06-01T25:00:00Z", "01/06/2025", "1h30", "+1h", "2025-06-01Tnope"
            })
    void invalidDelays(String text) {
        assertEquals(Optional.empty(), Durations.parseDelay(text, NOW));
    }

    @Test
    void hugeDelaysAreInvalidNotCrashes() {
        assertEquals(Optional.empty(), Durations.parseDelay("999999999999999d", NOW));
    }

    @ParameterizedTest
    @CsvSource({"1s, PT1S", "90m, PT1H30M", "24h, PT24H", "30d, PT720H", "0001s, PT1S"})
    void keyTtls(String text, String expected) {
        assertEquals(Optional.of(Duration.parse(expected)), Durations.parseKeyTtl(text));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "1", "1w", "1h30m", "500ms", " 1h", "1h ", "-1h", "0s", "1H", "99999999999999999999d"})
    void invalidKeyTtls(String text) {
        assertEquals(Optional.empty(), Durations.parseKeyTtl(text));
    }

    @Test
    void formatsInTheLargestWholeUnit() {
        assertEquals("1h", Durations.format(Duration.ofHours(1)));
        assertEquals("90s", Durations.format(Duration.ofSeconds(90)));
        assertEquals("90m", Durations.format(Duration.ofMinutes(90)));
        assertEquals("2d", Durations.format(Duration.ofDays(2)));
        assertEquals("14d", Durations.format(Duration.ofDays(14)));
        assertEquals("1s", Durations.format(Duration.ofSeconds(1)));
        assertEquals("1500ms", Durations.format(Duration.ofMillis(1500)));
        assertEquals("0s", Durations.format(Duration.ZERO));
    }

    @Test
    void formattedDurationsParseBack() {
        for (String text : new String[] {"1h", "90s", "2d", "500ms", "10m"}) {
            Duration parsed = Durations.parseDuration(text).orElseThrow();
            assertEquals(text, Durations.format(parsed));
            assertTrue(Durations.parseDuration(Durations.format(parsed)).isPresent());
        }
    }
}
