package dev.baton.sdk.task;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * The keys of one execution's durable calls, which find their memoized results: a step's name
 * ({@code charge}, then {@code charge#2}, … when the name is used again), and per kind of wait a
 * number in call order ({@code wait#1}, {@code runs#1}, {@code token#1}). Step names may not
 * contain {@code #} nor be a kind's name, so the two never collide. Thread-safe.
 */
final class DurableKeys {

    public static final String WAIT = "wait";
    public static final String RUNS = "runs";
    public static final String TOKEN = "token";
    /** The longest step name. */
    public static final int MAX_STEP_NAME_LENGTH = 200;

    private static final Set<String> KINDS = Set.of(WAIT, RUNS, TOKEN);

    private final Map<String, Integer> stepNames = new HashMap<>();
    private final Map<String, Integer> kinds = new HashMap<>();

    /**
     * The key of the next step named {@code name}.
     *
     * @throws IllegalArgumentException when the name is blank, too long or reserved
     */
    public String step(String name) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("a step needs a name");
        }
        if (name.length() > MAX_STEP_NAME_LENGTH) {
            throw new IllegalArgumentException("step names are at most " + MAX_STEP_NAME_LENGTH + " characters");
        }
        if (name.indexOf('#') >= 0 || KINDS.contains(name)) {
            throw new IllegalArgumentException("step name '" + name + "' is reserved: names may not contain '#' "
                    + "nor be wait, runs or token (the keys of waits, child runs and tokens)");
        }
        int count;
        synchronized (this) {
            count = stepNames.merge(name, 1, Integer::sum);
        }
        return count == 1 ? name : name + "#" + count;
    }

    /** The key of the next durable call of {@code kind} ({@link #WAIT}, {@link #RUNS} or {@link #TOKEN}). */
    public synchronized String next(String kind) {
        return kind + "#" + kinds.merge(kind, 1, Integer::sum);
    }
}
