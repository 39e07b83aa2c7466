package dev.baton.sdk.task;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a {@code TaskContext} needs from whatever runs its attempt: the worker's session, or
 * nothing at all ({@link #detached}) when a test calls a handler directly. Implemented by the SDK's
 * worker (and by tests); task code does not need it. Declared here, beside {@link TaskContext}
 * whose constructor takes it, so that the task package does not depend on the SDK's internals.
 */
public interface AttemptLink {

    /** The run's metadata as last known: an object, or a {@link MissingNode} when the run has none. */
    JsonNode metadata();

    /** Null while the attempt runs; why it is over otherwise. */
    String cancelReason();

    /**
     * The W3C {@code traceparent} of the attempt's span in the run's trace, as the gateway sent it; null when it sent
     * none (a detached context, an older node).
     */
    default String traceparent() {
        return null;
    }

    /**
     * Applies the operations (together) and returns the run's metadata afterwards.
     *
     * @throws TaskCancelledException when the attempt is, or becomes, over
     * @throws MetadataUpdateException when the update was refused or not answered
     */
    JsonNode updateMetadata(List<MetadataOperation> operations);

    /** The memoized results of the run's durable calls, by key, as the execution was sent with them. */
    Map<String, Memoized> memoized();

    /**
     * Records a step's output under {@code key} and returns once the server has it.
     *
     * @throws TaskCancelledException when the attempt is, or becomes, over
     * @throws DurableCallException when the server did not answer in time
     */
    void recordStep(String key, JsonNode output);

    /**
     * Suspends the run until {@code wait} (a wire shape of the worker protocol) is over. Never
     * returns normally: once the server has suspended the run it throws the SDK's internal
     * {@code Suspension} error.
     *
     * @throws DurableCallException when the server refused the wait or did not answer
     * @throws TaskCancelledException when the attempt is, or becomes, over
     * @throws UnsupportedOperationException when nothing can suspend ({@link #canSuspend()} is false)
     */
    void suspend(String key, JsonNode wait);

    /** False for a link to nothing: no run to suspend, so waits sleep and child runs or tokens are unavailable. */
    boolean canSuspend();

    /** Waits shorter than this sleep in the worker instead of suspending the run. */
    Duration shortWaitThreshold();

    /**
     * Takes one line of the run's log; must neither block nor throw. The worker buffers it and sends it to the
     * server; a link to nothing writes it to SLF4J's {@code dev.baton.sdk.task.TaskLogger} logger.
     */
    default void log(LogEntry entry) {
        Logger logger = LoggerFactory.getLogger(TaskLogger.class);
        String line = entry.attributes().isEmpty() ? entry.message() : entry.message() + " " + entry.attributes();
        switch (entry.level()) {
            case TRACE -> logger.trace(line, entry.error());
            case DEBUG -> logger.debug(line, entry.error());
            case INFO -> logger.info(line, entry.error());
            case WARN -> logger.warn(line, entry.error());
            case ERROR -> logger.error(line, entry.error());
        }
    }

    /**
     * A link to nothing: never cancelled, metadata updates are applied in memory, steps run inline
     * and are not recorded, waits sleep, and nothing can suspend.
     */
    static AttemptLink detached(JsonNode initialMetadata) {
        return new AttemptLink() {
            private JsonNode metadata = MetadataOps.normalize(initialMetadata);

            @Override
            public synchronized JsonNode metadata() {
                return metadata;
            }

            @Override
            public String cancelReason() {
                return null;
            }

            @Override
            public synchronized JsonNode updateMetadata(List<MetadataOperation> operations) {
                metadata = MetadataOps.apply(metadata, operations);
                return metadata;
            }

            @Override
            public Map<String, Memoized> memoized() {
                return Map.of();
            }

            @Override
            public void recordStep(String key, JsonNode output) {
                // nothing to record to: the step ran inline
            }

            @Override
            public void suspend(String key, JsonNode wait) {
                throw new UnsupportedOperationException("a detached TaskContext cannot suspend");
            }

            @Override
            public boolean canSuspend() {
                return false;
            }

            @Override
            public Duration shortWaitThreshold() {
                return Duration.ofSeconds(Long.MAX_VALUE, 999_999_999); // every wait is short
            }
        };
    }
}
