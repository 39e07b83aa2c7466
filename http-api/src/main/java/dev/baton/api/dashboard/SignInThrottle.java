package dev.baton.api.dashboard;

import com.typesafe.config.Config;
import dev.baton.engine.environment.EnvironmentSettings.TriggerRateLimit;
import dev.baton.engine.ratelimit.TokenBucket;
import java.util.HashMap;
import java.util.Map;

/**
 * Failed dashboard sign-ins per client address ({@code baton.http.dashboard.sign-in-throttle}): each failure
 * takes a token from that address's bucket, and an address whose bucket is empty is refused before its credential
 * is even looked up. Credentials are far too long to guess, so this is about a script hammering the sign-in (a
 * database read each) and about making a search for a leaked key's rest plainly fail. Counted per node: a
 * cluster of n nodes lets an address try n times as often, which is still hopeless for a guess.
 */
final class SignInThrottle {

    /** Buckets past this many are swept of full (forgiven) ones, so passing addresses do not pile up. */
    private static final int SWEEP_ABOVE = 1024;

    private final TriggerRateLimit failures;
    private final boolean useForwardedFor;
    private final Map<String, TokenBucket> buckets = new HashMap<>();

    SignInThrottle(TriggerRateLimit failures, boolean useForwardedFor) {
        if (!TokenBucket.usable(failures)) {
            throw new IllegalArgumentException(
                    "baton.http.dashboard.sign-in-throttle: burst, refill and interval must be positive");
        }
        this.failures = failures;
        this.useForwardedFor = useForwardedFor;
    }

    static SignInThrottle fromConfig(Config config) {
        Config throttle = config.getConfig("baton.http.dashboard.sign-in-throttle");
        return new SignInThrottle(
                new TriggerRateLimit(
                        throttle.getLong("burst"), throttle.getLong("refill"), throttle.getDuration("interval")),
                throttle.getBoolean("use-forwarded-for"));
    }

    /** Behind a reverse proxy every connection comes from the proxy: then its X-Forwarded-For names the client. */
    boolean useForwardedFor() {
        return useForwardedFor;
    }

    /** Milliseconds until the address may try again; 0 when it may now. */
    synchronized long retryAfterMillis(String address, long nowMillis) {
        TokenBucket bucket = buckets.get(address);
        if (bucket == null || bucket.remaining(nowMillis) > 0) return 0;
        return Math.max(1, bucket.resetAtMillis(nowMillis) - nowMillis);
    }

    synchronized void failed(String address, long nowMillis) {
        if (buckets.size() > SWEEP_ABOVE) buckets.values().removeIf(bucket -> bucket.full(nowMillis));
        buckets.computeIfAbsent(address, any -> new TokenBucket(failures, nowMillis))
                .take(1, nowMillis);
    }
}
