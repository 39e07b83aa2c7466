package dev.baton.engine.run;

/** A run refused a command; {@link #reason()} says why, for the API to pick its status code. */
public final class RunRejectedException extends RuntimeException {

    public enum Reason {
        UNKNOWN_RUN,
        STALE_ATTEMPT,
        NOT_DELAYED,
        TOO_MANY_TAGS,
        METADATA_TOO_LARGE,
        /** The trigger names a version that does not declare its task. */
        UNKNOWN_VERSION,
        INVALID
    }

    private final Reason reason;

    public RunRejectedException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }

    /** Classifies a run entity's error reply by the texts {@link RunEntity} answers with. */
    static RunRejectedException fromReply(String message) {
        Reason reason;
        if (message.startsWith(RunEntity.UNKNOWN_RUN)) reason = Reason.UNKNOWN_RUN;
        else if (message.startsWith(RunEntity.STALE_ATTEMPT)) reason = Reason.STALE_ATTEMPT;
        else if (message.startsWith(RunEntity.NOT_DELAYED)) reason = Reason.NOT_DELAYED;
        else if (message.startsWith(RunEntity.TOO_MANY_TAGS)) reason = Reason.TOO_MANY_TAGS;
        else if (message.startsWith(RunEntity.METADATA_TOO_LARGE)) reason = Reason.METADATA_TOO_LARGE;
        else reason = Reason.INVALID;
        return new RunRejectedException(reason, message);
    }
}
