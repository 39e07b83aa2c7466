package dev.baton.sdk.worker;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.sdk.internal.AttemptLink;
import dev.baton.sdk.internal.MetadataOps;
import dev.baton.sdk.internal.WorkerMessages.Metadata;
import dev.baton.sdk.task.MetadataOperation;
import dev.baton.sdk.task.MetadataUpdateException;
import dev.baton.sdk.task.TaskCancelledException;

import java.time.Duration;
import java.util.ArrayList;
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
 * {@code TaskContext} talks to (cancellation state, metadata updates).
 */
final class RunningAttempt implements AttemptLink {

    private final String attemptId;
    private final Session session;
    private final Duration metadataTimeout;
    private volatile FutureTask<Void> execution;
    private volatile boolean started;
    private volatile JsonNode metadata;
    /** Null while the attempt runs; why it is over otherwise. Written under {@code this}. */
    private volatile String endReason;
    /** Metadata messages sent and not answered yet, by request id, oldest first. Guarded by {@code this}. */
    private final Map<String, CompletableFuture<JsonNode>> pendingMetadata = new LinkedHashMap<>();

    RunningAttempt(String attemptId, Session session, JsonNode initialMetadata, Duration metadataTimeout) {
        this.attemptId = attemptId;
        this.session = session;
        this.metadata = MetadataOps.normalize(initialMetadata);
        this.metadataTimeout = metadataTimeout;
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
    void markStarted() {
        started = true;
    }

    boolean hasStarted() {
        return started;
    }

    /**
     * The attempt is over for this worker (canceled, fenced, connection lost, worker stopping):
     * the context reports it, waiting metadata updates fail, a queued handler never starts and a
     * running one gets its thread interrupted. The caller has already removed it from its session,
     * so nothing more is sent about it.
     */
    void end(String reason) {
        List<CompletableFuture<JsonNode>> waiting;
        synchronized (this) {
            if (endReason == null) {
                endReason = reason;
            }
            waiting = new ArrayList<>(pendingMetadata.values());
            pendingMetadata.clear();
        }
        for (CompletableFuture<JsonNode> answer : waiting) {
            answer.completeExceptionally(new TaskCancelledException(endReason));
        }
        FutureTask<Void> task = execution;
        if (task != null) {
            task.cancel(true);
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
            answer.completeExceptionally(new MetadataUpdateException(MetadataUpdateException.Kind.REJECTED,
                    reason == null ? "metadata update rejected" : reason));
        }
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
            throw new MetadataUpdateException(MetadataUpdateException.Kind.INTERRUPTED,
                    "interrupted while waiting for the metadata update; it may or may not have been applied");
        } catch (TimeoutException e) {
            forget(requestId);
            throw new MetadataUpdateException(MetadataUpdateException.Kind.TIMED_OUT,
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
}
