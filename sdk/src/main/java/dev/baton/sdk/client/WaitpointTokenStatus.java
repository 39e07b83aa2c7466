package dev.baton.sdk.client;

/** Where a waitpoint token stands: waiting, completed with data, or timed out. Final once not WAITING. */
public enum WaitpointTokenStatus {
    WAITING,
    COMPLETED,
    TIMED_OUT
}
