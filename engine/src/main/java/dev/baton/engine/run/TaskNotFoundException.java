package dev.baton.engine.run;

/** The task was never declared by a worker of the environment. */
public final class TaskNotFoundException extends RuntimeException {
    public TaskNotFoundException(String taskId) {
        super("Task not found: " + taskId);
    }
}
