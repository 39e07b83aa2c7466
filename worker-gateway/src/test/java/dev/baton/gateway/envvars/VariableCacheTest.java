package dev.baton.gateway.envvars;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class VariableCacheTest {

    private static final long PAST_TTL = Duration.ofSeconds(2).toNanos();

    private final AtomicLong now = new AtomicLong();
    private final AtomicInteger reads = new AtomicInteger();
    private volatile Map<String, String> stored = Map.of("GREETING", "hello");

    private Map<String, String> read(String environmentId) {
        reads.incrementAndGet();
        return stored;
    }

    @Test
    void aReadThatFinishesAtOnceDoesNotPinItsValuesPastTheTtl() {
        VariableCache cache = new VariableCache(this::read, Duration.ofSeconds(1), Runnable::run, now::get);

        assertEquals(
                Map.of("GREETING", "hello"),
                cache.load("env").toCompletableFuture().join());
        stored = Map.of("GREETING", "bonjour");
        now.addAndGet(PAST_TTL);

        assertEquals(Optional.empty(), cache.fresh("env"));
        assertEquals(
                Map.of("GREETING", "bonjour"),
                cache.load("env").toCompletableFuture().join());
        assertEquals(Optional.of(Map.of("GREETING", "bonjour")), cache.fresh("env"));
        assertEquals(2, reads.get());
    }

    @Test
    void concurrentMissesShareOneReadAndAFailedReadIsRetried() {
        List<Runnable> pending = new ArrayList<>();
        VariableCache cache = new VariableCache(this::read, Duration.ofSeconds(1), pending::add, now::get);

        var first = cache.load("env").toCompletableFuture();
        var second = cache.load("env").toCompletableFuture();
        assertEquals(1, pending.size());
        pending.remove(0).run();
        assertEquals(Map.of("GREETING", "hello"), first.join());
        assertEquals(first.join(), second.join());
        assertEquals(1, reads.get());

        now.addAndGet(PAST_TTL);
        stored = null; // Map.copyOf(null) fails the read
        var failed = cache.load("env").toCompletableFuture();
        pending.remove(0).run();
        assertTrue(failed.isCompletedExceptionally());
        assertEquals(Optional.of(Map.of("GREETING", "hello")), cache.lastKnown("env"));

        stored = Map.of("GREETING", "hallo");
        var retried = cache.load("env").toCompletableFuture();
        pending.remove(0).run();
        assertEquals(Map.of("GREETING", "hallo"), retried.join());
    }

    @Test
    void withoutAStoreEveryEnvironmentHasNoVariables() {
        assertEquals(Optional.of(Map.of()), VariableCache.none().fresh("env"));
    }
}
