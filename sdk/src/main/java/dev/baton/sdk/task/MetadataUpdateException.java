package dev.baton.sdk.task;

/**
 * A metadata update from a running task did not go through. The attempt itself goes on; an
 * attempt that is over throws {@link TaskCancelledException} instead.
 */
public class MetadataUpdateException extends RuntimeException {

    public enum Kind {
        /**
         * The server refused it ({@code metadataRejected}): invalid operations, or the metadata would be too large.
         * Nothing was applied.
         */
        REJECTED,
        /** No answer within the worker's metadata timeout; the update may or may not have been applied. */
        TIMED_OUT,
        /** The handler's thread was interrupted while waiting; the update may or may not have been applied. */
        INTERRUPTED
    }

    private final Kind kind;

    public MetadataUpdateException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
