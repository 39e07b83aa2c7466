package dev.baton.sdk.task;

import java.util.Objects;

/**
 * One child run of {@link TaskContext#batchTriggerAndWait}.
 *
 * @param taskId  the child's task
 * @param payload any Jackson-writable value, or null for none
 * @param options the child's options, or null for the defaults
 */
public record ChildItem(String taskId, Object payload, ChildOptions options) {

    public ChildItem {
        Objects.requireNonNull(taskId, "taskId");
        if (!Task.isValidId(taskId)) {
            throw new IllegalArgumentException("invalid task id '" + taskId + "'");
        }
    }

    public static ChildItem of(String taskId, Object payload) {
        return new ChildItem(taskId, payload, null);
    }
}
