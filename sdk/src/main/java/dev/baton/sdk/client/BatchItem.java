package dev.baton.sdk.client;

import java.util.Objects;

/**
 * One item of a batch trigger: a run of {@code taskId} with {@code payload} (any Jackson-writable value)
 * and {@code options} (null: defaults).
 */
public record BatchItem(String taskId, Object payload, TriggerOptions options) {

    public BatchItem {
        Objects.requireNonNull(taskId, "taskId");
    }

    /** An item with default options. */
    public static BatchItem of(String taskId, Object payload) {
        return new BatchItem(taskId, payload, null);
    }
}
