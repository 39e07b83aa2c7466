package dev.baton.sdk.task;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.regex.Pattern;

/**
 * A task a worker can run: its id (what clients trigger), the type its JSON payload is decoded
 * into, its handler, and how the server queues, retries and times out its runs.
 *
 * <pre>{@code
 * record Resize(String url, int width) {}
 * Task<Resize, String> resize = Task.define("images/resize", Resize.class, (p, ctx) -> resizer.resize(p.url(),
 * p.width()))
 *         .queue("images", 4)
 *         .retry(RetryPolicy.attempts(5))
 *         .maxDuration(Duration.ofMinutes(2))
 *         .build();
 * }</pre>
 *
 * <p>The payload type may be any Jackson-readable class (a record is typical), {@code JsonNode}
 * for the raw JSON, {@code Object} for maps and lists, or {@code Void} to ignore the payload.
 * Unknown JSON properties are ignored. The output is written with Jackson as any JSON value.
 *
 * @param <P> payload type
 * @param <R> output type
 */
public final class Task<P, R> {

    private static final Pattern ID_PATTERN = Pattern.compile("^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,127}$");

    private final String id;
    private final Class<P> payloadType;
    private final TaskHandler<P, R> handler;
    private final String queueName;
    private final Integer concurrencyLimit;
    private final Integer globalConcurrencyLimit;
    private final RateLimit rateLimit;
    private final RetryPolicy retry;
    private final Duration maxDuration;

    private Task(Builder<P, R> builder) {
        this.id = builder.id;
        this.payloadType = builder.payloadType;
        this.handler = builder.handler;
        this.queueName = builder.queueName;
        this.concurrencyLimit = builder.concurrencyLimit;
        this.globalConcurrencyLimit = builder.globalConcurrencyLimit;
        this.rateLimit = builder.rateLimit;
        this.retry = builder.retry;
        this.maxDuration = builder.maxDuration;
    }

    /**
     * Starts defining a task.
     *
     * @throws IllegalArgumentException when the id does not match {@code ^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,127}$}
     */
    public static <P, R> Builder<P, R> define(String id, Class<P> payloadType, TaskHandler<P, R> handler) {
        return new Builder<>(id, payloadType, handler);
    }

    /** Whether the server accepts {@code id} as a task id. */
    public static boolean isValidId(String id) {
        return id != null && ID_PATTERN.matcher(id).matches();
    }

    public String id() {
        return id;
    }

    public Class<P> payloadType() {
        return payloadType;
    }

    public TaskHandler<P, R> handler() {
        return handler;
    }

    /** The declared queue; empty means the server's default queue {@code task/<id>}. */
    public Optional<String> queueName() {
        return Optional.ofNullable(queueName);
    }

    /**
     * How many runs of the queue may execute at once across all workers (per concurrency key, when
     * runs are triggered with one); empty means no limit.
     */
    public OptionalInt concurrencyLimit() {
        return concurrencyLimit == null ? OptionalInt.empty() : OptionalInt.of(concurrencyLimit);
    }

    /** How many runs of the queue may execute at once across all its concurrency keys; empty means no cap. */
    public OptionalInt globalConcurrencyLimit() {
        return globalConcurrencyLimit == null ? OptionalInt.empty() : OptionalInt.of(globalConcurrencyLimit);
    }

    /**
     * How often runs of the queue may start (per concurrency key, when runs are triggered with one); empty means no
     * limit.
     */
    public Optional<RateLimit> rateLimit() {
        return Optional.ofNullable(rateLimit);
    }

    public RetryPolicy retry() {
        return retry;
    }

    /**
     * At most {@code limit} starts in any {@code period} (Baton's extension): the server spaces them evenly, one every
     * period / limit.
     */
    public record RateLimit(int limit, Duration period) {
        public RateLimit {
            if (limit < 1) throw new IllegalArgumentException("rateLimit limit must be at least 1, was " + limit);
            Objects.requireNonNull(period, "period");
            if (period.compareTo(Duration.ofMillis(1)) < 0
                    || period.compareTo(Duration.ofDays(7)) > 0
                    || period.getNano() % 1_000_000 != 0) {
                throw new IllegalArgumentException(
                        "rateLimit period must be whole milliseconds from 1 ms to 7 days, was " + period);
            }
        }

        /** The period as the protocol writes it: {@code "90s"}, {@code "500ms"}. */
        public String periodText() {
            long millis = period.toMillis();
            return millis % 1000 == 0 ? millis / 1000 + "s" : millis + "ms";
        }
    }

    /** How long one attempt may run before the server times the run out; empty means no limit. */
    public Optional<Duration> maxDuration() {
        return Optional.ofNullable(maxDuration);
    }

    @Override
    public String toString() {
        return "Task[" + id + ", payload " + payloadType.getSimpleName() + "]";
    }

    public static final class Builder<P, R> {
        private final String id;
        private final Class<P> payloadType;
        private final TaskHandler<P, R> handler;
        private String queueName;
        private Integer concurrencyLimit;
        private Integer globalConcurrencyLimit;
        private RateLimit rateLimit;
        private RetryPolicy retry = RetryPolicy.defaults();
        private Duration maxDuration;

        private Builder(String id, Class<P> payloadType, TaskHandler<P, R> handler) {
            if (!isValidId(id)) {
                throw new IllegalArgumentException("invalid task id '" + id
                        + "': use 1-128 letters, digits or _ . : / -, starting with a letter or digit");
            }
            this.id = id;
            this.payloadType = Objects.requireNonNull(payloadType, "payloadType");
            this.handler = Objects.requireNonNull(handler, "handler");
        }

        /**
         * Runs in the named queue, of which at most {@code concurrencyLimit} runs execute at once
         * (per concurrency key, for runs triggered with one).
         */
        public Builder<P, R> queue(String name, int concurrencyLimit) {
            requireLimit(concurrencyLimit, "concurrencyLimit");
            queue(name);
            this.concurrencyLimit = concurrencyLimit;
            return this;
        }

        /**
         * Runs in the named queue with {@code concurrencyLimit} per concurrency key and, across all
         * keys of the queue together, at most {@code globalConcurrencyLimit} (Baton's extension).
         * E.g. {@code queue("per-user", 1, 10)}: one run per user, ten users at a time.
         */
        public Builder<P, R> queue(String name, int concurrencyLimit, int globalConcurrencyLimit) {
            requireLimit(globalConcurrencyLimit, "globalConcurrencyLimit");
            queue(name, concurrencyLimit);
            this.globalConcurrencyLimit = globalConcurrencyLimit;
            return this;
        }

        private static void requireLimit(int limit, String name) {
            if (limit < 1) {
                throw new IllegalArgumentException(name + " must be at least 1, was " + limit);
            }
        }

        /** Runs in the named queue, without a concurrency limit of its own. */
        public Builder<P, R> queue(String name) {
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException("queue name must not be blank");
            }
            this.queueName = name;
            this.concurrencyLimit = null;
            this.globalConcurrencyLimit = null;
            return this;
        }

        /**
         * Starts at most {@code limit} runs of the task's queue (the one named with {@link #queue(String)}, else the
         * task's own) in any {@code period}, per concurrency key when runs are triggered with one. Baton's extension;
         * the server spaces the starts evenly, one every period / limit. E.g. {@code rateLimit(10,
         * Duration.ofMinutes(1))}: one start every 6 s.
         */
        public Builder<P, R> rateLimit(int limit, Duration period) {
            this.rateLimit = new RateLimit(limit, period);
            return this;
        }

        public Builder<P, R> retry(RetryPolicy retry) {
            this.retry = Objects.requireNonNull(retry, "retry");
            return this;
        }

        /** Limits one attempt's run time; the protocol counts whole seconds, so this rounds up. */
        public Builder<P, R> maxDuration(Duration maxDuration) {
            if (maxDuration == null || maxDuration.isNegative() || maxDuration.isZero()) {
                throw new IllegalArgumentException("maxDuration must be positive, was " + maxDuration);
            }
            this.maxDuration = maxDuration;
            return this;
        }

        public Task<P, R> build() {
            return new Task<>(this);
        }
    }
}
