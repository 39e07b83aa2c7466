package dev.baton.gateway.envvars;

import dev.baton.engine.envvars.EnvironmentVariableStore;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * The node's copy of each environment's variables, as workers get them with every execution: read from the store
 * at most once per {@code ttl} per environment (concurrent misses share one read), so a change reaches workers
 * within that time without a query per execution. A server without an encryption key has no variables.
 */
public final class VariableCache {

    private record Entry(Map<String, String> values, long loadedAtNanos) {}

    /** Reads an environment's variables; null when the server has no variables (no store or no key). */
    private final Function<String, Map<String, String>> reader;

    private final long ttlNanos;
    private final Executor blockingIo;
    private final LongSupplier nanoTime;
    private final ConcurrentHashMap<String, Entry> entries = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, CompletableFuture<Map<String, String>>> loading = new ConcurrentHashMap<>();

    public VariableCache(EnvironmentVariableStore store, Duration ttl, Executor blockingIo) {
        this(store.enabled() ? store::values : null, ttl, blockingIo, System::nanoTime);
    }

    VariableCache(
            Function<String, Map<String, String>> reader, Duration ttl, Executor blockingIo, LongSupplier nanoTime) {
        this.reader = reader;
        this.ttlNanos = ttl.toNanos();
        this.blockingIo = blockingIo;
        this.nanoTime = nanoTime;
    }

    /** No store: every environment has no variables (a gateway built without one, as in tests). */
    public static VariableCache none() {
        return new VariableCache(null, Duration.ZERO, Runnable::run, System::nanoTime);
    }

    /** The environment's variables when the node read them less than {@code ttl} ago; empty means {@link #load}. */
    public Optional<Map<String, String>> fresh(String environmentId) {
        if (reader == null) return Optional.of(Map.of());
        Entry entry = entries.get(environmentId);
        if (entry == null || nanoTime.getAsLong() - entry.loadedAtNanos() >= ttlNanos) return Optional.empty();
        return Optional.of(entry.values());
    }

    /** The last values read, however old; empty when none was ever read on this node. */
    public Optional<Map<String, String>> lastKnown(String environmentId) {
        Entry entry = entries.get(environmentId);
        return entry == null ? Optional.empty() : Optional.of(entry.values());
    }

    /** Reads the variables again (on the blocking-IO executor), sharing a read already under way. */
    public CompletionStage<Map<String, String>> load(String environmentId) {
        Optional<Map<String, String>> fresh = fresh(environmentId);
        if (fresh.isPresent()) return CompletableFuture.completedFuture(fresh.get());
        // The map holds the shared future, not the read: the read may finish before it could be registered, and
        // its clean-up must never run inside a map update (that would leave a finished read there for good).
        CompletableFuture<Map<String, String>> shared = new CompletableFuture<>();
        CompletableFuture<Map<String, String>> underWay = loading.putIfAbsent(environmentId, shared);
        if (underWay != null) return underWay;
        long startedAt = nanoTime.getAsLong();
        CompletableFuture.supplyAsync(() -> Map.copyOf(reader.apply(environmentId)), blockingIo)
                .whenComplete((values, failure) -> {
                    if (values != null) entries.put(environmentId, new Entry(values, startedAt));
                    loading.remove(environmentId, shared);
                    if (failure != null) shared.completeExceptionally(failure);
                    else shared.complete(values);
                });
        return shared;
    }
}
