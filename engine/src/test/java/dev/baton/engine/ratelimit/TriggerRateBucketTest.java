package dev.baton.engine.ratelimit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.ConfigFactory;
import dev.baton.engine.environment.Environment;
import dev.baton.engine.environment.EnvironmentSettings;
import dev.baton.engine.environment.EnvironmentSettings.TriggerRateLimit;
import dev.baton.engine.environment.EnvironmentSettingsStore;
import dev.baton.engine.testkit.MutableClock;
import dev.baton.engine.testkit.TestNode;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The sharded bucket: grants, give-backs, and the environment's own limit read at start, applied by message and
 * re-read periodically. Messages are serialized as between nodes. The clock stands still, so nothing refills.
 */
class TriggerRateBucketTest {

    private static final Instant T0 = Instant.parse("2026-03-02T10:00:00Z");
    private static final TriggerRateLimit DEFAULT = new TriggerRateLimit(10, 1, Duration.ofMinutes(1));
    /** Longer than any test here: what a test sees was read at start or applied by message. */
    private static final Duration RELOAD = Duration.ofMinutes(5);

    private static TestNode node;
    private static EnvironmentSettingsStore store;
    private static TriggerRateLimits limits;

    @BeforeAll
    static void start() {
        node = startNode("TriggerRateBucketTest");
        store = new EnvironmentSettingsStore(node.directory());
        limits = startBuckets(node, store, RELOAD);
    }

    private static TestNode startNode(String name) {
        return TestNode.start(name, ConfigFactory.parseString("akka.actor.serialize-messages = on"));
    }

    private static TriggerRateLimits startBuckets(TestNode node, EnvironmentSettingsStore store, Duration reload) {
        return TriggerRateLimits.init(
                node.system(), new TriggerRateBucket.Setup(DEFAULT, 0.05, store::load, reload, new MutableClock(T0)));
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    private static TriggerRateBucket.Granted take(String environmentId, long wanted) {
        return take(limits, environmentId, wanted);
    }

    private static TriggerRateBucket.Granted take(TriggerRateLimits limits, String environmentId, long wanted) {
        return limits.take(environmentId, wanted).join();
    }

    @Test
    void grantsWhatItHasUpToWhatIsWantedWithTheBucketsView() {
        String env = "env_grants";
        assertEquals(new TriggerRateBucket.Granted(4, DEFAULT, 6, T0.toEpochMilli() + 60_000), take(env, 4));
        assertEquals(new TriggerRateBucket.Granted(6, DEFAULT, 0, T0.toEpochMilli() + 60_000), take(env, 7));
        assertEquals(new TriggerRateBucket.Granted(0, DEFAULT, 0, T0.toEpochMilli() + 60_000), take(env, 1));
        // Another environment has its own bucket.
        assertEquals(10, take("env_grants_other", 10).granted());
    }

    @Test
    void anAskForOneGetsAShareOfTheRateAndAnAskForNoneOnlyTheView() {
        String env = "env_share";
        // Lower than the default's 10 this bucket started with: 8 are left.
        TriggerRateLimit fast = new TriggerRateLimit(8, 100, Duration.ofSeconds(1));
        TriggerRateLimits.applySettings(node.system(), env, new EnvironmentSettings(null, fast, false));
        assertEquals(new TriggerRateBucket.Granted(5, fast, 3, T0.toEpochMilli() + 10), take(env, 1), "100 x 0.05");
        assertEquals(new TriggerRateBucket.Granted(0, fast, 3, T0.toEpochMilli() + 10), take(env, 0));
        assertEquals(3, take(env, 1).granted(), "what is left");
    }

    @Test
    void tokensGivenBackAreGrantedAgain() {
        String env = "env_give_back";
        assertEquals(10, take(env, 10).granted());
        limits.giveBack(env, 3);
        // The give-back and this take go to the same entity, in order.
        assertEquals(3, take(env, 10).granted());
        assertEquals(0, take(env, 10).granted());
    }

    @Test
    void theEnvironmentsOwnLimitIsReadAtStartAndAppliedByMessage() {
        Environment environment = node.createEnvironment("ratelimits", "dev", "tr_dev_bucket_own", "bw_dev_bucket_own");
        TriggerRateLimit own = new TriggerRateLimit(3, 1, Duration.ofSeconds(10));
        store.save(environment.id(), new EnvironmentSettings(null, own, false));

        TriggerRateBucket.Granted first = take(environment.id(), 5);
        assertEquals(new TriggerRateBucket.Granted(3, own, 0, T0.toEpochMilli() + 10_000), first);

        // Back to the default: the tokens left stay (none), the default's burst and rate apply.
        store.save(environment.id(), EnvironmentSettings.DEFAULTS);
        TriggerRateLimits.applySettings(node.system(), environment.id(), EnvironmentSettings.DEFAULTS);
        assertEquals(
                new TriggerRateBucket.Granted(0, DEFAULT, 0, T0.toEpochMilli() + 60_000), take(environment.id(), 5));
    }

    @Test
    void aChangeWhoseMessageWasLostIsReadWithinAReload() {
        Duration reload = Duration.ofMillis(200);
        try (TestNode reloading = startNode("TriggerRateBucketReloadTest")) {
            EnvironmentSettingsStore reloadingStore = new EnvironmentSettingsStore(reloading.directory());
            TriggerRateLimits buckets = startBuckets(reloading, reloadingStore, reload);
            Environment environment =
                    reloading.createEnvironment("ratelimits", "staging", "tr_stg_bucket_lost", "bw_stg_bucket_lost");
            assertEquals(DEFAULT, take(buckets, environment.id(), 1).limit());
            TriggerRateLimit own = new TriggerRateLimit(50, 5, Duration.ofSeconds(1));
            reloadingStore.save(environment.id(), new EnvironmentSettings(null, own, false)); // and no message
            TriggerRateLimit seen = DEFAULT;
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (!seen.equals(own) && System.nanoTime() < deadline) {
                TestNode.sleep(reload);
                seen = take(buckets, environment.id(), 0).limit();
            }
            assertEquals(own, seen);
            assertEquals(9, take(buckets, environment.id(), 100).granted(), "the 9 tokens left, not a fresh 50");
        }
    }

    @Test
    void anAppliedLimitTakesEffectAtOnce() {
        String env = "env_applied";
        assertEquals(2, take(env, 2).granted());
        TriggerRateLimit own = new TriggerRateLimit(5, 1, Duration.ofSeconds(1));
        // Not saved: only the message can have told the bucket.
        TriggerRateLimits.applySettings(node.system(), env, new EnvironmentSettings(null, own, false));
        assertEquals(new TriggerRateBucket.Granted(5, own, 0, T0.toEpochMilli() + 1_000), take(env, 100));
    }

    @Test
    void anUnusableLimitFallsBackToTheDefault() {
        String env = "env_unusable";
        TriggerRateLimits.applySettings(
                node.system(), env, new EnvironmentSettings(null, new TriggerRateLimit(0, 0, Duration.ZERO), false));
        assertEquals(DEFAULT, take(env, 1).limit());
    }
}
