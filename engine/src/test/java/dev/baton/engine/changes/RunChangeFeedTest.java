package dev.baton.engine.changes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** An environment's relay lives from its first listener to its last: what is not followed costs no relay. */
class RunChangeFeedTest {

    private static ActorTestKit testKit;

    @BeforeAll
    static void start() {
        testKit = ActorTestKit.create("RunChangeFeedTest");
    }

    @AfterAll
    static void stop() {
        testKit.shutdownTestKit();
    }

    @Test
    void theRelayServesItsListenersAndGoesWithTheLast() throws Exception {
        RunChangeFeed feed = new RunChangeFeed(testKit.system());
        BlockingQueue<String> first = new LinkedBlockingQueue<>();
        BlockingQueue<String> second = new LinkedBlockingQueue<>();
        RunChangeFeed.Subscription a = feed.subscribe("env_a", change -> first.add(change.runId()));
        RunChangeFeed.Subscription b = feed.subscribe("env_a", change -> second.add(change.runId()));
        assertEquals(1, feed.relayCount(), "one relay for the environment's listeners");

        publishUntilSeen(feed, first, "run_1");
        assertEquals("run_1", second.poll(5, TimeUnit.SECONDS));

        a.close();
        assertEquals(1, feed.relayCount(), "the other listener still follows");
        b.close();
        assertEquals(0, feed.relayCount(), "the last listener's close stops the relay");
        feed.publish(change("run_2"));
        assertEquals(null, second.poll(300, TimeUnit.MILLISECONDS), "a closed listener hears nothing");

        BlockingQueue<String> again = new LinkedBlockingQueue<>();
        try (RunChangeFeed.Subscription c = feed.subscribe("env_a", change -> again.add(change.runId()))) {
            publishUntilSeen(feed, again, "run_3");
        }
        assertEquals(0, feed.relayCount());
    }

    /** The feed is at most once, and a new relay's subscription reaches the topic a moment later. */
    private static void publishUntilSeen(RunChangeFeed feed, BlockingQueue<String> seen, String runId)
            throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < deadline) {
            feed.publish(change(runId));
            String got = seen.poll(100, TimeUnit.MILLISECONDS);
            if (runId.equals(got)) {
                seen.clear();
                return;
            }
        }
        fail(runId + " never arrived");
    }

    private static RunChanged change(String runId) {
        return new RunChanged("env_a", runId, List.of(), null, Instant.now());
    }
}
