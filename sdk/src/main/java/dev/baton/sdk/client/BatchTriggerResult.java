package dev.baton.sdk.client;

/**
 * The answer to a batch trigger. The runs exist once this is returned; {@link BatonClient#retrieveBatch}
 * lists them.
 *
 * @param batchId  the batch's id ({@code batch_…})
 * @param runCount how many items (runs) the batch has
 * @param isCached true when an idempotency key matched an earlier batch, whose id this is (its items were
 *                 not sent again)
 */
public record BatchTriggerResult(String batchId, int runCount, boolean isCached) {}
