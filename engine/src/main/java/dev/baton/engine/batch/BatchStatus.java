package dev.baton.engine.batch;

/** A batch's status, Trigger.dev's names. */
public enum BatchStatus {
    /** No batch under this id. */
    NEW,
    /** Created; no item recorded yet. */
    PENDING,
    /** Some items recorded, not all {@code runCount} of them. */
    PROCESSING,
    /** Every item recorded, each with its run. */
    COMPLETED,
    /** Every item recorded, some of them failed (their errors say why). */
    PARTIAL_FAILED
}
