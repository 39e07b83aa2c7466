package dev.baton.sdk.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.sdk.internal.Suspension;
import dev.baton.sdk.internal.json.Json;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The durable calls of a context attached to a fake link: keys, memoization, short and long waits, non-determinism. */
class DurableTaskContextTest {

    /** Records what the context sends; suspends by throwing, as the worker's link does once the server answered. */
    static final class FakeLink implements AttemptLink {
        final Map<String, Memoized> memoized = new LinkedHashMap<>();
        final Map<String, JsonNode> recorded = new LinkedHashMap<>();
        final List<String> suspendedKeys = new ArrayList<>();
        final List<JsonNode> waits = new ArrayList<>();
        Duration threshold = Duration.ofSeconds(5);
        JsonNode metadata = com.fasterxml.jackson.databind.node.MissingNode.getInstance();

        @Override
        public JsonNode metadata() {
            return metadata;
        }

        @Override
        public String cancelReason() {
            return null;
        }

        @Override
        public JsonNode updateMetadata(List<MetadataOperation> operations) {
            metadata = MetadataOps.apply(metadata, operations); // as the server would
            return metadata;
        }

        @Override
        public Map<String, Memoized> memoized() {
            return memoized;
        }

        @Override
        public void recordStep(String key, JsonNode output) {
            recorded.put(key, output);
        }

        @Override
        public void suspend(String key, JsonNode wait) {
            suspendedKeys.add(key);
            waits.add(wait);
            throw new Suspension(key);
        }

        @Override
        public boolean canSuspend() {
            return true;
        }

        @Override
        public Duration shortWaitThreshold() {
            return threshold;
        }

        FakeLink memo(String key, String outputJson) throws Exception {
            memoized.put(key, Memoized.success(Json.mapper().readTree(outputJson)));
            return this;
        }
    }

    record Charge(String id, int cents) {}

    private final FakeLink link = new FakeLink();
    private final TaskContext ctx =
            new TaskContext("run_1", "att_1", 1, "t", List.of(), "env_dev", "task/t", false, null, link);

    @Test
    void aNewStepRunsItsBodyAndRecordsTheResultUnderItsName() throws Exception {
        AtomicInteger charged = new AtomicInteger();
        Charge charge = ctx.step("charge", Charge.class, () -> new Charge("ch_" + charged.incrementAndGet(), 500));
        assertEquals(new Charge("ch_1", 500), charge);
        assertEquals(1, charged.get());
        assertEquals(json("{\"id\":\"ch_1\",\"cents\":500}"), link.recorded.get("charge"));
    }

    @Test
    void aMemoizedStepReturnsTheRecordedResultWithoutRunningItsBody() throws Exception {
        link.memo("charge", "{\"id\":\"ch_9\",\"cents\":100}")
                .memo("charge#2", "{\"id\":\"ch_10\",\"cents\":200}")
                .memo("ids", "[1,2,3]")
                .memo("nothing", "null");
        AtomicInteger sideEffects = new AtomicInteger();
        assertEquals(new Charge("ch_9", 100), ctx.step("charge", Charge.class, () -> {
            sideEffects.incrementAndGet();
            return null;
        }));
        assertEquals(new Charge("ch_10", 200), ctx.step("charge", Charge.class, () -> {
            sideEffects.incrementAndGet();
            return null;
        }));
        assertEquals(List.of(1, 2, 3), ctx.step("ids", new TypeReference<List<Integer>>() {}, () -> {
            sideEffects.incrementAndGet();
            return List.of();
        }));
        assertNull(ctx.step("nothing", Void.class, () -> {
            sideEffects.incrementAndGet();
            return null;
        }));
        // the third use of the name is new: it runs and is recorded as charge#3
        assertEquals(new Charge("ch_11", 300), ctx.step("charge", Charge.class, () -> {
            sideEffects.incrementAndGet();
            return new Charge("ch_11", 300);
        }));
        assertEquals(1, sideEffects.get(), "only the new step ran");
        assertEquals(List.of("charge#3"), List.copyOf(link.recorded.keySet()));
    }

    @Test
    void aStepThatThrowsRecordsNothingAndPropagates() {
        IllegalStateException e = assertThrows(
                IllegalStateException.class,
                () -> ctx.step("flaky", Integer.class, () -> {
                    throw new IllegalStateException("down");
                }));
        assertEquals("down", e.getMessage());
        assertTrue(link.recorded.isEmpty());
        java.io.IOException checked = assertThrows(
                java.io.IOException.class,
                () -> ctx.step("io", Integer.class, () -> {
                    throw new java.io.IOException("disk");
                }));
        assertEquals("disk", checked.getMessage());
    }

    @Test
    void aRecordedResultThatDoesNotFitIsANonDeterminismError() throws Exception {
        link.memo("charge", "[1,2]");
        link.memoized.put("token#1", new Memoized(null, new TaskError("TRIGGER_WAITPOINT_TIMEOUT", "timed out", null)));
        NonDeterminismException mismatch = assertThrows(
                NonDeterminismException.class, () -> ctx.step("charge", Charge.class, () -> new Charge("x", 1)));
        assertEquals("charge", mismatch.key());
        assertTrue(mismatch.getMessage().contains("charge"), mismatch.getMessage());

        link.memo("wait#1", "{\"id\":\"ch_1\"}"); // a step's result where a wait's should be
        NonDeterminismException wait =
                assertThrows(NonDeterminismException.class, () -> ctx.waitFor(Duration.ofHours(1)));
        assertEquals("wait#1", wait.key());

        link.memo("runs#1", "[{\"ok\":true,\"id\":\"run_a\",\"output\":1}]");
        NonDeterminismException count = assertThrows(
                NonDeterminismException.class,
                () -> ctx.batchTriggerAndWait(List.of(ChildItem.of("a", null), ChildItem.of("b", null))));
        assertTrue(count.getMessage().contains("1 child run(s)"), count.getMessage());
        assertTrue(link.suspendedKeys.isEmpty());
    }

    @Test
    void stepNamesAreCheckedAndReserved() {
        for (String name : List.of("", " ", "a#b", "wait", "runs", "token", "x".repeat(201))) {
            assertThrows(IllegalArgumentException.class, () -> ctx.step(name, Integer.class, () -> 1), name);
        }
    }

    @Test
    void durableCallsCannotNestInsideAStep() {
        IllegalStateException e = assertThrows(
                IllegalStateException.class,
                () -> ctx.step("outer", Integer.class, () -> ctx.step("inner", Integer.class, () -> 1)));
        assertTrue(e.getMessage().contains("inside a step"), e.getMessage());
        assertThrows(
                IllegalStateException.class,
                () -> ctx.step("outer2", Integer.class, () -> {
                    ctx.waitFor(Duration.ofHours(1));
                    return 1;
                }));
        assertTrue(link.suspendedKeys.isEmpty());
    }

    @Test
    void aShortWaitSleepsInTheWorkerAndALongOneSuspendsWithItsEndComputedOnce() throws Exception {
        link.threshold = Duration.ofMillis(300);
        long started = System.nanoTime();
        ctx.waitFor(Duration.ofMillis(100));
        assertTrue(System.nanoTime() - started >= Duration.ofMillis(100).toNanos(), "slept");
        assertTrue(link.suspendedKeys.isEmpty());

        Instant before = Instant.now();
        assertThrows(Suspension.class, () -> ctx.waitFor(Duration.ofHours(1)));
        assertEquals(List.of("wait#2"), link.suspendedKeys, "the short wait took wait#1");
        JsonNode wait = link.waits.get(0);
        assertEquals("duration", wait.get("type").asText());
        Instant until = Instant.parse(wait.get("until").asText());
        assertFalse(until.isBefore(before.plus(Duration.ofHours(1))));
        assertFalse(until.isAfter(Instant.now().plus(Duration.ofHours(1))));
    }

    @Test
    void aMemoizedWaitReturnsAtOnceEvenWhenItsEndIsStillAhead() throws Exception {
        link.memo("wait#1", "{\"waitedUntil\":\"2026-11-28T01:00:00Z\"}");
        link.memo("wait#2", "{\"waitedUntil\":\"2026-11-28T02:00:00Z\"}");
        ctx.waitFor(Duration.ofDays(1));
        ctx.waitUntil(Instant.now().plus(Duration.ofDays(2)));
        assertThrows(Suspension.class, () -> ctx.waitUntil(Instant.now().plus(Duration.ofDays(3))));
        assertEquals(List.of("wait#3"), link.suspendedKeys);
    }

    @Test
    void aSuspensionIsNotCaughtByCatchException() {
        TaskHandler<Void, String> handler = (payload, c) -> {
            try {
                c.waitFor(Duration.ofMinutes(10));
                return "after the wait";
            } catch (Exception e) {
                return "swallowed";
            }
        };
        assertThrows(Suspension.class, () -> handler.run(null, ctx));
    }

    @Test
    void childRunsSuspendWithTheirItemsAndReturnTheRecordedOutcomes() throws Exception {
        assertThrows(
                Suspension.class,
                () -> ctx.triggerAndWait(
                        "hello-world",
                        Map.of("name", "Ada"),
                        ChildOptions.builder()
                                .queue("q")
                                .concurrencyKey("u1")
                                .tags("a")
                                .maxAttempts(2)
                                .maxDuration(Duration.ofMillis(1500))
                                .metadata(Map.of("m", 1))
                                .build()));
        assertEquals(List.of("runs#1"), link.suspendedKeys);
        assertEquals(json("""
                {"type":"runs","batch":false,"items":[{"task":"hello-world","payload":{"name":"Ada"},
                 "options":{"queue":"q","concurrencyKey":"u1","tags":["a"],"maxAttempts":2,"maxDuration":2,
                            "metadata":{"m":1}}}]}"""), link.waits.get(0));

        FakeLink resumedLink = new FakeLink()
                .memo("runs#1", "[{\"ok\":true,\"id\":\"run_c1\",\"output\":{\"greeting\":\"Hello, Ada!\"}}]")
                .memo("runs#2", """
                        [{"ok":true,"id":"run_c2","output":null},
                         {"ok":false,"id":"run_c3","error":{"name":"Error","message":"nope","stackTrace":"at x"}}]""");
        TaskContext resumed =
                new TaskContext("run_1", "att_2", 1, "t", List.of(), "env_dev", "task/t", false, null, resumedLink);
        ChildResult one = resumed.triggerAndWait("hello-world", Map.of("name", "Ada"));
        assertTrue(one.ok());
        assertEquals("run_c1", one.id());
        assertEquals(Map.of("greeting", "Hello, Ada!"), one.outputAs(new TypeReference<Map<String, String>>() {}));
        List<ChildResult> batch = resumed.batchTriggerAndWait(List.of(ChildItem.of("a", 1), ChildItem.of("b", 2)));
        assertNull(batch.get(0).outputAs(String.class));
        assertFalse(batch.get(1).ok());
        assertEquals(new TaskError("Error", "nope", "at x"), batch.get(1).error());
        assertNull(batch.get(1).output());
        assertThrows(IllegalStateException.class, () -> batch.get(1).outputAs(String.class));
        assertTrue(resumedLink.suspendedKeys.isEmpty());
        assertThrows(
                IllegalArgumentException.class,
                () -> ctx.batchTriggerAndWait(java.util.Collections.nCopies(1001, ChildItem.of("a", null))));
    }

    @Test
    void tokensSuspendAndReturnTheirDataOrTheirTimeout() throws Exception {
        assertThrows(Suspension.class, () -> ctx.waitForToken("waitpoint_1"));
        assertEquals(json("{\"type\":\"token\",\"tokenId\":\"waitpoint_1\"}"), link.waits.get(0));

        FakeLink resumedLink = new FakeLink().memo("token#1", "{\"approved\":true}");
        resumedLink.memoized.put("token#2", new Memoized(null, new TaskError(TokenResult.TIMEOUT, "timed out", null)));
        TaskContext resumed =
                new TaskContext("run_1", "att_2", 1, "t", List.of(), "env_dev", "task/t", false, null, resumedLink);
        TokenResult approved = resumed.waitForToken("waitpoint_1");
        assertTrue(approved.ok());
        assertEquals(Map.of("approved", true), approved.dataAs(new TypeReference<Map<String, Boolean>>() {}));
        TokenResult late = resumed.waitForToken("waitpoint_2");
        assertFalse(late.ok());
        assertTrue(late.isTimeout());
        assertThrows(IllegalStateException.class, () -> late.dataAs(JsonNode.class));
    }

    private static JsonNode json(String text) throws Exception {
        return Json.mapper().readTree(text);
    }
}
