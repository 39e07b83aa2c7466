package dev.baton.engine.run;

import akka.actor.typed.javadsl.ActorContext;
import akka.pattern.StatusReply;
import akka.persistence.typed.javadsl.EffectFactories;
import akka.persistence.typed.javadsl.ReplyEffect;
import dev.baton.engine.run.RunEntity.Cancel;
import dev.baton.engine.run.RunEntity.ChildFinished;
import dev.baton.engine.run.RunEntity.Command;
import dev.baton.engine.run.RunEntity.Event;
import dev.baton.engine.run.RunEntity.RunResumed;
import dev.baton.engine.run.RunEntity.RunSuspended;
import dev.baton.engine.run.RunEntity.Suspend;
import dev.baton.engine.run.RunEntity.TokenCompleted;
import dev.baton.engine.run.RunEntity.WaitResolved;
import dev.baton.engine.run.RunTimers.WaitDue;
import dev.baton.engine.trace.TraceContext;
import dev.baton.engine.worker.RunError;
import dev.baton.engine.worker.StepResult;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.function.Consumer;

/**
 * A run's durable waits: for a duration, a waitpoint token, or child runs (one or a batch). An attempt suspends the
 * run with {@link RunEntity.Suspend}; the WAITING state's handlers here take the wait to its end, and {@link #pursue}
 * makes it progress. Every side effect is safe to repeat: the run pursues its wait again after recovery and on every
 * wake, and a child run is triggered under an id derived from its parent, so it is created once.
 */
final class RunWaits {

    /** A child run exists and has not finished: nothing to do until it does. */
    record ChildPending() implements RunEntity.Notice {}

    private final String runId;
    private final ActorContext<Command> context;
    private final RunLinks links;
    private final RunTimers timers;
    private final Clock clock;
    private final EffectFactories<Event, RunState> effects;
    /** What the run does once queued again (see {@code RunEntity.redrive}). */
    private final Consumer<RunState> redrive;

    RunWaits(
            String runId,
            ActorContext<Command> context,
            RunLinks links,
            RunTimers timers,
            Clock clock,
            EffectFactories<Event, RunState> effects,
            Consumer<RunState> redrive) {
        this.runId = runId;
        this.context = context;
        this.links = links;
        this.timers = timers;
        this.clock = clock;
        this.effects = effects;
        this.redrive = redrive;
    }

    /** The attempt stops until the wait is over and frees its slot meanwhile. */
    ReplyEffect<Event, RunState> suspend(RunEntity run, RunState state, Suspend cmd) {
        if (!run.isCurrent(cmd.attemptId())) return run.error(cmd.replyTo(), RunEntity.STALE_ATTEMPT);
        Wait wait = cmd.waitFor();
        if (state.steps().containsKey(wait.key())) {
            return run.error(
                    cmd.replyTo(),
                    RunEntity.STEP_ALREADY_RESOLVED + ": " + wait.key() + " has a result; the worker should use it");
        }
        String invalid = invalid(state, wait);
        if (invalid != null) return run.error(cmd.replyTo(), RunEntity.INVALID_WAIT + ": " + invalid);
        return effects.persist(new RunSuspended(cmd.attemptId(), wait, clock.instant(), run.heldAttempt()))
                .thenRun(suspended -> {
                    run.execution().suspended(wait);
                    run.execution().leave(suspended);
                    pursue(suspended);
                })
                .thenReply(cmd.replyTo(), suspended -> StatusReply.ack());
    }

    /** Why the run cannot wait for {@code wait}, or null when it can. */
    private static String invalid(RunState state, Wait wait) {
        if (wait.key() == null || wait.key().isBlank()) return "a wait needs a key";
        return switch (wait.kind()) {
            case DURATION -> wait.until() == null ? "a duration wait needs an end" : null;
            case TOKEN -> wait.tokenId() == null || wait.tokenId().isBlank() ? "a token wait needs a token id" : null;
            case RUNS -> {
                if (wait.children().isEmpty()) yield "no runs to wait for";
                if (wait.children().size() > RunEntity.MAX_CHILDREN) {
                    yield "at most " + RunEntity.MAX_CHILDREN + " runs per wait";
                }
                if (state.lineage().depth() + 1 > RunEntity.MAX_DEPTH)
                    yield "runs nest at most " + RunEntity.MAX_DEPTH + " deep";
                yield null;
            }
        };
    }

    ReplyEffect<Event, RunState> endDurationWait(RunState state, WaitDue cmd) {
        Wait wait = state.pendingWait();
        if (wait.kind() != Wait.Kind.DURATION || !wait.key().equals(cmd.key())) return effects.noReply();
        if (wait.until().isAfter(clock.instant())) {
            pursue(state);
            return effects.noReply();
        }
        return resume(StepResult.success("{\"waitedUntil\":\"" + wait.until() + "\"}"), wait);
    }

    ReplyEffect<Event, RunState> tokenCompleted(RunState state, TokenCompleted cmd) {
        Wait wait = state.pendingWait();
        if (wait.kind() != Wait.Kind.TOKEN || !wait.tokenId().equals(cmd.tokenId())) return effects.noReply();
        return resume(cmd.result(), wait);
    }

    ReplyEffect<Event, RunState> childFinished(RunState state, ChildFinished cmd) {
        Wait wait = state.pendingWait();
        boolean ours = wait.kind() == Wait.Kind.RUNS
                && wait.key().equals(cmd.waitKey())
                && cmd.index() >= 0
                && cmd.index() < wait.children().size()
                && wait.childRunId(runId, cmd.index()).equals(cmd.childRunId());
        if (!ours || wait.resolved().containsKey(cmd.index())) return effects.noReply();
        Instant now = clock.instant();
        Wait after = wait.withResolved(cmd.index(), cmd.result());
        WaitResolved resolved = new WaitResolved(wait.key(), cmd.index(), cmd.childRunId(), cmd.result(), now);
        if (!after.allChildrenResolved()) return effects.persist(resolved).thenNoReply();
        return effects.persist(List.of(resolved, new RunResumed(wait.key(), ChildResults.combine(runId, after), now)))
                .thenRun(redrive::accept)
                .thenNoReply();
    }

    private ReplyEffect<Event, RunState> resume(StepResult result, Wait wait) {
        return effects.persist(new RunResumed(wait.key(), result, clock.instant()))
                .thenRun(resumed -> {
                    timers.cancelWait();
                    redrive.accept(resumed);
                })
                .thenNoReply();
    }

    /**
     * Makes the wait progress: arms the timer of a duration wait, registers with the token, and
     * triggers (or finds) every child run not finished yet — a finished one resolves its item at once.
     */
    void pursue(RunState state) {
        Wait wait = state.pendingWait();
        switch (wait.kind()) {
            case DURATION -> timers.waitUntil(wait);
            case TOKEN -> links.awaitToken(state.spec().environmentId(), wait.tokenId(), runId);
            case RUNS -> {
                for (int index = 0; index < wait.children().size(); index++) {
                    if (!wait.resolved().containsKey(index)) triggerChild(state, wait, index);
                }
            }
        }
    }

    private void triggerChild(RunState state, Wait wait, int item) {
        String childId = wait.childRunId(runId, item);
        RunLineage lineage = RunLineage.childOf(runId, state.lineage(), wait.key(), wait.batchId(), item);
        context.pipeToSelf(
                links.triggerChild(
                        state.spec().environmentId(),
                        // The child's run span hangs under this run's span of the wait.
                        wait.children().get(item).toBuilder()
                                .trace(state.spec()
                                        .traceContext(runId)
                                        .under(TraceContext.waitSpanId(runId, wait.key())))
                                .build(),
                        childId,
                        lineage,
                        state.version()),
                (child, failure) -> {
                    if (failure != null) {
                        // A child that cannot exist fails its item; anything else (a timeout) is retried on the next
                        // wake.
                        RunError error = ChildResults.refusal(failure);
                        return error == null
                                ? new ChildPending()
                                : new ChildFinished(wait.key(), item, childId, StepResult.failure(error));
                    }
                    return child.status().isFinal()
                            ? new ChildFinished(wait.key(), item, childId, ChildResults.outcome(child))
                            : new ChildPending();
                });
    }

    /** A finished child tells the parent waiting for it; repeated after recovery, as the parent ignores duplicates. */
    void notifyParent(RunState state) {
        RunLineage lineage = state.lineage();
        if (!lineage.resumesParent()) return;
        links.run(lineage.parentRunId())
                .tell(new ChildFinished(
                        lineage.parentWaitKey(), lineage.batchIndex(), runId, ChildResults.outcome(state)));
    }

    /** A canceled parent cancels the children it still waits for. */
    void cancelUnfinishedChildren(Wait wait) {
        if (wait.kind() != Wait.Kind.RUNS) return;
        for (int index = 0; index < wait.children().size(); index++) {
            if (!wait.resolved().containsKey(index)) {
                links.run(wait.childRunId(runId, index))
                        .tell(new Cancel(context.getSystem().ignoreRef()));
            }
        }
    }
}
