package dev.baton.api.realtime;

import static org.junit.jupiter.api.Assertions.assertEquals;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import dev.baton.engine.changes.RunChangeFeed;
import dev.baton.engine.testkit.MutableClock;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A node keeps an environment's recent changes only while live requests keep asking about it. */
class RecentChangesTest {

    private static ActorTestKit testKit;

    @BeforeAll
    static void start() {
        testKit = ActorTestKit.create("RecentChangesTest");
    }

    @AfterAll
    static void stop() {
        testKit.shutdownTestKit();
    }

    @Test
    void anEnvironmentNobodyAskedAboutIsForgotten() {
        MutableClock clock = new MutableClock(Instant.parse("2026-12-06T10:00:00Z"));
        RecentChanges recent = new RecentChanges(new RunChangeFeed(testKit.system()), clock, Duration.ofMinutes(10));
        recent.since("env_a", clock.instant());
        recent.since("env_b", clock.instant());
        assertEquals(2, recent.environmentsKept());

        clock.advance(Duration.ofMinutes(6));
        recent.since("env_b", clock.instant()); // env_b is still followed
        clock.advance(Duration.ofMinutes(6));
        recent.since("env_b", clock.instant());
        assertEquals(1, recent.environmentsKept(), "env_a was last asked about 12 minutes ago");

        recent.since("env_a", clock.instant());
        assertEquals(2, recent.environmentsKept(), "asked again, it is followed again");
    }
}
