package dev.baton.sdk.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.sdk.internal.json.Json;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A context built by a test (attached to no worker) applies metadata updates in memory, like the server. */
class TaskContextTest {

    private static JsonNode json(String text) throws Exception {
        return Json.mapper().readTree(text);
    }

    private static TaskContext context(JsonNode metadata) {
        return new TaskContext("run_1", "att_1", 1, "t", List.of("a"), metadata, "env_dev", "task/t");
    }

    @Test
    void detachedContextAppliesMetadataLocally() throws Exception {
        TaskContext ctx = context(json("{\"k\":\"v\",\"log\":[\"a\",\"b\"]}"));
        assertEquals(json("{\"k\":\"v\",\"log\":[\"a\",\"b\"],\"progress\":0.5}"), ctx.metadataSet("progress", 0.5));
        ctx.metadataIncrement("$.counts.done", 2);
        ctx.metadataIncrement("$.counts.done", 1);
        ctx.metadataAppend("log", "c");
        ctx.metadataRemove("log", "a");
        ctx.metadataDelete("k");
        assertEquals(json("{\"log\":[\"b\",\"c\"],\"progress\":0.5,\"counts\":{\"done\":3}}"), ctx.metadata());
        assertEquals(json("{\"fresh\":true}"), ctx.metadataReplace(Map.of("fresh", true)));
        assertEquals(
                json("{\"fresh\":true,\"x\":1,\"y\":[1]}"),
                ctx.updateMetadata(MetadataOperation.set("x", 1), MetadataOperation.append("y", 1)));
    }

    @Test
    void contextWithoutMetadataStartsMissingAndIsNeverCancelled() {
        TaskContext ctx = context(null);
        assertTrue(ctx.metadata().isMissingNode());
        assertFalse(ctx.isCancelled());
        assertTrue(ctx.cancelReason().isEmpty());
        ctx.throwIfCancelled();
        assertEquals(1, ctx.metadataIncrement("n", 1).get("n").asInt());
    }

    @Test
    void operationsAreValidatedBeforeAnythingIsSent() {
        TaskContext ctx = context(null);
        assertThrows(IllegalArgumentException.class, () -> ctx.metadataSet(" ", 1));
        assertThrows(IllegalArgumentException.class, () -> ctx.metadataReplace(List.of(1)));
        assertThrows(IllegalArgumentException.class, () -> ctx.updateMetadata());
        assertThrows(NullPointerException.class, () -> ctx.metadataIncrement("n", null));
    }

    @Test
    void cancellationIsACancellationException() {
        TaskCancelledException e = new TaskCancelledException("run canceled");
        assertTrue(e instanceof java.util.concurrent.CancellationException);
        assertEquals("run canceled", e.reason());
    }

    @Test
    void detachedContextRunsStepsInlineSleepsForWaitsAndRefusesChildRunsAndTokens() throws Exception {
        TaskContext ctx = context(null);
        java.util.concurrent.atomic.AtomicInteger ran = new java.util.concurrent.atomic.AtomicInteger();
        assertEquals(1, ctx.step("count", Integer.class, ran::incrementAndGet));
        assertEquals(2, ctx.step("count", Integer.class, ran::incrementAndGet));

        long started = System.nanoTime();
        ctx.waitFor(java.time.Duration.ofMillis(50));
        ctx.waitUntil(java.time.Instant.now().minusSeconds(1));
        assertTrue(System.nanoTime() - started >= 50_000_000L, "waits sleep");

        UnsupportedOperationException child = assertThrows(
                UnsupportedOperationException.class, () -> ctx.triggerAndWait("hello-world", Map.of("name", "Ada")));
        assertTrue(child.getMessage().contains("triggerAndWait needs a Baton worker"), child.getMessage());
        assertThrows(
                UnsupportedOperationException.class,
                () -> ctx.batchTriggerAndWait(List.of(ChildItem.of("hello-world", null))));
        assertThrows(UnsupportedOperationException.class, () -> ctx.waitForToken("waitpoint_1"));
    }

    @Test
    void anInterruptedSleepIsACancellation() {
        TaskContext ctx = context(null);
        Thread.currentThread().interrupt();
        assertThrows(TaskCancelledException.class, () -> ctx.waitFor(java.time.Duration.ofSeconds(10)));
        assertTrue(Thread.interrupted(), "the interrupt flag is kept");
    }
}
