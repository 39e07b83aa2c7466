package dev.baton.sdk.worker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import dev.baton.sdk.internal.Suspension;
import dev.baton.sdk.internal.WorkerMessages;
import dev.baton.sdk.internal.WorkerMessages.Metadata;
import dev.baton.sdk.internal.WorkerMessages.Outbound;
import dev.baton.sdk.internal.WorkerMessages.Step;
import dev.baton.sdk.internal.WorkerMessages.Suspend;
import dev.baton.sdk.task.AttemptLink;
import dev.baton.sdk.task.DurableCallException;
import dev.baton.sdk.task.LogEntry;
import dev.baton.sdk.task.Memoized;
import dev.baton.sdk.task.MetadataOperation;
import dev.baton.sdk.task.MetadataUpdateException;
import dev.baton.sdk.task.TaskCancelledException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * An execution received from the gateway, queued or running on a handler thread; also what its
 * {@code TaskContext} talks to (cancellation state, metadata updates, memoized steps, step records
 * and suspensions).
 */
final class RunningAttempt implements AttemptLink {

    /** Why an attempt whose run the server suspended is over. */
    static final String SUSPENDED = "attempt suspended";

    /** How the worker configured durable calls. */
    record Settings(Duration metadataTimeout, Duration durableCallTimeout, Duration shortWaitThreshold) {}

    private final String attemptId;
    private final String traceparent;
    private final Session session;
    private final Duration metadataTimeout;
    private final Duration durableCallTimeout;
    private final Duration shortWaitThreshold;
    private final Map<String, Memoized> memoized;
    private volatile FutureTask<Void> execution;
    private volatile boolean started;
    /** When the handler began ({@link System#nanoTime}); 0 before. */
    private volatile long beganNanos;

    private volatile JsonNode metadata;
    /** Null while the attempt runs; why it is over otherwise. Written under {@code this}. */
    private volatile String endReason;
    /** Metadata messages sent and not answered yet, by request id, oldest first. Guarded by {@code this}. */
    private final Map<String, CompletableFuture<JsonNode>> pendingMetadata = new LinkedHashMap<>();
    /** Steps sent and not confirmed yet, by key. Guarded by {@code this}. */
    private final Map<String, CompletableFuture<Void>> pendingSteps = new HashMap<>();
    /** The suspension sent and not answered yet, and its key; at most one. Guarded by {@code this}. */
    private CompletableFuture<Void> pendingSuspend;

    private String pendingSuspendKey;
    /** True once the server suspended the run on this attempt's wait. */
    private volatile boolean suspended;

    RunningAttempt(
            String attemptId,
            Session session,
            JsonNode initialMetadata,
            Map<String, Memoized> memoized,
            Settings settings,
            String traceparent) {
        this.traceparent = traceparent;
        this.attemptId = attemptId;
        this.session = session;
        // held as AttemptLink.metadata() promises: an object, or a MissingNode when the run has none
        this.metadata = initialMetadata == null || initialMetadata.isNull() || initialMetadata.isMissingNode()
                ? MissingNode.getInstance()
                : initialMetadata;
        this.memoized = Map.copyOf(memoized);
        this.metadataTimeout = settings.metadataTimeout();
        this.durableCallTimeout = settings.durableCallTimeout();
        this.shortWaitThreshold = settings.shortWaitThreshold();
    }

    String attemptId() {
        return attemptId;
    }

    void submit(Runnable work, ExecutorService executor) {
        FutureTask<Void> task = new FutureTask<>(work, null);
        execution = task;
        if (endReason != null) { // over between being received and being submitted
            task.cancel(true);
        }
        executor.execute(task);
    }

    /** The handler is running, so heartbeats must keep its lease alive. */
    @Override
    public String traceparent() {
        return traceparent;
    }

    void markStarted() {
        started = true;
    }

    /** The handler begins now. */
    void markBegun() {
        beganNanos = System.nanoTime();
    }

    /**
     * How long the handler has been running, for {@code started}, {@code completed} and {@code failed}: the gateway
     * dates the attempt's start from it, not from when a message arrived. Null before the handler began.
     */
    Long runningForMs() {
        long began = beganNanos;
        return began == 0 ? null : TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began);
    }

    boolean hasStarted() {
        return started;
    }

    /** True once the server suspended the run on this attempt's wait: the handler's outcome is not reported. */
    boolean isSuspended() {
        return suspended;
    }

    /**
     * The attempt is over for this worker (canceled, fenced, connection lost, worker stopping):
     * the context reports it, waiting metadata updates fail, a queued handler never starts and a
     * running one gets its thread interrupted. The caller has already removed it from its session,
     * so nothing more is sent about it.
     */
    void end(String reason) {
        failPending(reason);
        FutureTask<Void> task = execution;
        if (task != null) {
            task.cancel(true);
        }
    }

    /**
     * The server suspended the run ({@code suspended}): the handler's waiting call throws
     * {@link Suspension}, which ends the handler without a report. Other waiting calls fail as
     * cancelled. The thread is not interrupted. The caller has already removed the attempt from its
     * session.
     */
    void suspended(String key) {
        CompletableFuture<Void> suspension;
        synchronized (this) {
            suspended = true;
            suspension = pendingSuspend;
            pendingSuspend = null;
        }
        failPending(SUSPENDED);
        if (suspension != null) {
            suspension.complete(null);
        }
    }

    private void failPending(String reason) {
        List<CompletableFuture<?>> waiting;
        synchronized (this) {
            if (endReason == null) {
                endReason = reason;
            }
            waiting = new ArrayList<>(pendingMetadata.values());
            waiting.addAll(pendingSteps.values());
            if (pendingSuspend != null) {
                waiting.add(pendingSuspend);
            }
            pendingMetadata.clear();
            pendingSteps.clear();
            pendingSuspend = null;
        }
        for (CompletableFuture<?> answer : waiting) {
            answer.completeExceptionally(new TaskCancelledException(endReason));
        }
    }

    // ---- answers from the gateway ----

    void metadataUpdated(String requestId, JsonNode updated) {
        if (updated != null && updated.isObject()) {
            metadata = updated; // before answering, so the handler sees it when its call returns
        }
        CompletableFuture<JsonNode> answer = takePending(requestId);
        if (answer != null) {
            answer.complete(metadata);
        }
    }

    void metadataRejected(String requestId, String reason) {
        CompletableFuture<JsonNode> answer = takePending(requestId);
        if (answer != null) {
            answer.completeExceptionally(new MetadataUpdateException(
                    MetadataUpdateException.Kind.REJECTED, reason == null ? "metadata update rejected" : reason));
        }
    }

    void stepRecorded(String key) {
        CompletableFuture<Void> answer;
        synchronized (this) {
            answer = pendingSteps.remove(key);
        }
        if (answer != null) {
            answer.complete(null);
        }
    }

    void suspendRejected(String key, String reason) {
        CompletableFuture<Void> answer;
        synchronized (this) {
            if (pendingSuspend == null || (key != null && !key.equals(pendingSuspendKey))) {
                return;
            }
            answer = pendingSuspend;
            pendingSuspend = null;
        }
        answer.completeExceptionally(new DurableCallException(
                DurableCallException.Kind.REJECTED,
                key,
                "the server refused the wait at '" + key + "': " + (reason == null ? "no reason given" : reason)));
    }

    /** The call a response answers: by request id, or the oldest one when the response names none. */
    private synchronized CompletableFuture<JsonNode> takePending(String requestId) {
        if (requestId != null) {
            return pendingMetadata.remove(requestId);
        }
        Iterator<CompletableFuture<JsonNode>> oldest = pendingMetadata.values().iterator();
        if (!oldest.hasNext()) {
            return null;
        }
        CompletableFuture<JsonNode> answer = oldest.next();
        oldest.remove();
        return answer;
    }

    // ---- AttemptLink (the handler's thread) ----

    @Override
    public JsonNode metadata() {
        return metadata;
    }

    @Override
    public void log(LogEntry entry) {
        session.log(this, entry);
    }

    @Override
    public String cancelReason() {
        return endReason;
    }

    @Override
    public JsonNode updateMetadata(List<MetadataOperation> operations) {
        String requestId = session.nextRequestId();
        CompletableFuture<JsonNode> answer = new CompletableFuture<>();
        synchronized (this) {
            if (endReason != null) {
                throw new TaskCancelledException(endReason);
            }
            pendingMetadata.put(requestId, answer);
        }
        if (!session.sendAbout(this, Metadata.of(attemptId, requestId, operations))) {
            forget(requestId);
            throw new TaskCancelledException(endReason != null ? endReason : "the attempt is over");
        }
        try {
            return answer.get(metadataTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            forget(requestId);
            if (endReason != null) {
                throw new TaskCancelledException(endReason);
            }
            throw new MetadataUpdateException(
                    MetadataUpdateException.Kind.INTERRUPTED,
                    "interrupted while waiting for the metadata update; it may or may not have been applied");
        } catch (TimeoutException e) {
            forget(requestId);
            throw new MetadataUpdateException(
                    MetadataUpdateException.Kind.TIMED_OUT,
                    "no answer to the metadata update within " + metadataTimeout.toMillis()
                            + " ms; it may or may not have been applied");
        } catch (ExecutionException e) {
            // rethrown as new exceptions so their stack traces show the handler's call
            if (e.getCause() instanceof MetadataUpdateException refused) {
                throw new MetadataUpdateException(refused.kind(), refused.getMessage());
            }
            if (e.getCause() instanceof TaskCancelledException cancelled) {
                throw new TaskCancelledException(cancelled.reason());
            }
            throw new IllegalStateException("unexpected failure of a metadata update", e.getCause());
        }
    }

    private synchronized void forget(String requestId) {
        pendingMetadata.remove(requestId);
    }

    // ---- durable calls (the handler's threads) ----

    @Override
    public Map<String, Memoized> memoized() {
        return memoized;
    }

    @Override
    public boolean canSuspend() {
        return true;
    }

    @Override
    public Duration shortWaitThreshold() {
        return shortWaitThreshold;
    }

    @Override
    public void recordStep(String key, JsonNode output) {
        Step message = new Step(attemptId, key, output);
        requireFits(message, "the result of step '" + key + "'");
        CompletableFuture<Void> answer = new CompletableFuture<>();
        synchronized (this) {
            if (endReason != null) {
                throw new TaskCancelledException(endReason);
            }
            pendingSteps.put(key, answer);
        }
        if (!session.sendAbout(this, message)) {
            forgetStep(key);
            throw new TaskCancelledException(endReason != null ? endReason : "the attempt is over");
        }
        try {
            answer.get(durableCallTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            forgetStep(key);
            if (endReason != null) {
                throw new TaskCancelledException(endReason);
            }
            throw new DurableCallException(
                    DurableCallException.Kind.INTERRUPTED,
                    key,
                    "interrupted while waiting for step '" + key + "' to be recorded; it may or may not have been");
        } catch (TimeoutException e) {
            forgetStep(key);
            throw new DurableCallException(
                    DurableCallException.Kind.TIMED_OUT,
                    key,
                    "no confirmation that step '" + key + "' was recorded within " + durableCallTimeout.toMillis()
                            + " ms; it may or may not have been");
        } catch (ExecutionException e) {
            throw rethrown(e);
        }
    }

    @Override
    public void suspend(String key, JsonNode wait) {
        Suspend message = new Suspend(attemptId, key, wait);
        requireFits(message, "the wait at '" + key + "'");
        CompletableFuture<Void> answer = new CompletableFuture<>();
        synchronized (this) {
            if (endReason != null) {
                throw new TaskCancelledException(endReason);
            }
            if (pendingSuspend != null) {
                throw new IllegalStateException("the run is already being suspended at '" + pendingSuspendKey
                        + "'; waits cannot run in parallel");
            }
            pendingSuspend = answer;
            pendingSuspendKey = key;
        }
        if (!session.sendAbout(this, message)) {
            forgetSuspend(answer);
            throw new TaskCancelledException(endReason != null ? endReason : "the attempt is over");
        }
        try {
            answer.get(durableCallTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            forgetSuspend(answer);
            if (suspended) {
                throw new Suspension(key);
            }
            if (endReason != null) {
                throw new TaskCancelledException(endReason);
            }
            throw new DurableCallException(
                    DurableCallException.Kind.INTERRUPTED,
                    key,
                    "interrupted while suspending the run at '" + key + "'; it may or may not be waiting");
        } catch (TimeoutException e) {
            forgetSuspend(answer);
            if (suspended) {
                throw new Suspension(key);
            }
            throw new DurableCallException(
                    DurableCallException.Kind.TIMED_OUT,
                    key,
                    "no answer to the suspension at '" + key + "' within " + durableCallTimeout.toMillis()
                            + " ms; the run may or may not be waiting");
        } catch (ExecutionException e) {
            throw rethrown(e);
        }
        throw new Suspension(key);
    }

    /** The gateway closes the socket on a message over its limit; refuse it here instead, with a clear reason. */
    private static void requireFits(Outbound message, String what) {
        int length = WorkerMessages.encode(message).length();
        if (length > WorkerMessages.MAX_MESSAGE_CHARS) {
            throw new IllegalArgumentException(what + " takes " + length
                    + " characters as a message, over the gateway's " + "limit of " + WorkerMessages.MAX_MESSAGE_CHARS
                    + "; make it smaller (e.g. fewer or smaller child payloads)");
        }
    }

    /** Rethrows an answer's failure as a new exception, so that its stack trace shows the handler's call. */
    private static RuntimeException rethrown(ExecutionException e) {
        if (e.getCause() instanceof DurableCallException refused) {
            return new DurableCallException(refused.kind(), refused.key(), refused.getMessage());
        }
        if (e.getCause() instanceof TaskCancelledException cancelled) {
            return new TaskCancelledException(cancelled.reason());
        }
        return new IllegalStateException("unexpected failure of a durable call", e.getCause());
    }

    private synchronized void forgetStep(String key) {
        pendingSteps.remove(key);
    }

    private synchronized void forgetSuspend(CompletableFuture<Void> answer) {
        if (pendingSuspend == answer) {
            pendingSuspend = null;
        }
    }
}
