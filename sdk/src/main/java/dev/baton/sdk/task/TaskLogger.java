package dev.baton.sdk.task;

import java.time.Instant;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The run's log, from {@link TaskContext#logger()}: lines logged here are stored with the run and the attempt and
 * read through {@code GET /api/v1/runs/{id}/logs} and the dashboard's run page.
 *
 * <p>It reads like SLF4J: {@code trace}, {@code debug}, {@code info}, {@code warn} and {@code error} take a message
 * whose {@code {}} placeholders are filled with the arguments in order ({@code \{}} is a literal {@code {}}). After the
 * arguments the placeholders use, a trailing {@link Map} is the line's structured attributes and a trailing
 * {@link Throwable} its error, logged with its stack trace (as in SLF4J, a last argument that is a Throwable is
 * always the error):
 *
 * <pre>{@code
 * ctx.logger().info("charged {} cents", amount, Map.of("orderId", id));
 * ctx.logger().error("charge failed for {}", id, exception);
 * TaskLogger log = ctx.logger().with("orderId", id);   // attributes on every line of `log`
 * log.warn("retrying the charge");
 * }</pre>
 *
 * Attribute values become JSON (a value that cannot becomes its {@code toString()}). Logging never blocks and never
 * throws: lines are buffered by the worker and sent in batches. Past the worker's rate limit (10,000 lines per second
 * by default, {@code BatonWorker.Builder.logRateLimit}) or a full buffer, lines are dropped, and a line saying how
 * many were dropped takes their place. Immutable and thread-safe.
 */
public final class TaskLogger {

    private final AttemptLink link;
    private final Map<String, Object> bound;

    TaskLogger(AttemptLink link, Map<String, Object> bound) {
        this.link = link;
        this.bound = bound;
    }

    /** A logger whose lines also carry this attribute (a later {@code with} or a line's own attribute wins). */
    public TaskLogger with(String key, Object value) {
        Objects.requireNonNull(key, "key");
        Map<String, Object> attributes = new LinkedHashMap<>(bound);
        attributes.put(key, value);
        return new TaskLogger(link, Collections.unmodifiableMap(attributes));
    }

    /** A logger whose lines also carry these attributes. */
    public TaskLogger with(Map<String, ?> attributes) {
        Map<String, Object> merged = new LinkedHashMap<>(bound);
        merged.putAll(attributes);
        return new TaskLogger(link, Collections.unmodifiableMap(merged));
    }

    public void trace(String message, Object... args) {
        log(LogLevel.TRACE, message, args);
    }

    public void debug(String message, Object... args) {
        log(LogLevel.DEBUG, message, args);
    }

    public void info(String message, Object... args) {
        log(LogLevel.INFO, message, args);
    }

    public void warn(String message, Object... args) {
        log(LogLevel.WARN, message, args);
    }

    public void error(String message, Object... args) {
        log(LogLevel.ERROR, message, args);
    }

    /** Logs at {@code level}, as the methods named after each level do. */
    public void log(LogLevel level, String message, Object... args) {
        try {
            link.log(entry(Instant.now(), level, message, args));
        } catch (RuntimeException e) {
            // logging must never fail a handler; the worker counts what it could not take
        }
    }

    LogEntry entry(Instant at, LogLevel level, String message, Object[] args) {
        Object[] arguments = args == null ? new Object[0] : args;
        String pattern = message == null ? "null" : message;
        int placeholders = placeholders(pattern);
        int end = arguments.length;
        Throwable error = null;
        if (end > 0 && arguments[end - 1] instanceof Throwable thrown) {
            error = thrown;
            end--;
        }
        Map<String, Object> attributes = new LinkedHashMap<>(bound);
        if (end > placeholders && arguments[end - 1] instanceof Map<?, ?> extra) {
            extra.forEach((key, value) -> attributes.put(String.valueOf(key), value));
            end--;
        }
        return new LogEntry(
                at,
                level,
                format(pattern, Arrays.copyOf(arguments, end)),
                Collections.unmodifiableMap(attributes),
                error);
    }

    private static int placeholders(String pattern) {
        int count = 0;
        for (int i = pattern.indexOf("{}"); i >= 0; i = pattern.indexOf("{}", i + 2))
            if (i == 0 || pattern.charAt(i - 1) != '\\') count++;
        return count;
    }

    /** Fills the placeholders in order; placeholders without an argument stay as they are. */
    static String format(String pattern, Object[] args) {
        StringBuilder out = new StringBuilder(pattern.length() + 16 * args.length);
        int next = 0;
        int from = 0;
        for (int i = pattern.indexOf("{}"); i >= 0; i = pattern.indexOf("{}", from)) {
            if (i > 0 && pattern.charAt(i - 1) == '\\') {
                out.append(pattern, from, i - 1).append("{}");
            } else if (next < args.length) {
                out.append(pattern, from, i).append(text(args[next++]));
            } else {
                out.append(pattern, from, i + 2);
            }
            from = i + 2;
        }
        return out.append(pattern, from, pattern.length()).toString();
    }

    private static String text(Object arg) {
        if (arg instanceof Object[] array) return Arrays.deepToString(array);
        if (arg != null && arg.getClass().isArray()) {
            String wrapped = Arrays.deepToString(new Object[] {arg}); // formats a primitive array too
            return wrapped.substring(1, wrapped.length() - 1);
        }
        return String.valueOf(arg);
    }
}
