package dev.baton.api.auth;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The scopes of a public access token, in Trigger.dev's grammar ({@code action:type[:id]}, see
 * {@code buildJwtAbility} in Trigger.dev's packages/plugins/src/rbac.ts): only the first two colons separate, so
 * an id may hold colons (a tag such as {@code env:staging}); {@code action:type} without an id covers every
 * resource of the type; {@code read:all} covers every type for reading; the bare {@code admin} covers
 * everything. A scope matches a resource when its action, type and (if it has one) id are equal.
 *
 * <p>A token is minted only with scopes of the vocabulary below: the resources Baton's routes check, so a
 * mistyped scope is refused instead of minting a token that silently grants nothing.
 */
public record Scopes(List<String> scopes) {

    public static final String READ = "read";
    public static final String WRITE = "write";
    public static final String TRIGGER = "trigger";
    public static final String BATCH_TRIGGER = "batchTrigger";
    public static final String RUNS = "runs";
    public static final String TASKS = "tasks";
    public static final String TAGS = "tags";
    public static final String BATCH = "batch";
    public static final String WAITPOINTS = "waitpoints";
    private static final String ALL = "all";
    private static final String ADMIN = "admin";

    /** The types each action may name when a token is minted. */
    private static final Map<String, Set<String>> VOCABULARY = new TreeMap<>(Map.of(
            READ,
            new TreeSet<>(Set.of(RUNS, TASKS, TAGS, BATCH, ALL)),
            TRIGGER,
            Set.of(TASKS),
            BATCH_TRIGGER,
            new TreeSet<>(Set.of(TASKS, BATCH)),
            WRITE,
            Set.of(WAITPOINTS)));

    /** A resource a route checks: its type and id (null: the whole type, as a collection). */
    public record Resource(String type, String id) {
        public static Resource of(String type, String id) {
            return new Resource(type, id);
        }

        public static Resource all(String type) {
            return new Resource(type, null);
        }
    }

    public Scopes {
        scopes = List.copyOf(scopes);
    }

    /** Whether any scope grants {@code action} on the resource. */
    public boolean allows(String action, Resource resource) {
        for (String scope : scopes) {
            if (matches(scope, action, resource)) return true;
        }
        return false;
    }

    /** Whether a scope grants {@code action} on at least one of the resources (a run is its id, task, tags…). */
    public boolean allowsAny(String action, List<Resource> resources) {
        return resources.stream().anyMatch(resource -> allows(action, resource));
    }

    private static boolean matches(String scope, String action, Resource resource) {
        int first = scope.indexOf(':');
        if (first < 0) return scope.equals(ADMIN);
        if (!scope.substring(0, first).equals(action)) return false;
        int second = scope.indexOf(':', first + 1);
        String type = second < 0 ? scope.substring(first + 1) : scope.substring(first + 1, second);
        if (type.equals(ALL)) return true;
        if (!type.equals(resource.type())) return false;
        if (second < 0 || second == scope.length() - 1) return true;
        return scope.substring(second + 1).equals(resource.id());
    }

    /** Why a scope asked for at mint time is outside the grammar, or empty when it is valid. */
    public static Optional<String> invalid(String scope) {
        if (scope.equals(ADMIN)) return Optional.empty();
        String[] parts = scope.split(":", 3);
        if (parts.length < 2) return Optional.of("'" + scope + "' is not of the form action:type[:id] (or 'admin')");
        Set<String> types = VOCABULARY.get(parts[0]);
        if (types == null) {
            return Optional.of(
                    "'" + scope + "' has an unknown action '" + parts[0] + "' (one of " + VOCABULARY.keySet() + ")");
        }
        if (!types.contains(parts[1])) {
            return Optional.of(
                    "'" + scope + "': the action '" + parts[0] + "' applies to " + types + ", not '" + parts[1] + "'");
        }
        if (parts.length == 3 && parts[2].isBlank()) return Optional.of("'" + scope + "' has an empty id");
        if (parts[1].equals(ALL) && parts.length == 3) return Optional.of("'" + scope + "': 'all' takes no id");
        return Optional.empty();
    }
}
