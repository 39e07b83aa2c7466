package dev.baton.engine.worker;

import dev.baton.engine.common.CborSerializable;

/** An attempt's or a run's error, as reported by the worker or decided by the engine. */
public record RunError(String name, String message, String stackTrace) implements CborSerializable {
    /** Error name used when the worker holding an attempt disappears or stops heartbeating. */
    public static final String WORKER_LOST = "WORKER_LOST";

    public static RunError workerLost(String reason) {
        return new RunError(WORKER_LOST, reason, null);
    }
}
