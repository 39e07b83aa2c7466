package dev.baton.engine.run;

import akka.Done;
import akka.pattern.StatusReply;
import akka.persistence.typed.javadsl.ReplyEffect;
import dev.baton.engine.dispatch.DispatchReply;
import dev.baton.engine.run.RunEntity.AddTags;
import dev.baton.engine.run.RunEntity.AnsweredCommand;
import dev.baton.engine.run.RunEntity.AttemptCommand;
import dev.baton.engine.run.RunEntity.AttemptFailed;
import dev.baton.engine.run.RunEntity.AttemptLeased;
import dev.baton.engine.run.RunEntity.AttemptStarted;
import dev.baton.engine.run.RunEntity.Cancel;
import dev.baton.engine.run.RunEntity.ChildFinished;
import dev.baton.engine.run.RunEntity.Command;
import dev.baton.engine.run.RunEntity.CompleteAttempt;
import dev.baton.engine.run.RunEntity.CompleteStep;
import dev.baton.engine.run.RunEntity.Dispatch;
import dev.baton.engine.run.RunEntity.Event;
import dev.baton.engine.run.RunEntity.FailAttempt;
import dev.baton.engine.run.RunEntity.Get;
import dev.baton.engine.run.RunEntity.HandOff;
import dev.baton.engine.run.RunEntity.Heartbeat;
import dev.baton.engine.run.RunEntity.MetadataUpdated;
import dev.baton.engine.run.RunEntity.Notice;
import dev.baton.engine.run.RunEntity.PushBack;
import dev.baton.engine.run.RunEntity.Reschedule;
import dev.baton.engine.run.RunEntity.RunCanceled;
import dev.baton.engine.run.RunEntity.RunDebounced;
import dev.baton.engine.run.RunEntity.RunEnqueued;
import dev.baton.engine.run.RunEntity.RunExpired;
import dev.baton.engine.run.RunEntity.RunFailed;
import dev.baton.engine.run.RunEntity.RunRescheduled;
import dev.baton.engine.run.RunEntity.RunResumed;
import dev.baton.engine.run.RunEntity.RunSucceeded;
import dev.baton.engine.run.RunEntity.RunSuspended;
import dev.baton.engine.run.RunEntity.RunTaskDeclared;
import dev.baton.engine.run.RunEntity.RunTriggered;
import dev.baton.engine.run.RunEntity.StartAttempt;
import dev.baton.engine.run.RunEntity.StepCompleted;
import dev.baton.engine.run.RunEntity.Suspend;
import dev.baton.engine.run.RunEntity.TagsAdded;
import dev.baton.engine.run.RunEntity.TaskLookedUp;
import dev.baton.engine.run.RunEntity.TokenCompleted;
import dev.baton.engine.run.RunEntity.Trigger;
import dev.baton.engine.run.RunEntity.UpdateMetadata;
import dev.baton.engine.run.RunEntity.WaitResolved;
import dev.baton.engine.run.RunEntity.Wake;
import dev.baton.engine.run.RunEntity.WorkerLost;
import dev.baton.engine.run.RunTimers.DelayDue;
import dev.baton.engine.run.RunTimers.LeaseExpired;
import dev.baton.engine.run.RunTimers.MaxDurationExceeded;
import dev.baton.engine.run.RunTimers.PassivateFinished;
import dev.baton.engine.run.RunTimers.PassivateIdle;
import dev.baton.engine.run.RunTimers.RetryDue;
import dev.baton.engine.run.RunTimers.TtlDue;
import dev.baton.engine.run.RunTimers.WaitDue;
import dev.baton.engine.worker.RunError;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The run's lifecycle as a table: in each stage, the commands it handles, the handler, the events the handler may
 * write and the stages the run may go to. {@link RunEntity} dispatches every command through this table, and
 * {@code docs/run-lifecycle.md} is generated from it (a test fails when the two differ). With assertions on (every
 * test), the entity checks each event it persists against the declared writes of the command that wrote it: a
 * command's events are applied before the next command is handled, so the attribution is exact, and replayed events
 * are not checked. Built once for all runs:
 * every trigger starts an entity, which must not build handlers of its own.
 */
final class RunLifecycle {
    private RunLifecycle() {}

    /** Where a run is: its status, except that a run a worker holds is LEASED whatever its status says. */
    enum Stage {
        NEW,
        PENDING_VERSION,
        DELAYED,
        QUEUED,
        LEASED,
        WAITING,
        RETRYING,
        COMPLETED,
        FAILED,
        CRASHED,
        TIMED_OUT,
        CANCELED,
        EXPIRED,
        SYSTEM_FAILURE;

        /** Only a held attempt makes a run DEQUEUED or EXECUTING: without one, only the common handlers apply. */
        private static final Map<RunStatus, Stage> BY_STATUS = new EnumMap<>(RunStatus.class);

        static {
            for (Stage stage : values()) {
                if (stage != LEASED) BY_STATUS.put(RunStatus.valueOf(stage.name()), stage);
            }
        }

        static Stage of(RunState state, boolean leased) {
            return leased ? LEASED : BY_STATUS.get(state.status());
        }

        boolean isFinal() {
            return ordinal() >= COMPLETED.ordinal();
        }
    }

    @FunctionalInterface
    interface Handler<C extends Command> {
        ReplyEffect<Event, RunState> handle(RunEntity run, RunState state, C command);
    }

    /**
     * @param writes the events the handler may persist (none: it only answers, or arms a timer)
     * @param to the stages the run may be in afterwards, other than the one it is in
     */
    record Transition(
            Class<? extends Command> command,
            Handler<Command> handler,
            List<Class<? extends Event>> writes,
            List<Stage> to) {

        ReplyEffect<Event, RunState> apply(RunEntity run, RunState state, Command cmd) {
            return handler.handle(run, state, cmd);
        }

        void assertDeclares(Event event) {
            if (!writes.contains(event.getClass())) {
                throw new AssertionError(command.getSimpleName() + " wrote "
                        + event.getClass().getSimpleName() + ", which RunLifecycle does not declare for it");
            }
        }
    }

    private static final Map<Stage, List<Transition>> BY_STAGE = new EnumMap<>(Stage.class);
    /** What every stage answers to the commands its own row does not handle. */
    private static final List<Transition> IN_ANY_STAGE = new ArrayList<>();

    static {
        in(Stage.NEW)
                .on(
                        Trigger.class,
                        RunEntity::trigger,
                        writes(RunTriggered.class),
                        Stage.DELAYED,
                        Stage.QUEUED,
                        Stage.PENDING_VERSION)
                .on(
                        AnsweredCommand.class,
                        (run, state, cmd) -> run.error(cmd.replyTo(), RunEntity.UNKNOWN_RUN),
                        writes());
        in(Stage.PENDING_VERSION)
                .on(TaskLookedUp.class, RunEntity::taskLookedUp, writes(RunTaskDeclared.class), Stage.QUEUED)
                .on(TtlDue.class, RunEntity::expireIfDue, writes(RunExpired.class), Stage.EXPIRED)
                .on(Cancel.class, RunEntity::cancel, writes(RunCanceled.class), Stage.CANCELED);
        in(Stage.DELAYED)
                .on(DelayDue.class, RunEntity::endDelay, writes(RunEnqueued.class), Stage.QUEUED, Stage.PENDING_VERSION)
                .on(Reschedule.class, RunEntity::reschedule, writes(RunRescheduled.class))
                .on(PushBack.class, RunEntity::pushBack, writes(RunDebounced.class))
                .on(Cancel.class, RunEntity::cancel, writes(RunCanceled.class), Stage.CANCELED);
        in(Stage.QUEUED)
                .on(Dispatch.class, RunEntity::lease, writes(RunExpired.class), Stage.LEASED, Stage.EXPIRED)
                .on(TtlDue.class, RunEntity::expireIfDue, writes(RunExpired.class), Stage.EXPIRED)
                .on(Cancel.class, RunEntity::cancel, writes(RunCanceled.class), Stage.CANCELED);
        in(Stage.LEASED)
                .on(StartAttempt.class, RunEntity::startAttempt, writes())
                .on(Heartbeat.class, RunEntity::heartbeat, writes())
                .on(CompleteAttempt.class, RunEntity::completeAttempt, writes(RunSucceeded.class), Stage.COMPLETED)
                .on(
                        FailAttempt.class,
                        (run, state, cmd) -> run.failAttempt(
                                state,
                                cmd.attemptId(),
                                cmd.error(),
                                cmd.retryable(),
                                RunStatus.FAILED,
                                cmd.ranFor(),
                                cmd.replyTo()),
                        writes(AttemptFailed.class, RunFailed.class),
                        Stage.RETRYING,
                        Stage.FAILED)
                .on(
                        WorkerLost.class,
                        (run, state, cmd) -> run.failAttempt(
                                state,
                                cmd.attemptId(),
                                RunError.workerLost(cmd.reason()),
                                true,
                                RunStatus.CRASHED,
                                null,
                                null),
                        writes(AttemptFailed.class, RunFailed.class),
                        Stage.RETRYING,
                        Stage.CRASHED)
                .on(
                        LeaseExpired.class,
                        (run, state, cmd) -> run.failAttempt(
                                state,
                                cmd.attemptId(),
                                RunError.workerLost("lease expired: no heartbeat within "
                                        + run.settings().leaseTimeout().toSeconds() + "s"),
                                true,
                                RunStatus.CRASHED,
                                null,
                                null),
                        writes(AttemptFailed.class, RunFailed.class),
                        Stage.RETRYING,
                        Stage.CRASHED)
                .on(
                        MaxDurationExceeded.class,
                        RunEntity::timeOut,
                        writes(AttemptFailed.class, RunFailed.class),
                        Stage.TIMED_OUT)
                .on(CompleteStep.class, RunEntity::completeStep, writes(StepCompleted.class))
                .on(
                        Suspend.class,
                        (run, state, cmd) -> run.waits().suspend(run, state, cmd),
                        writes(RunSuspended.class),
                        Stage.WAITING)
                .on(Cancel.class, RunEntity::cancel, writes(RunCanceled.class), Stage.CANCELED)
                .on(HandOff.class, RunEntity::handOffAttempt, writes(AttemptLeased.class, AttemptStarted.class));
        in(Stage.WAITING)
                .on(
                        WaitDue.class,
                        (run, state, cmd) -> run.waits().endDurationWait(state, cmd),
                        writes(RunResumed.class),
                        Stage.QUEUED)
                .on(
                        TokenCompleted.class,
                        (run, state, cmd) -> run.waits().tokenCompleted(state, cmd),
                        writes(RunResumed.class),
                        Stage.QUEUED)
                .on(
                        ChildFinished.class,
                        (run, state, cmd) -> run.waits().childFinished(state, cmd),
                        writes(WaitResolved.class, RunResumed.class),
                        Stage.QUEUED)
                .on(Cancel.class, RunEntity::cancel, writes(RunCanceled.class), Stage.CANCELED);
        in(Stage.RETRYING)
                .on(RetryDue.class, RunEntity::requeue, writes(RunEnqueued.class), Stage.QUEUED)
                .on(Cancel.class, RunEntity::cancel, writes(RunCanceled.class), Stage.CANCELED);
        new Row(IN_ANY_STAGE)
                // Trigger is idempotent: the run that exists answers with its state.
                .on(
                        Trigger.class,
                        (run, state, cmd) -> run.Effect()
                                .reply(
                                        cmd.replyTo(),
                                        StatusReply.success(run.execution().view(state))),
                        writes())
                .on(
                        Get.class,
                        (run, state, cmd) -> run.Effect()
                                .reply(cmd.replyTo(), run.execution().view(state)),
                        writes())
                .on(
                        Dispatch.class,
                        (run, state, cmd) -> run.Effect()
                                .reply(cmd.replyTo(), new DispatchReply(state.runId(), cmd.sessionId(), false)),
                        writes())
                .on(AttemptCommand.class, RunEntity::notHeld, writes())
                // A finished run stays as it is.
                .on(
                        Cancel.class,
                        (run, state, cmd) -> run.Effect().reply(cmd.replyTo(), StatusReply.success(state)),
                        writes())
                .on(Reschedule.class, (run, state, cmd) -> run.error(cmd.replyTo(), RunEntity.NOT_DELAYED), writes())
                .on(PushBack.class, (run, state, cmd) -> run.error(cmd.replyTo(), RunEntity.NOT_DELAYED), writes())
                .on(AddTags.class, RunAnnotations::addTags, writes(TagsAdded.class))
                .on(UpdateMetadata.class, RunAnnotations::updateMetadata, writes(MetadataUpdated.class))
                .on(
                        Wake.class,
                        (run, state, cmd) -> {
                            run.execution().redrive(state);
                            return cmd.replyTo() == null
                                    ? run.Effect().noReply()
                                    : run.Effect().reply(cmd.replyTo(), Done.getInstance());
                        },
                        writes())
                .on(PassivateFinished.class, RunEntity::passivate, writes())
                .on(PassivateIdle.class, RunEntity::passivateIdle, writes())
                .on(HandOff.class, RunEntity::stop, writes())
                // A timer or a notice that arrived after what it was about had passed.
                .on(Notice.class, (run, state, cmd) -> run.Effect().noReply(), writes());
    }

    /** The handler for {@code command} in {@code stage}, else the common one. */
    static Transition transition(Stage stage, Command command) {
        if (stage != null) {
            Transition own = find(BY_STAGE.getOrDefault(stage, List.of()), command);
            if (own != null) return own;
        }
        Transition common = find(IN_ANY_STAGE, command);
        if (common == null) {
            throw new IllegalArgumentException(
                    "RunEntity has no handler for " + command.getClass().getSimpleName());
        }
        return common;
    }

    private static Transition find(List<Transition> row, Command command) {
        for (Transition transition : row) {
            if (transition.command().isInstance(command)) return transition;
        }
        return null;
    }

    /** The stages with handlers of their own, in the order a run usually passes them. */
    static Map<Stage, List<Transition>> byStage() {
        return BY_STAGE;
    }

    static List<Transition> inAnyStage() {
        return IN_ANY_STAGE;
    }

    @SafeVarargs
    private static List<Class<? extends Event>> writes(Class<? extends Event>... events) {
        return List.of(events);
    }

    private static Row in(Stage stage) {
        return new Row(BY_STAGE.computeIfAbsent(stage, s -> new ArrayList<>()));
    }

    private record Row(List<Transition> transitions) {
        @SuppressWarnings("unchecked")
        <C extends Command> Row on(
                Class<C> command, Handler<C> handler, List<Class<? extends Event>> writes, Stage... to) {
            transitions.add(new Transition(command, (Handler<Command>) (Handler<?>) handler, writes, List.of(to)));
            return this;
        }
    }
}
