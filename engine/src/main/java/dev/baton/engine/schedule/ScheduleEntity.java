package dev.baton.engine.schedule;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.TimerScheduler;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import akka.cluster.sharding.typed.javadsl.Entity;
import akka.cluster.sharding.typed.javadsl.EntityTypeKey;
import akka.pattern.StatusReply;
import akka.persistence.typed.PersistenceId;
import akka.persistence.typed.RecoveryCompleted;
import akka.persistence.typed.javadsl.CommandHandlerWithReply;
import akka.persistence.typed.javadsl.CommandHandlerWithReplyBuilder;
import akka.persistence.typed.javadsl.EventHandler;
import akka.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import akka.persistence.typed.javadsl.ReplyEffect;
import akka.persistence.typed.javadsl.SignalHandler;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.engine.common.CborSerializable;
import dev.baton.engine.common.DeadlineTimers;
import dev.baton.engine.common.Failures;
import dev.baton.engine.run.TaskNotFoundException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * One schedule: its definition, whether it is active, and which occurrence fired last. At the effective
 * time of each occurrence it triggers a run of its task through the {@link ScheduleFirer}, and records
 * {@link ScheduleFired} once the trigger is confirmed. The trigger carries keys derived from the schedule
 * and the occurrence, so an occurrence fired again after a crash (the record was never written) reaches
 * the same run: a fire is never doubled. The fire timer is re-armed after every persist, after recovery
 * and on {@link Wake} (the schedule sweeper wakes schedules that are due soon, since an idle entity is
 * passivated and its timer with it).
 */
public final class ScheduleEntity
        extends EventSourcedBehaviorWithEnforcedReplies<ScheduleEntity.Command, ScheduleEntity.Event, ScheduleState> {

    public static final EntityTypeKey<Command> ENTITY_TYPE_KEY = EntityTypeKey.create(Command.class, "Schedule");
    /** Every schedule event carries this tag: the schedule index projection reads them all. */
    public static final String TAG = "schedule";

    public static final String NOT_FOUND = "Schedule not found";
    /** Trigger.dev's refusals of API changes to a declarative schedule: the task manifest owns it. */
    public static final String CANNOT_UPDATE_DECLARATIVE = "Cannot update a declarative schedule";

    public static final String CANNOT_DELETE_DECLARATIVE = "Cannot delete declarative schedules";
    public static final String CANNOT_TOGGLE_DECLARATIVE = "Cannot enable/disable declarative schedules";
    /** The occurrences {@code upcoming} lists in a scheduled run's payload. */
    public static final int UPCOMING = 5;

    private static final String FIRE_TIMER = "fire";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final DateTimeFormatter MILLIS =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    // ---------------------------------------------------------------- commands

    public sealed interface Command extends CborSerializable {}

    /** Create the schedule, or replace its definition if it exists (the upsert on a deduplication key). */
    public record Upsert(String environmentId, ScheduleSpec spec, ActorRef<StatusReply<ScheduleState>> replyTo)
            implements Command {}

    /** Replace the definition of an existing schedule; it keeps its deduplication key. */
    public record Update(String environmentId, ScheduleSpec spec, ActorRef<StatusReply<ScheduleState>> replyTo)
            implements Command {}

    public record SetActive(String environmentId, boolean active, ActorRef<StatusReply<ScheduleState>> replyTo)
            implements Command {}

    public record Delete(String environmentId, ActorRef<StatusReply<ScheduleState>> replyTo) implements Command {}

    /**
     * From a task manifest: create the declarative schedule, or bring it to {@code spec}; the same spec again changes
     * nothing.
     */
    public record Declare(String environmentId, ScheduleSpec spec, ActorRef<StatusReply<ScheduleState>> replyTo)
            implements Command {}

    /** From a task manifest that no longer declares it: delete the declarative schedule. */
    public record Undeclare(String environmentId, ActorRef<StatusReply<ScheduleState>> replyTo) implements Command {}

    /** The current state, whatever it is (an unknown id answers the empty state). */
    public record Get(ActorRef<ScheduleState> replyTo) implements Command {}

    /** From the sweeper: arm the fire timer again (the entity may have been passivated or its node lost). */
    public record Wake() implements Command {}

    private record FireDue(Instant timestamp) implements Command {}

    private record FireSucceeded(Instant timestamp, String runId) implements Command {}

    private record FireFailed(Instant timestamp, String reason, boolean skip) implements Command {}

    // ---------------------------------------------------------------- events (a contract: never rename)

    public sealed interface Event extends CborSerializable {}

    public record ScheduleCreated(String scheduleId, String environmentId, ScheduleSpec spec, Instant at)
            implements Event {}

    public record ScheduleUpdated(ScheduleSpec spec, Instant at) implements Event {}

    public record ScheduleActivated(Instant at) implements Event {}

    public record ScheduleDeactivated(Instant at) implements Event {}

    public record ScheduleDeleted(Instant at) implements Event {}

    /** The occurrence at {@code timestamp} (its cron time) triggered {@code runId}. */
    public record ScheduleFired(Instant timestamp, String runId, Instant at) implements Event {}

    /** The occurrence at {@code timestamp} could not trigger a run (its task is unknown) and was passed over. */
    public record ScheduleFireSkipped(Instant timestamp, String reason, Instant at) implements Event {}

    // ---------------------------------------------------------------- wiring

    public static void init(ActorSystem<?> system, Clock clock, Duration fireRetry, ScheduleFirer firer) {
        ClusterSharding.get(system)
                .init(Entity.of(
                        ENTITY_TYPE_KEY,
                        entityContext -> create(entityContext.getEntityId(), clock, fireRetry, firer)));
    }

    public static Behavior<Command> create(String scheduleId, Clock clock, Duration fireRetry, ScheduleFirer firer) {
        return Behaviors.withMdc(
                Command.class,
                Map.of("schedule", scheduleId),
                Behaviors.setup(context -> Behaviors.withTimers(
                        timers -> new ScheduleEntity(scheduleId, context, timers, clock, fireRetry, firer))));
    }

    public static PersistenceId persistenceId(String scheduleId) {
        return PersistenceId.of(ENTITY_TYPE_KEY.name(), scheduleId);
    }

    private final String scheduleId;
    private final ActorContext<Command> context;
    private final TimerScheduler<Command> timers;
    private final Clock clock;
    private final Duration fireRetry;
    private final ScheduleFirer firer;
    /** The occurrence whose trigger is on its way; not kept across recovery (it is fired again, to the same run). */
    private Instant firing;

    private ScheduleEntity(
            String scheduleId,
            ActorContext<Command> context,
            TimerScheduler<Command> timers,
            Clock clock,
            Duration fireRetry,
            ScheduleFirer firer) {
        super(persistenceId(scheduleId));
        this.scheduleId = scheduleId;
        this.context = context;
        this.timers = timers;
        this.clock = clock;
        this.fireRetry = fireRetry;
        this.firer = firer;
    }

    @Override
    public ScheduleState emptyState() {
        return ScheduleState.empty(scheduleId);
    }

    @Override
    public Set<String> tagsFor(Event event) {
        return Set.of(TAG);
    }

    // ---------------------------------------------------------------- command handlers, per state

    @Override
    public CommandHandlerWithReply<Command, Event, ScheduleState> commandHandler() {
        CommandHandlerWithReplyBuilder<Command, Event, ScheduleState> builder = newCommandHandlerWithReplyBuilder();

        builder.forState(state -> state.environmentId() == null)
                .onCommand(
                        Upsert.class,
                        (state, cmd) -> persist(
                                new ScheduleCreated(scheduleId, cmd.environmentId(), cmd.spec(), clock.instant()),
                                cmd.replyTo()))
                .onCommand(
                        Declare.class,
                        (state, cmd) -> persist(
                                new ScheduleCreated(scheduleId, cmd.environmentId(), cmd.spec(), clock.instant()),
                                cmd.replyTo()));

        // The API reads a declarative schedule but does not change it; only its manifest does.
        builder.forState(state -> state.exists() && state.spec().declarative())
                .onCommand(
                        Upsert.class,
                        (state, cmd) -> refuse(state, cmd.environmentId(), CANNOT_UPDATE_DECLARATIVE, cmd.replyTo()))
                .onCommand(
                        Update.class,
                        (state, cmd) -> refuse(state, cmd.environmentId(), CANNOT_UPDATE_DECLARATIVE, cmd.replyTo()))
                .onCommand(
                        SetActive.class,
                        (state, cmd) -> refuse(state, cmd.environmentId(), CANNOT_TOGGLE_DECLARATIVE, cmd.replyTo()))
                .onCommand(
                        Delete.class,
                        (state, cmd) -> refuse(state, cmd.environmentId(), CANNOT_DELETE_DECLARATIVE, cmd.replyTo()))
                .onCommand(Declare.class, (state, cmd) -> {
                    if (!state.belongsTo(cmd.environmentId())) return notFound(cmd.replyTo());
                    if (state.spec().equals(cmd.spec()))
                        return Effect().reply(cmd.replyTo(), StatusReply.success(state));
                    return persist(new ScheduleUpdated(cmd.spec(), clock.instant()), cmd.replyTo());
                })
                .onCommand(
                        Undeclare.class,
                        (state, cmd) -> !state.belongsTo(cmd.environmentId())
                                ? notFound(cmd.replyTo())
                                : persist(new ScheduleDeleted(clock.instant()), cmd.replyTo()));

        builder.forState(ScheduleState::exists)
                .onCommand(
                        Upsert.class,
                        (state, cmd) -> !state.belongsTo(cmd.environmentId())
                                ? notFound(cmd.replyTo())
                                : persist(new ScheduleUpdated(cmd.spec(), clock.instant()), cmd.replyTo()))
                .onCommand(
                        Update.class,
                        (state, cmd) -> !state.belongsTo(cmd.environmentId())
                                ? notFound(cmd.replyTo())
                                : persist(
                                        new ScheduleUpdated(
                                                cmd.spec()
                                                        .withDeduplicationKey(
                                                                state.spec().deduplicationKey()),
                                                clock.instant()),
                                        cmd.replyTo()))
                .onCommand(SetActive.class, this::setActive)
                .onCommand(
                        Delete.class,
                        (state, cmd) -> !state.belongsTo(cmd.environmentId())
                                ? notFound(cmd.replyTo())
                                : persist(new ScheduleDeleted(clock.instant()), cmd.replyTo()))
                .onCommand(FireDue.class, this::fireIfDue)
                .onCommand(FireSucceeded.class, this::recordFire)
                .onCommand(FireFailed.class, this::fireFailed);

        // A schedule that does not exist (never created, or deleted) is not found, by anyone.
        builder.forAnyState()
                .onCommand(Upsert.class, (state, cmd) -> notFound(cmd.replyTo()))
                .onCommand(Update.class, (state, cmd) -> notFound(cmd.replyTo()))
                .onCommand(SetActive.class, (state, cmd) -> notFound(cmd.replyTo()))
                .onCommand(Delete.class, (state, cmd) -> notFound(cmd.replyTo()))
                .onCommand(Declare.class, (state, cmd) -> notFound(cmd.replyTo()))
                .onCommand(Undeclare.class, (state, cmd) -> notFound(cmd.replyTo()))
                .onCommand(Get.class, (state, cmd) -> Effect().reply(cmd.replyTo(), state))
                .onCommand(Wake.class, (state, cmd) -> {
                    redrive(state);
                    return Effect().noReply();
                })
                .onCommand(FireDue.class, (state, cmd) -> Effect().noReply())
                .onCommand(FireSucceeded.class, (state, cmd) -> {
                    firing = null;
                    return Effect().noReply();
                })
                .onCommand(FireFailed.class, (state, cmd) -> {
                    firing = null;
                    return Effect().noReply();
                });

        return builder.build();
    }

    private ReplyEffect<Event, ScheduleState> setActive(ScheduleState state, SetActive cmd) {
        if (!state.belongsTo(cmd.environmentId())) return notFound(cmd.replyTo());
        if (state.active() == cmd.active()) return Effect().reply(cmd.replyTo(), StatusReply.success(state));
        Event event = cmd.active() ? new ScheduleActivated(clock.instant()) : new ScheduleDeactivated(clock.instant());
        return persist(event, cmd.replyTo());
    }

    /** Fires the occurrence if it is still the next one and its time has come; otherwise re-arms the timer. */
    private ReplyEffect<Event, ScheduleState> fireIfDue(ScheduleState state, FireDue cmd) {
        Optional<Instant> next = state.nextRun();
        if (next.isEmpty() || !next.get().equals(cmd.timestamp())) {
            redrive(state);
            return Effect().noReply();
        }
        if (state.effectiveAt(cmd.timestamp()).isAfter(clock.instant())) {
            arm(state, cmd.timestamp());
            return Effect().noReply();
        }
        if (cmd.timestamp().equals(firing)) return Effect().noReply();
        firing = cmd.timestamp();
        ScheduleFirer.Occurrence occurrence = new ScheduleFirer.Occurrence(
                scheduleId,
                state.environmentId(),
                state.spec().taskId(),
                cmd.timestamp(),
                payload(state, cmd.timestamp()));
        context.pipeToSelf(firer.fire(occurrence), (runId, failure) -> {
            if (failure == null) return new FireSucceeded(cmd.timestamp(), runId);
            Throwable cause = Failures.cause(failure);
            return new FireFailed(
                    cmd.timestamp(), String.valueOf(cause.getMessage()), cause instanceof TaskNotFoundException);
        });
        return Effect().noReply();
    }

    private ReplyEffect<Event, ScheduleState> recordFire(ScheduleState state, FireSucceeded cmd) {
        firing = null;
        if (alreadyRecorded(state, cmd.timestamp())) return Effect().noReply();
        return Effect()
                .persist(new ScheduleFired(cmd.timestamp(), cmd.runId(), clock.instant()))
                .thenRun(this::redrive)
                .thenNoReply();
    }

    private ReplyEffect<Event, ScheduleState> fireFailed(ScheduleState state, FireFailed cmd) {
        firing = null;
        if (alreadyRecorded(state, cmd.timestamp())) return Effect().noReply();
        if (cmd.skip()) {
            context.getLog()
                    .warn("Schedule {}: skipped the occurrence at {}: {}", scheduleId, cmd.timestamp(), cmd.reason());
            return Effect()
                    .persist(new ScheduleFireSkipped(cmd.timestamp(), cmd.reason(), clock.instant()))
                    .thenRun(this::redrive)
                    .thenNoReply();
        }
        context.getLog()
                .warn(
                        "Schedule {}: firing the occurrence at {} failed, retrying in {}: {}",
                        scheduleId,
                        cmd.timestamp(),
                        fireRetry,
                        cmd.reason());
        timers.startSingleTimer(FIRE_TIMER, new FireDue(cmd.timestamp()), fireRetry);
        return Effect().noReply();
    }

    private static boolean alreadyRecorded(ScheduleState state, Instant timestamp) {
        return state.lastTimestamp() != null && !timestamp.isAfter(state.lastTimestamp());
    }

    private ReplyEffect<Event, ScheduleState> persist(Event event, ActorRef<StatusReply<ScheduleState>> replyTo) {
        return Effect().persist(event).thenRun(this::redrive).thenReply(replyTo, StatusReply::success);
    }

    /** A change the schedule's type forbids; another environment's schedule stays as absent as an unknown one. */
    private ReplyEffect<Event, ScheduleState> refuse(
            ScheduleState state, String environmentId, String refusal, ActorRef<StatusReply<ScheduleState>> replyTo) {
        return Effect().reply(replyTo, StatusReply.error(state.belongsTo(environmentId) ? refusal : NOT_FOUND));
    }

    private ReplyEffect<Event, ScheduleState> notFound(ActorRef<StatusReply<ScheduleState>> replyTo) {
        return Effect().reply(replyTo, StatusReply.error(NOT_FOUND));
    }

    // ---------------------------------------------------------------- side effects

    /** Arms the timer for the next occurrence, or disarms it: after recovery, every persist and every wake. */
    private void redrive(ScheduleState state) {
        Optional<Instant> next = state.nextRun();
        if (next.isEmpty()) {
            timers.cancel(FIRE_TIMER);
            return;
        }
        if (next.get().equals(firing)) return;
        arm(state, next.get());
    }

    /** The handler re-arms when woken early (see {@link DeadlineTimers}). */
    private void arm(ScheduleState state, Instant timestamp) {
        DeadlineTimers.arm(timers, FIRE_TIMER, new FireDue(timestamp), clock, state.effectiveAt(timestamp));
    }

    /**
     * Trigger.dev's scheduled-task payload: {@code {scheduleId, type, timestamp, lastTimestamp?, externalId?, timezone,
     * upcoming}}.
     */
    static String payload(ScheduleState state, Instant timestamp) {
        ObjectNode payload = JSON.createObjectNode();
        payload.put("scheduleId", state.scheduleId());
        payload.put("type", state.spec().type());
        payload.put("timestamp", MILLIS.format(timestamp));
        if (state.lastTimestamp() != null) payload.put("lastTimestamp", MILLIS.format(state.lastTimestamp()));
        if (state.spec().externalId() != null)
            payload.put("externalId", state.spec().externalId());
        payload.put("timezone", state.spec().timezone());
        ArrayNode upcoming = payload.putArray("upcoming");
        state.upcoming(timestamp, UPCOMING).forEach(time -> upcoming.add(MILLIS.format(time)));
        return payload.toString();
    }

    @Override
    public SignalHandler<ScheduleState> signalHandler() {
        return newSignalHandlerBuilder()
                .onSignal(RecoveryCompleted.instance(), this::redrive)
                .build();
    }

    // ---------------------------------------------------------------- event handler (pure)

    @Override
    public EventHandler<ScheduleState, Event> eventHandler() {
        return newEventHandlerBuilder().forAnyState().onAnyEvent(ScheduleEntity::apply);
    }

    /** The state change of one event, for readers that fold a schedule's events themselves (the index projection). */
    public static ScheduleState apply(ScheduleState state, Event event) {
        if (event instanceof ScheduleCreated e) return state.created(e.environmentId(), e.spec(), e.at());
        if (event instanceof ScheduleUpdated e) return state.updated(e.spec(), e.at());
        if (event instanceof ScheduleActivated e) return state.activated(e.at());
        if (event instanceof ScheduleDeactivated e) return state.deactivated(e.at());
        if (event instanceof ScheduleDeleted e) return state.deleted(e.at());
        if (event instanceof ScheduleFired e) return state.fired(e.timestamp(), e.runId(), e.at());
        if (event instanceof ScheduleFireSkipped e) return state.fired(e.timestamp(), null, e.at());
        throw new IllegalArgumentException("unknown schedule event " + event);
    }
}
