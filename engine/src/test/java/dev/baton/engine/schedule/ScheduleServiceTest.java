package dev.baton.engine.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.typed.ActorRef;
import akka.persistence.testkit.javadsl.PersistenceTestKit;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.engine.common.Ids;
import dev.baton.engine.environment.Environment;
import dev.baton.engine.run.RunEntity;
import dev.baton.engine.run.RunState;
import dev.baton.engine.run.RunStatus;
import dev.baton.engine.task.TaskDefinition;
import dev.baton.engine.testkit.MutableClock;
import dev.baton.engine.testkit.TestNode;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Schedules on a real node (sharding, the real run service): upserts on a deduplication key, environments,
 * and an occurrence that fires through {@code RunService.trigger} once, also when the schedule is stopped
 * after the run was created but before it recorded the fire.
 */
class ScheduleServiceTest {

    private static TestNode node;
    private static Environment environment;
    private static Environment other;

    @BeforeAll
    static void start() throws Exception {
        node = TestNode.start("ScheduleServiceTest");
        environment = node.createEnvironment("sched", "dev", "tr_dev_sched", "bw_sched");
        other = node.createEnvironment("sched", "prod", "tr_prod_sched", "bw_sched_prod");
        for (Environment env : List.of(environment, other)) {
            node.engine()
                    .declareTasks(env.id(), List.of(new TaskDefinition("tick", null, null, null, null)))
                    .toCompletableFuture()
                    .get(10, TimeUnit.SECONDS);
        }
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    private static ScheduleService schedules() {
        return node.engine().schedules();
    }

    private static <T> T await(CompletionStage<T> stage) throws Exception {
        return stage.toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private static ScheduleSpec spec(String cron, String key) {
        return new ScheduleSpec("tick", cron, "UTC", null, key, null, ScheduleSpec.IMPERATIVE);
    }

    @Test
    void theSameDeduplicationKeyUpdatesTheSameScheduleInItsEnvironmentOnly() throws Exception {
        ScheduleState created = await(schedules().upsert(environment.id(), spec("0 * * * *", "daily-report")));
        assertTrue(created.scheduleId().startsWith("sched_"), created.scheduleId());
        ScheduleState updated = await(schedules().upsert(environment.id(), spec("30 * * * *", "daily-report")));
        assertEquals(created.scheduleId(), updated.scheduleId());
        assertEquals("30 * * * *", updated.spec().cron());

        ScheduleState elsewhere = await(schedules().upsert(other.id(), spec("0 * * * *", "daily-report")));
        assertNotEquals(created.scheduleId(), elsewhere.scheduleId());
        assertTrue(
                await(schedules().get(other.id(), created.scheduleId())).isEmpty(), "another environment's schedule");
        assertTrue(await(schedules().get(environment.id(), "sched_unknown0000")).isEmpty());
        assertTrue(await(schedules().get(environment.id(), "not a schedule id")).isEmpty());

        // Without a key every create is a new schedule.
        ScheduleState a = await(schedules().upsert(environment.id(), spec("0 * * * *", null)));
        ScheduleState b = await(schedules().upsert(environment.id(), spec("0 * * * *", null)));
        assertNotEquals(a.scheduleId(), b.scheduleId());
    }

    @Test
    void aDeletedSchedulesKeyCreatesANewSchedule() throws Exception {
        ScheduleState first = await(schedules().upsert(environment.id(), spec("0 * * * *", "short-lived")));
        assertTrue(
                await(schedules().delete(environment.id(), first.scheduleId())).isPresent());
        assertTrue(await(schedules().get(environment.id(), first.scheduleId())).isEmpty());
        assertTrue(
                await(schedules().delete(environment.id(), first.scheduleId())).isEmpty(), "deleting twice");
        ScheduleState second = await(schedules().upsert(environment.id(), spec("0 * * * *", "short-lived")));
        assertNotEquals(first.scheduleId(), second.scheduleId());
        assertEquals(
                second.scheduleId(),
                await(schedules().upsert(environment.id(), spec("5 * * * *", "short-lived")))
                        .scheduleId());
    }

    @Test
    void anUnknownTaskIsRefused() {
        ExecutionException refused = assertThrows(
                ExecutionException.class,
                () -> await(schedules()
                        .upsert(
                                environment.id(),
                                new ScheduleSpec(
                                        "never-declared",
                                        "0 * * * *",
                                        "UTC",
                                        null,
                                        "k",
                                        null,
                                        ScheduleSpec.IMPERATIVE))));
        assertTrue(refused.getCause() instanceof ScheduleService.InvalidScheduleException, refused.toString());
        assertEquals(
                "Task with identifier never-declared not found in project.",
                refused.getCause().getMessage());
    }

    @Test
    void activateDeactivateAndUpdateById() throws Exception {
        String id = await(schedules().upsert(environment.id(), spec("0 * * * *", "toggle")))
                .scheduleId();
        assertFalse(await(schedules().setActive(environment.id(), id, false))
                .orElseThrow()
                .active());
        assertTrue(await(schedules().get(environment.id(), id))
                .orElseThrow()
                .nextRun()
                .isEmpty());
        assertTrue(await(schedules().setActive(environment.id(), id, true))
                .orElseThrow()
                .active());
        ScheduleState updated = await(schedules()
                        .update(
                                environment.id(),
                                id,
                                new ScheduleSpec(
                                        "tick",
                                        "15 9 * * 1",
                                        "America/New_York",
                                        "ext",
                                        null,
                                        "10%",
                                        ScheduleSpec.IMPERATIVE)))
                .orElseThrow();
        assertEquals("toggle", updated.spec().deduplicationKey());
        assertEquals("America/New_York", updated.spec().timezone());
        assertTrue(await(schedules().update(other.id(), id, spec("0 * * * *", null)))
                .isEmpty());
        assertTrue(await(schedules().setActive(other.id(), id, false)).isEmpty());
    }

    @Test
    void anOccurrenceFiresOneRunEvenWhenTheScheduleStopsBeforeRecordingIt() throws Exception {
        MutableClock clock = new MutableClock(Instant.parse("2026-03-02T10:00:30Z"));
        String scheduleId = Ids.newId("sched");
        ScheduleFirer real = ScheduleService.firer(node.engine().runs());
        List<String> answers = new CopyOnWriteArrayList<>();
        AtomicBoolean dropAnswer = new AtomicBoolean(true);
        // The first trigger goes through to the run service, but its answer is lost, as with a crash.
        ScheduleFirer firer = occurrence -> {
            CompletionStage<String> triggered = real.fire(occurrence).thenApply(runId -> {
                answers.add(runId);
                return runId;
            });
            return dropAnswer.getAndSet(false) ? new CompletableFuture<>() : triggered;
        };
        ActorRef<ScheduleEntity.Command> schedule =
                node.testKit().spawn(ScheduleEntity.create(scheduleId, clock, Duration.ofMillis(200), firer));
        var reply = node.testKit().<akka.pattern.StatusReply<ScheduleState>>createTestProbe();
        schedule.tell(new ScheduleEntity.Upsert(
                environment.id(),
                new ScheduleSpec("tick", "* * * * *", "UTC", "customer-9", null, null, ScheduleSpec.IMPERATIVE),
                reply.ref()));
        reply.receiveMessage();
        clock.advance(Duration.ofSeconds(30));
        schedule.tell(new ScheduleEntity.Wake());
        awaitSize(answers, 1);
        node.testKit().stop(schedule);

        ActorRef<ScheduleEntity.Command> recovered =
                node.testKit().spawn(ScheduleEntity.create(scheduleId, clock, Duration.ofMillis(200), firer));
        awaitSize(answers, 2);
        assertEquals(answers.get(0), answers.get(1), "the second trigger reached the first run");
        String runId = answers.get(0);

        var state = node.testKit().<ScheduleState>createTestProbe();
        Instant deadline = Instant.now().plusSeconds(10);
        ScheduleState recorded;
        do {
            recovered.tell(new ScheduleEntity.Get(state.ref()));
            recorded = state.receiveMessage();
            if (Instant.now().isAfter(deadline)) throw new AssertionError("the fire was never recorded: " + recorded);
        } while (recorded.lastRunId() == null);
        assertEquals(runId, recorded.lastRunId());

        PersistenceTestKit journal = PersistenceTestKit.create(node.system());
        List<Object> runEvents =
                journal.persistedInStorage(RunEntity.persistenceId(runId).id());
        assertEquals(
                1,
                runEvents.stream()
                        .filter(e -> e instanceof RunEntity.RunTriggered)
                        .count());
        List<Object> scheduleEvents = journal.persistedInStorage(
                ScheduleEntity.persistenceId(scheduleId).id());
        assertEquals(
                1,
                scheduleEvents.stream()
                        .filter(e -> e instanceof ScheduleEntity.ScheduleFired)
                        .count());

        RunState run = await(node.engine().runs().get(environment.id(), runId)).orElseThrow();
        assertEquals(RunStatus.QUEUED, run.status());
        assertEquals("tick", run.spec().taskId());
        JsonNode payload = new ObjectMapper().readTree(run.spec().payloadJson());
        assertEquals(scheduleId, payload.get("scheduleId").asText());
        assertEquals("2026-03-02T10:01:00.000Z", payload.get("timestamp").asText());
        assertEquals("customer-9", payload.get("externalId").asText());
    }

    private static void awaitSize(List<String> list, int size) {
        Instant deadline = Instant.now().plusSeconds(10);
        while (list.size() < size) {
            if (Instant.now().isAfter(deadline)) throw new AssertionError("only " + list.size() + " triggers");
            TestNode.sleep(Duration.ofMillis(20));
        }
    }
}
