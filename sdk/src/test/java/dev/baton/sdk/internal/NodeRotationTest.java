package dev.baton.sdk.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class NodeRotationTest {

    private static final URI A = URI.create("http://a:8080");
    private static final URI B = URI.create("http://b:8080");
    private static final URI C = URI.create("http://c:8080");

    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final NodeRotation rotation = new NodeRotation(List.of(A, B, C), Duration.ofSeconds(30), now::get);

    @Test
    void staysOnTheFirstNodeUntilItFailsThenMovesToTheNext() {
        assertEquals(A, rotation.current());
        rotation.succeeded(A);
        assertEquals(A, rotation.current());
        assertEquals(B, rotation.failed(A));
        assertEquals(B, rotation.current());
        assertEquals(C, rotation.failed(B));
    }

    @Test
    void aNodeThatFailedRecentlyIsTriedAfterTheOthers() {
        rotation.failed(A); // → B
        rotation.failed(B); // → C, as A failed recently
        assertEquals(A, rotation.failed(C), "every node failed: the oldest failure goes first");
        assertEquals(B, rotation.failed(A));
    }

    @Test
    void aFailureIsForgottenAfterTheMemoryOrWhenTheNodeAnswers() {
        rotation.failed(A); // → B
        now.addAndGet(Duration.ofSeconds(31).toNanos());
        assertEquals(C, rotation.failed(B));
        assertEquals(A, rotation.failed(C), "A's failure is 31 s old");
        rotation.succeeded(B);
        assertEquals(B, rotation.failed(A), "B answered since it failed");
    }

    @Test
    void aFailureOfANodeThatIsNoLongerCurrentDoesNotMoveOn() {
        rotation.failed(A); // → B
        assertEquals(B, rotation.failed(A), "a second caller's news about A");
    }

    @Test
    void oneNodeIsAlwaysTheCurrentOne() {
        NodeRotation single = new NodeRotation(List.of(A), Duration.ofSeconds(30), now::get);
        assertEquals(A, single.failed(A));
        assertEquals(A, single.current());
    }

    @Test
    void refusesNoNodesAndDuplicates() {
        assertThrows(IllegalArgumentException.class, () -> new NodeRotation(List.of(), Duration.ofSeconds(1)));
        assertThrows(IllegalArgumentException.class, () -> new NodeRotation(List.of(A, A), Duration.ofSeconds(1)));
    }
}
