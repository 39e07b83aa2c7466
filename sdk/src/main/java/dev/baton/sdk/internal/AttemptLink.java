package dev.baton.sdk.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import dev.baton.sdk.task.MetadataOperation;
import dev.baton.sdk.task.TaskCancelledException;

import java.util.List;

/**
 * What a {@code TaskContext} needs from whatever runs its attempt: the worker's session, or
 * nothing at all ({@link #detached}) when a test calls a handler directly.
 */
public interface AttemptLink {

    /** The run's metadata as last known: an object, or a {@link MissingNode} when the run has none. */
    JsonNode metadata();

    /** Null while the attempt runs; why it is over otherwise. */
    String cancelReason();

    /**
     * Applies the operations (together) and returns the run's metadata afterwards.
     *
     * @throws TaskCancelledException when the attempt is, or becomes, over
     * @throws dev.baton.sdk.task.MetadataUpdateException when the update was refused or not answered
     */
    JsonNode updateMetadata(List<MetadataOperation> operations);

    /** A link to nothing: never cancelled, and metadata updates are applied in memory. */
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
        };
    }
}
