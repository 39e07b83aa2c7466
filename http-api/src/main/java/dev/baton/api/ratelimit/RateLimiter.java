package dev.baton.api.ratelimit;

import static akka.http.javadsl.server.Directives.complete;
import static akka.http.javadsl.server.Directives.onSuccess;
import static akka.http.javadsl.server.Directives.respondWithHeaders;

import akka.actor.typed.ActorSystem;
import akka.http.javadsl.model.HttpHeader;
import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.model.headers.RawHeader;
import akka.http.javadsl.server.Route;
import com.typesafe.config.Config;
import dev.baton.api.errors.ErrorHandling;
import dev.baton.engine.environment.EnvironmentSettings.TriggerRateLimit;
import dev.baton.engine.environment.EnvironmentSettingsStore;
import dev.baton.engine.ratelimit.TokenBucket;
import dev.baton.engine.ratelimit.TriggerRateBucket;
import dev.baton.engine.ratelimit.TriggerRateLimits;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The trigger calls' rate limit (Trigger.dev's API rate limit): a token bucket per environment for the whole
 * cluster ({@link TriggerRateBucket}), holding at most {@code burst} tokens and gaining {@code refill} every
 * {@code interval}, continuously; the environment's own limit when it has one, else {@code baton.http.rate-limit}.
 * Each call takes a token. A call that finds none gets 429 {@code {"error": …}} before its body is read or any
 * actor asked, with {@code x-ratelimit-limit}, {@code x-ratelimit-remaining}, {@code x-ratelimit-reset} (unix
 * milliseconds at which a token is there again: the Trigger.dev SDK waits until then and retries) and
 * {@code retry-after} (seconds). Every answer that went through carries the three {@code x-ratelimit-*} headers.
 *
 * <p>Triggers are the hot path, so this node does not ask the bucket per call: when its own allowance runs out
 * it asks for a share of tokens ({@code refill × grant-fraction}, at least one, at most what the bucket has; the
 * bucket sizes it, alike for every node) and spends them locally; calls that arrive meanwhile wait for that one
 * answer. Tokens it has not spent within {@code interval × lapse-fraction} go back to the bucket, so a node that
 * fell quiet holds none of the cluster's budget. Once the bucket ran dry the node refuses without asking until
 * the bucket's next token or the same lapse, whichever is first.
 */
public final class RateLimiter {

    /** From {@code baton.http.rate-limit}: the default limit and how a node shares an environment's bucket. */
    public record Settings(
            boolean enabled,
            TriggerRateLimit defaultLimit,
            double grantFraction,
            double lapseFraction,
            Duration settingsReloadInterval) {

        public Settings {
            if (!TokenBucket.usable(defaultLimit)) {
                throw new IllegalArgumentException(
                        "baton.http.rate-limit: burst, refill and interval must be positive");
            }
            if (!(grantFraction > 0) || !(lapseFraction > 0)) {
                throw new IllegalArgumentException(
                        "baton.http.rate-limit: grant-fraction and lapse-fraction must be positive");
            }
            if (settingsReloadInterval.isZero() || settingsReloadInterval.isNegative()) {
                throw new IllegalArgumentException("baton.http.rate-limit: settings-reload-interval must be positive");
            }
        }

        public static Settings fromConfig(Config root) {
            Config limit = root.getConfig("baton.http.rate-limit");
            return new Settings(
                    limit.getBoolean("enabled"),
                    new TriggerRateLimit(
                            limit.getLong("burst"), limit.getLong("refill"), limit.getDuration("interval")),
                    limit.getDouble("grant-fraction"),
                    limit.getDouble("lapse-fraction"),
                    limit.getDuration("settings-reload-interval"));
        }
    }

    /** @param resetAtMillis when the bucket's next token arrives (now when the bucket is full) */
    public record Decision(boolean allowed, long limit, long remaining, long resetAtMillis) {}

    private final ActorSystem<?> system;
    private final Settings settings;
    private final TriggerRateLimits buckets;
    private final Clock clock;
    private final ConcurrentHashMap<String, Allowance> allowances = new ConcurrentHashMap<>();

    /** Starts the environments' buckets on this node (sharding), reading overrides through {@code store}. */
    public RateLimiter(ActorSystem<?> system, Settings settings, EnvironmentSettingsStore store, Clock clock) {
        this.system = system;
        this.settings = settings;
        this.clock = clock;
        this.buckets = TriggerRateLimits.init(
                system,
                new TriggerRateBucket.Setup(
                        settings.defaultLimit(),
                        settings.grantFraction(),
                        store::load,
                        settings.settingsReloadInterval(),
                        clock));
    }

    /** Takes a token of the environment's bucket if there is one, waiting for the bucket's answer if need be. */
    public CompletionStage<Decision> take(String environmentId) {
        return allowance(environmentId).take();
    }

    /** Runs {@code inner} if the environment has a token left; otherwise answers 429. */
    public Route limited(String environmentId, Supplier<Route> inner) {
        if (!settings.enabled()) return inner.get();
        Allowance allowance = allowance(environmentId);
        Decision now = allowance.decideLocally();
        if (now != null) return answer(now, allowance.limit(), inner);
        return onSuccess(allowance.take(), decision -> answer(decision, allowance.limit(), inner));
    }

    private Allowance allowance(String environmentId) {
        return allowances.computeIfAbsent(environmentId, Allowance::new);
    }

    private Route answer(Decision decision, TriggerRateLimit limit, Supplier<Route> inner) {
        List<HttpHeader> headers = List.of(
                RawHeader.create("x-ratelimit-limit", Long.toString(decision.limit())),
                RawHeader.create("x-ratelimit-remaining", Long.toString(decision.remaining())),
                RawHeader.create("x-ratelimit-reset", Long.toString(decision.resetAtMillis())));
        if (decision.allowed()) return respondWithHeaders(headers, inner);
        long waitMillis = Math.max(0, decision.resetAtMillis() - clock.millis());
        List<HttpHeader> refused = new ArrayList<>(headers);
        refused.add(RawHeader.create("retry-after", Long.toString(Math.max(1, (waitMillis + 999) / 1000))));
        return complete(ErrorHandling.errorResponse(
                StatusCodes.TOO_MANY_REQUESTS,
                "Rate limit exceeded: at most " + limit.burst() + " requests at once and " + limit.refill() + " per "
                        + describe(limit.interval()) + " for this environment; retry after "
                        + decision.resetAtMillis() + " (x-ratelimit-reset, unix ms)",
                refused));
    }

    private static String describe(Duration interval) {
        long millis = interval.toMillis();
        return millis % 1000 == 0 ? (millis / 1000) + "s" : millis + "ms";
    }

    /** This node's share of one environment's bucket. */
    private final class Allowance {
        private final String environmentId;
        /** Granted by the bucket and not spent yet. */
        private long tokens;
        /** When the unspent tokens go back. */
        private long lapsesAtMillis;
        /** Counts grants, so a lapse scheduled for an earlier one leaves a later one alone. */
        private long grants;
        /** The bucket's last answer; null before the first. */
        private TriggerRateBucket.Granted view;
        /** Until then the bucket is known to be dry: refuse without asking. */
        private long refusedUntilMillis;
        /** The ask under way, which calls finding no tokens wait for; null when none. */
        private CompletableFuture<TriggerRateBucket.Granted> asking;

        Allowance(String environmentId) {
            this.environmentId = environmentId;
        }

        synchronized TriggerRateLimit limit() {
            return view == null ? settings.defaultLimit() : view.limit();
        }

        /** The decision when this node can make it alone (a token in hand, or the bucket known dry); else null. */
        synchronized Decision decideLocally() {
            long now = clock.millis();
            if (tokens > 0 && now >= lapsesAtMillis) giveBack();
            if (tokens > 0) {
                tokens--;
                return new Decision(true, view.limit().burst(), view.remaining() + tokens, view.resetAtMillis());
            }
            if (view != null && now < refusedUntilMillis) {
                return new Decision(false, view.limit().burst(), 0, view.resetAtMillis());
            }
            return null;
        }

        /**
         * Decides locally if it can, else waits for the bucket's answer (asking it unless an ask is under way) and
         * decides again: calls that found the answer's tokens taken by others ask again, until the bucket is dry.
         */
        CompletionStage<Decision> take() {
            CompletableFuture<TriggerRateBucket.Granted> answer;
            synchronized (this) {
                Decision local = decideLocally();
                if (local != null) return CompletableFuture.completedFuture(local);
                if (asking == null) {
                    asking = new CompletableFuture<>();
                    answer = asking;
                    ask(answer);
                } else {
                    answer = asking;
                }
            }
            return answer.thenCompose(granted -> take());
        }

        /** Asks for one token: the bucket grants its share for every node alike, or what it has. */
        private void ask(CompletableFuture<TriggerRateBucket.Granted> answer) {
            buckets.take(environmentId, 1).whenComplete((granted, failure) -> {
                synchronized (this) {
                    asking = null;
                    if (granted != null) received(granted);
                }
                if (failure != null) {
                    answer.completeExceptionally(failure);
                } else {
                    answer.complete(granted);
                }
            });
        }

        private void received(TriggerRateBucket.Granted granted) {
            long now = clock.millis();
            long lapse = Math.max(1, (long) (granted.limit().interval().toMillis() * settings.lapseFraction()));
            view = granted;
            tokens += granted.granted();
            lapsesAtMillis = now + lapse;
            long grant = ++grants;
            if (granted.remaining() == 0) {
                // Dry: no token before its reset, unless another node gives some back (within a lapse).
                refusedUntilMillis = Math.min(granted.resetAtMillis(), now + lapse);
            }
            if (tokens > 0) {
                system.scheduler()
                        .scheduleOnce(Duration.ofMillis(lapse), () -> lapse(grant), system.executionContext());
            }
        }

        private synchronized void lapse(long grant) {
            if (grant == grants) giveBack();
        }

        private void giveBack() {
            buckets.giveBack(environmentId, tokens);
            tokens = 0;
        }
    }
}
