package dev.baton.engine.run;

import dev.baton.engine.common.CborSerializable;
import java.time.Duration;
import java.util.List;

/**
 * A trigger's {@code options.debounce}, Trigger.dev's: triggers of one task in one environment with the same
 * {@code key} collapse into one run while that run is still DELAYED. Each trigger pushes the run's start to
 * now + {@code delay}; {@code mode} says whose payload it runs with. Part of {@link TriggerRequest}, so fields are
 * only ever added.
 *
 * @param maxDelay how long after the run's first trigger it may still be pushed back; null for no bound
 */
public record Debounce(String key, Duration delay, Mode mode, Duration maxDelay) implements CborSerializable {

    /** Trigger.dev's bounds: a key of 1 to 512 characters, a delay of at least a second. */
    public static final int MAX_KEY_LENGTH = 512;

    public static final Duration MIN_DELAY = Duration.ofSeconds(1);

    public enum Mode {
        /** The run keeps the first trigger's payload, metadata and tags (Trigger.dev's default). */
        LEADING,
        /** Each trigger replaces the run's payload, and its metadata, tags, maxAttempts and maxDuration if given. */
        TRAILING
    }

    /**
     * What a trailing trigger replaces in the run it pushes back; null fields (and no tags) leave the run's as they
     * are, except the payload, which always comes from the latest trigger (Trigger.dev's rules).
     */
    public record TrailingFields(
            String payloadJson,
            String payloadType,
            String metadataJson,
            List<String> tags,
            Integer maxAttempts,
            Integer maxDurationSeconds)
            implements CborSerializable {

        public TrailingFields {
            tags = tags == null ? List.of() : List.copyOf(tags);
        }

        static TrailingFields of(TriggerRequest request) {
            return new TrailingFields(
                    request.payloadJson(),
                    request.payloadType(),
                    request.metadataJson(),
                    request.tags(),
                    request.maxAttempts(),
                    request.maxDurationSeconds());
        }
    }
}
