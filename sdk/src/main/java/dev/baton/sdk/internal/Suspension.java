package dev.baton.sdk.internal;

/**
 * Ends a handler whose run the server has suspended (a durable wait): the worker reports nothing
 * more about the attempt, whose slot the gateway has already freed, and the run is executed again
 * once the wait is over. An {@link Error}, so that task code's {@code catch (Exception e)} does not
 * swallow it; task code must not catch it. Not part of the SDK's API.
 */
public final class Suspension extends Error {

    private final String key;

    public Suspension(String key) {
        // no stack trace: it is control flow, never reported
        super("the run is suspended waiting at '" + key + "'; this execution ends here", null, false, false);
        this.key = key;
    }

    /** The durable key of the wait. */
    public String key() {
        return key;
    }
}
