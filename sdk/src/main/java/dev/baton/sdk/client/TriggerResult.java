package dev.baton.sdk.client;

/**
 * The answer to a trigger.
 *
 * @param id       the run's id ({@code run_…})
 * @param isCached true when an idempotency key matched an earlier run, whose id this is
 */
public record TriggerResult(String id, boolean isCached) {}
