package dev.baton.projections.runs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class RunIndexSettingsTest {

    @Test
    void theDefaultsWakeRunsAheadOfTheirTimeAndBeforeAnIdleRunLeftMemory() {
        assertEquals(
                Duration.ofSeconds(5),
                RunIndexSettings.fromConfig(ConfigFactory.load()).wakeAhead());
    }

    @Test
    void anIdlePassivationNotLongerThanTheWakeAheadIsRefused() {
        // Such a run would leave memory after the last sweep that could have woken it in time.
        Config config = ConfigFactory.parseString("""
                baton.engine.run.idle-passivation = 5s
                baton.projections.run-index.wake-ahead = 5s
                """).withFallback(ConfigFactory.load());
        assertThrows(IllegalArgumentException.class, () -> RunIndexSettings.fromConfig(config));
    }
}
