package dev.baton.api.ratelimit;

import static akka.http.javadsl.server.Directives.complete;
import static akka.http.javadsl.server.Directives.respondWithHeaders;

import akka.http.javadsl.model.HttpHeader;
import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.model.headers.RawHeader;
import akka.http.javadsl.server.Route;
import com.typesafe.config.Config;
import dev.baton.api.errors.ErrorHandling;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * A token bucket per environment in front of the trigger calls (Trigger.dev's API rate limit): each call
 * takes a token; the bucket holds at most {@code burst} and gains {@code refill} tokens every
 * {@code interval}, continuously. A call that finds it empty gets 429 {@code {"error": …}} before its body is
 * read or any actor asked, with {@code x-ratelimit-limit}, {@code x-ratelimit-remaining},
 * {@code x-ratelimit-reset} (unix milliseconds at which a token is there again: the Trigger.dev SDK waits
 * until then and retries) and {@code retry-after} (seconds). Every answer that went through carries the
 * three {@code x-ratelimit-*} headers too. The buckets live in the node's memory: with N nodes behind a load
 * balancer an environment may make up to N times the configured rate.
 */
public final class RateLimiter {

    /** From {@code baton.http.rate-limit}. */
    public record Settings(boolean enabled, long burst, long refill, Duration interval) {
        public static Settings fromConfig(Config root) {
            Config limit = root.getConfig("baton.http.rate-limit");
            Settings settings = new Settings(
                    limit.getBoolean("enabled"),
                    limit.getLong("burst"),
                    limit.getLong("refill"),
                    limit.getDuration("interval"));
            if (settings.burst() < 1
                    || settings.refill() < 1
                    || settings.interval().isZero()
                    || settings.interval().isNegative()) {
                throw new IllegalArgumentException(
                        "baton.http.rate-limit: burst, refill and interval must be positive");
            }
            return settings;
        }
    }

    /** @param resetAtMillis when the next token arrives (now when the bucket is full) */
    public record Decision(boolean allowed, long limit, long remaining, long resetAtMillis) {}

    private static final class Bucket {
        double tokens;
        long updatedAtMillis;

        Bucket(double tokens, long updatedAtMillis) {
            this.tokens = tokens;
            this.updatedAtMillis = updatedAtMillis;
        }
    }

    private final Settings settings;
    private final Clock clock;
    private final double tokensPerMilli;
    private final ConcurrentHashMap<String, Bucket> buckets = new ConcurrentHashMap<>();

    public RateLimiter(Settings settings, Clock clock) {
        this.settings = settings;
        this.clock = clock;
        this.tokensPerMilli = (double) settings.refill() / settings.interval().toMillis();
    }

    /** Takes a token of {@code key}'s bucket if there is one. */
    public Decision take(String key) {
        long now = clock.millis();
        Bucket bucket = buckets.computeIfAbsent(key, k -> new Bucket(settings.burst(), now));
        synchronized (bucket) {
            double refilled = Math.min(
                    settings.burst(), bucket.tokens + Math.max(0, now - bucket.updatedAtMillis) * tokensPerMilli);
            bucket.updatedAtMillis = Math.max(now, bucket.updatedAtMillis);
            boolean allowed = refilled >= 1;
            bucket.tokens = allowed ? refilled - 1 : refilled;
            long resetAt = bucket.tokens >= settings.burst()
                    ? now
                    : now + (long) Math.ceil((Math.floor(bucket.tokens) + 1 - bucket.tokens) / tokensPerMilli);
            return new Decision(allowed, settings.burst(), (long) Math.floor(bucket.tokens), resetAt);
        }
    }

    /** Runs {@code inner} if the environment has a token left; otherwise answers 429. */
    public Route limited(String environmentId, Supplier<Route> inner) {
        if (!settings.enabled()) return inner.get();
        Decision decision = take(environmentId);
        List<HttpHeader> headers = List.of(
                RawHeader.create("x-ratelimit-limit", Long.toString(decision.limit())),
                RawHeader.create("x-ratelimit-remaining", Long.toString(decision.remaining())),
                RawHeader.create("x-ratelimit-reset", Long.toString(decision.resetAtMillis())));
        if (!decision.allowed()) {
            long waitMillis = Math.max(0, decision.resetAtMillis() - clock.millis());
            List<HttpHeader> refused = new java.util.ArrayList<>(headers);
            refused.add(RawHeader.create("retry-after", Long.toString(Math.max(1, (waitMillis + 999) / 1000))));
            return complete(ErrorHandling.errorResponse(
                    StatusCodes.TOO_MANY_REQUESTS,
                    "Rate limit exceeded: at most " + settings.burst() + " requests at once and " + settings.refill()
                            + " per " + describe(settings.interval()) + " for this environment; retry after "
                            + decision.resetAtMillis() + " (x-ratelimit-reset, unix ms)",
                    refused));
        }
        return respondWithHeaders(headers, inner);
    }

    private static String describe(Duration interval) {
        long millis = interval.toMillis();
        return millis % 1000 == 0 ? (millis / 1000) + "s" : millis + "ms";
    }
}
