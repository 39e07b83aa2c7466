package dev.baton.gateway.envvars;

import dev.baton.engine.envvars.EnvironmentVariableStore;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.function.LongSupplier;

/**
 * The node's copy of each environment's variables, as workers get them with every execution: read from the store
 * at most once per {@code ttl} per environment (concurrent misses share one read), so a change reaches workers
 * within that time without a query per execution. A server without an encryption key has no variables.
 */
public final class VariableCache {

    private record Entry(Map<String, String> values, long loadedAtNanos) {}

    private final EnvironmentVariableStore store;
    private final long ttlNanos;
    private final Executor blockingIo;
    private final LongSupplier nanoTime;
    private final ConcurrentHashMap<String, Entry> entries = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, CompletableFuture<Map<String, String>>> loading = new ConcurrentHashMap<>();

    public VariableCache(EnvironmentVariableStore store, Duration ttl, Executor blockingIo) {
        this(store, ttl, blockingIo, System::nanoTime);
    }

    VariableCache(EnvironmentVariableStore store, Duration ttl, Executor blockingIo, LongSupplier nanoTime) {
        this.store = store;
        this.ttlNanos = ttl.toNanos();
        this.blockingIo = blockingIo;
        this.nanoTime = nanoTime;
    }

    /** No store: every environment has no variables (a gateway built without one, as in tests). */
    public static VariableCache none() {
        return new VariableCache(null, Duration.ZERO, Runnable::run);
    }

    /** The environment's variables when the node read them less than {@code ttl} ago; empty means {@link #load}. */
    public Optional<Map<String, String>> fresh(String environmentId) {
        if (store == null || !store.enabled()) return Optional.of(Map.of());
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
        return loading.computeIfAbsent(environmentId, id -> {
            long startedAt = nanoTime.getAsLong();
            CompletableFuture<Map<String, String>> read =
                    CompletableFuture.supplyAsync(() -> Map.copyOf(store.values(id)), blockingIo);
            read.whenComplete((values, failure) -> {
                if (values != null) entries.put(id, new Entry(values, startedAt));
                loading.remove(id);
            });
            return read;
        });
    }
}
