package dev.baton.engine.environment;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * What this node learned about a credential, for at most {@code ttl}: a revocation or expiry stored by any node is
 * seen by every node within {@code ttl}, with no messages between nodes, while a busy key costs one query per node
 * per {@code ttl}. An entry never outlives the credential's own expiry, except while the database cannot be read.
 */
final class CredentialCache<V> {

    /** A credential found valid: what it opens, and until when it may be trusted without asking again. */
    record Found<V>(V value, Instant expiresAt) {}

    private record Entry<V>(V value, Instant trustedUntil, Instant expiresAt) {}

    private final Clock clock;
    private final Duration ttl;
    private final ConcurrentHashMap<String, Entry<V>> entries = new ConcurrentHashMap<>();

    CredentialCache(Clock clock, Duration ttl) {
        this.clock = clock;
        this.ttl = ttl;
    }

    Optional<V> get(String hash, Function<String, Optional<Found<V>>> lookup) {
        Instant now = clock.instant();
        Entry<V> cached = entries.get(hash);
        if (cached != null && now.isBefore(cached.trustedUntil())) return Optional.of(cached.value());
        Optional<Found<V>> found;
        try {
            found = lookup.apply(hash);
        } catch (RuntimeException unreadable) {
            // The database is down: a credential this node knew keeps its last answer until it can be asked again,
            // so the node answers what it can (a 503 from the store, not a 401 or a 500 from here).
            boolean stillValid = cached != null && (cached.expiresAt() == null || now.isBefore(cached.expiresAt()));
            if (stillValid) return Optional.of(cached.value());
            throw unreadable;
        }
        if (found.isEmpty()) {
            entries.remove(hash);
            return Optional.empty();
        }
        Instant trustedUntil = now.plus(ttl);
        Instant expiresAt = found.get().expiresAt();
        if (expiresAt != null && expiresAt.isBefore(trustedUntil)) trustedUntil = expiresAt;
        entries.put(hash, new Entry<>(found.get().value(), trustedUntil, expiresAt));
        return Optional.of(found.get().value());
    }

    /** This node's own changes take effect at once; other nodes' within {@code ttl}. */
    void clear() {
        entries.clear();
    }
}
