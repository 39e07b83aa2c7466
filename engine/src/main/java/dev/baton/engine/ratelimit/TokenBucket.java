package dev.baton.engine.ratelimit;

import dev.baton.engine.environment.EnvironmentSettings.TriggerRateLimit;

/**
 * A token bucket that refills continuously: at most {@code burst} tokens, {@code refill} more every
 * {@code interval}. Owned by one {@link TriggerRateBucket}, so not thread-safe; times are unix milliseconds.
 */
public final class TokenBucket {

    private TriggerRateLimit limit;
    private double tokensPerMilli;
    private double tokens;
    private long updatedAtMillis;

    /** A full bucket. */
    public TokenBucket(TriggerRateLimit limit, long nowMillis) {
        this.limit = requireUsable(limit);
        this.tokensPerMilli = rate(limit);
        this.tokens = limit.burst();
        this.updatedAtMillis = nowMillis;
    }

    public TriggerRateLimit limit() {
        return limit;
    }

    /** Takes as many whole tokens as there are, up to {@code wanted}; returns how many it took. */
    public long take(long wanted, long nowMillis) {
        refill(nowMillis);
        long taken = Math.max(0, Math.min(wanted, (long) Math.floor(tokens)));
        tokens -= taken;
        return taken;
    }

    /** Tokens a node was granted and did not spend; never beyond the burst. */
    public void giveBack(long returned, long nowMillis) {
        refill(nowMillis);
        tokens = Math.min(limit.burst(), tokens + Math.max(0, returned));
    }

    /**
     * Applies another limit. The tokens left stay (no more than the new burst): raising the limit does not
     * hand out a fresh burst, lowering it takes effect at once.
     */
    public void limit(TriggerRateLimit next, long nowMillis) {
        refill(nowMillis);
        limit = requireUsable(next);
        tokensPerMilli = rate(next);
        tokens = Math.min(tokens, next.burst());
    }

    /** Whole tokens left. */
    public long remaining(long nowMillis) {
        refill(nowMillis);
        return (long) Math.floor(tokens);
    }

    /** When the next whole token is there; {@code nowMillis} when the bucket is full. */
    public long resetAtMillis(long nowMillis) {
        refill(nowMillis);
        if (tokens >= limit.burst()) return nowMillis;
        // Less a hair for the doubles' rounding: 1 - 0.999 is not quite 0.001.
        return nowMillis + (long) Math.ceil((Math.floor(tokens) + 1 - tokens) / tokensPerMilli - 1e-6);
    }

    public boolean full(long nowMillis) {
        refill(nowMillis);
        return tokens >= limit.burst();
    }

    /** Whether a limit can drive a bucket: every part positive. */
    public static boolean usable(TriggerRateLimit limit) {
        return limit != null
                && limit.burst() >= 1
                && limit.refill() >= 1
                && limit.interval() != null
                && limit.interval().toMillis() >= 1;
    }

    private static TriggerRateLimit requireUsable(TriggerRateLimit limit) {
        if (!usable(limit)) {
            throw new IllegalArgumentException(
                    "a trigger rate limit needs a positive burst, refill and interval: " + limit);
        }
        return limit;
    }

    private static double rate(TriggerRateLimit limit) {
        return (double) limit.refill() / limit.interval().toMillis();
    }

    private void refill(long nowMillis) {
        tokens = Math.min(limit.burst(), tokens + Math.max(0, nowMillis - updatedAtMillis) * tokensPerMilli);
        updatedAtMillis = Math.max(nowMillis, updatedAtMillis);
    }
}
