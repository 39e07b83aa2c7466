package dev.baton.sdk.task;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import dev.baton.sdk.internal.AttemptLink;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What a handler knows about the attempt it is running, and what it can do about its run while
 * it runs: read and update the run's metadata, and find out whether it should stop.
 *
 * <p><b>Cancellation.</b> When the server cancels the run (or it exceeds its maxDuration), fences
 * the attempt, or the worker loses its connection, the handler's thread is interrupted and
 * {@link #isCancelled()} becomes true. Blocking calls then throw {@link InterruptedException};
 * code that does not block can poll {@link #isCancelled()} or call {@link #throwIfCancelled()}.
 * Whatever the handler returns afterwards is dropped.
 *
 * <p><b>Metadata.</b> {@link #metadata()} starts as the run's metadata when the attempt was sent
 * and follows every update. Each {@code metadata…} method sends one message to the server and
 * blocks until it answers (at most the worker's metadata timeout, 10 s by default), then returns
 * the run's whole metadata afterwards. It throws {@link MetadataUpdateException} when the update
 * was refused (invalid, or the metadata would exceed the server's limit, 256 KB by default) or
 * not answered in time, and {@link TaskCancelledException} when the attempt is over.
 *
 * <p>Tests can build a context with the public constructor to call a handler directly; such a
 * context is never cancelled and applies metadata updates in memory.
 */
public final class TaskContext {

    private final String runId;
    private final String attemptId;
    private final int attemptNumber;
    private final String taskId;
    private final List<String> tags;
    private final String environmentId;
    private final String queueName;
    private final boolean isTest;
    private final Duration maxDuration;
    private final AttemptLink link;

    /**
     * A context attached to nothing, for calling a handler directly (tests): never cancelled,
     * metadata updates are applied in memory.
     *
     * @param metadata the run's metadata, or null for none
     */
    public TaskContext(String runId, String attemptId, int attemptNumber, String taskId, List<String> tags,
                       JsonNode metadata, String environmentId, String queueName) {
        this(runId, attemptId, attemptNumber, taskId, tags, environmentId, queueName, false, null,
                AttemptLink.detached(metadata));
    }

    /** The worker's constructor; {@link AttemptLink} is internal to the SDK. */
    public TaskContext(String runId, String attemptId, int attemptNumber, String taskId, List<String> tags,
                       String environmentId, String queueName, boolean isTest, Duration maxDuration,
                       AttemptLink link) {
        this.runId = Objects.requireNonNull(runId, "runId");
        this.attemptId = Objects.requireNonNull(attemptId, "attemptId");
        this.attemptNumber = attemptNumber;
        this.taskId = Objects.requireNonNull(taskId, "taskId");
        this.tags = tags == null ? List.of() : List.copyOf(tags);
        this.environmentId = environmentId;
        this.queueName = queueName;
        this.isTest = isTest;
        this.maxDuration = maxDuration;
        this.link = Objects.requireNonNull(link, "link");
    }

    /** The run this attempt belongs to ({@code run_…}). */
    public String runId() {
        return runId;
    }

    /** This attempt ({@code att_…}); a retry gets a new one. */
    public String attemptId() {
        return attemptId;
    }

    /** 1 for the first attempt, 2 for the first retry, … */
    public int attemptNumber() {
        return attemptNumber;
    }

    public String taskId() {
        return taskId;
    }

    /** The run's tags when the attempt was sent, possibly empty. */
    public List<String> tags() {
        return tags;
    }

    /** The environment the run was triggered in. */
    public String environmentId() {
        return environmentId;
    }

    /** The queue the run waited in. */
    public String queueName() {
        return queueName;
    }

    /** Whether the run was triggered as a test run. */
    public boolean isTest() {
        return isTest;
    }

    /**
     * How long this attempt may execute before the server times the run out ({@code TIMED_OUT})
     * and cancels the attempt; empty means no limit. The server enforces it, not the worker.
     */
    public Optional<Duration> maxDuration() {
        return Optional.ofNullable(maxDuration);
    }

    // ---- cancellation ----

    /** True once the attempt is over for this worker (see the class comment); the handler should stop. */
    public boolean isCancelled() {
        return link.cancelReason() != null;
    }

    /** Why the attempt is over, e.g. {@code run canceled} or {@code maxDuration exceeded}; empty while it runs. */
    public Optional<String> cancelReason() {
        return Optional.ofNullable(link.cancelReason());
    }

    /** @throws TaskCancelledException when {@link #isCancelled()} */
    public void throwIfCancelled() {
        String reason = link.cancelReason();
        if (reason != null) {
            throw new TaskCancelledException(reason);
        }
    }

    // ---- metadata ----

    /** The run's current metadata: an object, or a {@link MissingNode} when the run has none. */
    public JsonNode metadata() {
        return link.metadata();
    }

    /** Applies the operations together, in one message; returns the run's metadata afterwards. */
    public JsonNode updateMetadata(MetadataOperation... operations) {
        return updateMetadata(Arrays.asList(operations));
    }

    /** Applies the operations together, in one message; returns the run's metadata afterwards. */
    public JsonNode updateMetadata(List<MetadataOperation> operations) {
        if (operations == null || operations.isEmpty()) {
            throw new IllegalArgumentException("no metadata operations");
        }
        throwIfCancelled();
        return link.updateMetadata(List.copyOf(operations));
    }

    /** Sets {@code key} (a field, or a path {@code $.a.b}) to {@code value} (any Jackson-writable value). */
    public JsonNode metadataSet(String key, Object value) {
        return updateMetadata(MetadataOperation.set(key, value));
    }

    public JsonNode metadataDelete(String key) {
        return updateMetadata(MetadataOperation.delete(key));
    }

    /** Appends {@code value} to the array at {@code key}, creating it when missing. */
    public JsonNode metadataAppend(String key, Object value) {
        return updateMetadata(MetadataOperation.append(key, value));
    }

    /** Removes every element equal to {@code value} from the array at {@code key}. */
    public JsonNode metadataRemove(String key, Object value) {
        return updateMetadata(MetadataOperation.remove(key, value));
    }

    /** Adds {@code by} (negative to decrement) to the number at {@code key}; a missing one counts as 0. */
    public JsonNode metadataIncrement(String key, Number by) {
        return updateMetadata(MetadataOperation.increment(key, by));
    }

    /** Replaces the whole metadata with {@code metadata}, which must serialize to a JSON object. */
    public JsonNode metadataReplace(Object metadata) {
        return updateMetadata(MetadataOperation.replace(metadata));
    }

    @Override
    public String toString() {
        return "TaskContext[run " + runId + ", attempt " + attemptId + " (#" + attemptNumber + "), task " + taskId
                + ", queue " + queueName + ", environment " + environmentId + "]";
    }
}
