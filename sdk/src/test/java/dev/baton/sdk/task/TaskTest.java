package dev.baton.sdk.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

class TaskTest {

    private static final TaskHandler<Void, String> NOOP = (payload, ctx) -> "ok";

    @ParameterizedTest
    @ValueSource(strings = {"a", "hello-world", "images/resize", "billing:charge.v2", "A_1", "9lives"})
    void acceptsValidIds(String id) {
        assertEquals(id, Task.define(id, Void.class, NOOP).build().id());
    }

    @Test
    void acceptsIdsUpTo128Characters() {
        Task.define("a".repeat(128), Void.class, NOOP).build();
        assertThrows(IllegalArgumentException.class, () -> Task.define("a".repeat(129), Void.class, NOOP));
    }

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(strings = {"-leading-dash", "/root", "has space", "emoji✓", "semi;colon", "_x"})
    void rejectsInvalidIds(String id) {
        assertThrows(IllegalArgumentException.class, () -> Task.define(id, Void.class, NOOP));
    }

    @Test
    void defaultsLeaveQueueAndDurationToTheServer() {
        Task<Void, String> task = Task.define("t", Void.class, NOOP).build();
        assertEquals(Optional.empty(), task.queueName());
        assertEquals(OptionalInt.empty(), task.concurrencyLimit());
        assertEquals(OptionalInt.empty(), task.globalConcurrencyLimit());
        assertEquals(RetryPolicy.defaults(), task.retry());
        assertEquals(Optional.empty(), task.maxDuration());
    }

    @Test
    void builderRecordsQueueRetryAndDuration() {
        Task<Void, String> task = Task.define("t", Void.class, NOOP)
                .queue("sleepy", 2)
                .retry(RetryPolicy.attempts(5))
                .maxDuration(Duration.ofMinutes(1))
                .build();
        assertEquals(Optional.of("sleepy"), task.queueName());
        assertEquals(OptionalInt.of(2), task.concurrencyLimit());
        assertEquals(5, task.retry().maxAttempts());
        assertEquals(Optional.of(Duration.ofMinutes(1)), task.maxDuration());
    }

    @Test
    void queueWithoutLimitClearsAnEarlierLimit() {
        Task<Void, String> task =
                Task.define("t", Void.class, NOOP).queue("q", 3, 6).queue("q").build();
        assertEquals(OptionalInt.empty(), task.concurrencyLimit());
        assertEquals(OptionalInt.empty(), task.globalConcurrencyLimit());
    }

    @Test
    void queueCanCapAllConcurrencyKeysTogether() {
        Task<Void, String> task =
                Task.define("t", Void.class, NOOP).queue("per-user", 1, 10).build();
        assertEquals(Optional.of("per-user"), task.queueName());
        assertEquals(OptionalInt.of(1), task.concurrencyLimit());
        assertEquals(OptionalInt.of(10), task.globalConcurrencyLimit());
        assertEquals(
                OptionalInt.empty(),
                Task.define("t", Void.class, NOOP).queue("q", 2).build().globalConcurrencyLimit());
    }

    @Test
    void rejectsInvalidSettings() {
        Task.Builder<Void, String> builder = Task.define("t", Void.class, NOOP);
        assertThrows(IllegalArgumentException.class, () -> builder.queue(" "));
        assertThrows(IllegalArgumentException.class, () -> builder.queue("q", 0));
        assertThrows(IllegalArgumentException.class, () -> builder.queue("q", 1, 0));
        assertThrows(IllegalArgumentException.class, () -> builder.queue("q", 0, 5));
        assertThrows(IllegalArgumentException.class, () -> builder.maxDuration(Duration.ZERO));
        assertThrows(NullPointerException.class, () -> builder.retry(null));
        assertThrows(NullPointerException.class, () -> Task.define("t", null, NOOP));
    }

    @Test
    void aRateLimitNeedsAPositiveLimitAndWholeMillisecondsUpToAWeek() {
        assertEquals(
                Optional.of(new Task.RateLimit(5, Duration.ofSeconds(1))),
                Task.define("t", Void.class, NOOP)
                        .rateLimit(5, Duration.ofSeconds(1))
                        .build()
                        .rateLimit());
        assertEquals(
                Optional.empty(), Task.define("t", Void.class, NOOP).build().rateLimit());
        assertThrows(
                IllegalArgumentException.class,
                () -> Task.define("t", Void.class, NOOP).rateLimit(0, Duration.ofSeconds(1)));
        assertThrows(
                IllegalArgumentException.class,
                () -> Task.define("t", Void.class, NOOP).rateLimit(1, Duration.ofNanos(1_500_000)));
        assertThrows(
                IllegalArgumentException.class,
                () -> Task.define("t", Void.class, NOOP).rateLimit(1, Duration.ofDays(8)));
    }
}
