package dev.baton.engine.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import akka.persistence.testkit.javadsl.PersistenceTestKit;
import dev.baton.engine.common.Ids;
import dev.baton.engine.environment.Environment;
import dev.baton.engine.idempotency.IdempotencyKeyEntity;
import dev.baton.engine.run.RunService.Triggered;
import dev.baton.engine.task.TaskDefinition;
import dev.baton.engine.testkit.TestNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Debounced triggers through the run service on a real node: the key's entity and the runs decide together. */
class RunServiceDebounceTest {

    private static TestNode node;
    private static Environment environment;

    @BeforeAll
    static void start() throws Exception {
        node = TestNode.start("RunServiceDebounceTest");
        environment = node.createEnvironment("debounce", "dev", "tr_dev_debounce", "bw_debounce");
        node.engine()
                .declareTasks(environment.id(), List.of(new TaskDefinition("hello-world", null, null, null, null)))
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    private static RunService runs() {
        return node.engine().runs();
    }

    private static <T> T await(CompletionStage<T> stage) throws Exception {
        return stage.toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    private static TriggerRequest debounced(String key, String payload, Debounce.Mode mode, Duration delay) {
        return debounced(key, payload, mode, delay, null);
    }

    /** As the HTTP API builds it: without {@code options.delay}, the first run waits the debounce delay. */
    private static TriggerRequest debounced(
            String key, String payload, Debounce.Mode mode, Duration delay, Duration maxDelay) {
        return TriggerRequest.builder("hello-world")
                .payload(payload, "application/json")
                .tags(List.of("from-" + payload.replaceAll("\\W", "")))
                .debounce(new Debounce(key, delay, mode, maxDelay))
                .delayUntil(Instant.now().plus(delay))
                .build();
    }

    private static Triggered trigger(TriggerRequest request) throws Exception {
        return await(runs().trigger(environment.id(), request));
    }

    private static RunState run(String runId) throws Exception {
        return await(runs().get(environment.id(), runId)).orElseThrow();
    }

    private static String newKey() {
        return "key-" + Ids.random(8);
    }

    @Test
    void leadingTriggersCollapseIntoTheFirstRunWithItsPayload() throws Exception {
        String key = newKey();
        Triggered first = trigger(debounced(key, "{\"n\":1}", Debounce.Mode.LEADING, Duration.ofSeconds(30)));
        Instant firstStart = first.run().delayUntil();
        TestNode.sleep(Duration.ofMillis(50));
        Triggered second = trigger(debounced(key, "{\"n\":2}", Debounce.Mode.LEADING, Duration.ofSeconds(30)));
        assertEquals(first.run().runId(), second.run().runId());
        assertFalse(second.cached(), "Trigger.dev answers isCached false for a debounced trigger");
        RunState run = run(first.run().runId());
        assertEquals(RunStatus.DELAYED, run.status());
        assertTrue(run.delayUntil().isAfter(firstStart), "the second trigger pushed the start back");
        assertEquals("{\"n\":1}", run.spec().payloadJson());
        assertEquals(List.of("from-n1"), run.tags());
    }

    @Test
    void trailingTriggersCollapseIntoOneRunWithTheLatestPayload() throws Exception {
        String key = newKey();
        Triggered first = trigger(debounced(key, "{\"n\":1}", Debounce.Mode.TRAILING, Duration.ofSeconds(30)));
        Triggered second = trigger(debounced(key, "{\"n\":2}", Debounce.Mode.TRAILING, Duration.ofSeconds(30)));
        Triggered third = trigger(debounced(key, "{\"n\":3}", Debounce.Mode.TRAILING, Duration.ofSeconds(30)));
        assertEquals(first.run().runId(), second.run().runId());
        assertEquals(first.run().runId(), third.run().runId());
        RunState run = run(first.run().runId());
        assertEquals("{\"n\":3}", run.spec().payloadJson());
        assertEquals(List.of("from-n3"), run.tags());
    }

    @Test
    void keysAreScopedToTheTask() throws Exception {
        await(node.engine()
                .declareTasks(
                        environment.id(),
                        List.of(
                                new TaskDefinition("hello-world", null, null, null, null),
                                new TaskDefinition("other-task", null, null, null, null))));
        String key = newKey();
        Triggered hello = trigger(debounced(key, "{\"n\":1}", Debounce.Mode.LEADING, Duration.ofSeconds(30)));
        TriggerRequest otherTask = debounced(key, "{\"n\":2}", Debounce.Mode.LEADING, Duration.ofSeconds(30));
        Triggered other = trigger(TriggerRequest.builder("other-task")
                .payload(otherTask.payloadJson(), otherTask.payloadType())
                .debounce(otherTask.debounce())
                .delayUntil(otherTask.delayUntil())
                .build());
        assertNotEquals(hello.run().runId(), other.run().runId());
    }

    @Test
    void aPushBeyondMaxDelayLeavesTheRunAndStartsTheKeysNextRun() throws Exception {
        String key = newKey();
        Duration delay = Duration.ofSeconds(10);
        Duration maxDelay = Duration.ofSeconds(12);
        Triggered first = trigger(debounced(key, "{\"n\":1}", Debounce.Mode.TRAILING, delay, maxDelay));
        Triggered inside = trigger(debounced(key, "{\"n\":2}", Debounce.Mode.TRAILING, delay, maxDelay));
        assertEquals(first.run().runId(), inside.run().runId());
        Instant pushedTo = run(first.run().runId()).delayUntil();
        TestNode.sleep(Duration.ofMillis(2_500));
        Triggered beyond = trigger(debounced(key, "{\"n\":3}", Debounce.Mode.TRAILING, delay, maxDelay));
        assertNotEquals(first.run().runId(), beyond.run().runId());
        RunState kept = run(first.run().runId());
        assertEquals(pushedTo, kept.delayUntil(), "the run keeps its time");
        assertEquals("{\"n\":2}", kept.spec().payloadJson());
        assertEquals("{\"n\":3}", run(beyond.run().runId()).spec().payloadJson());
        // The new run is the key's current one.
        Triggered next = trigger(debounced(key, "{\"n\":4}", Debounce.Mode.TRAILING, delay, maxDelay));
        assertEquals(beyond.run().runId(), next.run().runId());
    }

    @Test
    void aRunThatLeftDelayedIsNotPushedAndTheNextTriggerMakesANewRun() throws Exception {
        String key = newKey();
        Triggered first = trigger(debounced(key, "{\"n\":1}", Debounce.Mode.LEADING, Duration.ofSeconds(1)));
        Instant deadline = Instant.now().plusSeconds(10);
        while (run(first.run().runId()).status() == RunStatus.DELAYED) {
            assertTrue(Instant.now().isBefore(deadline), "the run never left DELAYED");
            TestNode.sleep(Duration.ofMillis(100));
        }
        Triggered second = trigger(debounced(key, "{\"n\":2}", Debounce.Mode.LEADING, Duration.ofSeconds(1)));
        assertNotEquals(first.run().runId(), second.run().runId());
        assertEquals("{\"n\":2}", run(second.run().runId()).spec().payloadJson());

        // A canceled run has left DELAYED as well.
        await(runs().cancel(environment.id(), second.run().runId()));
        Triggered third = trigger(debounced(key, "{\"n\":3}", Debounce.Mode.LEADING, Duration.ofSeconds(30)));
        assertNotEquals(second.run().runId(), third.run().runId());
        assertEquals(RunStatus.DELAYED, third.run().status());
    }

    @Test
    void concurrentTriggersOfOneKeyMakeOneRun() throws Exception {
        String key = newKey();
        List<CompletableFuture<Triggered>> all = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            all.add(runs().trigger(
                            environment.id(),
                            debounced(key, "{\"n\":" + i + "}", Debounce.Mode.TRAILING, Duration.ofSeconds(30)))
                    .toCompletableFuture());
        }
        Set<String> runIds = new HashSet<>();
        for (CompletableFuture<Triggered> one : all)
            runIds.add(one.get(30, TimeUnit.SECONDS).run().runId());
        assertEquals(1, runIds.size(), runIds.toString());
        String runId = runIds.iterator().next();
        PersistenceTestKit journal = PersistenceTestKit.create(node.system());
        List<Object> events =
                journal.persistedInStorage(RunEntity.persistenceId(runId).id());
        assertEquals(
                1,
                events.stream().filter(e -> e instanceof RunEntity.RunTriggered).count(),
                events.toString());
        assertEquals(RunStatus.DELAYED, run(runId).status());
    }

    @Test
    void aClaimWhoseRunWasNeverCreatedIsHealedByTheNextTrigger() throws Exception {
        String key = newKey();
        // A trigger that claimed the key and died before creating its run.
        String orphan = Ids.newId("run");
        String entityId =
                IdempotencyKeyEntity.entityId(environment.id(), "hello-world", IdempotencyKeyEntity.Kind.DEBOUNCE, key);
        IdempotencyKeyEntity.Claimed claimed = await(ClusterSharding.get(node.system())
                .entityRefFor(IdempotencyKeyEntity.ENTITY_TYPE_KEY, entityId)
                .ask(
                        replyTo -> new IdempotencyKeyEntity.Claim(
                                orphan, null, Instant.parse("9999-01-01T00:00:00Z"), replyTo),
                        Duration.ofSeconds(10)));
        assertTrue(claimed.isNew());

        Triggered healed = trigger(debounced(key, "{\"n\":1}", Debounce.Mode.LEADING, Duration.ofSeconds(30)));
        assertEquals(orphan, healed.run().runId());
        assertEquals("{\"n\":1}", run(orphan).spec().payloadJson());
        assertEquals(RunStatus.DELAYED, run(orphan).status());
        Triggered next = trigger(debounced(key, "{\"n\":2}", Debounce.Mode.LEADING, Duration.ofSeconds(30)));
        assertEquals(orphan, next.run().runId());
    }

    @Test
    void debounceWithAnIdempotencyKeyIsRefused() {
        TriggerRequest both = debounced(newKey(), "{}", Debounce.Mode.LEADING, Duration.ofSeconds(30)).toBuilder()
                .idempotencyKey("idem-" + Ids.random(6), null)
                .build();
        var failure = runs().trigger(environment.id(), both).toCompletableFuture();
        Throwable cause = org.junit.jupiter.api.Assertions.assertThrows(
                        java.util.concurrent.ExecutionException.class, () -> failure.get(10, TimeUnit.SECONDS))
                .getCause();
        assertTrue(cause instanceof RunRejectedException, cause.toString());
        assertEquals(RunRejectedException.Reason.INVALID, ((RunRejectedException) cause).reason());
    }
}
