package dev.baton.engine.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import akka.pattern.StatusReply;
import akka.persistence.testkit.PersistenceTestKitPlugin;
import akka.persistence.testkit.javadsl.PersistenceTestKit;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import dev.baton.engine.common.Ids;
import dev.baton.engine.run.TaskNotFoundException;
import dev.baton.engine.testkit.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The schedule entity with a fake firer that behaves like {@code RunService.trigger} with a key (the same
 * key always gives the same run) and a clock moved by hand: occurrences fire at their time, once, also
 * when the entity is stopped between triggering a run and recording it.
 */
class ScheduleEntityTest {

    private static final String ENV = "env_test";
    private static ActorTestKit testKit;
    private static PersistenceTestKit journal;

    private final MutableClock clock = new MutableClock(Instant.parse("2026-03-02T10:00:30Z"));
    private final FakeFirer firer = new FakeFirer();
    private String scheduleId;

    @BeforeAll
    static void start() {
        testKit = ActorTestKit.create(
                "ScheduleEntityTest",
                ConfigFactory.parseString("""
            akka.actor.serialize-messages = on
            akka.actor.testkit.typed.system-shutdown-default = 30s
            """)
                        .withFallback(PersistenceTestKitPlugin.getInstance().config())
                        .withFallback(ConfigFactory.load()));
        journal = PersistenceTestKit.create(testKit.system());
    }

    @AfterAll
    static void stop() {
        testKit.shutdownTestKit();
    }

    @BeforeEach
    void freshSchedule() {
        scheduleId = Ids.newId("sched");
    }

    /** Triggers answer like RunService with a key: the same key, the same run. */
    static final class FakeFirer implements ScheduleFirer {
        final List<Occurrence> calls = new CopyOnWriteArrayList<>();
        final Map<String, String> runsByKey = new ConcurrentHashMap<>();
        volatile boolean answer = true;
        volatile boolean unknownTask = false;

        @Override
        public CompletableFuture<String> fire(Occurrence occurrence) {
            calls.add(occurrence);
            if (unknownTask) return CompletableFuture.failedFuture(new TaskNotFoundException(occurrence.taskId()));
            String runId = runsByKey.computeIfAbsent(occurrence.key(), key -> Ids.newId("run"));
            // Not answering stands for a node that died after the trigger got through, before its answer arrived.
            return answer ? CompletableFuture.completedFuture(runId) : new CompletableFuture<>();
        }
    }

    private ActorRef<ScheduleEntity.Command> spawn() {
        return testKit.spawn(ScheduleEntity.create(scheduleId, clock, Duration.ofMillis(200), firer));
    }

    private static ScheduleSpec everyMinute() {
        return new ScheduleSpec("tick", "* * * * *", "UTC", "user-7", "dedup-1", null, ScheduleSpec.IMPERATIVE);
    }

    private ScheduleState upsert(ActorRef<ScheduleEntity.Command> schedule, ScheduleSpec spec) {
        TestProbe<StatusReply<ScheduleState>> reply = testKit.createTestProbe();
        schedule.tell(new ScheduleEntity.Upsert(ENV, spec, reply.ref()));
        return reply.receiveMessage().getValue();
    }

    private ScheduleState get(ActorRef<ScheduleEntity.Command> schedule) {
        TestProbe<ScheduleState> reply = testKit.createTestProbe();
        schedule.tell(new ScheduleEntity.Get(reply.ref()));
        return reply.receiveMessage();
    }

    private List<Object> events() {
        return journal.persistedInStorage(
                ScheduleEntity.persistenceId(scheduleId).id());
    }

    private long fired() {
        return events().stream()
                .filter(e -> e instanceof ScheduleEntity.ScheduleFired)
                .count();
    }

    private void awaitFired(long count) {
        Instant deadline = Instant.now().plusSeconds(10);
        while (fired() < count) {
            if (Instant.now().isAfter(deadline)) throw new AssertionError("never fired " + count + ": " + events());
            sleep(20);
        }
    }

    private void awaitCalls(int count) {
        Instant deadline = Instant.now().plusSeconds(10);
        while (firer.calls.size() < count) {
            if (Instant.now().isAfter(deadline))
                throw new AssertionError("firer called " + firer.calls.size() + " times");
            sleep(20);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Test
    void createdScheduleWaitsForItsFirstCronTime() {
        ScheduleState state = upsert(spawn(), everyMinute());
        assertTrue(state.active());
        assertEquals(ENV, state.environmentId());
        assertEquals(Instant.parse("2026-03-02T10:01:00Z"), state.nextRun().orElseThrow());
        assertEquals(
                List.of(new ScheduleEntity.ScheduleCreated(scheduleId, ENV, everyMinute(), clock.instant())), events());
        sleep(300);
        assertTrue(firer.calls.isEmpty(), "fired before its time");
    }

    @Test
    void anOccurrenceFiresAtItsTimeWithTheScheduledPayloadAndIsRecordedOnce() throws Exception {
        ActorRef<ScheduleEntity.Command> schedule = spawn();
        upsert(schedule, everyMinute());
        clock.advance(Duration.ofSeconds(30));
        schedule.tell(new ScheduleEntity.Wake());
        awaitFired(1);

        ScheduleFirer.Occurrence occurrence = firer.calls.get(0);
        assertEquals(Instant.parse("2026-03-02T10:01:00Z"), occurrence.timestamp());
        assertEquals("tick", occurrence.taskId());
        assertEquals(ENV, occurrence.environmentId());
        JsonNode payload = new ObjectMapper().readTree(occurrence.payloadJson());
        assertEquals(scheduleId, payload.get("scheduleId").asText());
        assertEquals("IMPERATIVE", payload.get("type").asText());
        assertEquals("2026-03-02T10:01:00.000Z", payload.get("timestamp").asText());
        assertFalse(payload.has("lastTimestamp"));
        assertEquals("user-7", payload.get("externalId").asText());
        assertEquals("UTC", payload.get("timezone").asText());
        assertEquals(5, payload.get("upcoming").size());
        assertEquals("2026-03-02T10:02:00.000Z", payload.get("upcoming").get(0).asText());

        ScheduleState state = get(schedule);
        assertEquals(Instant.parse("2026-03-02T10:01:00Z"), state.lastTimestamp());
        assertEquals(firer.runsByKey.get(occurrence.key()), state.lastRunId());
        assertEquals(Instant.parse("2026-03-02T10:02:00Z"), state.nextRun().orElseThrow());

        // The next occurrence carries the last one's time.
        clock.advance(Duration.ofMinutes(1));
        schedule.tell(new ScheduleEntity.Wake());
        awaitFired(2);
        JsonNode second = new ObjectMapper().readTree(firer.calls.get(1).payloadJson());
        assertEquals("2026-03-02T10:02:00.000Z", second.get("timestamp").asText());
        assertEquals("2026-03-02T10:01:00.000Z", second.get("lastTimestamp").asText());
        assertEquals(2, firer.calls.size());
    }

    @Test
    void aFireInterruptedByAStopReachesTheSameRunAfterRecoveryAndIsRecordedOnce() {
        ActorRef<ScheduleEntity.Command> schedule = spawn();
        upsert(schedule, everyMinute());
        firer.answer = false;
        clock.advance(Duration.ofSeconds(31));
        schedule.tell(new ScheduleEntity.Wake());
        awaitCalls(1);
        // The run exists, but the schedule never learned it: stop it as a crash would.
        testKit.stop(schedule);
        assertEquals(0, fired());

        firer.answer = true;
        ActorRef<ScheduleEntity.Command> recovered = spawn();
        awaitFired(1);
        assertEquals(2, firer.calls.size());
        assertEquals(firer.calls.get(0).key(), firer.calls.get(1).key());
        assertEquals(1, firer.runsByKey.size(), "one run for the occurrence");
        ScheduleState state = get(recovered);
        assertEquals(firer.runsByKey.values().iterator().next(), state.lastRunId());

        // Recovering again fires nothing more: the occurrence is recorded, the next one is not due.
        testKit.stop(recovered);
        ActorRef<ScheduleEntity.Command> again = spawn();
        assertEquals(Instant.parse("2026-03-02T10:01:00Z"), get(again).lastTimestamp());
        sleep(300);
        assertEquals(2, firer.calls.size());
        assertEquals(1, fired());
    }

    @Test
    void anOccurrenceMissedWhileNothingRanFiresOnceLateAndTheRestAreNotCaughtUp() {
        ActorRef<ScheduleEntity.Command> schedule = spawn();
        upsert(schedule, everyMinute());
        testKit.stop(schedule);
        clock.advance(Duration.ofMinutes(10)); // 10:10:30: ten cron times went by with no entity alive
        ActorRef<ScheduleEntity.Command> recovered = spawn();
        awaitFired(1);
        assertEquals(Instant.parse("2026-03-02T10:01:00Z"), firer.calls.get(0).timestamp());
        ScheduleState state = get(recovered);
        assertEquals(Instant.parse("2026-03-02T10:11:00Z"), state.nextRun().orElseThrow());
        sleep(300);
        assertEquals(1, firer.calls.size());
    }

    @Test
    void aDeactivatedScheduleDoesNotFireAndResumesAfterActivation() {
        ActorRef<ScheduleEntity.Command> schedule = spawn();
        upsert(schedule, everyMinute());
        TestProbe<StatusReply<ScheduleState>> reply = testKit.createTestProbe();
        schedule.tell(new ScheduleEntity.SetActive(ENV, false, reply.ref()));
        ScheduleState inactive = reply.receiveMessage().getValue();
        assertFalse(inactive.active());
        assertTrue(inactive.nextRun().isEmpty());
        clock.advance(Duration.ofMinutes(3));
        schedule.tell(new ScheduleEntity.Wake());
        sleep(300);
        assertTrue(firer.calls.isEmpty());

        schedule.tell(new ScheduleEntity.SetActive(ENV, true, reply.ref()));
        ScheduleState active = reply.receiveMessage().getValue();
        // Activated at 10:03:30: the occurrences it slept through are not caught up.
        assertEquals(Instant.parse("2026-03-02T10:04:00Z"), active.nextRun().orElseThrow());
        // Activating an active schedule writes nothing.
        int before = events().size();
        schedule.tell(new ScheduleEntity.SetActive(ENV, true, reply.ref()));
        assertTrue(reply.receiveMessage().getValue().active());
        assertEquals(before, events().size());
    }

    @Test
    void anOccurrenceOfAnUnknownTaskIsSkippedAndRecorded() {
        firer.unknownTask = true;
        ActorRef<ScheduleEntity.Command> schedule = spawn();
        upsert(schedule, everyMinute());
        clock.advance(Duration.ofSeconds(30));
        schedule.tell(new ScheduleEntity.Wake());
        Instant deadline = Instant.now().plusSeconds(10);
        while (events().stream().noneMatch(e -> e instanceof ScheduleEntity.ScheduleFireSkipped)) {
            if (Instant.now().isAfter(deadline)) throw new AssertionError("never skipped: " + events());
            sleep(20);
        }
        ScheduleState state = get(schedule);
        assertEquals(Instant.parse("2026-03-02T10:01:00Z"), state.lastTimestamp());
        assertNull(state.lastRunId());
    }

    @Test
    void aFailedTriggerIsRetriedWithTheSameKey() {
        ActorRef<ScheduleEntity.Command> schedule =
                testKit.spawn(ScheduleEntity.create(scheduleId, clock, Duration.ofMillis(100), new ScheduleFirer() {
                    int calls;

                    @Override
                    public CompletableFuture<String> fire(Occurrence occurrence) {
                        firer.calls.add(occurrence);
                        return ++calls < 3
                                ? CompletableFuture.failedFuture(new IllegalStateException("engine busy"))
                                : CompletableFuture.completedFuture("run_third");
                    }
                }));
        upsert(schedule, everyMinute());
        clock.advance(Duration.ofSeconds(30));
        schedule.tell(new ScheduleEntity.Wake());
        awaitFired(1);
        assertEquals(3, firer.calls.size());
        assertEquals(
                1,
                firer.calls.stream()
                        .map(ScheduleFirer.Occurrence::key)
                        .distinct()
                        .count());
        assertEquals("run_third", get(schedule).lastRunId());
    }

    @Test
    void updateDeleteAndOtherEnvironments() {
        ActorRef<ScheduleEntity.Command> schedule = spawn();
        upsert(schedule, everyMinute());
        TestProbe<StatusReply<ScheduleState>> reply = testKit.createTestProbe();

        schedule.tell(new ScheduleEntity.Update(
                ENV,
                new ScheduleSpec("tock", "0 9 * * *", "Europe/Berlin", null, null, "30m", ScheduleSpec.IMPERATIVE),
                reply.ref()));
        ScheduleState updated = reply.receiveMessage().getValue();
        assertEquals("tock", updated.spec().taskId());
        assertEquals("dedup-1", updated.spec().deduplicationKey(), "an update keeps the deduplication key");
        assertEquals(Instant.parse("2026-03-03T08:00:00Z"), updated.nextRun().orElseThrow());

        schedule.tell(new ScheduleEntity.Update("env_other", everyMinute(), reply.ref()));
        assertEquals(ScheduleEntity.NOT_FOUND, reply.receiveMessage().getError().getMessage());
        schedule.tell(new ScheduleEntity.Delete("env_other", reply.ref()));
        assertEquals(ScheduleEntity.NOT_FOUND, reply.receiveMessage().getError().getMessage());

        schedule.tell(new ScheduleEntity.Delete(ENV, reply.ref()));
        assertTrue(reply.receiveMessage().getValue().deleted());
        schedule.tell(new ScheduleEntity.SetActive(ENV, true, reply.ref()));
        assertEquals(ScheduleEntity.NOT_FOUND, reply.receiveMessage().getError().getMessage());
        schedule.tell(new ScheduleEntity.Upsert(ENV, everyMinute(), reply.ref()));
        assertEquals(ScheduleEntity.NOT_FOUND, reply.receiveMessage().getError().getMessage());
        assertFalse(get(schedule).exists());
    }

    @Test
    void aWindowDelaysEveryOccurrenceByTheSameStableAmount() {
        ScheduleState state = ScheduleState.empty("sched_window")
                .created(
                        ENV,
                        new ScheduleSpec("tick", "0 * * * *", "UTC", null, null, "30m", ScheduleSpec.IMPERATIVE),
                        clock.instant());
        Instant nominal = state.nextRun().orElseThrow();
        Instant effective = state.effectiveAt(nominal);
        assertEquals(Instant.parse("2026-03-02T11:00:00Z"), nominal);
        assertTrue(
                !effective.isBefore(nominal) && effective.isBefore(nominal.plus(Duration.ofMinutes(30))),
                effective.toString());
        Instant later = Instant.parse("2026-03-05T17:00:00Z");
        assertEquals(Duration.between(nominal, effective), Duration.between(later, state.effectiveAt(later)));
        // A percentage is of the interval; an absolute window is capped at it.
        ScheduleWindow all = ScheduleWindow.parse("100%");
        Instant capped = ScheduleWindow.parse("24h").effectiveAt("sched_window", nominal, nominal.plusSeconds(60));
        assertTrue(capped.isBefore(nominal.plusSeconds(60)));
        assertTrue(all.effectiveAt("sched_window", nominal, nominal.plusSeconds(60))
                .isBefore(nominal.plusSeconds(60)));
    }
}
