package dev.baton.engine.run;

import akka.actor.typed.RecipientRef;
import dev.baton.engine.dispatch.EnvironmentDispatcher;
import dev.baton.engine.metrics.RunMetrics;
import dev.baton.engine.run.RunState.Attempt;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Consumer;

/**
 * What a run keeps outside its journal: the attempt a worker holds ({@link Lease}), its place in the dispatcher's
 * queue or slot count, and its timers. None of it is stored; {@link #redrive} rebuilds it from the journaled state
 * after recovery and on every wake, so every step here is safe to repeat.
 */
final class RunExecution {

    private final String runId;
    private final RunLinks links;
    private final RunTimers timers;
    private final RunWaits waits;
    private final RunMetrics metrics;
    /** Asks for the task of a PENDING_VERSION run (see {@code RunEntity.lookUpTask}). */
    private final Consumer<RunState> lookUpTask;
    /** Null when no worker holds the run. */
    private Lease lease;

    RunExecution(
            String runId,
            RunLinks links,
            RunTimers timers,
            RunWaits waits,
            RunMetrics metrics,
            Consumer<RunState> lookUpTask) {
        this.runId = runId;
        this.lookUpTask = lookUpTask;
        this.links = links;
        this.timers = timers;
        this.waits = waits;
        this.metrics = metrics;
    }

    boolean leased() {
        return lease != null;
    }

    boolean holds(String attemptId) {
        return lease != null && lease.holds(attemptId);
    }

    /** The attempt a worker holds now, or null. */
    Attempt held() {
        return lease == null ? null : lease.attempt();
    }

    /**
     * The attempt as the worker's outcome report shows it. With {@code ranFor} (how long the handler ran, by the
     * worker's own clock) the attempt is dated to have run exactly that long up to now, whatever a {@code started}
     * said, since that message's delay would shorten it; without, it started when {@code started} arrived or, a
     * handler that finished before the worker's started delay sending none (the protocol allows it), now.
     */
    Attempt reported(RunState state, Instant now, Duration ranFor) {
        Attempt attempt = lease.attempt();
        if (attempt.startedAt() == null || ranFor != null) {
            Instant began = began(now, ranFor);
            if (attempt.startedAt() == null) countStart(state, began);
            lease = new Lease(attempt.started(began), lease.worker());
        }
        return lease.attempt();
    }

    /**
     * When the handler began: {@code runningFor} (the worker's own measure, so no clock is compared) before
     * {@code now}, and never before the attempt was leased; {@code now} when the worker did not say.
     */
    private Instant began(Instant now, Duration runningFor) {
        if (runningFor == null) return now;
        Instant began = now.minus(runningFor);
        Instant leasedAt = lease.attempt().leasedAt();
        return began.isBefore(leasedAt) ? leasedAt : began;
    }

    /** Hands the run to the worker: the run leaves its queue, and the worker has one lease timeout to start. */
    void lease(Lease taken, RunState state) {
        lease = taken;
        timers.cancelTtl();
        taken.worker().tell(taken.execute(state));
        timers.lease(taken.attempt().id());
    }

    /** The worker started the attempt, {@code runningFor} ago (null: now): maxDuration counts from then. */
    void started(RunState state, Instant now, Duration runningFor) {
        if (lease.attempt().startedAt() != null) return;
        Instant began = began(now, runningFor);
        lease = lease.started(began);
        timers.maxDuration(state, lease.attempt());
        countStart(state, began);
    }

    private void countStart(RunState state, Instant at) {
        Instant queued = state.queuedAt() == null ? state.createdAt() : state.queuedAt();
        Duration waited = Duration.between(queued, at);
        metrics.attemptStarted(
                state.spec().environmentId(),
                state.spec().taskId(),
                lease.attempt().number(),
                waited.isNegative() ? Duration.ZERO : waited);
    }

    /**
     * Makes sure whatever the state waits for will happen: the queue knows a queued run, a running
     * run holds its slot and its lease, and timers (delay, TTL, retry, maxDuration) are armed. Safe
     * to repeat: after recovery, on every wake, and after each transition into a waiting state.
     */
    void redrive(RunState state) {
        RunSpec spec = state.spec();
        switch (state.status()) {
            case DELAYED -> timers.delay(state);
            case PENDING_VERSION -> lookUpTask.accept(state);
            case QUEUED, DEQUEUED, EXECUTING -> {
                if (lease != null) {
                    dispatcher(state)
                            .tell(new EnvironmentDispatcher.Occupying(
                                    runId, spec.taskId(), spec.queue(), spec.concurrencyKey()));
                    timers.leaseUnlessArmed(lease.attempt().id());
                    timers.maxDurationUnlessArmed(state, lease.attempt());
                } else {
                    dispatcher(state)
                            .tell(new EnvironmentDispatcher.Enqueue(
                                    runId,
                                    spec.taskId(),
                                    spec.queue(),
                                    spec.concurrencyKey(),
                                    state.queuedAt().toEpochMilli() - spec.priorityMs(),
                                    state.version(),
                                    spec.lockedToVersion() != null));
                    timers.ttlUnlessArmed(state);
                    timers.queued(state);
                }
            }
            case RETRYING -> timers.retryUnlessArmed(state);
            case WAITING -> waits.pursue(state);
            default -> {
                // A parent may have missed this run's end (its node crashed in between): telling it again is harmless.
                if (state.status().isFinal()) {
                    waits.notifyParent(state);
                    timers.passivation();
                }
            }
        }
    }

    /**
     * When a run that waits only for one of its own timers is due, or null when it waits for anything else: a
     * worker, its slot at the dispatcher, a task declaration, a token or child runs. Such a run may leave memory until
     * shortly before that time: the timer's time is journaled, and so in the run index's wake time. A QUEUED run no
     * worker holds waits for its dispatcher, which holds its place and whose offer ({@link RunEntity.Dispatch}) starts
     * it again from its journal: it is idle for good ({@link Instant#MAX}), unless a TTL may expire it, whose timer
     * lives in memory only (the sweeper's backoff does not keep to it). A PENDING_VERSION run is not idle: its
     * {@link EnvironmentDispatcher.AwaitTask} lives in the dispatcher's memory only.
     */
    Instant idleUntil(RunState state) {
        if (lease != null) return null;
        return switch (state.status()) {
            case QUEUED -> state.expiresAt() == null ? Instant.MAX : null;
            case DELAYED -> state.delayUntil();
            case RETRYING -> state.retryAt();
            case WAITING ->
                state.pendingWait().kind() == Wait.Kind.DURATION
                        ? state.pendingWait().until()
                        : null;
            default -> null;
        };
    }

    /** The held attempt suspended with {@code wait}: its worker learns it, whoever asked for the suspend. */
    void suspended(Wait wait) {
        if (lease != null && lease.worker() != null)
            lease.worker().tell(new AttemptSuspended(runId, lease.attempt().id(), wait));
    }

    /** The run left its queue or its execution for good or for now: free its place and its slot. */
    void leave(RunState state) {
        timers.cancelExecution();
        measure(state);
        lease = null;
        withdraw(state);
        if (state.status().isFinal()) {
            waits.notifyParent(state);
            timers.passivation();
        }
    }

    /** The attempt a worker started ended with the transition to {@code state}; a final state ends the run too. */
    private void measure(RunState state) {
        String environmentId = state.spec().environmentId();
        String taskId = state.spec().taskId();
        Attempt attempt = held();
        if (attempt != null && attempt.startedAt() != null) {
            String outcome = switch (state.status()) {
                case COMPLETED -> "succeeded";
                case WAITING -> "suspended";
                case CANCELED -> "canceled";
                default -> "failed";
            };
            Duration took = Duration.between(attempt.startedAt(), state.updatedAt());
            metrics.attemptEnded(environmentId, taskId, outcome, took.isNegative() ? Duration.ZERO : took);
        }
        if (state.status().isFinal())
            metrics.finished(environmentId, taskId, state.status().name());
    }

    /** The run was canceled or timed out while a worker held it: the worker stops. */
    void stopWorker(String reason) {
        if (lease != null) lease.stopWorker(reason, runId);
    }

    /**
     * The state as callers see it: with the attempt a worker holds now, which the journal gets with its outcome (or
     * at a hand-off, when the worker may still start it afterwards).
     */
    RunState view(RunState state) {
        return lease == null ? state : state.running(lease.attempt());
    }

    /**
     * A journal that ends with a leased attempt (a hand-off, or a journal from before lazy attempts): the run holds
     * that attempt, and takes its heartbeats and outcome, until its lease lapses. Its worker's session is not
     * journaled: a cancel or a timeout reaches the worker by fencing, at its next heartbeat.
     */
    void recovered(RunState state) {
        if (state.isRunning()) lease = new Lease(state.currentAttempt(), null);
        redrive(state);
    }

    /**
     * The run stops with its attempt journaled ({@link RunEntity#handOffAttempt}): the attempt goes on in the next
     * incarnation, so its slot stays taken, and stopping must not withdraw the run.
     */
    void handedOff() {
        lease = null;
    }

    /**
     * The lease lives in this incarnation only unless handed off: stopped holding one (a write failed while the database was away),
     * the run frees its slot, or the dispatcher would ignore its enqueue after recovery until its reconcile.
     */
    void stopped(RunState state) {
        if (lease != null) withdraw(state);
    }

    private void withdraw(RunState state) {
        dispatcher(state).tell(new EnvironmentDispatcher.Withdraw(runId));
    }

    private RecipientRef<EnvironmentDispatcher.Command> dispatcher(RunState state) {
        return links.dispatcher(state.spec().environmentId());
    }
}
