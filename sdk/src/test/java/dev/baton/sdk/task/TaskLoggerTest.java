package dev.baton.sdk.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** TaskLogger's SLF4J-like rules: placeholders, a trailing Map of attributes, a trailing Throwable, with(). */
class TaskLoggerTest {

    private static final Instant AT = Instant.parse("2026-12-06T10:00:00Z");
    private final TaskLogger logger = new TaskLogger(AttemptLink.detached(null), Map.of());

    @Test
    void fillsPlaceholdersInOrder() {
        assertEquals(
                "charged 250 for o-1",
                entry(logger, "charged {} for {}", 250, "o-1").message());
        assertEquals("a {} b", entry(logger, "a \\{} b", 1).message(), "an escaped placeholder stays");
        assertEquals("missing {}", entry(logger, "missing {}").message());
        assertEquals("array [1, 2]", entry(logger, "array {}", new int[] {1, 2}).message());
        assertEquals("null", entry(logger, null).message());
    }

    @Test
    void aTrailingMapIsTheAttributesAndATrailingThrowableTheError() {
        IllegalStateException boom = new IllegalStateException("boom");
        LogEntry entry = entry(logger, "charged {}", 250, Map.of("orderId", "o-1"), boom);
        assertEquals("charged 250", entry.message());
        assertEquals(Map.of("orderId", "o-1"), entry.attributes());
        assertSame(boom, entry.error());

        // a Map a placeholder uses is an argument, not attributes
        LogEntry used = entry(logger, "map {}", Map.of("k", 1));
        assertEquals("map {k=1}", used.message());
        assertEquals(Map.of(), used.attributes());
        // as in SLF4J, a last Throwable is the error even when a placeholder is left
        LogEntry thrown = entry(logger, "failed {}", boom);
        assertEquals("failed {}", thrown.message());
        assertSame(boom, thrown.error());
    }

    @Test
    void withAddsAttributesThatALinesOwnOverride() {
        TaskLogger bound = logger.with("orderId", "o-1").with(Map.of("tenant", "t-1"));
        LogEntry entry = entry(bound, "step", Map.of("tenant", "t-2"));
        assertEquals(Map.of("orderId", "o-1", "tenant", "t-2"), entry.attributes());
        assertNull(entry.error());
        assertEquals(List.of(), List.copyOf(entry(logger, "plain").attributes().keySet()));
    }

    private static LogEntry entry(TaskLogger logger, String message, Object... args) {
        return logger.entry(AT, LogLevel.INFO, message, args);
    }
}
